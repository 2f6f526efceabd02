/**
 * The public SDK object: `await Presenza.create(options)` … `close()`. It owns the face worker;
 * frames go into the worker and only verdicts and reports come back.
 */
import * as Comlink from 'comlink';
import type { FaceWorkerApi } from '../../workers/api.js';
import {
  FRAME_INTERVAL_MS,
  GESTURE_FRAME_INTERVAL_MS,
  type CaptureProgress,
  type CheckResult,
  type EnrollmentStatus,
  type FrameTiming,
  type FrameVerdict,
  type LoadProgress,
  type OnnxBackend,
  type RuntimeReport,
} from '../protocol/capture.js';
import { openFrameSource, runCapture, type CameraOption } from './captureLoop.js';
import { MAX_ID_LENGTH } from '../protocol/assertion.js';
import {
  ALTERNATIVE_STEPS,
  CHECK_CHALLENGE,
  ENROLLMENT_CHALLENGE,
  DEFAULT_LIVENESS_POLICY,
  LIVENESS_POLICIES,
  STEP_TIME_LIMIT_MS,
  type LivenessPolicy,
} from '../protocol/liveness.js';
import { isPresenzaError, PresenzaError, type PresenzaErrorCode } from '../protocol/errors.js';
import { startWorker, type WorkerHandle } from './workerClient.js';

export type { CameraOption } from './captureLoop.js';
export type { CaptureProgress, CheckResult, EnrollmentStatus } from '../protocol/capture.js';

export type { ChallengeStep, LivenessPolicy, LivenessProgress } from '../protocol/liveness.js';
export type {
  FrameTiming,
  FrameVerdict,
  LoadProgress,
  OnnxBackend,
  RuntimeReport,
  QualityIssue,
  QualityHint,
} from '../protocol/capture.js';

/** File name of the worker module inside `assetsBaseUrl`. */
export const WORKER_FILE = 'presenza-worker.js';

/** Default backend: WASM runs everywhere; WebGPU is opt-in (untested on real GPUs so far). */
export const DEFAULT_BACKEND: OnnxBackend = 'wasm';

/** How long an enrollment may take to collect its good frames. */
export const DEFAULT_ENROLL_TIMEOUT_MS = 30_000;

/** How long a check may take to collect its good frames. */
export const DEFAULT_CHECK_TIMEOUT_MS = 20_000;

/**
 * Default time limit of a capture: its base time, plus the gestures' own time limits when the
 * policy has a challenge (each gesture, and each alternative the student may ask for).
 */
export function defaultCaptureTimeoutMs(capture: 'enroll' | 'check', policy: LivenessPolicy): number {
  const base = capture === 'enroll' ? DEFAULT_ENROLL_TIMEOUT_MS : DEFAULT_CHECK_TIMEOUT_MS;
  if (policy !== 'both' && policy !== 'active') return base;
  const gestures = (capture === 'enroll' ? ENROLLMENT_CHALLENGE : CHECK_CHALLENGE).length + ALTERNATIVE_STEPS.length;
  return base + gestures * STEP_TIME_LIMIT_MS;
}

/** Longest retention of a template: 12 months from enrollment (e.g. until the course ends). */
export const MAX_RETENTION_MONTHS = 12;

/** Options of {@link Presenza.create}. */
export interface PresenzaOptions {
  /**
   * Absolute URL of the folder holding the SDK's worker and `models/` (the runtimes' wasm and the
   * models). Default: the folder the SDK script was loaded from. Every asset comes from here.
   */
  assetsBaseUrl?: string | URL;
  /** Embedding backend. Default {@link DEFAULT_BACKEND}; `webgpu` falls back to WASM, reporting why. */
  backend?: OnnxBackend;
  /** WASM threads. Default: 2 when the page is cross-origin isolated (COOP + COEP) and the engine exposes `SharedArrayBuffer`, else 1. */
  threads?: number;
  /** The platform's origin, the assertions' `aud`. Default: this page's origin. */
  audience?: string;
  /** Model download progress. */
  onProgress?: (progress: LoadProgress) => void;
  /** Aborts loading, any capture in progress, and closes the instance. */
  signal?: AbortSignal;
  /** Clock in epoch ms, for tests. Default `Date.now`. */
  now?: () => number;
}

/** Options common to {@link Presenza.enroll} and {@link Presenza.check}. */
export interface CaptureOptions {
  /** Where frames come from. Default: the camera. */
  camera?: CameraOption;
  /** Called after every frame with what to tell the student (move closer, more light…). */
  onFrame?: (progress: CaptureProgress) => void;
  /** Time allowed for the capture. Default: {@link defaultCaptureTimeoutMs}. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Liveness checks to run (default `both`): a check's challenge asks for three gestures in
   * random order, enrollment's for one blink. `onFrame` reports the gesture to prompt.
   */
  liveness?: LivenessPolicy;
}

/** Options of {@link Presenza.enroll}. */
export interface EnrollOptions extends CaptureOptions {
  /** The platform's pseudonymous id of this student's enrollment (the assertions' `sub`). */
  enrollmentId: string;
  /** The nonce the platform's server issued for this enrollment. */
  nonce: string;
  /**
   * When the template and keys are deleted from this device (e.g. the course end): a Date, an
   * ISO string or epoch ms, in the future and at most {@link MAX_RETENTION_MONTHS} months ahead.
   */
  retainUntil: Date | string | number;
}

/** Options of {@link Presenza.check}. */
export interface CheckOptions extends CaptureOptions {
  /** The check id the platform's server issued (the assertion's `jti`). */
  checkId: string;
  /** The nonce the server issued for this student and check. */
  nonce: string;
}

/** Result of {@link Presenza.check}: the outcome to show, and the assertion to post to the server. */
export interface PresenzaCheckResult extends CheckResult {
  /** When the camera could not be used: which problem, so the page can say what to do. */
  cameraError?: PresenzaErrorCode;
}

/** The URL of the SDK script itself, read while the script is being evaluated. */
const sdkScriptUrl: string | undefined =
  typeof document !== 'undefined' && document.currentScript instanceof HTMLScriptElement ? document.currentScript.src : undefined;

/** The folder the SDK was loaded from: the default `assetsBaseUrl`. */
export function defaultAssetsBaseUrl(): string {
  const base = sdkScriptUrl ?? import.meta.url;
  if (!base) throw new TypeError('Presenza.create: cannot tell where the SDK was loaded from; pass assetsBaseUrl');
  return new URL('./', base).href;
}

function livenessPolicy(method: string, value: unknown): LivenessPolicy {
  if (value === undefined) return DEFAULT_LIVENESS_POLICY;
  if (!(LIVENESS_POLICIES as readonly unknown[]).includes(value)) {
    throw new TypeError(`${method}: liveness must be one of ${LIVENESS_POLICIES.join(', ')}, got ${String(value)}`);
  }
  return value as LivenessPolicy;
}

function requireId(method: string, name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw new TypeError(`${method}: ${name} must be a non-empty string of at most ${MAX_ID_LENGTH} characters`);
  }
  return value;
}

/** Parses and checks `retainUntil` against the clock: future, and at most 12 months ahead. */
export function retainUntilMs(value: unknown, nowMs: number): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new TypeError('enroll: retainUntil is required (a Date, an ISO date string or epoch ms), e.g. the end of the course');
  }
  const limit = new Date(nowMs);
  limit.setMonth(limit.getMonth() + MAX_RETENTION_MONTHS);
  if (ms <= nowMs) throw new TypeError(`enroll: retainUntil is in the past (${new Date(ms).toISOString()})`);
  if (ms > limit.getTime()) {
    throw new TypeError(`enroll: retainUntil is more than ${MAX_RETENTION_MONTHS} months ahead (${new Date(ms).toISOString()})`);
  }
  return ms;
}

function resolveOptions(options: PresenzaOptions): { assetsBaseUrl: string; backend: OnnxBackend; threads?: number } {
  if (typeof options !== 'object' || options === null) throw new TypeError('Presenza.create: options must be an object');
  const backend = options.backend ?? DEFAULT_BACKEND;
  if (backend !== 'wasm' && backend !== 'webgpu') throw new TypeError(`Presenza.create: backend must be "wasm" or "webgpu", got ${String(backend)}`);
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1 && options.threads <= 16)) {
    throw new TypeError(`Presenza.create: threads must be an integer from 1 to 16, got ${String(options.threads)}`);
  }
  const base = options.assetsBaseUrl ?? defaultAssetsBaseUrl();
  let assetsBaseUrl: string;
  try {
    assetsBaseUrl = new URL(String(base), location.href).href;
  } catch {
    throw new TypeError(`Presenza.create: assetsBaseUrl is not a URL: ${String(options.assetsBaseUrl)}`);
  }
  if (!assetsBaseUrl.endsWith('/')) assetsBaseUrl += '/';
  return { assetsBaseUrl, backend, ...(options.threads ? { threads: options.threads } : {}) };
}

/** A loaded Presenza instance. */
export class Presenza {
  private capturing = false;

  private constructor(
    private readonly worker: WorkerHandle<FaceWorkerApi>,
    /** What the face pipeline runs on (backend, threads, fallback reason, model ids). */
    readonly runtime: RuntimeReport,
    /** The platform origin the assertions are addressed to. */
    readonly audience: string,
    private readonly now: () => number,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** Starts the face worker, loads the verified models and deletes expired enrollments. */
  static async create(options: PresenzaOptions = {}): Promise<Presenza> {
    const resolved = resolveOptions(options);
    const audience = requireId('Presenza.create', 'audience', options.audience ?? location.origin);
    const now = options.now ?? Date.now;
    if (typeof now !== 'function') throw new TypeError('Presenza.create: now must be a function returning epoch ms');
    const worker = startWorker<FaceWorkerApi>(new URL(WORKER_FILE, resolved.assetsBaseUrl).href, options.signal);
    try {
      const progress = options.onProgress ? Comlink.proxy(options.onProgress) : undefined;
      const runtime = await worker.call('init', { ...resolved, nowMs: now() }, progress);
      return new Presenza(worker, runtime, audience, now, options.signal);
    } catch (error) {
      worker.terminate();
      throw error;
    }
  }

  /**
   * Enrolls the student on this device: collects a few good frames, builds and seals the template
   * and creates the device key, all inside the worker. Returns the enrollment JWS for the
   * platform's server (it carries the public key). Throws coded errors: `ERR_CAMERA_*` when the
   * camera cannot be used, `ERR_NO_FACE`, `ERR_MULTIPLE_FACES` or `ERR_CAPTURE_TIMEOUT` when no
   * good frames came in time.
   */
  async enroll(options: EnrollOptions): Promise<{ assertion: string }> {
    if (typeof options !== 'object' || options === null) throw new TypeError('enroll: options must be an object');
    const request = {
      audience: this.audience,
      enrollmentId: requireId('enroll', 'enrollmentId', options.enrollmentId),
      nonce: requireId('enroll', 'nonce', options.nonce),
      retainUntilMs: retainUntilMs(options.retainUntil, this.now()),
      liveness: livenessPolicy('enroll', options.liveness),
    };
    return this.exclusive(async () => {
      await this.worker.call('beginEnrollment', request);
      try {
        await this.capture(options, defaultCaptureTimeoutMs('enroll', request.liveness));
      } catch (error) {
        await this.worker.call('cancelCapture');
        throw error;
      }
      return { assertion: await this.worker.call('finishEnrollment', this.now()) };
    });
  }

  /**
   * Checks that the enrolled student is in front of the camera. Always resolves with an outcome
   * (`pass`, `fail` or `inconclusive` with a reason) and, when this device holds a key, the signed
   * assertion for the platform's server. A failed check keeps nothing.
   */
  async check(options: CheckOptions): Promise<PresenzaCheckResult> {
    if (typeof options !== 'object' || options === null) throw new TypeError('check: options must be an object');
    const request = {
      audience: this.audience,
      checkId: requireId('check', 'checkId', options.checkId),
      nonce: requireId('check', 'nonce', options.nonce),
      liveness: livenessPolicy('check', options.liveness),
    };
    return this.exclusive(async () => {
      const start = await this.worker.call('beginCheck', { ...request, nowMs: this.now() });
      if (!start.ready) return start.result;
      let end: 'complete' | 'timeout' | 'camera_unavailable';
      let cameraError: PresenzaErrorCode | undefined;
      try {
        end = await this.capture(options, defaultCaptureTimeoutMs('check', request.liveness));
      } catch (error) {
        if (!isPresenzaError(error) || !error.code.startsWith('ERR_CAMERA_')) {
          await this.worker.call('cancelCapture');
          throw error;
        }
        end = 'camera_unavailable';
        cameraError = error.code;
      }
      const result = await this.worker.call('finishCheck', end, this.now());
      return cameraError ? { ...result, cameraError } : result;
    });
  }

  /**
   * The student cannot make the gesture asked now (e.g. cannot turn the head): during an
   * `enroll()` or `check()` with a challenge, replaces it with another gesture, which the next
   * `onFrame` progress names. Resolves false when no capture runs or no alternative is left; the
   * page should then offer the platform's non-biometric alternative.
   */
  async useAlternativeGesture(): Promise<boolean> {
    if (!this.capturing) return false;
    return this.worker.call('useAlternativeGesture');
  }

  /** Whether this device holds an enrollment for the platform, and until when. */
  status(): Promise<EnrollmentStatus> {
    return this.worker.call('status', this.audience, this.now());
  }

  /** Deletes this device's template and keys for the platform, at once. */
  forget(): Promise<void> {
    return this.worker.call('forget', this.audience);
  }

  private async exclusive<T>(run: () => Promise<T>): Promise<T> {
    if (this.capturing) throw new PresenzaError('ERR_BUSY', 'another enroll() or check() is in progress');
    this.capturing = true;
    try {
      return await run();
    } finally {
      this.capturing = false;
    }
  }

  private async capture(options: CaptureOptions, defaultTimeoutMs: number): Promise<'complete' | 'timeout'> {
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw new TypeError('timeoutMs must be a positive number of milliseconds');
    const signal = options.signal && this.signal ? AbortSignal.any([options.signal, this.signal]) : options.signal ?? this.signal;
    const source = await openFrameSource(options.camera);
    let gesture = false;
    return runCapture(
      source,
      async (frame, timestampMs) => {
        const progress = await this.worker.call('submitFrame', Comlink.transfer(frame, [frame]), { mode: 'video', timestampMs });
        gesture = progress.liveness?.step !== undefined;
        options.onFrame?.(progress);
        return progress.done;
      },
      { timeoutMs, signal, intervalMs: () => (gesture ? GESTURE_FRAME_INTERVAL_MS : FRAME_INTERVAL_MS) },
    );
  }

  /**
   * Runs face detection and the quality gates on one image (a still, or a video frame with its
   * timestamp) and returns what to tell the student: no coordinates, no pixels, no scores.
   * The image is decoded here and transferred into the worker.
   */
  async assessFrame(source: ImageBitmapSource, timing?: FrameTiming): Promise<FrameVerdict> {
    let frame: ImageBitmap;
    try {
      frame = source instanceof ImageBitmap ? source : await createImageBitmap(source);
    } catch (error) {
      throw new PresenzaError('ERR_BAD_FRAME', `could not decode the image: ${String(error)}`, { cause: error });
    }
    return this.worker.call('assessFrame', Comlink.transfer(frame, [frame]), timing);
  }

  /** Stops the worker and releases the models. The instance cannot be used afterwards. */
  async close(): Promise<void> {
    try {
      await this.worker.call('close');
    } finally {
      this.worker.terminate();
    }
  }
}
