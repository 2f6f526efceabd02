/**
 * The one error base class of Presenza, shared by the browser SDK, the face worker and the
 * server verifier. Every error carries a stable `code`; callers branch on the code, never on
 * the message. Errors that cross the worker boundary lose their class, so {@link isPresenzaError}
 * checks the code and {@link reviveError} rebuilds the class on the main thread.
 */

/**
 * The camera's error codes: why the camera could not be opened or stopped during a capture
 * (getUserMedia's errors, an insecure page, an iframe without `allow="camera"`). A camera problem
 * is the student's to fix, not a failed check. Listed here once; {@link ERROR_CODES} includes them.
 */
export const CAMERA_ERROR_CODES = [
  'ERR_CAMERA_DENIED',
  'ERR_CAMERA_BUSY',
  'ERR_CAMERA_NOT_FOUND',
  'ERR_CAMERA_CONSTRAINTS',
  'ERR_CAMERA_INSECURE_CONTEXT',
  'ERR_CAMERA_POLICY',
  'ERR_CAMERA_FAILED',
] as const;

/** One of {@link CAMERA_ERROR_CODES}. */
export type CameraErrorCode = (typeof CAMERA_ERROR_CODES)[number];

/** Stable error codes. Adding a code is a minor change; renaming one is a breaking change. */
export const ERROR_CODES = [
  // Assets and runtimes (browser).
  'ERR_ASSET_FETCH',
  'ERR_MODEL_INTEGRITY',
  'ERR_RUNTIME_INIT',
  'ERR_WORKER_START',
  'ERR_CLOSED',
  'ERR_ABORTED',
  'ERR_BAD_FRAME',
  'ERR_BUSY',
  'ERR_STORAGE',
  // This engine lacks something the face check needs (e.g. WebGL in workers): offer the alternative.
  'ERR_UNSUPPORTED_BROWSER',
  // Capture (browser): why an enrollment could not complete.
  'ERR_NO_FACE',
  'ERR_MULTIPLE_FACES',
  'ERR_CAPTURE_TIMEOUT',
  'ERR_LIVENESS_FAILED',
  // Camera (browser): see CAMERA_ERROR_CODES.
  ...CAMERA_ERROR_CODES,
  // Assertion verification (server).
  'ERR_MALFORMED',
  'ERR_ALGORITHM',
  'ERR_TYPE',
  'ERR_SIGNATURE_INVALID',
  'ERR_AUDIENCE',
  'ERR_NONCE_MISMATCH',
  'ERR_CHECK_ID',
  'ERR_EXPIRED',
  'ERR_REPLAYED',
  'ERR_CLAIMS',
] as const;

/** One of {@link ERROR_CODES}. */
export type PresenzaErrorCode = (typeof ERROR_CODES)[number];

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);
const CAMERA_CODES: ReadonlySet<string> = new Set(CAMERA_ERROR_CODES);

/** True when `code` is one of {@link CAMERA_ERROR_CODES}. */
export function isCameraErrorCode(code: unknown): code is CameraErrorCode {
  return typeof code === 'string' && CAMERA_CODES.has(code);
}

/** Base class of every coded Presenza error. */
export class PresenzaError extends Error {
  /** Stable, machine-readable code. */
  readonly code: PresenzaErrorCode;

  constructor(code: PresenzaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PresenzaError';
    this.code = code;
  }
}

/**
 * True when `value` is a Presenza error, including one that crossed a worker boundary as a
 * plain object (the check is on the code, not only on `instanceof`).
 */
export function isPresenzaError(value: unknown): value is PresenzaError {
  if (value instanceof PresenzaError) return true;
  if (typeof value !== 'object' || value === null) return false;
  const code = (value as { code?: unknown }).code;
  return typeof code === 'string' && KNOWN_CODES.has(code);
}

/**
 * Rebuilds a {@link PresenzaError} from an error that lost its class (e.g. after Comlink
 * serialised it across the worker boundary). Anything without a known code is returned as is.
 */
export function reviveError(value: unknown): unknown {
  if (value instanceof PresenzaError || !isPresenzaError(value)) return value;
  const message = typeof (value as { message?: unknown }).message === 'string' ? (value as Error).message : value.code;
  return new PresenzaError(value.code, message);
}
