/** The view for each screen the attempt controller asks for. */
import type { AttemptResult, AttemptScreen } from '../attempt.js';
import type { PresenzaUiOperation } from '../options.js';
import { alternativeView } from './alternative.js';
import { captureView } from './capture.js';
import { loadingView } from './loading.js';
import { problemView } from './problem.js';
import type { View, ViewContext } from './screen.js';
import { startingView } from './starting.js';

export { checkIntroView } from './intro.js';
export { noticeView } from './notice.js';
export { Panel } from './panel.js';
export type { PresenzaUiState, View, ViewContext } from './screen.js';
export { enrolledView, passedView } from './success.js';

/** What differs between the operations: the first and the last screen. */
export interface OperationViews {
  readonly operation: PresenzaUiOperation;
  /** The notice before an enrollment, the introduction before a check. */
  readonly intro: (ctx: ViewContext) => View;
  /** Enrolled, or passed, after `result`. */
  readonly success: (ctx: ViewContext, result: AttemptResult) => View;
}

/** Builds the view of `screen` (any but `idle`, which shows nothing); `loadProgress` is the download shown so far. */
export function viewFor(screen: Exclude<AttemptScreen, { kind: 'idle' }>, ctx: ViewContext, views: OperationViews, loadProgress: number): View {
  switch (screen.kind) {
    case 'intro':
      return views.intro(ctx);
    case 'loading':
      return loadingView(ctx, loadProgress);
    case 'starting':
      return startingView(ctx);
    case 'capturing':
      return captureView(ctx, views.operation, screen.stream);
    case 'success':
      return views.success(ctx, screen.result);
    case 'problem':
      return problemView(ctx, screen.problem, screen.canRetry);
    case 'alternative':
      return alternativeView(ctx);
  }
}
