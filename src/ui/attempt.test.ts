import { describe, expect, it, vi } from 'vitest';
import type { CaptureProgress } from '../protocol/capture.js';
import type { PresenzaCheckResult } from '../sdk/options.js';
import { isCameraErrorCode, PresenzaError, type CameraErrorCode, type PresenzaErrorCode } from '../protocol/errors.js';
import { untilAborted } from './abort.js';
import {
  AttemptController,
  STARTING_VIEW_DELAY_MS,
  type AttemptCamera,
  type AttemptHost,
  type AttemptOperation,
  type AttemptResult,
  type AttemptScreen,
  type Clock,
  type SdkSource,
} from './attempt.js';
import { checkOperation, enrollOperation } from './operations.js';
import type { PresenzaLike, PresenzaResultDetail } from './options.js';

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets pending promise callbacks run (the controller uses no real timer). */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let turn = 0; turn < 50; turn += 1) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const STREAM = { id: 'camera-stream' } as unknown as MediaStream;
const PASS: PresenzaCheckResult = { outcome: 'pass', liveness: 'passed', assertion: 'x.y.z' };
const MISMATCH: PresenzaCheckResult = { outcome: 'fail', reason: 'mismatch', liveness: 'passed', assertion: 'a.b.c' };
const NO_FACE: PresenzaCheckResult = { outcome: 'inconclusive', reason: 'no_face', liveness: 'not_run', assertion: 'a.b.c' };
const NOT_ENROLLED: PresenzaCheckResult = { outcome: 'inconclusive', reason: 'not_enrolled', liveness: 'not_run', assertion: null };

function frame(collected: number, needed: number, more: Partial<CaptureProgress> = {}): CaptureProgress {
  return { verdict: { ok: true, issues: [], hints: [] }, collected, needed, done: false, ...more } as CaptureProgress;
}

/** One SDK call as the fake SDK saw it. */
interface SdkCall {
  readonly operation: 'enroll' | 'check';
  readonly options: { checkId?: string; nonce?: string; signal: AbortSignal; onFrame: (p: CaptureProgress) => void };
  /** A new liveness challenge per call, as the SDK draws one for each enroll() or check(). */
  readonly challenge: number;
  /** Settles when the call has, after an abort too. */
  readonly settled: Promise<unknown>;
  finish(value: AttemptResult): void;
  fail(code: PresenzaErrorCode): void;
}

/**
 * A stand-in for the SDK: like the real one it opens the camera through `camera.openStream` when it
 * needs frames, answers at once when nothing is enrolled, turns camera errors of a check into a
 * `camera_unavailable` result, and rejects with ERR_ABORTED when the signal aborts (after
 * `windDown`, when set).
 */
class FakeSdk {
  readonly calls: SdkCall[] = [];
  enrolled = true;
  gesturesLeft = 0;
  gestureRequests = 0;
  windDown: Promise<void> | undefined;

  enroll(options: SdkCall['options'] & { camera: { openStream: () => Promise<MediaStream> } }): Promise<AttemptResult> {
    return this.#capture('enroll', options);
  }

  check(options: SdkCall['options'] & { camera: { openStream: () => Promise<MediaStream> } }): Promise<AttemptResult> {
    if (!this.enrolled) return Promise.resolve(NOT_ENROLLED);
    return this.#capture('check', options);
  }

  async useAlternativeGesture(): Promise<boolean> {
    this.gestureRequests += 1;
    return this.gesturesLeft-- > 0;
  }

  declines = 0;
  declineIdentityDocument(): boolean {
    this.declines += 1;
    return true;
  }

  #capture(operation: 'enroll' | 'check', options: SdkCall['options'] & { camera: { openStream: () => Promise<MediaStream> } }): Promise<AttemptResult> {
    const result = deferred<AttemptResult>();
    // Unused when the camera does not open.
    result.promise.catch(() => undefined);
    options.signal.addEventListener('abort', () => {
      const reject = () => result.reject(new PresenzaError('ERR_ABORTED', 'the capture was aborted by the caller'));
      if (this.windDown) void this.windDown.then(reject);
      else reject();
    });
    const run = async () => {
      try {
        await options.camera.openStream();
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (operation === 'check' && isCameraErrorCode(code)) {
          return { outcome: 'inconclusive', reason: 'camera_unavailable', liveness: 'not_run', assertion: null, cameraError: code } satisfies PresenzaCheckResult;
        }
        throw error;
      }
      return result.promise;
    };
    const settled = run();
    this.calls.push({
      operation,
      options,
      challenge: this.calls.length + 1,
      settled: settled.catch(() => undefined),
      finish: (value) => result.resolve(value),
      fail: (code) => result.reject(new PresenzaError(code, `simulated ${code}`)),
    });
    return settled;
  }
}

/** Loads the fake SDK when the test says so (like the element's SdkLoader: one load at a time, again after a failure). */
class FakeSource implements SdkSource {
  ready: boolean;
  loads = 0;
  #loading: Deferred<PresenzaLike> | undefined;

  constructor(
    private readonly sdk: FakeSdk,
    ready: boolean,
  ) {
    this.ready = ready;
  }

  load(): Promise<PresenzaLike> {
    if (this.ready) return Promise.resolve(this.sdk as unknown as PresenzaLike);
    if (!this.#loading) {
      this.loads += 1;
      this.#loading = deferred();
    }
    return this.#loading.promise;
  }

  finishLoading(): void {
    this.ready = true;
    this.#loading?.resolve(this.sdk as unknown as PresenzaLike);
  }

  failLoading(code: PresenzaErrorCode): void {
    const loading = this.#loading;
    this.#loading = undefined;
    loading?.reject(new PresenzaError(code, `simulated ${code}`));
  }
}

/** A camera that opens at once, fails with a code, or waits for the student to answer the permission prompt. */
class FakeCamera implements AttemptCamera {
  mode: 'ready' | 'prompt' | CameraErrorCode = 'ready';
  on = false;
  opened = 0;
  #prompt: Deferred<void> | undefined;

  async open(signal: AbortSignal): Promise<MediaStream> {
    this.opened += 1;
    if (this.mode === 'prompt') {
      this.#prompt = deferred();
      await untilAborted(this.#prompt.promise, signal, 'opening the camera');
    } else if (this.mode !== 'ready') {
      throw new PresenzaError(this.mode, 'simulated camera error');
    }
    this.on = true;
    return STREAM;
  }

  answerPrompt(): void {
    this.#prompt?.resolve();
  }

  stop(): void {
    this.on = false;
  }
}

/** Timers that fire only when the test advances the time. */
class FakeClock implements Clock {
  #now = 0;
  #next = 0;
  readonly #timers = new Map<number, { at: number; callback: () => void }>();

  setTimeout(callback: () => void, ms: number): unknown {
    this.#next += 1;
    this.#timers.set(this.#next, { at: this.#now + ms, callback });
    return this.#next;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  get pending(): number {
    return this.#timers.size;
  }

  advance(ms: number): void {
    this.#now += ms;
    for (const [id, timer] of [...this.#timers]) {
      if (timer.at > this.#now) continue;
      this.#timers.delete(id);
      timer.callback();
    }
  }
}

/** A controller wired to the fakes, recording everything it tells its host. */
function start<R extends AttemptResult>(options: {
  operation?: AttemptOperation<R>;
  maxAttempts?: number;
  sdkReady?: boolean;
  sdkIdle?: Promise<unknown>;
}) {
  const sdk = new FakeSdk();
  const source = new FakeSource(sdk, options.sdkReady ?? true);
  const camera = new FakeCamera();
  const clock = new FakeClock();
  const screens: AttemptScreen[] = [];
  const frames: CaptureProgress[] = [];
  const results: PresenzaResultDetail[] = [];
  const said = { alternative: 0, noOtherGesture: 0 };
  const host: AttemptHost = {
    show: (screen) => screens.push(screen),
    frame: (progress) => frames.push(progress),
    result: (detail) => results.push(detail),
    alternative: () => (said.alternative += 1),
    noOtherGesture: () => (said.noOtherGesture += 1),
  };
  const operation = options.operation ?? (checkOperation({ checkId: 'check-1', nonce: 'nonce-1' }) as unknown as AttemptOperation<R>);
  const controller = new AttemptController<R>({
    operation,
    sdk: source,
    camera,
    host,
    clock,
    maxAttempts: options.maxAttempts ?? 3,
    ...(options.sdkIdle ? { sdkIdle: options.sdkIdle } : {}),
  });
  const abort = new AbortController();
  const outcome = controller.run(abort.signal);
  // Settled outcomes are inspected by the tests; keep an early rejection from being reported as unhandled.
  outcome.catch(() => undefined);
  const kinds = () => screens.map((screen) => screen.kind);
  const last = () => screens.at(-1)!;
  return {
    controller,
    sdk,
    source,
    camera,
    clock,
    screens,
    frames,
    results,
    said,
    abort,
    outcome,
    kinds,
    last,
    /** Waits until the screen shown is of this kind. */
    showing: (kind: AttemptScreen['kind']) => until(() => screens.at(-1)?.kind === kind, `the ${kind} screen`),
    /** Waits for the SDK call number `n` (1-based) and returns it. */
    call: async (n: number) => {
      await until(() => sdk.calls.length >= n, `SDK call ${n}`);
      return sdk.calls[n - 1]!;
    },
  };
}

describe('AttemptController: the first attempt', () => {
  it('shows the first screen, loads the SDK while the student reads, then captures and succeeds', async () => {
    const run = start({ sdkReady: false });
    expect(run.kinds()).toEqual(['intro']);
    expect(run.source.loads).toBe(1);
    run.controller.choose('face');
    await run.showing('loading');
    run.source.finishLoading();
    const call = await run.call(1);
    expect(call.options).toMatchObject({ checkId: 'check-1', nonce: 'nonce-1' });
    await run.showing('capturing');
    expect(run.last()).toEqual({ kind: 'capturing', stream: STREAM });
    expect(run.camera.on).toBe(true);

    call.options.onFrame(frame(1, 3));
    expect(run.frames).toHaveLength(1);
    // Enough frames: the camera goes off before the SDK has answered.
    call.options.onFrame(frame(3, 3, { done: true }));
    expect(run.camera.on).toBe(false);
    call.options.onFrame(frame(3, 3, { done: true }));
    expect(run.frames).toHaveLength(2);

    call.finish(PASS);
    expect(await run.outcome).toEqual(PASS);
    expect(run.kinds()).toEqual(['intro', 'loading', 'capturing', 'success']);
    expect(run.results).toEqual([{ operation: 'check', attempt: 1, result: PASS, final: true }]);
    expect(run.said.alternative).toBe(0);
    expect(run.source.loads).toBe(1);
  });

  it('skips the loading screen when the SDK is loaded, and the camera stays off when the SDK does not need it', async () => {
    const run = start({});
    run.sdk.enrolled = false;
    run.controller.choose('face');
    await run.showing('problem');
    expect(run.kinds()).toEqual(['intro', 'problem']);
    expect(run.camera.opened).toBe(0);
    // Not enrolled on this device: retrying cannot help, the alternative can.
    expect(run.last()).toMatchObject({ kind: 'problem', problem: { kind: 'failed', body: 'reasonNotEnrolled' }, canRetry: false });
  });

  it('shows "turning on the camera" only when the browser takes longer than the delay (a permission prompt)', async () => {
    const run = start({});
    run.camera.mode = 'prompt';
    run.controller.choose('face');
    await run.call(1);
    await until(() => run.camera.opened === 1, 'the camera to be asked for');
    run.clock.advance(STARTING_VIEW_DELAY_MS - 1);
    expect(run.kinds()).toEqual(['intro']);
    run.clock.advance(1);
    expect(run.kinds()).toEqual(['intro', 'starting']);
    run.camera.answerPrompt();
    await run.showing('capturing');

    // Next attempt, the camera answers at once: no "starting" screen, no timer left behind.
    run.controller.choose('cancel');
    await run.showing('intro');
    run.camera.mode = 'ready';
    run.controller.choose('face');
    await until(() => run.camera.opened === 2, 'the camera to be asked for again');
    await run.showing('capturing');
    expect(run.clock.pending).toBe(0);
    run.clock.advance(STARTING_VIEW_DELAY_MS);
    expect(run.kinds()).toEqual(['intro', 'starting', 'capturing', 'intro', 'capturing']);
  });
});

describe('AttemptController: retries', () => {
  it('retries with a new SDK call, so with a fresh challenge, and counts the attempts', async () => {
    const run = start({ maxAttempts: 3 });
    run.controller.choose('face');
    const first = await run.call(1);
    first.finish(MISMATCH);
    await run.showing('problem');
    expect(run.last()).toMatchObject({ kind: 'problem', problem: { kind: 'failed', body: 'reasonMismatch', steps: 'retryTips' }, canRetry: true });
    expect(run.results).toEqual([{ operation: 'check', attempt: 1, result: MISMATCH, final: false }]);
    expect(run.camera.on).toBe(false);

    run.controller.choose('retry');
    const second = await run.call(2);
    expect(second).not.toBe(first);
    expect(second.challenge).not.toBe(first.challenge);
    expect(second.options).toMatchObject({ checkId: 'check-1', nonce: 'nonce-1' });
    expect(second.options.signal.aborted).toBe(false);
    await run.showing('capturing');
    const gesture = { status: 'pending', step: 'blink', stepIndex: 0, steps: 2, alternativeAvailable: true } as const;
    second.options.onFrame(frame(3, 3, { liveness: gesture }));
    expect(run.frames.at(-1)?.liveness).toEqual(gesture);

    second.finish(PASS);
    expect(await run.outcome).toEqual(PASS);
    expect(run.results.at(-1)).toEqual({ operation: 'check', attempt: 2, result: PASS, final: true });
    expect(run.camera.opened).toBe(2);
  });

  it('signs each retry with a fresh nonce from the host’s renewNonce, and ends the attempt with its error', async () => {
    const nonces = ['nonce-2'];
    const renewNonce = vi.fn(async (signal: AbortSignal) => {
      expect(signal.aborted).toBe(false);
      const next = nonces.shift();
      if (!next) throw new Error('the check has closed');
      return next;
    });
    const operation = checkOperation({ checkId: 'check-1', nonce: 'nonce-1', renewNonce }) as unknown as AttemptOperation<AttemptResult>;
    const run = start({ operation, maxAttempts: 3 });
    run.controller.choose('face');
    const first = await run.call(1);
    expect(first.options).toMatchObject({ nonce: 'nonce-1' });
    expect(first.options).not.toHaveProperty('renewNonce');
    expect(renewNonce).not.toHaveBeenCalled();
    first.finish(MISMATCH);
    await run.showing('problem');
    run.controller.choose('retry');
    const second = await run.call(2);
    expect(second.options).toMatchObject({ checkId: 'check-1', nonce: 'nonce-2' });
    second.finish(MISMATCH);
    await until(() => run.results.length === 2, 'the second result');
    run.controller.choose('retry');
    await until(() => run.results.length === 3, 'the third result');
    expect(run.sdk.calls).toHaveLength(2);
    expect(run.results.at(-1)).toMatchObject({ attempt: 3, error: { message: 'the check has closed' }, final: false });
    expect(run.last()).toMatchObject({ kind: 'problem', problem: { kind: 'error' }, canRetry: true });
    expect(renewNonce).toHaveBeenCalledTimes(2);
  });

  it('offers only the alternative once the attempts are used up, and resolves with it when chosen', async () => {
    const run = start({ maxAttempts: 2 });
    run.controller.choose('face');
    (await run.call(1)).finish(MISMATCH);
    await run.showing('problem');
    run.controller.choose('retry');
    (await run.call(2)).finish(NO_FACE);
    await until(() => run.results.length === 2, 'the second result');
    expect(run.last()).toMatchObject({ kind: 'problem', problem: { kind: 'failed', body: 'reasonNoFace' }, canRetry: false });
    expect(run.results.map((r) => [r.attempt, r.final])).toEqual([
      [1, false],
      [2, false],
    ]);

    run.controller.choose('alternative');
    expect(await run.outcome).toEqual({ outcome: 'alternative' });
    expect(run.last()).toEqual({ kind: 'alternative' });
    expect(run.said.alternative).toBe(1);
    expect(run.sdk.calls).toHaveLength(2);
    expect(run.camera.on).toBe(false);
  });

  it('explains an enrollment error and lets the student retry; start-up errors do not use up attempts', async () => {
    const run = start({ operation: enrollOperation({ enrollmentId: 'student-42', nonce: 'n', retainUntil: Date.now() + 86_400_000 }), maxAttempts: 1 });
    run.controller.choose('face');
    (await run.call(1)).fail('ERR_STORAGE');
    await run.showing('problem');
    expect(run.last()).toMatchObject({ kind: 'problem', problem: { kind: 'error', steps: 'errorSteps' }, canRetry: true });
    expect(run.results).toEqual([{ operation: 'enroll', attempt: 1, error: { code: 'ERR_STORAGE', message: 'simulated ERR_STORAGE' }, final: false }]);

    run.controller.choose('retry');
    (await run.call(2)).fail('ERR_CAPTURE_TIMEOUT');
    await until(() => run.results.length === 2, 'the second result');
    // The one attempt allowed is used up by this failure.
    expect(run.last()).toMatchObject({ kind: 'problem', problem: { kind: 'failed', title: 'enrollFailedTitle', body: 'reasonTimeout' }, canRetry: false });
  });

  it('explains a failed load and loads the SDK again on retry', async () => {
    const run = start({ sdkReady: false });
    run.controller.choose('face');
    await run.showing('loading');
    run.source.failLoading('ERR_ASSET_FETCH');
    await run.showing('problem');
    expect(run.last()).toMatchObject({ kind: 'problem', problem: { kind: 'error' }, canRetry: true });
    expect(run.results[0]).toMatchObject({ attempt: 1, error: { code: 'ERR_ASSET_FETCH' }, final: false });

    run.controller.choose('retry');
    await run.showing('loading');
    expect(run.source.loads).toBe(2);
    run.source.finishLoading();
    (await run.call(1)).finish(PASS);
    expect(await run.outcome).toEqual(PASS);
  });

  it('offers only the alternative when the browser cannot run the face check', async () => {
    const run = start({ sdkReady: false });
    run.controller.choose('face');
    await run.showing('loading');
    run.source.failLoading('ERR_UNSUPPORTED_BROWSER');
    await run.showing('problem');
    expect(run.last()).toMatchObject({ kind: 'problem', problem: { kind: 'error', steps: 'noRetry' }, canRetry: false });
  });
});

describe('AttemptController: camera errors', () => {
  it('explains a camera error thrown during an enrollment, offers a retry without using an attempt, and the alternative', async () => {
    const run = start({ operation: enrollOperation({ enrollmentId: 'student-42', nonce: 'n', retainUntil: Date.now() + 86_400_000 }), maxAttempts: 1 });
    run.camera.mode = 'ERR_CAMERA_DENIED';
    run.controller.choose('face');
    await run.showing('problem');
    expect(run.last()).toMatchObject({ kind: 'problem', problem: { kind: 'camera-error', body: 'cameraDenied', steps: 'cameraDeniedSteps' }, canRetry: true });
    expect(run.results).toEqual([{ operation: 'enroll', attempt: 1, error: { code: 'ERR_CAMERA_DENIED', message: 'simulated camera error' }, final: false }]);

    // Still allowed after a second camera error: camera problems are not failed attempts.
    run.camera.mode = 'ERR_CAMERA_BUSY';
    run.controller.choose('retry');
    await until(() => run.results.length === 2, 'the second result');
    expect(run.last()).toMatchObject({ kind: 'problem', problem: { kind: 'camera-error', body: 'cameraBusy' }, canRetry: true });

    // An iframe without allow="camera": nothing the student can do but the alternative.
    run.camera.mode = 'ERR_CAMERA_POLICY';
    run.controller.choose('retry');
    await until(() => run.results.length === 3, 'the third result');
    expect(run.last()).toMatchObject({ kind: 'problem', problem: { kind: 'camera-error', body: 'cameraPolicy' }, canRetry: false });
    run.controller.choose('alternative');
    expect(await run.outcome).toEqual({ outcome: 'alternative' });
    expect(run.said.alternative).toBe(1);
  });

  it("explains a check's camera_unavailable result with the camera's own error", async () => {
    const run = start({ maxAttempts: 1 });
    run.camera.mode = 'ERR_CAMERA_NOT_FOUND';
    run.controller.choose('face');
    await run.showing('problem');
    expect(run.last()).toMatchObject({ kind: 'problem', problem: { kind: 'camera-error', body: 'cameraNotFound', steps: 'cameraNotFoundSteps' }, canRetry: true });
    expect(run.results[0]).toMatchObject({ attempt: 1, result: { reason: 'camera_unavailable', cameraError: 'ERR_CAMERA_NOT_FOUND' }, final: false });
    expect(run.camera.on).toBe(false);
  });
});

describe('AttemptController: abort', () => {
  it('rejects with ERR_ABORTED mid-attempt, shows nothing, stops the camera and the SDK call, and is idle once the SDK has wound down', async () => {
    const run = start({});
    const windDown = deferred<void>();
    run.sdk.windDown = windDown.promise;
    run.controller.choose('face');
    const call = await run.call(1);
    await run.showing('capturing');
    run.abort.abort();
    await expect(run.outcome).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    expect(run.last()).toEqual({ kind: 'idle' });
    expect(run.camera.on).toBe(false);
    expect(call.options.signal.aborted).toBe(true);
    expect(run.results).toEqual([]);

    let idle = false;
    void run.controller.idle.then(() => (idle = true));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(idle).toBe(false);
    windDown.resolve();
    await until(() => idle, 'the SDK call to wind down');
  });

  it('rejects with ERR_ABORTED while the first screen waits, without calling the SDK', async () => {
    const run = start({});
    run.abort.abort();
    await expect(run.outcome).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    expect(run.kinds()).toEqual(['intro', 'idle']);
    expect(run.sdk.calls).toHaveLength(0);
  });

  it('rejects at once when the signal has already aborted', async () => {
    const run = start({});
    const controller = new AbortController();
    controller.abort();
    const again = new AttemptController({
      operation: checkOperation({ checkId: 'c', nonce: 'n' }),
      sdk: run.source,
      camera: run.camera,
      host: { show: () => undefined, frame: () => undefined, result: () => undefined, alternative: () => undefined, noOtherGesture: () => undefined },
      maxAttempts: 1,
    });
    await expect(again.run(controller.signal)).rejects.toMatchObject({ code: 'ERR_ABORTED' });
  });

  it('waits for an earlier call still winding down before its first SDK call', async () => {
    const earlier = deferred<void>();
    const run = start({ sdkIdle: earlier.promise });
    run.controller.choose('face');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(run.sdk.calls).toHaveLength(0);
    earlier.resolve();
    await run.call(1);
  });
});

describe('AttemptController: the alternative and Cancel at any time', () => {
  /** Each moment at which the student may choose the alternative, and how to get there. */
  const MOMENTS: Record<string, (run: ReturnType<typeof start>) => Promise<void>> = {
    'the first screen': async () => undefined,
    'the loading screen': async (run) => {
      run.source.ready = false;
      run.controller.choose('face');
      await run.showing('loading');
    },
    'the permission prompt': async (run) => {
      run.camera.mode = 'prompt';
      run.controller.choose('face');
      await until(() => run.camera.opened === 1, 'the camera to be asked for');
      run.clock.advance(STARTING_VIEW_DELAY_MS);
      await run.showing('starting');
    },
    'the capture': async (run) => {
      run.controller.choose('face');
      await run.showing('capturing');
    },
    'a failed attempt': async (run) => {
      run.controller.choose('face');
      (await run.call(1)).finish(MISMATCH);
      await run.showing('problem');
    },
  };

  for (const [moment, reach] of Object.entries(MOMENTS)) {
    it(`resolves with the alternative chosen at ${moment}, with the camera and any SDK call stopped`, async () => {
      const run = start({});
      await reach(run);
      run.controller.choose('alternative');
      expect(await run.outcome).toEqual({ outcome: 'alternative' });
      expect(run.last()).toEqual({ kind: 'alternative' });
      expect(run.said.alternative).toBe(1);
      expect(run.camera.on).toBe(false);
      for (const call of run.sdk.calls) expect(call.options.signal.aborted || run.results.length > 0).toBe(true);
    });
  }

  it('goes back to the first screen on Cancel without using up an attempt, after the interrupted SDK call has wound down', async () => {
    const run = start({ maxAttempts: 1 });
    const windDown = deferred<void>();
    run.sdk.windDown = windDown.promise;
    run.controller.choose('face');
    const first = await run.call(1);
    await run.showing('capturing');
    run.controller.choose('cancel');
    await run.showing('intro');
    expect(first.options.signal.aborted).toBe(true);
    expect(run.camera.on).toBe(false);
    expect(run.results).toEqual([]);

    run.controller.choose('face');
    await new Promise((resolve) => setTimeout(resolve, 0));
    // The SDK still winds the first call down: the second waits for it.
    expect(run.sdk.calls).toHaveLength(1);
    windDown.resolve();
    const second = await run.call(2);
    second.finish(MISMATCH);
    await until(() => run.results.length === 1, 'the result');
    expect(run.results[0]).toMatchObject({ attempt: 1, final: false });
    expect(run.last()).toMatchObject({ kind: 'problem', canRetry: false });
  });

  it('asks the SDK for another gesture, and tells the host when none is left', async () => {
    const run = start({});
    run.controller.choose('face');
    await run.showing('capturing');
    run.sdk.gesturesLeft = 1;
    run.controller.choose('other-gesture');
    await until(() => run.sdk.gestureRequests === 1, 'the first request');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(run.said.noOtherGesture).toBe(0);
    run.controller.choose('other-gesture');
    await until(() => run.said.noOtherGesture === 1, 'no gesture left');
    // Asking for another gesture does not interrupt the attempt.
    expect(run.last().kind).toBe('capturing');
    expect(run.sdk.calls[0]!.options.signal.aborted).toBe(false);
  });
});

describe('AttemptController: an enrollment with the identity document', () => {
  const ENROLLED = { assertion: 'e.n.r', idDocument: 'not_run' } as const;
  const documentFrame = (collected: number, done = false, guidance: readonly ('no_card_face' | 'card_too_far')[] = []) =>
    frame(3, 3, { done, document: { guidance, collected, needed: 3, done } });

  it('keeps the camera on after the live frames until the document frames are in, and shows the result', async () => {
    const run = start({ operation: enrollOperation({ enrollmentId: 'e-1', nonce: 'n-1', retainUntil: Date.now() + 86_400_000, identityDocument: 'required' }) });
    run.controller.choose('face');
    await run.showing('capturing');
    const call = await run.call(1);
    call.options.onFrame(frame(3, 3, { done: true }));
    // The live frames are done, the document phase comes next on the same stream.
    expect(run.camera.on).toBe(true);
    call.options.onFrame(documentFrame(0, false, ['card_too_far']));
    expect(run.camera.on).toBe(true);
    expect(run.frames.at(-1)?.document?.guidance).toEqual(['card_too_far']);
    call.options.onFrame(documentFrame(3, true));
    expect(run.camera.on).toBe(false);
    const result = { assertion: 'e.n.r', idDocument: 'matched' } as const;
    call.finish(result);
    expect(await run.outcome).toEqual(result);
    expect(run.last()).toEqual({ kind: 'success', result });
  });

  it('without the document, the camera goes off when the live frames are in', async () => {
    const run = start({ operation: enrollOperation({ enrollmentId: 'e-1', nonce: 'n-1', retainUntil: Date.now() + 86_400_000 }) });
    run.controller.choose('face');
    const call = await run.call(1);
    await run.showing('capturing');
    call.options.onFrame(frame(3, 3, { done: true }));
    expect(run.camera.on).toBe(false);
    call.finish(ENROLLED);
    expect(await run.outcome).toEqual(ENROLLED);
  });

  it('"I don\'t want to show a document" asks the SDK to end the document phase, without interrupting the enrollment', async () => {
    const run = start({ operation: enrollOperation({ enrollmentId: 'e-1', nonce: 'n-1', retainUntil: Date.now() + 86_400_000, identityDocument: 'optional' }) });
    run.controller.choose('face');
    const call = await run.call(1);
    await run.showing('capturing');
    call.options.onFrame(documentFrame(0, false, ['no_card_face']));
    run.controller.choose('decline-document');
    await until(() => run.sdk.declines === 1, 'the decline');
    expect(call.options.signal.aborted).toBe(false);
    call.finish(ENROLLED);
    expect(await run.outcome).toEqual(ENROLLED);
    expect(run.last()).toEqual({ kind: 'success', result: ENROLLED });
    expect(run.said.alternative).toBe(0);
  });

  it('a decline outside a capture does nothing', async () => {
    const run = start({ operation: enrollOperation({ enrollmentId: 'e-1', nonce: 'n-1', retainUntil: Date.now() + 86_400_000, identityDocument: 'required' }) });
    run.controller.choose('decline-document');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(run.sdk.declines).toBe(0);
    expect(run.kinds()).toEqual(['intro']);
  });
});
