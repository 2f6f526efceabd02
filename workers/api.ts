/**
 * The face worker's contract, types only. The main thread sees nothing biometric through it:
 * frames go in (transferred), verdicts and reports come out. No method returns an image,
 * landmark, embedding, template or score.
 */
import type { QualityHint, QualityIssue } from './assessQuality.js';
import type { OnnxBackend } from './runtime/onnx.js';
import type { CheckOutcome, CheckReason, LivenessResult } from '../src/protocol/assertion.js';
import type { LivenessPolicy, LivenessProgress } from '../src/protocol/liveness.js';

export type { QualityHint, QualityIssue } from './assessQuality.js';
export type { OnnxBackend } from './runtime/onnx.js';
export type { ChallengeStep, LivenessPolicy, LivenessProgress } from '../src/protocol/liveness.js';

/** Options of {@link FaceWorkerApi.init}. */
export interface WorkerInitOptions {
  /** Absolute URL of the folder that holds the worker script and `models/`. */
  readonly assetsBaseUrl: string;
  /** Embedding backend; `webgpu` falls back to `wasm` with the reason in the report. */
  readonly backend: OnnxBackend;
  /** WASM threads; when omitted: 2 if WebAssembly threads are usable (cross-origin isolated, `SharedArrayBuffer`), and always 1 when they are not. */
  readonly threads?: number;
  /** The caller's clock (epoch ms): expired enrollments are deleted at start. */
  readonly nowMs: number;
}

/** Model download progress, as sent to the main thread. */
export interface LoadProgress {
  readonly file: string;
  readonly loaded: number;
  readonly total: number | null;
}

/** What the worker runs on, after `init`. */
export interface RuntimeReport {
  readonly backend: OnnxBackend;
  readonly requestedBackend: OnnxBackend;
  readonly fallbackReason?: string;
  readonly threads: number;
  readonly crossOriginIsolated: boolean;
  /** First 12 hex digits of each model's SHA-256 (the assertion's `models` claim). */
  readonly models: readonly string[];
}

/** Verdict on one frame. */
export interface FrameVerdict {
  readonly ok: boolean;
  readonly issues: readonly QualityIssue[];
  readonly hints: readonly QualityHint[];
}

/** How a frame was captured: a still photo, or one frame of a live stream (enables tracking). */
export type FrameTiming = { readonly mode: 'image' } | { readonly mode: 'video'; readonly timestampMs: number };

/** Start of an enrollment capture. Times are epoch ms of the caller's clock. */
export interface EnrollmentRequest {
  readonly audience: string;
  readonly enrollmentId: string;
  readonly nonce: string;
  readonly retainUntilMs: number;
  readonly liveness: LivenessPolicy;
}

/** Start of a check capture. */
export interface CheckRequest {
  readonly audience: string;
  readonly checkId: string;
  readonly nonce: string;
  readonly nowMs: number;
  readonly liveness: LivenessPolicy;
}

/** Progress of a capture after one frame: what to tell the student, and how far along it is. */
export interface CaptureProgress {
  readonly verdict: FrameVerdict;
  /** Good frames kept so far. */
  readonly collected: number;
  readonly needed: number;
  /** Enough good frames and liveness decided (or already failed): stop sending. */
  readonly done: boolean;
  /** Liveness: the gesture to prompt now; absent when the policy is `off`. */
  readonly liveness?: LivenessProgress;
}

/** Result of a check, as the SDK returns it. No score, no embedding, no image. */
export interface CheckResult {
  readonly outcome: CheckOutcome;
  readonly reason?: CheckReason;
  readonly liveness: LivenessResult;
  /** The signed check assertion, or null when there is no device key to sign with (not enrolled, expired). */
  readonly assertion: string | null;
}

/** A check either needs frames, or is already decided (not enrolled, enrollment expired). */
export type CheckStart = { readonly ready: true } | { readonly ready: false; readonly result: CheckResult };

/** How the frames of a check stopped coming. */
export type CaptureEnd = 'complete' | 'timeout' | 'camera_unavailable';

/** Whether this device holds an enrollment for an audience. */
export interface EnrollmentStatus {
  readonly enrolled: boolean;
  readonly enrollmentId?: string;
  /** Epoch ms at which the template and keys will be deleted. */
  readonly retainUntil?: number;
}

/** The production worker API. */
export interface FaceWorkerApi {
  /** Loads and verifies the models, starts the runtimes and deletes expired enrollments. Call once, first. */
  init(options: WorkerInitOptions, onProgress?: (progress: LoadProgress) => void): Promise<RuntimeReport>;
  /** Runs detection and the quality gates on one transferred frame. The frame is closed afterwards. */
  assessFrame(frame: ImageBitmap, timing?: FrameTiming): Promise<FrameVerdict>;
  /** Starts collecting frames for an enrollment (replaces any capture in progress). */
  beginEnrollment(request: EnrollmentRequest): Promise<void>;
  /** Starts a check: deletes an expired enrollment, and answers at once when there is nothing to check against. */
  beginCheck(request: CheckRequest): Promise<CheckStart>;
  /** Feeds one transferred frame of the current capture. The frame is closed afterwards. */
  submitFrame(frame: ImageBitmap, timing: FrameTiming): Promise<CaptureProgress>;
  /**
   * Ends the enrollment capture: builds and seals the template, creates and stores the device keys,
   * and returns the signed enrollment JWS. Throws a coded error when too few good frames came.
   */
  finishEnrollment(nowMs: number): Promise<string>;
  /** Ends the check capture, compares with the sealed template and returns the signed result. */
  finishCheck(end: CaptureEnd, nowMs: number): Promise<CheckResult>;
  /** Drops the current capture and everything it collected. */
  cancelCapture(): Promise<void>;
  /**
   * The student cannot make the gesture asked now: replaces it with an alternative gesture.
   * Resolves false when no alternative is left (the page then offers the non-biometric path).
   */
  useAlternativeGesture(): Promise<boolean>;
  /** Enrollment state of `audience` (deletes it first if expired). */
  status(audience: string, nowMs: number): Promise<EnrollmentStatus>;
  /** Deletes the template and the device keys of `audience`. */
  forget(audience: string): Promise<void>;
  /** Releases the models and the vault. */
  close(): Promise<void>;
}
