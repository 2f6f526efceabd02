/**
 * Verification of a check assertion: a straight list of guard clauses, each refusing with an
 * `AssertionError` whose `code` says why.
 */

import { ASSERTION_ALG, CHECK_TYP, type CheckOutcome, type CheckReason, type EcPublicJwk, type LivenessResult } from '../protocol/assertion.js';
import { AssertionError } from './assertionError.js';
import { validateClaims } from './claims.js';
import { decodePayload, parseCompactJws } from './compactJws.js';
import { verifyEs256 } from './es256.js';
import { KeyCache } from './keyCache.js';
import { spendNonce, type NonceStore } from './nonceStore.js';
import {
  assertExpectedNonce,
  assertNonEmptyString,
  assertOptionsObject,
  assertRegisteredJwk,
  standaloneSettings,
  type CallSettings,
} from './options.js';

/** What one check assertion must match (the per-call options of a verifier's `verifyCheck`). */
export interface CheckExpectation {
  /**
   * The device key registered for this enrollment (from `verifyEnrollment`). It is the only key
   * the assertion is verified with; members other than `kty`, `crv`, `x`, `y` are ignored.
   */
  publicJwk: EcPublicJwk;
  /** The nonce this server issued for this student and check (see `createChallenge`). */
  expectedNonce: string;
  /** The check id the nonce was issued for; the assertion's `jti` must equal it. */
  checkId: string;
  /**
   * If given (recommended), the assertion's `sub` must equal it: the enrollment `publicJwk` was
   * registered for.
   */
  enrollmentId?: string;
}

/** Options of the standalone {@link verifyCheck}: the expectation plus the verifier settings. */
export interface VerifyCheckOptions extends CheckExpectation {
  /** This platform's origin; the assertion's `aud` must equal it. */
  audience: string;
  /** If given, the nonce is consumed there, so a second use fails with `ERR_REPLAYED`. */
  nonceStore?: NonceStore;
  /** Current time in milliseconds since the Unix epoch, as `Date.now()` returns (the default). */
  now?: number;
  /** Tolerated clock skew in seconds (default `DEFAULT_MAX_SKEW_SECONDS`). */
  maxSkewSeconds?: number;
}

/** A verified check. Carries no score: the device only says pass, fail or inconclusive. */
export interface VerifiedCheck {
  outcome: CheckOutcome;
  /** Why the check did not pass; `undefined` when `outcome` is `pass`. */
  reason: CheckReason | undefined;
  liveness: LivenessResult;
  /** `iat` of the assertion, Unix seconds. */
  issuedAt: number;
  /** `sub` of the assertion. */
  enrollmentId: string;
  /** SHA-256 prefixes of the models the device used. */
  models: string[];
  /** SDK version the device ran. */
  sdk: string;
}

/** Header parameters a check may carry: no `jwk`, `jku`, `x5u`, `x5c`, `crit`, `b64`, … */
const CHECK_HEADER: ReadonlySet<string> = new Set(['alg', 'typ', 'kid']);

/** The imported-key cache of the standalone {@link verifyCheck}; each `createVerifier` has its own. */
const standaloneKeys = new KeyCache();

/**
 * Verifies a check assertion against the key registered at enrollment and returns its outcome.
 * Throws `AssertionError` when the assertion must be refused, `TypeError` on bad options.
 *
 * `jws` is untrusted input and may be of any type (e.g. straight from a request body): anything
 * but a compact JWS string of at most `MAX_ASSERTION_BYTES` is `ERR_MALFORMED`. A `jwk` header
 * parameter is refused (`ERR_MALFORMED`), whichever key it holds: only `options.publicJwk` is ever
 * used. Claims other than those of `CheckClaims` are refused (`ERR_CLAIMS`). The nonce is consumed
 * only after every other check has passed, so a forged or broken assertion cannot burn it.
 *
 * Imported keys are cached in one process-wide LRU of `REGISTERED_KEY_CACHE_SIZE` keys; use
 * `createVerifier` for a cache of your own.
 */
export async function verifyCheck(jws: unknown, options: VerifyCheckOptions): Promise<VerifiedCheck> {
  assertOptionsObject(options, 'verifyCheck');
  return checkAssertion(jws, options, standaloneSettings(options, 'verifyCheck'), standaloneKeys);
}

/** The guard clauses of a check, shared by {@link verifyCheck} and `createVerifier`. */
export async function checkAssertion(
  input: unknown,
  expectation: CheckExpectation,
  settings: CallSettings,
  keys: KeyCache,
): Promise<VerifiedCheck> {
  assertOptionsObject(expectation, 'verifyCheck');
  const { publicJwk, expectedNonce, checkId, enrollmentId } = expectation;
  assertRegisteredJwk(publicJwk);
  assertExpectedNonce(expectedNonce, 'verifyCheck');
  assertNonEmptyString(checkId, 'verifyCheck: options.checkId');
  if (enrollmentId !== undefined) assertNonEmptyString(enrollmentId, 'verifyCheck: options.enrollmentId');
  const registered = await keys.resolve(publicJwk);

  // Three canonical base64url segments, at most MAX_ASSERTION_BYTES, with a JSON object header.
  const jws = parseCompactJws(input);
  const { header } = jws;
  // Only ES256: never "none", never an HMAC algorithm, never another curve.
  if (header.alg !== ASSERTION_ALG) throw new AssertionError('ERR_ALGORITHM', `alg must be ${ASSERTION_ALG}`);
  // The type binds the token to its purpose: an enrollment assertion is not a check.
  if (header.typ !== CHECK_TYP) throw new AssertionError('ERR_TYPE', `typ must be ${CHECK_TYP}`);
  // A check is verified with the registered key only: a key offered in the header is refused, never used.
  if (Object.hasOwn(header, 'jwk')) throw new AssertionError('ERR_MALFORMED', 'a check assertion must not carry a jwk header');
  // No other header parameter is part of the protocol.
  const extra = Object.keys(header).find((name) => !CHECK_HEADER.has(name));
  if (extra !== undefined) throw new AssertionError('ERR_MALFORMED', `unknown header parameter ${JSON.stringify(extra.slice(0, 32))}`);
  // The kid names the signing key: it must be the registered key's thumbprint.
  if (header.kid !== registered.thumbprint) throw new AssertionError('ERR_SIGNATURE_INVALID', 'kid is not the registered key');
  // The signature verifies with the registered key.
  verifyEs256(jws, registered.key);
  // Only now is the payload decoded: a canonical base64url JSON object.
  const payload = decodePayload(jws);
  // The claims are the protocol's, fresh, and match this platform, student, check and nonce.
  const claims = validateClaims('check', payload, {
    audience: settings.audience,
    nonce: expectedNonce,
    checkId,
    enrollmentId,
    nowSeconds: settings.nowSeconds,
    skewSeconds: settings.skewSeconds,
  });
  // Last, once everything else holds: the nonce is spent, so a replay fails.
  if (settings.nonceStore !== undefined) await spendNonce(settings.nonceStore, claims, settings.skewSeconds);

  return {
    outcome: claims.outcome,
    reason: claims.reason,
    liveness: claims.liveness,
    issuedAt: claims.iat,
    enrollmentId: claims.sub,
    models: claims.models,
    sdk: claims.sdk,
  };
}
