/** The `starting` screen: the browser is opening the camera (and may be asking for permission). */
import { h } from './dom.js';
import { actions, screen, type View, type ViewContext } from './screen.js';

/** "Turning on the camera", with Cancel and the alternative. */
export function startingView(ctx: ViewContext): View {
  return screen('starting', ctx.t('startingTitle'), {}, h('p', {}, ctx.t('startingBody')), actions(ctx, ['cancel', 'alternative']));
}
