/**
 * The face worker's method table, types only: what the main thread may call. Every type it uses
 * is part of the wire contract in `src/protocol/capture.ts`. Frames go in (transferred), verdicts
 * and reports come out; no method returns an image, landmark, embedding, template or score.
 */
import type {
  CaptureEnd,
  CaptureProgress,
  CheckRequest,
  CheckResult,
  CheckStart,
  DocumentEnd,
  DocumentProgress,
  EnrollmentRequest,
  EnrollmentResult,
  EnrollmentStatus,
  FrameTiming,
  FrameVerdict,
  LoadProgress,
  RuntimeReport,
  WorkerInitOptions,
} from '../src/protocol/capture.js';

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
   * After the live frames of an enrollment that asked for the identity document: starts the
   * document phase (the template is computed now, in the worker). Throws when the live frames or
   * liveness are not complete, or the enrollment did not ask for the document.
   */
  beginDocument(): Promise<void>;
  /**
   * Feeds one transferred frame of the identity-document phase; the frame is closed as soon as it
   * is analysed. Returns guidance only: no coordinates, no crop, no score.
   */
  submitDocumentFrame(frame: ImageBitmap): Promise<DocumentProgress>;
  /**
   * Ends the enrollment capture: builds and seals the template, creates and stores the device keys,
   * and returns the signed enrollment JWS with its `idDocument` claim (`document`: how the document
   * phase ended, when one began). Throws a coded error when too few good frames came.
   */
  finishEnrollment(nowMs: number, document?: DocumentEnd): Promise<EnrollmentResult>;
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
