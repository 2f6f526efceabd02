import { PresenzaError, type PresenzaErrorCode } from '../protocol/errors.js';

/** Codes an {@link AssertionError} can carry. */
export type AssertionErrorCode = Extract<
  PresenzaErrorCode,
  | 'ERR_MALFORMED'
  | 'ERR_ALGORITHM'
  | 'ERR_TYPE'
  | 'ERR_SIGNATURE_INVALID'
  | 'ERR_AUDIENCE'
  | 'ERR_NONCE_MISMATCH'
  | 'ERR_CHECK_ID'
  | 'ERR_EXPIRED'
  | 'ERR_REPLAYED'
  | 'ERR_CLAIMS'
>;

/** Options of the {@link AssertionError} constructor. */
export interface AssertionErrorOptions {
  cause?: unknown;
  /** The claim the error is about (see {@link AssertionError.claim}). */
  claim?: string;
}

/**
 * An assertion was refused. Branch on `code` (and `claim`); the message is for logs only.
 * It is a `PresenzaError`, so `isPresenzaError` recognises it, also after serialisation.
 */
export class AssertionError extends PresenzaError {
  declare readonly code: AssertionErrorCode;

  /**
   * The claim that failed, e.g. `'exp'` or `'retainUntil'`; for an unknown claim, its name (cut to
   * 32 characters). Always set for `ERR_CLAIMS`, and for the codes about one claim: `ERR_AUDIENCE`
   * (`aud`), `ERR_CHECK_ID` (`jti`), `ERR_NONCE_MISMATCH` and `ERR_REPLAYED` (`nonce`),
   * `ERR_EXPIRED` (`exp`). `undefined` when the JWS itself is refused (encoding, header, signature).
   */
  readonly claim: string | undefined;

  constructor(code: AssertionErrorCode, message: string, options: AssertionErrorOptions = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AssertionError';
    this.claim = options.claim;
  }
}

/** An error about one claim: `ERR_CLAIMS` unless a more specific code applies. The message starts with the claim's name. */
export function claimError(claim: string, problem: string, code: AssertionErrorCode = 'ERR_CLAIMS'): AssertionError {
  return new AssertionError(code, `${claim}: ${problem}`, { claim });
}

/** An error about the JWS itself (`ERR_MALFORMED` unless given another code). */
export function malformed(message: string, cause?: unknown): AssertionError {
  return new AssertionError('ERR_MALFORMED', message, { cause });
}
