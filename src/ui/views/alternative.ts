/** The `alternative` screen: the student chose the non-biometric alternative. */
import { h } from './dom.js';
import { screen, type View, type ViewContext } from './screen.js';

/** What the alternative is and what happens next. */
export function alternativeView(ctx: ViewContext): View {
  const title = ctx.t('alternativeTitle');
  const body = ctx.t('alternativeBody', { alternative: ctx.t('alternativeDescription') });
  return { ...screen('alternative', title, { icon: 'info' }, h('p', {}, body)), announce: `${title}. ${body}` };
}
