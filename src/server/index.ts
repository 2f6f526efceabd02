/**
 * `presenza/server`: verification of Presenza assertions on the platform's server (Node only).
 *
 * ```ts
 * const verifier = createVerifier({ audience: 'https://school.example', nonceStore });
 * const nonce = createChallenge(); // store it with the student and the check id, send it to the page
 * const { outcome, reason } = await verifier.verifyCheck(jws, { publicJwk, expectedNonce: nonce, checkId, enrollmentId });
 * ```
 *
 * The standalone `verifyCheck(jws, options)` / `verifyEnrollment(jws, options)` take the same
 * settings per call. Everything a platform needs is exported here, protocol types included.
 */

export { createChallenge, CHALLENGE_BYTES } from './challenge.js';
export { createVerifier } from './verifier.js';
export type { Verifier, VerifierOptions } from './verifier.js';
export { verifyCheck } from './verifyCheck.js';
export type { CheckExpectation, VerifyCheckOptions, VerifiedCheck } from './verifyCheck.js';
export { verifyEnrollment } from './verifyEnrollment.js';
export type { EnrollmentExpectation, VerifyEnrollmentOptions, VerifiedEnrollment } from './verifyEnrollment.js';
export { AssertionError } from './assertionError.js';
export type { AssertionErrorCode, AssertionErrorOptions } from './assertionError.js';
export { MAX_ASSERTION_BYTES } from './compactJws.js';
export { REGISTERED_KEY_CACHE_SIZE } from './keyCache.js';
export { DEFAULT_MAX_SKEW_SECONDS, MAX_SKEW_SECONDS_LIMIT, MIN_NONCE_LENGTH } from './options.js';
export { MemoryNonceStore, DEFAULT_NONCE_PURGE_INTERVAL_MS } from './nonceStore.js';
export type { NonceStore, NonceUse, MemoryNonceStoreOptions } from './nonceStore.js';
export {
  ASSERTION_ALG,
  CHECK_TYP,
  ENROLL_TYP,
  MAX_ASSERTION_LIFETIME_SECONDS,
  MAX_RETENTION_MONTHS,
  RETENTION_LIMIT_SLACK_SECONDS,
  CHECK_OUTCOMES,
  CHECK_REASONS,
  LIVENESS_RESULTS,
  ID_DOCUMENT_RESULTS,
} from '../protocol/assertion.js';
export type {
  CheckOutcome,
  CheckReason,
  LivenessResult,
  IdDocumentResult,
  EcPublicJwk,
  CheckClaims,
  EnrollClaims,
} from '../protocol/assertion.js';
export { PresenzaError, isPresenzaError, ERROR_CODES } from '../protocol/errors.js';
export type { PresenzaErrorCode } from '../protocol/errors.js';
