/**
 * What the notice and the check's introduction share: the choice between the face check and the
 * alternative (same buttons, same weight), the offer of the alternative and the full notice link.
 */
import { h, type Child } from './dom.js';
import { actions, type ViewContext } from './screen.js';

/** The question and its two answers: the face check or the alternative. */
export function faceOrAlternative(ctx: ViewContext): Child[] {
  return [h('p', { class: 'question', id: 'choice-question' }, ctx.t('choiceQuestion')), actions(ctx, ['face', 'alternative'], 'choice-question')];
}

/** The link to the platform's full privacy notice (opens in a new tab, and says so). */
export function noticeLink(ctx: ViewContext): HTMLElement {
  return h('p', {}, h('a', { href: ctx.noticeUrl, target: '_blank', rel: 'noopener' }, `${ctx.t('fullNotice')} ${ctx.t('newTab')}`));
}

/** The sentence offering the institution's alternative. */
export function alternativeOffer(ctx: ViewContext): string {
  return ctx.t('alternativeOffer', { alternative: ctx.t('alternativeDescription') });
}
