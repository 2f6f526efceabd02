/** The `loading` screen: the models download and the runtimes start (only when the element creates the SDK). */
import { h } from './dom.js';
import { actions, screen, type View, type ViewContext } from './screen.js';

/** The loading screen, with the download bar. */
export interface LoadingView extends View {
  /** Shows the overall download fraction (0..1). */
  progress(fraction: number): void;
}

/** Builds the loading screen showing `fraction` (0..1) of the download. */
export function loadingView(ctx: ViewContext, fraction: number): LoadingView {
  const bar = h('progress', { id: 'load-progress', max: 100, value: 0 });
  const percent = h('span', { 'aria-hidden': 'true' });
  const view = screen(
    'loading',
    ctx.t('loadingTitle'),
    {},
    h('p', {}, ctx.t('loadingBody')),
    h('div', { class: 'meter' }, h('label', { for: 'load-progress' }, ctx.t('loadingProgressLabel')), bar, percent),
    actions(ctx, ['cancel', 'alternative']),
  );
  const progress = (value: number) => {
    bar.value = Math.round(value * 100);
    // The downloads are done but the runtimes are still starting: no "100%" before it is ready.
    percent.textContent = bar.value < 100 ? ctx.t('loadingProgress', { percent: bar.value }) : ctx.t('loadingAlmostReady');
  };
  progress(fraction);
  return { ...view, progress };
}
