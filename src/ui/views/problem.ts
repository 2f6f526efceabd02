/** The `failed`, `camera-error` and `error` screens: what went wrong, what to do, and the way forward. */
import { h } from './dom.js';
import type { Problem } from '../problems.js';
import { actions, screen, type View, type ViewContext } from './screen.js';

/** The problem's explanation and next steps; "Try again" while `canRetry`, the alternative always. */
export function problemView(ctx: ViewContext, problem: Problem, canRetry: boolean): View {
  const { t } = ctx;
  const title = t(problem.title);
  const body = t(problem.body);
  // Once retrying is over (or cannot help), the one next step is the alternative.
  const steps =
    problem.steps === 'noRetry' || (problem.retryable && !canRetry)
      ? h('p', {}, t('noRetry'))
      : h('p', {}, h('strong', {}, t('stepsLabel')), ` ${t(problem.steps)}`);
  const view = screen(
    problem.kind,
    title,
    { tone: 'problem', icon: 'problem' },
    h('p', {}, body),
    steps,
    problem.kind === 'failed' && h('p', { class: 'note' }, t('nothingKept')),
    actions(ctx, canRetry ? ['retry', 'alternative'] : ['alternative']),
  );
  return { ...view, announce: `${title}. ${body}` };
}
