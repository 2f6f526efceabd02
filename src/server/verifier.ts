/**
 * A verifier bound to one platform: its audience, nonce store, clock and its own cache of
 * imported device keys.
 */

import { KeyCache, REGISTERED_KEY_CACHE_SIZE } from './keyCache.js';
import type { NonceStore } from './nonceStore.js';
import { assertNonEmptyString, assertNonceStore, assertOptionsObject, resolveSkew, type CallSettings } from './options.js';
import { checkAssertion, type CheckExpectation, type VerifiedCheck } from './verifyCheck.js';
import { enrollmentAssertion, type EnrollmentExpectation, type VerifiedEnrollment } from './verifyEnrollment.js';

/** Options of {@link createVerifier}. */
export interface VerifierOptions {
  /** This platform's origin; every assertion's `aud` must equal it. */
  audience: string;
  /** Where nonces are spent, so a second use fails with `ERR_REPLAYED` (checks and enrollments). */
  nonceStore: NonceStore;
  /**
   * Clock in milliseconds since the Unix epoch (default `Date.now`), read once per verification.
   * Use the same clock as the nonce store's.
   */
  clock?: () => number;
  /** Tolerated clock skew in seconds (default `DEFAULT_MAX_SKEW_SECONDS`, at most `MAX_SKEW_SECONDS_LIMIT`). */
  maxSkewSeconds?: number;
  /**
   * Most registered keys kept imported, least recently used dropped first (default
   * `REGISTERED_KEY_CACHE_SIZE`); 0 imports the key on every check.
   */
  keyCacheSize?: number;
}

/** A verifier from {@link createVerifier}. Its methods throw as the standalone functions do. */
export interface Verifier {
  /** The audience every assertion must carry. */
  readonly audience: string;
  /** Verifies a check assertion (see the standalone `verifyCheck`); the nonce is always consumed. */
  verifyCheck(jws: unknown, expectation: CheckExpectation): Promise<VerifiedCheck>;
  /** Verifies an enrollment assertion (see the standalone `verifyEnrollment`); the nonce is always consumed. */
  verifyEnrollment(jws: unknown, expectation: EnrollmentExpectation): Promise<VerifiedEnrollment>;
}

/**
 * Creates a verifier for one platform. Its cache of imported device keys belongs to it alone, so
 * two verifiers (or two tests) never share one. Throws `TypeError` on bad options.
 *
 * ```ts
 * const verifier = createVerifier({ audience: 'https://school.example', nonceStore });
 * const { outcome } = await verifier.verifyCheck(jws, { publicJwk, expectedNonce, checkId, enrollmentId });
 * ```
 */
export function createVerifier(options: VerifierOptions): Verifier {
  assertOptionsObject(options, 'createVerifier');
  const { audience, nonceStore, clock = Date.now, keyCacheSize = REGISTERED_KEY_CACHE_SIZE } = options;
  assertNonEmptyString(audience, 'createVerifier: options.audience');
  if (nonceStore === undefined) throw new TypeError('createVerifier: options.nonceStore is required (it refuses replays)');
  assertNonceStore(nonceStore, 'createVerifier');
  if (typeof clock !== 'function') throw new TypeError('createVerifier: options.clock must be a function returning milliseconds');
  const skewSeconds = resolveSkew(options.maxSkewSeconds, 'createVerifier');
  if (!Number.isSafeInteger(keyCacheSize) || keyCacheSize < 0) {
    throw new TypeError('createVerifier: options.keyCacheSize must be a non-negative integer');
  }
  const keys = new KeyCache(keyCacheSize);
  const settings = (): CallSettings => {
    const now = clock();
    if (typeof now !== 'number' || !Number.isFinite(now)) {
      throw new TypeError('createVerifier: options.clock() must return milliseconds since the Unix epoch (a finite number)');
    }
    return { audience, nonceStore, nowSeconds: now / 1000, skewSeconds };
  };

  return Object.freeze({
    audience,
    verifyCheck: async (jws: unknown, expectation: CheckExpectation) => checkAssertion(jws, expectation, settings(), keys),
    verifyEnrollment: async (jws: unknown, expectation: EnrollmentExpectation) => enrollmentAssertion(jws, expectation, settings()),
  });
}
