/** The `enrolled` and `passed` screens, and what happens to the data. */
import { h } from './dom.js';
import { screen, type View, type ViewContext } from './screen.js';

function successView(ctx: ViewContext, state: 'enrolled' | 'passed', body: string): View {
  const title = ctx.t(state === 'enrolled' ? 'enrolledTitle' : 'passedTitle');
  return { ...screen(state, title, { tone: 'success', icon: 'success' }, h('p', {}, body)), announce: `${title}. ${body}` };
}

/** Enrolled: the face data stays on this device until `retainUntil`. */
export function enrolledView(ctx: ViewContext, retainUntil: Date): View {
  return successView(ctx, 'enrolled', ctx.t('enrolledBody', { date: new Intl.DateTimeFormat(ctx.lang, { dateStyle: 'long' }).format(retainUntil) }));
}

/** Presence confirmed. */
export function passedView(ctx: ViewContext): View {
  return successView(ctx, 'passed', ctx.t('passedBody'));
}
