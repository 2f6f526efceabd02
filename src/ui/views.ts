/**
 * The element's screens, one builder per state. Each returns its root and its heading (focus
 * moves there when the screen appears); screens that change in place (download progress, live
 * guidance) also return an updater. Builders only build: the element decides what comes next.
 */
import type { CaptureProgress } from '../sdk/presenza.js';
import { h, icon, type Child, type IconName } from './dom.js';
import type { GuidanceTone } from './guidance.js';
import type { MessageKey, Translate, UiLanguage } from './i18n/index.js';
import type { PresenzaUiOperation } from './options.js';
import { previewVideo } from './preview.js';
import type { Problem, ProblemKind } from './problems.js';

/** What the student can press. */
export type Choice = 'face' | 'alternative' | 'retry' | 'cancel' | 'other-gesture';

/** The element's states, reflected in its `state` attribute. */
export type PresenzaUiState =
  | 'idle'
  | 'notice'
  | 'intro'
  | 'loading'
  | 'starting'
  | 'capturing'
  | 'enrolled'
  | 'passed'
  | ProblemKind
  | 'alternative';

/** What every screen needs. */
export interface ViewContext {
  readonly t: Translate;
  readonly lang: UiLanguage;
  readonly controller: string;
  readonly purpose: string;
  readonly noticeUrl: string;
  /** Called when the student presses a button. */
  readonly choose: (choice: Choice) => void;
}

/** A built screen. */
export interface View {
  readonly state: PresenzaUiState;
  readonly root: HTMLElement;
  readonly heading: HTMLElement;
  /** Announced assertively when the screen appears (results and errors only). */
  readonly announce?: string;
}

/** The model download screen. */
export interface LoadingView extends View {
  /** Shows the overall download fraction (0..1). */
  progress(fraction: number): void;
}

/** The camera screen. */
export interface CaptureView extends View {
  /** Shows the guidance and progress after a frame. */
  update(progress: CaptureProgress, text: string, tone: GuidanceTone): void;
  /** Detaches the camera stream from the preview. */
  release(): void;
}

const CHOICE_LABELS: Record<Choice, MessageKey> = {
  face: 'choiceFace',
  alternative: 'choiceAlternative',
  retry: 'retry',
  cancel: 'cancel',
  'other-gesture': 'gestureCannot',
};

function screen(state: PresenzaUiState, title: string, look: { tone?: 'success' | 'problem'; icon?: IconName }, ...children: Child[]): View {
  const heading = h('h2', { tabindex: -1 }, look.icon && icon(look.icon), title);
  const root = h('div', { class: 'view', 'data-tone': look.tone }, heading, ...children);
  return { state, root, heading };
}

function actions(ctx: ViewContext, choices: readonly Choice[], labelledBy?: string): HTMLElement {
  const buttons = choices.map((choice) => {
    const button = h('button', { type: 'button', 'data-choice': choice }, ctx.t(CHOICE_LABELS[choice]));
    button.addEventListener('click', () => ctx.choose(choice));
    return button;
  });
  return h('div', { class: 'actions', role: labelledBy && 'group', 'aria-labelledby': labelledBy }, ...buttons);
}

/** The choice between the face check and the alternative: same buttons, same weight. */
function choice(ctx: ViewContext): Child[] {
  return [h('p', { class: 'question', id: 'choice-question' }, ctx.t('choiceQuestion')), actions(ctx, ['face', 'alternative'], 'choice-question')];
}

function noticeLink(ctx: ViewContext): HTMLElement {
  return h('p', {}, h('a', { href: ctx.noticeUrl, target: '_blank', rel: 'noopener' }, `${ctx.t('fullNotice')} ${ctx.t('newTab')}`));
}

function alternativeOffer(ctx: ViewContext): string {
  return ctx.t('alternativeOffer', { alternative: ctx.t('alternativeDescription') });
}

/** The layered notice before an enrollment: who, why, where, how long, the alternative; then the choice. */
export function noticeView(ctx: ViewContext, retainUntil: Date): View {
  const { t } = ctx;
  const date = new Intl.DateTimeFormat(ctx.lang, { dateStyle: 'long' }).format(retainUntil);
  const facts: [MessageKey, string][] = [
    ['noticeControllerLabel', t('noticeController', { controller: ctx.controller })],
    ['noticePurposeLabel', t('noticePurpose', { purpose: ctx.purpose })],
    ['noticeDeviceLabel', t('noticeDevice')],
    ['noticeRetentionLabel', t('noticeRetention', { date })],
    ['noticeAlternativeLabel', alternativeOffer(ctx)],
  ];
  return screen(
    'notice',
    t('noticeTitle'),
    { icon: 'info' },
    h('dl', { class: 'facts' }, ...facts.flatMap(([label, text]) => [h('dt', {}, t(label)), h('dd', {}, text)])),
    noticeLink(ctx),
    ...choice(ctx),
  );
}

/** Before a check: what is asked, the alternative, then the choice. */
export function checkIntroView(ctx: ViewContext): View {
  return screen('intro', ctx.t('checkTitle'), { icon: 'info' }, h('p', {}, ctx.t('checkIntro')), h('p', {}, alternativeOffer(ctx)), noticeLink(ctx), ...choice(ctx));
}

/** While the models download and start. */
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

/** While the browser opens the camera (and may be asking for permission). */
export function startingView(ctx: ViewContext): View {
  return screen('starting', ctx.t('startingTitle'), {}, h('p', {}, ctx.t('startingBody')), actions(ctx, ['cancel', 'alternative']));
}

/** The mirrored live preview with the oval guide, live guidance and capture progress. */
export function captureView(ctx: ViewContext, operation: PresenzaUiOperation, stream: MediaStream): CaptureView {
  const { t } = ctx;
  const video = previewVideo(stream);
  const guide = h('div', { class: 'guide', 'data-tone': 'wait' });
  const guidance = h('p', { class: 'guidance', 'data-tone': 'wait' }, t('guideStarting'));
  const label = h('label', { for: 'capture-progress' }, t('captureProgressLabel'));
  const bar = h('progress', { id: 'capture-progress', max: 1, value: 0 });
  // Shown only while a gesture is asked: which one of how many, and the way out if it is hard.
  const gestureStep = h('p', { class: 'gesture-step' });
  const gestureHelp = h('p', { class: 'note' }, t('gestureHelp'));
  const otherGesture = actions(ctx, ['other-gesture']);
  const gesture = h('div', { class: 'gesture', hidden: true }, gestureStep, gestureHelp, otherGesture);
  const view = screen(
    'capturing',
    t(operation === 'enroll' ? 'enrollTitle' : 'captureTitle'),
    {},
    h('p', {}, t('captureIntro')),
    h('div', { class: 'stage' }, video, guide),
    guidance,
    gesture,
    h('div', { class: 'meter' }, label, bar),
    actions(ctx, ['cancel', 'alternative']),
  );
  return {
    ...view,
    update(progress, text, tone) {
      guide.dataset.tone = guidance.dataset.tone = tone;
      guidance.textContent = text;
      const live = progress.liveness;
      gesture.hidden = !live?.step;
      otherGesture.hidden = !live?.alternativeAvailable;
      if (live?.step) gestureStep.textContent = t('gestureStep', { step: (live.stepIndex ?? 0) + 1, steps: live.steps ?? 1 });
      // Images first, then gestures: the bar covers both.
      const gestures = live?.steps ?? 0;
      const gesturesDone = progress.done ? gestures : live?.step ? (live.stepIndex ?? 0) : 0;
      bar.max = progress.needed + gestures;
      bar.value = progress.collected + gesturesDone;
      label.textContent = `${t('captureProgressLabel')}: ${t('captureProgress', { collected: progress.collected, needed: progress.needed })}`;
    },
    release() {
      video.pause();
      video.srcObject = null;
    },
  };
}

/** Enrolled, or presence confirmed. */
export function successView(ctx: ViewContext, state: 'enrolled' | 'passed', body: string): View {
  const title = ctx.t(state === 'enrolled' ? 'enrolledTitle' : 'passedTitle');
  return { ...screen(state, title, { tone: 'success', icon: 'success' }, h('p', {}, body)), announce: `${title}. ${body}` };
}

/** What went wrong, what to do, and the way forward: retry while it can help, the alternative always. */
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

/** The alternative was chosen. */
export function alternativeView(ctx: ViewContext): View {
  const title = ctx.t('alternativeTitle');
  const body = ctx.t('alternativeBody', { alternative: ctx.t('alternativeDescription') });
  return { ...screen('alternative', title, { icon: 'info' }, h('p', {}, body)), announce: `${title}. ${body}` };
}
