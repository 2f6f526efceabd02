/**
 * The public SDK object: `await Presenza.create(options)` … `close()`. It owns the face worker;
 * frames go into the worker and only verdicts and reports come back.
 */
import * as Comlink from 'comlink';
import type { FaceWorkerApi } from '../../workers/api.js';
import {
  DOCUMENT_FRAME_INTERVAL_MS,
  DOCUMENT_TIMEOUT_MS,
  ENROLLMENT_FRAMES,
  FRAME_INTERVAL_MS,
  GESTURE_FRAME_INTERVAL_MS,
  type DocumentEnd,
  type EnrollmentResult,
  type EnrollmentStatus,
  type FrameTiming,
  type FrameVerdict,
  type RuntimeReport,
} from '../protocol/capture.js';
import { isCameraErrorCode, isPresenzaError, PresenzaError, type CameraErrorCode } from '../protocol/errors.js';
import { openFrameSource, runCapture, type FrameSource } from './captureLoop.js';
import { DOCUMENT_CAMERA_CONSTRAINTS } from './camera.js';
import {
  defaultCaptureTimeoutMs,
  identityDocumentPolicy,
  livenessPolicy,
  requireId,
  resolveOptions,
  retainUntilMs,
  type CaptureOptions,
  type CheckOptions,
  type EnrollOptions,
  type PresenzaCheckResult,
  type PresenzaOptions,
} from './options.js';
import { startWorker, type WorkerHandle } from './workerClient.js';

/** `source` with a `stop` that does nothing: its owner stops it after several loops. */
function keepOpen(source: FrameSource): FrameSource {
  return { next: () => source.next(), stop: () => {} };
}

/** Set by the build (scripts/build.mjs) to the worker's content-hashed file name. */
declare const __PRESENZA_WORKER_FILE__: string | undefined;

/**
 * File name of the worker module inside `assetsBaseUrl`: content-hashed in the build (e.g.
 * `presenza-worker.0123456789abcdef.js`), so CDNs and browsers may cache it forever.
 */
export const WORKER_FILE: string = typeof __PRESENZA_WORKER_FILE__ === 'string' ? __PRESENZA_WORKER_FILE__ : 'presenza-worker.js';

/** A loaded Presenza instance. */
export class Presenza {
  private capturing = false;
  /** During an identity-document phase: whether the student declined it. */
  private document: { declined: boolean } | null = null;

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
   *
   * With `identityDocument` (`'required'` or `'optional'`), a second phase follows the live frames:
   * the student holds their identity document to the camera, the worker compares its printed
   * portrait with the new template, and the assertion's `idDocument` claim (also returned) says
   * `matched`, `not_matched` or `not_run` (declined, or not asked). The document frames are
   * dropped in the worker as soon as they are analysed.
   */
  async enroll(options: EnrollOptions): Promise<EnrollmentResult> {
    if (typeof options !== 'object' || options === null) throw new TypeError('enroll: options must be an object');
    const request = {
      audience: this.audience,
      enrollmentId: requireId('enroll', 'enrollmentId', options.enrollmentId),
      nonce: requireId('enroll', 'nonce', options.nonce),
      retainUntilMs: retainUntilMs(options.retainUntil, this.now()),
      liveness: livenessPolicy('enroll', options.liveness),
      identityDocument: identityDocumentPolicy(options.identityDocument),
    };
    const documentTimeoutMs = options.documentTimeoutMs ?? DOCUMENT_TIMEOUT_MS;
    if (!(Number.isFinite(documentTimeoutMs) && documentTimeoutMs > 0)) throw new TypeError('enroll: documentTimeoutMs must be a positive number of milliseconds');
    return this.exclusive(async () => {
      await this.worker.call('beginEnrollment', request);
      let documentEnd: DocumentEnd | undefined;
      try {
        // Aborted before any frame was needed: the camera is not asked for at all.
        if (this.captureSignal(options)?.aborted) throw new PresenzaError('ERR_ABORTED', 'the capture was aborted by the caller');
        // One frame source for both phases: the camera stays on while the student takes out the card.
        const source = await openFrameSource(options.camera);
        try {
          const live = await this.capture(options, defaultCaptureTimeoutMs('enroll', request.liveness), keepOpen(source));
          if (live === 'complete' && request.identityDocument !== 'off') documentEnd = await this.documentPhase(options, documentTimeoutMs, source);
        } finally {
          source.stop();
        }
      } catch (error) {
        await this.worker.call('cancelCapture');
        throw error;
      }
      return this.worker.call('finishEnrollment', this.now(), documentEnd);
    });
  }

  /**
   * During the identity-document phase of an `enroll()`: the student declines to show a document
   * (the page then falls back to the teacher's approval). The enrollment finishes at once with
   * `idDocument: 'not_run'`. Returns false when no document phase is running.
   */
  declineIdentityDocument(): boolean {
    if (!this.document) return false;
    this.document.declined = true;
    return true;
  }

  /** Runs the identity-document phase on `source` (not stopped here) and says how it ended. */
  private async documentPhase(options: EnrollOptions, timeoutMs: number, source: FrameSource): Promise<DocumentEnd> {
    await this.worker.call('beginDocument');
    const phase = { declined: false };
    this.document = phase;
    // More pixels for the card's small portrait, for this phase only.
    const restoreCamera = await source.requestConstraints?.(DOCUMENT_CAMERA_CONSTRAINTS);
    try {
      const end = await runCapture(
        keepOpen(source),
        async (frame) => {
          if (phase.declined) {
            frame.close();
            return true;
          }
          const document = await this.worker.call('submitDocumentFrame', Comlink.transfer(frame, [frame]));
          // The live frames are all in; `document` says what to tell the student about the card.
          options.onFrame?.({
            verdict: { ok: document.guidance.length === 0, issues: [], hints: [] },
            collected: ENROLLMENT_FRAMES,
            needed: ENROLLMENT_FRAMES,
            done: document.done,
            document,
          });
          return document.done || phase.declined;
        },
        { timeoutMs, signal: this.captureSignal(options), intervalMs: () => DOCUMENT_FRAME_INTERVAL_MS },
      );
      return phase.declined ? 'declined' : end;
    } finally {
      this.document = null;
      await restoreCamera?.();
    }
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
      let cameraError: CameraErrorCode | undefined;
      try {
        end = await this.capture(options, defaultCaptureTimeoutMs('check', request.liveness));
      } catch (error) {
        if (!isPresenzaError(error) || !isCameraErrorCode(error.code)) {
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

  private captureSignal(options: CaptureOptions): AbortSignal | undefined {
    return options.signal && this.signal ? AbortSignal.any([options.signal, this.signal]) : options.signal ?? this.signal;
  }

  private async capture(options: CaptureOptions, defaultTimeoutMs: number, opened?: FrameSource): Promise<'complete' | 'timeout'> {
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw new TypeError('timeoutMs must be a positive number of milliseconds');
    const signal = this.captureSignal(options);
    // Aborted before any frame was needed: the camera is not asked for at all.
    if (!opened && signal?.aborted) throw new PresenzaError('ERR_ABORTED', 'the capture was aborted by the caller');
    const source = opened ?? (await openFrameSource(options.camera));
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
