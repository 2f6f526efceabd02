/**
 * The options of the public SDK: their types, defaults (named constants) and the checks that turn
 * a caller's mistake into a precise `TypeError`.
 */
import { MAX_ID_LENGTH, MAX_RETENTION_MONTHS } from '../protocol/assertion.js';
import {
  IDENTITY_DOCUMENT_POLICIES,
  type CaptureProgress,
  type CheckResult,
  type IdentityDocumentPolicy,
  type LoadProgress,
  type OnnxBackend,
} from '../protocol/capture.js';
import type { CameraErrorCode } from '../protocol/errors.js';
import {
  ALTERNATIVE_STEPS,
  CHECK_CHALLENGE,
  DEFAULT_LIVENESS_POLICY,
  ENROLLMENT_CHALLENGE,
  LIVENESS_POLICIES,
  STEP_TIME_LIMIT_MS,
  type LivenessPolicy,
} from '../protocol/liveness.js';
import type { CameraOption } from './captureLoop.js';

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

/** Longest retention of a template: 12 months from enrollment; the verifier enforces it too. */
export { MAX_RETENTION_MONTHS };

/** Options of `Presenza.create`. */
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

/** Options common to `Presenza.enroll` and `Presenza.check`. */
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

/** Options of `Presenza.enroll`. */
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
  /**
   * Whether the student also shows an identity document with a photo after the live frames
   * (default `'off'`): its printed portrait is compared on the device with the new template and
   * only `idDocument: 'matched' | 'not_matched' | 'not_run'` goes into the assertion. `onFrame`
   * then reports `document` progress (guidance such as `card_too_far`); the student can decline
   * with `declineIdentityDocument()`. See {@link IdentityDocumentPolicy}.
   */
  identityDocument?: IdentityDocumentPolicy;
  /** Time allowed for the identity-document phase, in ms. Default `DOCUMENT_TIMEOUT_MS` (30 s). */
  documentTimeoutMs?: number;
}

/** Options of `Presenza.check`. */
export interface CheckOptions extends CaptureOptions {
  /** The check id the platform's server issued (the assertion's `jti`). */
  checkId: string;
  /** The nonce the server issued for this student and check. */
  nonce: string;
}

/** Result of `Presenza.check`: the outcome to show, and the assertion to post to the server. */
export interface PresenzaCheckResult extends CheckResult {
  /** When the camera could not be used: which problem, so the page can say what to do. */
  cameraError?: CameraErrorCode;
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

/** The identity-document policy of `value` (default `'off'`); a `TypeError` otherwise. */
export function identityDocumentPolicy(value: unknown): IdentityDocumentPolicy {
  if (value === undefined) return 'off';
  if (!(IDENTITY_DOCUMENT_POLICIES as readonly unknown[]).includes(value)) {
    throw new TypeError(`enroll: identityDocument must be one of ${IDENTITY_DOCUMENT_POLICIES.join(', ')}, got ${String(value)}`);
  }
  return value as IdentityDocumentPolicy;
}

/** The liveness policy of `value`, or the default; a `TypeError` names the method. */
export function livenessPolicy(method: string, value: unknown): LivenessPolicy {
  if (value === undefined) return DEFAULT_LIVENESS_POLICY;
  if (!(LIVENESS_POLICIES as readonly unknown[]).includes(value)) {
    throw new TypeError(`${method}: liveness must be one of ${LIVENESS_POLICIES.join(', ')}, got ${String(value)}`);
  }
  return value as LivenessPolicy;
}

/** `value` as an id of the protocol (non-empty, bounded); a `TypeError` names the method and the option. */
export function requireId(method: string, name: string, value: unknown): string {
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

/** The checked options of `Presenza.create` that the worker starts with. */
export function resolveOptions(options: PresenzaOptions): { assetsBaseUrl: string; backend: OnnxBackend; threads?: number } {
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
