/**
 * `<presenza-check>`: the student's side of Presenza. The platform configures it (SDK, controller,
 * purpose, full-notice URL, language, texts) and calls `enroll()` or `check()`; the element shows
 * the notice and the choice, loads the SDK, opens the camera for a mirrored preview, guides the
 * student frame by frame, and ends with the result, a retry or the alternative. It stops the
 * camera the moment a capture ends and never draws or keeps a frame.
 *
 * This class is the shell: options, the public methods, the lifecycle and the events. The attempt
 * controller (`attempt.ts`) decides what comes next, the panel (`views/`) shows it, the
 * {@link SdkLoader} and the {@link PreviewCamera} hold the SDK instance and the camera.
 */
import { retainUntilMs, type PresenzaCheckResult } from '../sdk/options.js';
import type { EnrollmentResult } from '../protocol/capture.js';
import { PresenzaError } from '../protocol/errors.js';
import { abortedError } from './abort.js';
import { AttemptController, type AttemptOperation, type AttemptResult, type AttemptScreen, type Choice } from './attempt.js';
import { PreviewCamera } from './camera.js';
import { checkOperation, enrollOperation } from './operations.js';
import {
  requireText,
  resolveUiOptions,
  type PresenzaUiAlternative,
  type PresenzaUiCheckOptions,
  type PresenzaUiEnrollOptions,
  type PresenzaUiEventMap,
  type PresenzaUiOptions,
  type ResolvedUiOptions,
} from './options.js';
import { SdkLoader } from './sdkLoader.js';
import { checkIntroView, enrolledView, noticeView, Panel, passedView, viewFor, type OperationViews, type PresenzaUiState } from './views/index.js';

/** Lets the module load where there is no DOM (server rendering); the element is only defined in a browser. */
const ElementBase: typeof HTMLElement = typeof HTMLElement === 'undefined' ? (class {} as typeof HTMLElement) : HTMLElement;

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
  /** The `enroll()` or `check()` call in progress, and its abort switch. */
  #running: { readonly abort: AbortController } | undefined;
  /** Settles when the SDK work of the last call has wound down. */
  #sdkIdle: Promise<unknown> = Promise.resolve();
  readonly #camera = new PreviewCamera();
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
    if (this.#running) throw new TypeError('<presenza-check>: configure() cannot be called during enroll() or check()');
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
  async enroll(options: PresenzaUiEnrollOptions): Promise<EnrollmentResult | PresenzaUiAlternative> {
    const config = this.#requireConfig('enroll');
    if (typeof options !== 'object' || options === null) throw new TypeError('enroll: options must be an object');
    requireText('enroll', 'enrollmentId', options.enrollmentId);
    requireText('enroll', 'nonce', options.nonce);
    const retainUntil = new Date(retainUntilMs(options.retainUntil, Date.now()));
    const operation = enrollOperation(options);
    return this.#run(config, operation, options.signal, {
      operation: 'enroll',
      intro: (ctx) => noticeView(ctx, retainUntil, operation.capturesDocument),
      success: (ctx, result) => enrolledView(ctx, retainUntil, operation.capturesDocument ? (result as EnrollmentResult).idDocument : undefined),
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
    if (options.renewNonce !== undefined && typeof options.renewNonce !== 'function') throw new TypeError('check: renewNonce must be a function');
    return this.#run(config, checkOperation(options), options.signal, { operation: 'check', intro: checkIntroView, success: passedView });
  }

  /** @internal Custom element callback. */
  connectedCallback(): void {
    if (!this.hasAttribute('state')) this.setAttribute('state', this.state);
  }

  /** @internal Custom element callback: aborts the operation, stops the camera, closes an SDK the element created. */
  disconnectedCallback(): void {
    this.#running?.abort.abort();
    this.#stopCamera();
    this.#releaseSdk();
  }

  #requireConfig(method: string): ResolvedUiOptions {
    if (!this.#config) throw new TypeError(`${method}: configure the element first (mountPresenza does it)`);
    return this.#config;
  }

  /** Runs one call through an attempt controller wired to the panel, the camera, the SDK and the events. */
  async #run<R extends AttemptResult>(
    config: ResolvedUiOptions,
    operation: AttemptOperation<R>,
    signal: AbortSignal | undefined,
    views: OperationViews,
  ): Promise<R | PresenzaUiAlternative> {
    const what = operation.name;
    if (this.#running) throw new PresenzaError('ERR_BUSY', `${what}: another enroll() or check() is in progress on this element`);
    if (signal?.aborted) throw abortedError(what);
    const abort = new AbortController();
    const onAbort = () => abort.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const sdk = this.#loader(config);
    const attempts: AttemptController<R> = new AttemptController({
      operation,
      sdk,
      camera: { open: (cameraSignal) => this.#camera.open(cameraSignal), stop: () => this.#stopCamera() },
      host: {
        show: (screen) => this.#show(screen, config, views, sdk, (choice) => attempts.choose(choice)),
        frame: (progress) => {
          this.#panel.showFrame(progress);
          this.#emit('presenza-frame', { ...progress, operation: what });
        },
        result: (detail) => this.#emit('presenza-result', detail),
        alternative: () => this.#emit('presenza-alternative', { operation: what }),
        noOtherGesture: () => this.#panel.focusAlternative(),
      },
      maxAttempts: config.maxAttempts,
      sdkIdle: this.#sdkIdle,
    });
    this.#running = { abort };
    try {
      return await attempts.run(abort.signal);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#running = undefined;
      // The SDK is idle again (an interrupted capture has wound down) before the promise settles.
      this.#sdkIdle = attempts.idle;
      await attempts.idle;
    }
  }

  /** Shows the controller's screen; the view's buttons answer `choose`. */
  #show(screen: AttemptScreen, config: ResolvedUiOptions, views: OperationViews, sdk: SdkLoader, choose: (choice: Choice) => void): void {
    if (screen.kind === 'idle') return this.#panel.show(undefined);
    this.#panel.show(viewFor(screen, this.#panel.context(config, this, choose), views, sdk.progress));
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

  #stopCamera(): void {
    this.#panel.releasePreview();
    this.#camera.stop();
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
