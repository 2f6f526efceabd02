/**
 * `presenza/server`: verification of Presenza assertions on the platform's server (Node only).
 *
 * ```ts
 * const nonce = createChallenge(); // store it with the student and the check id, send it to the page
 * const { outcome, reason } = await verifyCheck(jws, {
 *   audience: 'https://school.example', publicJwk, expectedNonce: nonce, checkId, nonceStore,
 * });
 * ```
 */

export { createChallenge, CHALLENGE_BYTES } from './challenge.js';
export {
  verifyCheck,
  verifyEnrollment,
  AssertionError,
  MAX_ASSERTION_BYTES,
  DEFAULT_MAX_SKEW_SECONDS,
  MAX_SKEW_SECONDS_LIMIT,
  MIN_NONCE_LENGTH,
  REGISTERED_KEY_CACHE_SIZE,
} from './verify.js';
export type {
  AssertionErrorCode,
  VerifyCheckOptions,
  VerifiedCheck,
  VerifyEnrollmentOptions,
  VerifiedEnrollment,
} from './verify.js';
export { MemoryNonceStore, DEFAULT_NONCE_PURGE_INTERVAL_MS } from './nonceStore.js';
export type { NonceStore, NonceUse, MemoryNonceStoreOptions } from './nonceStore.js';
export {
  ASSERTION_ALG,
  CHECK_TYP,
  ENROLL_TYP,
  MAX_ASSERTION_LIFETIME_SECONDS,
  CHECK_OUTCOMES,
  CHECK_REASONS,
  LIVENESS_RESULTS,
} from '../protocol/assertion.js';
export type {
  CheckOutcome,
  CheckReason,
  LivenessResult,
  EcPublicJwk,
  CheckClaims,
  EnrollClaims,
} from '../protocol/assertion.js';
export { PresenzaError, isPresenzaError, ERROR_CODES } from '../protocol/errors.js';
export type { PresenzaErrorCode } from '../protocol/errors.js';
