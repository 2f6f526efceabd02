/**
 * Everything that crosses the boundary between the main thread and the face worker, besides the
 * frames themselves: how often frames come and how many a capture keeps, the verdict on a frame,
 * the requests that start a capture and the results and reports that come back. Types and
 * constants only. Nothing here is biometric: no image, landmark, embedding, template or score.
 */
import type { CheckOutcome, CheckReason, IdDocumentResult, LivenessResult } from './assertion.js';
import type { LivenessFailure, LivenessPolicy, LivenessProgress } from './liveness.js';

/** Time between two frames sent to the worker (at most ~10 per second; the worker is slower on 2 cores). */
export const FRAME_INTERVAL_MS = 100;

/**
 * Time between frames while a liveness gesture is asked: those frames need only the landmarks,
 * and a blink lasts 100–300 ms, so they come as fast as the worker takes them (up to 20 a second).
 */
export const GESTURE_FRAME_INTERVAL_MS = 50;

/** Good frames an enrollment template is averaged from. */
export const ENROLLMENT_FRAMES = 5;

/** Good frames a check compares (averaged) against the template. */
export const CHECK_FRAMES = 3;

/** Least time between two kept frames of an enrollment, by frame timestamp: the template reflects a few moments, not one. */
export const ENROLLMENT_FRAME_SPACING_MS = 150;

/**
 * Least time between two kept frames of a check: one frame interval, so that no frame is analysed
 * only to be dropped (with 150 ms, every other frame came too early and a check took about
 * 500 ms instead of 300).
 */
export const CHECK_FRAME_SPACING_MS = FRAME_INTERVAL_MS;

/** Accelerators the embedding models can run on. */
export const BACKENDS = ['wasm', 'webgpu'] as const;

/** One of {@link BACKENDS}: `webgpu` falls back to `wasm`, with the reason in the runtime report. */
export type OnnxBackend = (typeof BACKENDS)[number];

/** Why a frame cannot be used. `no_face` and `multiple_faces` are also check reasons. */
export type QualityIssue =
  | 'no_face'
  | 'multiple_faces'
  | 'face_too_small'
  | 'head_turned'
  | 'too_dark'
  | 'too_bright'
  | 'low_contrast'
  | 'blurry';

/** Something worth telling the student that does not block the frame. */
export type QualityHint = 'background_face';

/** The verdict on one frame: no coordinates, no pixels, no scores. */
export interface FrameVerdict {
  readonly ok: boolean;
  readonly issues: readonly QualityIssue[];
  readonly hints: readonly QualityHint[];
}

/** How a frame was captured: a still photo, or one frame of a live stream (enables tracking). */
export type FrameTiming = { readonly mode: 'image' } | { readonly mode: 'video'; readonly timestampMs: number };

/** Options the worker starts with. */
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

/** What the worker runs on, once started. */
export interface RuntimeReport {
  readonly backend: OnnxBackend;
  readonly requestedBackend: OnnxBackend;
  readonly fallbackReason?: string;
  readonly threads: number;
  readonly crossOriginIsolated: boolean;
  /** First 12 hex digits of each model's SHA-256 (the assertion's `models` claim). */
  readonly models: readonly string[];
}

/**
 * Whether an enrollment asks for the identity-document match after its live frames:
 * `'required'` (the document phase starts by itself; the student can still decline, and the
 * enrollment then says `not_run`), `'optional'` (the same, but a phase that ends without any
 * portrait seen says `not_run` rather than `not_matched`) or `'off'` (no document phase:
 * `not_run`). The platform decides what each result means (e.g. automatic approval of a new device
 * on `matched` only).
 */
export const IDENTITY_DOCUMENT_POLICIES = ['required', 'optional', 'off'] as const;

/** One of {@link IDENTITY_DOCUMENT_POLICIES}. */
export type IdentityDocumentPolicy = (typeof IDENTITY_DOCUMENT_POLICIES)[number];

/** Document frames whose portrait is embedded and averaged before the comparison. */
export const DOCUMENT_FRAMES = 3;

/**
 * Usable document portraits gathered (`needed` in the progress) before the {@link DOCUMENT_FRAMES}
 * sharpest are averaged: a held card's frames differ in camera blur and noise, and the sharpest
 * ones match better (`npm run bench:id-document -- --frames 6`, README: identity document). If the
 * portraits stop coming, the phase ends anyway once {@link DOCUMENT_FRAMES} are in and
 * {@link DOCUMENT_EXTRA_FRAMES} more frames have been looked at, rather than waiting for the timeout.
 */
export const DOCUMENT_CANDIDATE_FRAMES = 6;

/** Frames looked at, after the {@link DOCUMENT_FRAMES}th usable portrait, before the phase stops waiting for more. */
export const DOCUMENT_EXTRA_FRAMES = 6;

/** Default time the student has to show the document, once the live frames are in. */
export const DOCUMENT_TIMEOUT_MS = 30_000;

/**
 * Time between two frames of the document phase: the worker searches each frame for a small
 * printed face (several zoomed windows), so frames come less often than in the live capture.
 */
export const DOCUMENT_FRAME_INTERVAL_MS = 200;

/**
 * What to tell the student while they show their identity document. No coordinates, no score.
 * - `no_card_face`: no printed portrait found (only the live face, or no face): show the card's photo side.
 * - `card_not_seen`: a small face was found, but no card around it (a person in the background, a
 *   photo without its document, a card partly out of view): show the whole document in the frame.
 * - `card_too_far`: a portrait was found but is too small to compare: bring the card closer.
 * - `card_glare`: the portrait is washed out by a reflection: tilt the card.
 * - `hold_still`: the portrait is blurred: hold the card still.
 */
export type DocumentGuidance = 'no_card_face' | 'card_not_seen' | 'card_too_far' | 'card_glare' | 'hold_still';

/** Progress of the identity-document phase after one frame. */
export interface DocumentProgress {
  /** Empty when the frame's portrait was usable. */
  readonly guidance: readonly DocumentGuidance[];
  /** Usable portrait frames so far. */
  readonly collected: number;
  readonly needed: number;
  /** The phase has what it needs: stop sending frames. */
  readonly done: boolean;
}

/** Start of an enrollment capture. Times are epoch ms of the caller's clock. */
export interface EnrollmentRequest {
  readonly audience: string;
  readonly enrollmentId: string;
  readonly nonce: string;
  readonly retainUntilMs: number;
  readonly liveness: LivenessPolicy;
  /** Whether the identity-document phase follows the live frames (default `'off'`). */
  readonly identityDocument?: IdentityDocumentPolicy;
}

/**
 * How the identity-document phase ended, as the main thread saw it: the worker had what it
 * needed (`complete`), the time ran out (`timeout`), or the student declined (`declined`).
 */
export type DocumentEnd = 'complete' | 'timeout' | 'declined';

/** The outcome of an enrollment, as the SDK returns it: the JWS and the document result it carries. */
export interface EnrollmentResult {
  /** The self-signed enrollment JWS, for the platform's server. */
  readonly assertion: string;
  /** The `idDocument` claim of the assertion. */
  readonly idDocument: IdDocumentResult;
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
  /** During an enrollment's identity-document phase: what to tell the student about the card. */
  readonly document?: DocumentProgress;
}

/** Result of a check, as the SDK returns it. No score, no embedding, no image. */
export interface CheckResult {
  readonly outcome: CheckOutcome;
  readonly reason?: CheckReason;
  readonly liveness: LivenessResult;
  /**
   * Why liveness failed, when it did: for the page to say what to do differently. Stays on the
   * device with the result (the assertion says only `liveness: "failed"`).
   */
  readonly livenessFailure?: LivenessFailure;
  /** The signed check assertion, or null when there is no device key to sign with (not enrolled, expired). */
  readonly assertion: string | null;
}

/** A check either needs frames, or is already decided (not enrolled, enrollment expired). */
export type CheckStart = { readonly ready: true } | { readonly ready: false; readonly result: CheckResult };

/** How the frames of a capture stopped coming. */
export type CaptureEnd = 'complete' | 'timeout' | 'camera_unavailable';

/** Whether this device holds an enrollment for an audience. */
export interface EnrollmentStatus {
  readonly enrolled: boolean;
  readonly enrollmentId?: string;
  /** Epoch ms at which the template and keys will be deleted. */
  readonly retainUntil?: number;
}
