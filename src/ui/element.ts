/**
 * `<presenza-check>`: the student's side of Presenza. The platform configures it (SDK, controller,
 * purpose, full-notice URL, language, texts) and calls `enroll()` or `check()`; the element shows
 * the notice and the choice, loads the SDK, opens the camera for a mirrored preview, guides the
 * student frame by frame, and ends with the result, a retry or the alternative. It stops the
 * camera the moment a capture ends and never draws or keeps a frame.
 */
import { retainUntilMs, type CaptureProgress, type PresenzaCheckResult } from '../sdk/presenza.js';
import { isPresenzaError, PresenzaError } from '../protocol/errors.js';
import { abortedError, untilAborted } from './abort.js';
import {
  requireText,
  resolveUiOptions,
  type PresenzaLike,
  type PresenzaUiAlternative,
  type PresenzaUiCheckOptions,
  type PresenzaUiEnrollOptions,
  type PresenzaUiEventMap,
  type PresenzaUiOperation,
  type PresenzaUiOptions,
  type ResolvedUiOptions,
} from './options.js';
import { openPreviewStream, stopStream } from './camera.js';
import { checkProblem, errorProblem, type Problem } from './problems.js';
import { SdkLoader } from './sdkLoader.js';
import { alternativeView } from './views/alternative.js';
import { captureView } from './views/capture.js';
import { checkIntroView } from './views/intro.js';
import { loadingView } from './views/loading.js';
import { noticeView } from './views/notice.js';
import { Panel } from './views/panel.js';
import { problemView } from './views/problem.js';
import type { Choice, PresenzaUiState, View, ViewContext } from './views/screen.js';
import { startingView } from './views/starting.js';
import { enrolledView, passedView } from './views/success.js';

/** The "turning on the camera" screen appears only if the browser takes longer than this (a permission prompt). */
export const STARTING_VIEW_DELAY_MS = 400;

/** Lets the module load where there is no DOM (server rendering); the element is only defined in a browser. */
const ElementBase: typeof HTMLElement = typeof HTMLElement === 'undefined' ? (class {} as typeof HTMLElement) : HTMLElement;

/** How one SDK operation is run by the element. */
interface Session<R> {
  readonly operation: PresenzaUiOperation;
  readonly signal: AbortSignal | undefined;
  /** The first screen: the notice, or the check's introduction. */
  readonly intro: (ctx: ViewContext) => View;
  /** Runs the SDK call; `openCamera` opens the element's stream and shows the preview. */
  readonly capture: (sdk: PresenzaLike, camera: CaptureTools) => Promise<R>;
  /** The problem in a result, or null when it succeeded. */
  readonly problem: (result: R) => Problem | null;
  /** The success screen. */
  readonly success: (ctx: ViewContext) => View;
}

interface CaptureTools {
  readonly openCamera: () => Promise<MediaStream>;
  readonly onFrame: (progress: CaptureProgress) => void;
  readonly signal: AbortSignal;
}

/** How an attempt ended. */
type AttemptEnd<R> = { readonly value: R } | { readonly error: unknown } | { readonly interrupted: 'cancel' | 'alternative' };

/**
 * The `<presenza-check>` custom element. Define it with `defineElements()` or create it with
 * `mountPresenza()`; then `configure()` it (mountPresenza does) and call `enroll()` or `check()`.
 *
 * Its `state` attribute reflects the screen shown ({@link PresenzaUiState}); it dispatches the
 * events of {@link PresenzaUiEventMap}. Removing it from the page aborts what it is doing.
 */
export class PresenzaCheckElement extends ElementBase {
  #config: ResolvedUiOptions | undefined;
  #sdk: SdkLoader | undefined;
  #session: AbortController | undefined;
  #answer: ((choice: Choice) => void) | undefined;
  #interrupt: ((choice: 'cancel' | 'alternative') => void) | undefined;
  #inflight: Promise<unknown> = Promise.resolve();
  #stream: MediaStream | undefined;
  readonly #panel: Panel;

  constructor() {
    super();
    this.#panel = new Panel(this.attachShadow({ mode: 'open' }), (state) => this.setAttribute('state', state));
  }

  /** The screen shown. */
  get state(): PresenzaUiState {
    return this.#panel.state;
  }

  /** Sets the SDK, the notice's facts, the language and texts. Throws a TypeError on a bad option. */
  configure(options: PresenzaUiOptions): void {
    if (this.#session) throw new TypeError('<presenza-check>: configure() cannot be called during enroll() or check()');
    const config = resolveUiOptions(options);
    this.#releaseSdk();
    this.#config = config;
  }

  /**
   * Shows the layered notice and the choice, then enrolls the student on this device. Resolves
   * with the SDK's `{ assertion }` (post it to the platform's server), or `{ outcome: 'alternative' }`
   * when the student chose the alternative. A failed attempt offers a retry (up to `maxAttempts`)
   * and the alternative. Rejects with `ERR_ABORTED` when `signal` aborts or the element is removed,
   * `ERR_BUSY` when another call is in progress, a TypeError on bad options.
   */
  async enroll(options: PresenzaUiEnrollOptions): Promise<{ assertion: string } | PresenzaUiAlternative> {
    const config = this.#requireConfig('enroll');
    if (typeof options !== 'object' || options === null) throw new TypeError('enroll: options must be an object');
    requireText('enroll', 'enrollmentId', options.enrollmentId);
    requireText('enroll', 'nonce', options.nonce);
    const retainUntil = new Date(retainUntilMs(options.retainUntil, Date.now()));
    return this.#run<{ assertion: string }>(config, {
      operation: 'enroll',
      signal: options.signal,
      intro: (ctx) => noticeView(ctx, retainUntil),
      capture: (sdk, tools) => sdk.enroll({ ...options, camera: { openStream: tools.openCamera }, onFrame: tools.onFrame, signal: tools.signal }),
      problem: () => null,
      success: (ctx) => enrolledView(ctx, retainUntil),
    });
  }

  /**
   * Shows what is asked and the choice, then checks that the enrolled student is in front of the
   * camera. Resolves with the SDK's result when the check passes (post its assertion), or
   * `{ outcome: 'alternative' }` when the student chose the alternative: after a failed or
   * inconclusive attempt the element offers a retry (up to `maxAttempts`) and the alternative,
   * and only the alternative when retrying cannot help (e.g. not enrolled on this device). Each
   * attempt's result is also dispatched as `presenza-result`. Rejects like {@link enroll}.
   */
  async check(options: PresenzaUiCheckOptions): Promise<PresenzaCheckResult | PresenzaUiAlternative> {
    const config = this.#requireConfig('check');
    if (typeof options !== 'object' || options === null) throw new TypeError('check: options must be an object');
    requireText('check', 'checkId', options.checkId);
    requireText('check', 'nonce', options.nonce);
    return this.#run<PresenzaCheckResult>(config, {
      operation: 'check',
      signal: options.signal,
      intro: checkIntroView,
      // The SDK opens the camera through the element only when it needs frames: with nothing
      // enrolled (or an expired enrollment) it answers at once and the camera stays off.
      capture: (sdk, tools) => sdk.check({ ...options, camera: { openStream: tools.openCamera }, onFrame: tools.onFrame, signal: tools.signal }),
      problem: checkProblem,
      success: passedView,
    });
  }

  /** @internal Custom element callback. */
  connectedCallback(): void {
    if (!this.hasAttribute('state')) this.setAttribute('state', this.state);
  }

  /** @internal Custom element callback: aborts the operation, stops the camera, closes an SDK the element created. */
  disconnectedCallback(): void {
    this.#session?.abort();
    this.#stopCamera();
    this.#releaseSdk();
  }

  #requireConfig(method: string): ResolvedUiOptions {
    if (!this.#config) throw new TypeError(`${method}: configure the element first (mountPresenza does it)`);
    return this.#config;
  }

  async #run<R>(config: ResolvedUiOptions, session: Session<R>): Promise<R | PresenzaUiAlternative> {
    const what = session.operation;
    if (this.#session) throw new PresenzaError('ERR_BUSY', `${what}: another enroll() or check() is in progress on this element`);
    if (session.signal?.aborted) throw abortedError(what);
    const controller = new AbortController();
    const signal = controller.signal;
    const abort = () => controller.abort();
    session.signal?.addEventListener('abort', abort, { once: true });
    this.#session = controller;
    void this.#loader(config).load().catch(() => undefined);
    let failures = 0;
    let attempt = 0;
    try {
      let choice = await this.#ask(session.intro, signal);
      for (;;) {
        if (choice === 'alternative') return this.#chooseAlternative(what);
        if (choice === 'cancel') {
          choice = await this.#ask(session.intro, signal);
          continue;
        }
        const end = await this.#attempt(config, session, signal);
        if ('interrupted' in end) {
          choice = end.interrupted;
          continue;
        }
        attempt += 1;
        const problem = 'value' in end ? session.problem(end.value) : errorProblem(end.error);
        this.#emitResult(what, attempt, end, problem === null);
        if (!problem) {
          this.#show(session.success(this.#context(config)));
          return (end as { value: R }).value;
        }
        if (problem.kind === 'failed') failures += 1;
        const canRetry = problem.retryable && failures < config.maxAttempts;
        choice = await this.#ask((ctx) => problemView(ctx, problem, canRetry), signal);
      }
    } catch (error) {
      if (signal.aborted) {
        this.#show(undefined);
        throw abortedError(what);
      }
      throw error;
    } finally {
      session.signal?.removeEventListener('abort', abort);
      this.#stopCamera();
      this.#answer = undefined;
      this.#session = undefined;
      // The SDK is idle again (an interrupted capture has wound down) before the promise settles.
      await this.#inflight;
    }
  }

  /** One go at the face check: load, open the camera, capture. Cancel and the alternative interrupt it at once. */
  async #attempt<R>(config: ResolvedUiOptions, session: Session<R>, sessionSignal: AbortSignal): Promise<AttemptEnd<R>> {
    const stop = new AbortController();
    let interruption: 'cancel' | 'alternative' = 'cancel';
    this.#interrupt = (choice) => {
      interruption = choice;
      stop.abort();
    };
    const signal = AbortSignal.any([sessionSignal, stop.signal]);
    try {
      await this.#inflight;
      const sdk = await this.#ready(config, signal);
      const work = session.capture(sdk, {
        openCamera: () => this.#openCamera(config, session.operation, signal),
        onFrame: (progress) => this.#frame(session.operation, progress),
        signal,
      });
      this.#inflight = work.catch(() => undefined);
      return { value: await untilAborted(work, signal, session.operation) };
    } catch (error) {
      if (sessionSignal.aborted) throw error;
      if (stop.signal.aborted) return { interrupted: interruption };
      return { error };
    } finally {
      this.#interrupt = undefined;
      this.#stopCamera();
    }
  }

  /** Shows a screen with buttons and waits for the student's choice. */
  #ask(build: (ctx: ViewContext) => View, signal: AbortSignal): Promise<Choice> {
    const config = this.#config!;
    return untilAborted(
      new Promise<Choice>((resolve) => {
        this.#answer = resolve;
        this.#show(build(this.#context(config)));
      }),
      signal,
      'waiting for the student',
    ).finally(() => (this.#answer = undefined));
  }

  #onChoice(choice: Choice): void {
    if (choice === 'other-gesture') this.#otherGesture();
    else if (this.#answer) this.#answer(choice);
    else if (choice === 'cancel' || choice === 'alternative') this.#interrupt?.(choice);
  }

  #chooseAlternative(operation: PresenzaUiOperation): PresenzaUiAlternative {
    this.#stopCamera();
    this.#show(alternativeView(this.#context(this.#config!)));
    this.#emit('presenza-alternative', { operation });
    return { outcome: 'alternative' };
  }

  /** The SDK loader for the configured SDK, created on first use. */
  #loader(config: ResolvedUiOptions): SdkLoader {
    this.#sdk ??= new SdkLoader(config.presenza, {
      onProgress: (detail, progress) => {
        this.#panel.showLoadProgress(progress);
        this.#emit('presenza-progress', detail);
      },
    });
    return this.#sdk;
  }

  /** Closes an instance the element created, and forgets any instance. */
  #releaseSdk(): void {
    this.#sdk?.release();
    this.#sdk = undefined;
  }

  async #ready(config: ResolvedUiOptions, signal: AbortSignal): Promise<PresenzaLike> {
    const loader = this.#loader(config);
    const loading = loader.load();
    if (!loader.ready) this.#show(loadingView(this.#context(config), loader.progress));
    return untilAborted(loading, signal, 'loading the face check');
  }

  async #openCamera(config: ResolvedUiOptions, operation: PresenzaUiOperation, signal: AbortSignal): Promise<MediaStream> {
    const slow = setTimeout(() => this.#show(startingView(this.#context(config))), STARTING_VIEW_DELAY_MS);
    try {
      this.#stream = await openPreviewStream(signal);
    } finally {
      clearTimeout(slow);
    }
    this.#show(captureView(this.#context(config), operation, this.#stream));
    return this.#stream;
  }

  /** The student cannot make the gesture asked: ask the SDK for another; with none left, the way out is the alternative. */
  #otherGesture(): void {
    const sdk = this.#sdk?.ready ? this.#sdk.load() : undefined;
    void sdk
      ?.then((instance) => instance.useAlternativeGesture())
      .then((replaced) => {
        if (replaced === false) this.#panel.focusAlternative();
      })
      .catch(() => undefined);
  }

  #frame(operation: PresenzaUiOperation, progress: CaptureProgress): void {
    if (!this.#stream) return;
    this.#panel.showFrame(progress);
    this.#emit('presenza-frame', { ...progress, operation });
    // Enough frames: the capture is over, so the camera goes off now, before the comparison.
    if (progress.done) this.#stopCamera();
  }

  #stopCamera(): void {
    this.#panel.releasePreview();
    if (this.#stream) stopStream(this.#stream);
    this.#stream = undefined;
  }

  #show(view: View | undefined): void {
    this.#panel.show(view);
  }

  #context(config: ResolvedUiOptions): ViewContext {
    return this.#panel.context(config, this, (choice) => this.#onChoice(choice));
  }

  #emitResult<R>(operation: PresenzaUiOperation, attempt: number, end: AttemptEnd<R>, final: boolean): void {
    if ('value' in end) {
      this.#emit('presenza-result', { operation, attempt, result: end.value as PresenzaCheckResult, final });
      return;
    }
    const error = 'error' in end ? end.error : undefined;
    const code = isPresenzaError(error) ? error.code : undefined;
    const message = error instanceof Error ? error.message : String(error);
    this.#emit('presenza-result', { operation, attempt, error: { ...(code ? { code } : {}), message }, final });
  }

  #emit<K extends keyof PresenzaUiEventMap>(type: K, detail: PresenzaUiEventMap[K]['detail']): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }
}

/** Typed listeners for the element's events (types only). */
export interface PresenzaCheckElement {
  addEventListener<K extends keyof PresenzaUiEventMap>(
    type: K,
    listener: (this: PresenzaCheckElement, event: PresenzaUiEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
}

declare global {
  interface HTMLElementTagNameMap {
    'presenza-check': PresenzaCheckElement;
  }
}
