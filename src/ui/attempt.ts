/**
 * The attempt controller: what happens between the first screen of `enroll()` or `check()` and
 * its result, as plain logic without DOM. The student chooses the face check or the alternative;
 * each attempt loads the SDK, opens the camera and runs one SDK call (so a retry gets a fresh
 * liveness challenge); a failed or inconclusive attempt offers a retry while attempts are left
 * and retrying can help, and the alternative always. Camera and loading problems are explained
 * and do not use up attempts. Cancel and the alternative interrupt an attempt at once.
 *
 * The controller asks its host to show abstract screens ({@link AttemptScreen}) and hears the
 * student's choices through {@link AttemptController.choose}; the element renders the screens.
 */
import type { CaptureProgress, EnrollmentResult } from '../protocol/capture.js';
import type { PresenzaCheckResult } from '../sdk/options.js';
import { isPresenzaError } from '../protocol/errors.js';
import { abortedError, untilAborted } from './abort.js';
import type { PresenzaLike, PresenzaResultDetail, PresenzaUiAlternative, PresenzaUiOperation } from './options.js';
import { errorProblem, type Problem } from './problems.js';

/** The "turning on the camera" screen appears only if the browser takes longer than this (a permission prompt). */
export const STARTING_VIEW_DELAY_MS = 400;

/** What the student can press. */
export type Choice = 'face' | 'alternative' | 'retry' | 'cancel' | 'other-gesture' | 'decline-document';

/** The screen the controller wants shown. */
export type AttemptScreen =
  /** Nothing (the call was aborted). */
  | { readonly kind: 'idle' }
  /** The first screen, with the choice: the notice before an enrollment, the introduction before a check. */
  | { readonly kind: 'intro' }
  /** The SDK is loading (only when it is not loaded yet). */
  | { readonly kind: 'loading' }
  /** The browser is still opening the camera after {@link STARTING_VIEW_DELAY_MS}. */
  | { readonly kind: 'starting' }
  /** The camera is open: the preview of `stream`, with guidance after each frame. */
  | { readonly kind: 'capturing'; readonly stream: MediaStream }
  /** The attempt succeeded with `result`. */
  | { readonly kind: 'success'; readonly result: AttemptResult }
  /** The attempt failed: the problem, with "Try again" if `canRetry`, and the alternative. */
  | { readonly kind: 'problem'; readonly problem: Problem; readonly canRetry: boolean }
  /** The student chose the alternative. */
  | { readonly kind: 'alternative' };

/** What an SDK call gets from the controller for its `camera`, `onFrame` and `signal` options. */
export interface CaptureTools {
  /** Opens the camera and shows the preview; the SDK calls it only when it needs frames. */
  readonly openCamera: () => Promise<MediaStream>;
  readonly onFrame: (progress: CaptureProgress) => void;
  /** Aborts when the attempt is interrupted or the call is aborted. */
  readonly signal: AbortSignal;
}

/** The SDK result of a successful call: an enrollment's `{ assertion, idDocument }` or a check result. */
export type AttemptResult = EnrollmentResult | PresenzaCheckResult;

/** One SDK operation as the controller runs it (see `operations.ts`). */
export interface AttemptOperation<R extends AttemptResult> {
  readonly name: PresenzaUiOperation;
  /** Runs the SDK call once. */
  readonly capture: (sdk: PresenzaLike, tools: CaptureTools) => Promise<R>;
  /** The problem in a result, or null when it is a success. */
  readonly problem: (result: R) => Problem | null;
  /**
   * Whether an identity-document phase follows the live frames: the camera then stays on when the
   * live frames are done, until the document's frames are.
   */
  readonly capturesDocument?: boolean;
}

/** Where the SDK comes from (the element's `SdkLoader`). */
export interface SdkSource {
  /** Whether the SDK is loaded: no loading screen is needed. */
  readonly ready: boolean;
  /** Starts loading if needed; resolves with the instance. */
  load(): Promise<PresenzaLike>;
}

/** The element's camera. */
export interface AttemptCamera {
  /** Opens the camera; rejects with a coded `ERR_CAMERA_*` error, or `ERR_ABORTED` when `signal` aborts first. */
  open(signal: AbortSignal): Promise<MediaStream>;
  /** Stops the camera (and detaches the preview). Harmless when it is off. */
  stop(): void;
}

/** What the controller tells the element. */
export interface AttemptHost {
  show(screen: AttemptScreen): void;
  /** A frame's progress while the camera is on (guidance, `presenza-frame`). */
  frame(progress: CaptureProgress): void;
  /** An attempt ended (`presenza-result`). */
  result(detail: PresenzaResultDetail): void;
  /** The student chose the alternative (`presenza-alternative`), after the alternative screen is shown. */
  alternative(): void;
  /** The student asked for another gesture and none is left: the way on is the alternative. */
  noOtherGesture(): void;
}

/** Timers, injectable for tests. */
export interface Clock {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real timers. */
export const SYSTEM_CLOCK: Clock = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Everything a controller works with. */
export interface AttemptControllerOptions<R extends AttemptResult> {
  readonly operation: AttemptOperation<R>;
  readonly sdk: SdkSource;
  readonly camera: AttemptCamera;
  readonly host: AttemptHost;
  /** Failed or inconclusive attempts before only the alternative is offered. */
  readonly maxAttempts: number;
  /** SDK work of an earlier call that may still be winding down: the first SDK call waits for it. */
  readonly sdkIdle?: Promise<unknown>;
  /** Default {@link SYSTEM_CLOCK}. */
  readonly clock?: Clock;
}

/** How an attempt ended. */
type AttemptEnd<R> = { readonly value: R } | { readonly error: unknown } | { readonly interrupted: 'cancel' | 'alternative' };

/** Runs one `enroll()` or `check()` call: create one per call, then {@link run} it once. */
export class AttemptController<R extends AttemptResult> {
  readonly #operation: AttemptOperation<R>;
  readonly #sdk: SdkSource;
  readonly #camera: AttemptCamera;
  readonly #host: AttemptHost;
  readonly #maxAttempts: number;
  readonly #clock: Clock;
  /** Settles when the last SDK call has wound down (an interrupted call keeps running briefly). */
  #inflight: Promise<unknown>;
  /** Resolves the screen waiting for the student's choice. */
  #answer: ((choice: Choice) => void) | undefined;
  /** Interrupts the attempt running. */
  #interrupt: ((choice: 'cancel' | 'alternative') => void) | undefined;
  #cameraOn = false;

  constructor(options: AttemptControllerOptions<R>) {
    this.#operation = options.operation;
    this.#sdk = options.sdk;
    this.#camera = options.camera;
    this.#host = options.host;
    this.#maxAttempts = options.maxAttempts;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#inflight = options.sdkIdle ?? Promise.resolve();
  }

  /** Settles when no SDK call of this controller is running any more. */
  get idle(): Promise<unknown> {
    return this.#inflight;
  }

  /**
   * Shows the first screen and runs attempts until one succeeds (resolves with the SDK's result)
   * or the student chooses the alternative (resolves with `{ outcome: 'alternative' }`). Rejects
   * with `ERR_ABORTED` when `signal` aborts, after showing nothing. The camera is off when it settles.
   */
  async run(signal: AbortSignal): Promise<R | PresenzaUiAlternative> {
    const what = this.#operation.name;
    if (signal.aborted) throw abortedError(what);
    // Loads while the student reads the first screen; a failed load shows when an attempt needs the SDK.
    void this.#sdk.load().catch(() => undefined);
    let failures = 0;
    let attempt = 0;
    try {
      let choice = await this.#ask({ kind: 'intro' }, signal);
      for (;;) {
        if (choice === 'alternative') return this.#chooseAlternative();
        if (choice === 'cancel') {
          choice = await this.#ask({ kind: 'intro' }, signal);
          continue;
        }
        const end = await this.#attempt(signal);
        if ('interrupted' in end) {
          choice = end.interrupted;
          continue;
        }
        attempt += 1;
        const problem = 'value' in end ? this.#operation.problem(end.value) : errorProblem(end.error);
        this.#host.result(resultDetail(what, attempt, end, problem === null));
        if (!problem) {
          this.#host.show({ kind: 'success', result: (end as { value: R }).value });
          return (end as { value: R }).value;
        }
        // Only failed attempts (no face, mismatch, liveness, time up) count: camera and start-up problems do not.
        if (problem.kind === 'failed') failures += 1;
        const canRetry = problem.retryable && failures < this.#maxAttempts;
        choice = await this.#ask({ kind: 'problem', problem, canRetry }, signal);
      }
    } catch (error) {
      if (signal.aborted) {
        this.#host.show({ kind: 'idle' });
        throw abortedError(what);
      }
      throw error;
    } finally {
      this.#stopCamera();
      this.#answer = undefined;
    }
  }

  /**
   * The student pressed a button: it answers the screen waiting for a choice; during an attempt,
   * Cancel and the alternative interrupt it; "I cannot make this movement" asks the SDK for another
   * gesture; "I don't want to show a document" ends the document phase (the enrollment then
   * finishes with `idDocument: 'not_run'`, for the teacher to approve).
   */
  choose(choice: Choice): void {
    if (choice === 'other-gesture') this.#otherGesture();
    else if (choice === 'decline-document') this.#declineDocument();
    else if (this.#answer) this.#answer(choice);
    else if (choice === 'cancel' || choice === 'alternative') this.#interrupt?.(choice);
  }

  /** One go at the face check: load, open the camera, capture. Cancel and the alternative interrupt it at once. */
  async #attempt(runSignal: AbortSignal): Promise<AttemptEnd<R>> {
    const stop = new AbortController();
    let interruption: 'cancel' | 'alternative' = 'cancel';
    this.#interrupt = (choice) => {
      interruption = choice;
      stop.abort();
    };
    const signal = AbortSignal.any([runSignal, stop.signal]);
    const what = this.#operation.name;
    try {
      await this.#inflight;
      const loading = this.#sdk.load();
      if (!this.#sdk.ready) this.#host.show({ kind: 'loading' });
      const sdk = await untilAborted(loading, signal, 'loading the face check');
      const work = this.#operation.capture(sdk, {
        openCamera: () => this.#openCamera(signal),
        onFrame: (progress) => this.#frame(progress),
        signal,
      });
      this.#inflight = work.catch(() => undefined);
      return { value: await untilAborted(work, signal, what) };
    } catch (error) {
      if (runSignal.aborted) throw error;
      if (stop.signal.aborted) return { interrupted: interruption };
      return { error };
    } finally {
      this.#interrupt = undefined;
      this.#stopCamera();
    }
  }

  /** Shows a screen with buttons and waits for the student's choice. */
  #ask(screen: AttemptScreen, signal: AbortSignal): Promise<Choice> {
    return untilAborted(
      new Promise<Choice>((resolve) => {
        this.#answer = resolve;
        this.#host.show(screen);
      }),
      signal,
      'waiting for the student',
    ).finally(() => (this.#answer = undefined));
  }

  async #openCamera(signal: AbortSignal): Promise<MediaStream> {
    const slow = this.#clock.setTimeout(() => this.#host.show({ kind: 'starting' }), STARTING_VIEW_DELAY_MS);
    let stream: MediaStream;
    try {
      stream = await this.#camera.open(signal);
    } finally {
      this.#clock.clearTimeout(slow);
    }
    this.#cameraOn = true;
    this.#host.show({ kind: 'capturing', stream });
    return stream;
  }

  #frame(progress: CaptureProgress): void {
    if (!this.#cameraOn) return;
    this.#host.frame(progress);
    // Enough frames: the capture is over, so the camera goes off now, before the comparison (with
    // a document phase to come, once the document's frames are in).
    if (progress.done && (progress.document || !this.#operation.capturesDocument)) this.#stopCamera();
  }

  #stopCamera(): void {
    this.#cameraOn = false;
    this.#camera.stop();
  }

  #chooseAlternative(): PresenzaUiAlternative {
    this.#stopCamera();
    this.#host.show({ kind: 'alternative' });
    this.#host.alternative();
    return { outcome: 'alternative' };
  }

  /** The student declines to show a document: the SDK ends the document phase. */
  #declineDocument(): void {
    if (!this.#sdk.ready || !this.#cameraOn) return;
    void this.#sdk
      .load()
      .then((sdk) => sdk.declineIdentityDocument())
      .catch(() => undefined);
  }

  /** The student cannot make the gesture asked: ask the SDK for another; with none left, the way out is the alternative. */
  #otherGesture(): void {
    if (!this.#sdk.ready) return;
    void this.#sdk
      .load()
      .then((sdk) => sdk.useAlternativeGesture())
      .then((replaced) => {
        if (replaced === false) this.#host.noOtherGesture();
      })
      .catch(() => undefined);
  }
}

/** The `presenza-result` detail of an attempt: the SDK's result, or the error's code and message. */
function resultDetail<R extends AttemptResult>(operation: PresenzaUiOperation, attempt: number, end: AttemptEnd<R>, final: boolean): PresenzaResultDetail {
  if ('value' in end) return { operation, attempt, result: end.value, final };
  const error = 'error' in end ? end.error : undefined;
  const code = isPresenzaError(error) ? error.code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return { operation, attempt, error: { ...(code ? { code } : {}), message }, final };
}
