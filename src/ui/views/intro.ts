/** The `intro` screen, before a check. */
import { h } from './dom.js';
import { alternativeOffer, faceOrAlternative, noticeLink } from './choice.js';
import { screen, type View, type ViewContext } from './screen.js';

/** What is asked, the alternative, the full notice link; then the choice. */
export function checkIntroView(ctx: ViewContext): View {
  return screen('intro', ctx.t('checkTitle'), { icon: 'info' }, h('p', {}, ctx.t('checkIntro')), h('p', {}, alternativeOffer(ctx)), noticeLink(ctx), ...faceOrAlternative(ctx));
}
