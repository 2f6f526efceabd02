/**
 * Verification of a self-signed enrollment assertion: a straight list of guard clauses, each
 * refusing with an `AssertionError` whose `code` says why.
 */

import type { KeyObject } from 'node:crypto';
import { ASSERTION_ALG, ENROLL_TYP, type EcPublicJwk, type IdDocumentResult } from '../protocol/assertion.js';
import { isP256Coordinate } from '../protocol/jws.js';
import { AssertionError, malformed } from './assertionError.js';
import { validateClaims } from './claims.js';
import { decodePayload, isJsonObject, parseCompactJws } from './compactJws.js';
import { importP256PublicKey, p256Thumbprint, verifyEs256 } from './es256.js';
import { spendNonce, type NonceStore } from './nonceStore.js';
import { assertExpectedNonce, assertNonEmptyString, assertOptionsObject, standaloneSettings, type CallSettings } from './options.js';

/** What one enrollment assertion must match (the per-call options of a verifier's `verifyEnrollment`). */
export interface EnrollmentExpectation {
  /** The nonce this server issued for this enrollment. */
  expectedNonce: string;
  /** If given, the assertion's `sub` must equal it. */
  enrollmentId?: string;
}

/** Options of the standalone {@link verifyEnrollment}: the expectation plus the verifier settings. */
export interface VerifyEnrollmentOptions extends EnrollmentExpectation {
  /** This platform's origin; the assertion's `aud` must equal it. */
  audience: string;
  /** If given, the nonce is consumed there (with `checkId: null`). */
  nonceStore?: NonceStore;
  /** Current time in milliseconds since the Unix epoch, as `Date.now()` returns (the default). */
  now?: number;
  /** Tolerated clock skew in seconds (default `DEFAULT_MAX_SKEW_SECONDS`). */
  maxSkewSeconds?: number;
}

/** A verified enrollment: store `publicJwk` (or `thumbprint` and `publicJwk`) for `enrollmentId`. */
export interface VerifiedEnrollment {
  /** `sub` of the assertion: the platform's pseudonymous enrollment id. */
  enrollmentId: string;
  /** The device's public key, reduced to `kty`, `crv`, `x`, `y`. Pass it to `verifyCheck`. */
  publicJwk: EcPublicJwk;
  /** RFC 7638 thumbprint of `publicJwk` (also the `kid` of every check assertion). */
  thumbprint: string;
  /** Unix seconds at which the device deletes its template; the server should forget the key then too. */
  retainUntil: number;
  /**
   * Whether the student's identity-document portrait matched the enrollment frames on the device:
   * `matched` may approve a new device automatically; `not_matched` and `not_run` leave it to a person.
   */
  idDocument: IdDocumentResult;
}

/** Header parameters an enrollment may carry: no `jku`, `x5u`, `x5c`, `crit`, `b64`, … */
const ENROLL_HEADER: ReadonlySet<string> = new Set(['alg', 'typ', 'kid', 'jwk']);
/** Members of the embedded key: exactly those of RFC 7638, so nothing rides along with it. */
const PUBLIC_JWK: ReadonlySet<string> = new Set(['kty', 'crv', 'x', 'y']);

/**
 * Verifies a self-signed enrollment assertion and returns the device key to register.
 * Throws `AssertionError` when the assertion must be refused, `TypeError` on bad options.
 *
 * The header's `jwk` must be an EC P-256 public key (exactly `kty`, `crv`, `x`, `y`, coordinates
 * in canonical base64url; never `d`), `kid` must be its RFC 7638 thumbprint (`ERR_MALFORMED`
 * otherwise, also when missing), and the signature must verify with that very key. Claims other
 * than those of `EnrollClaims` are refused (`ERR_CLAIMS`); `retainUntil` must be in the future and
 * at most `MAX_RETENTION_MONTHS` months after `iat`.
 */
export async function verifyEnrollment(jws: unknown, options: VerifyEnrollmentOptions): Promise<VerifiedEnrollment> {
  assertOptionsObject(options, 'verifyEnrollment');
  return enrollmentAssertion(jws, options, standaloneSettings(options, 'verifyEnrollment'));
}

/** The guard clauses of an enrollment, shared by {@link verifyEnrollment} and `createVerifier`. */
export async function enrollmentAssertion(
  input: unknown,
  expectation: EnrollmentExpectation,
  settings: CallSettings,
): Promise<VerifiedEnrollment> {
  assertOptionsObject(expectation, 'verifyEnrollment');
  const { expectedNonce, enrollmentId } = expectation;
  assertExpectedNonce(expectedNonce, 'verifyEnrollment');
  if (enrollmentId !== undefined) assertNonEmptyString(enrollmentId, 'verifyEnrollment: options.enrollmentId');

  // Three canonical base64url segments, at most MAX_ASSERTION_BYTES, with a JSON object header.
  const jws = parseCompactJws(input);
  const { header } = jws;
  // Only ES256: never "none", never an HMAC algorithm, never another curve.
  if (header.alg !== ASSERTION_ALG) throw new AssertionError('ERR_ALGORITHM', `alg must be ${ASSERTION_ALG}`);
  // The type binds the token to its purpose: a check assertion is not an enrollment.
  if (header.typ !== ENROLL_TYP) throw new AssertionError('ERR_TYPE', `typ must be ${ENROLL_TYP}`);
  // No header parameter beyond alg, typ, kid and jwk.
  const extra = Object.keys(header).find((name) => !ENROLL_HEADER.has(name));
  if (extra !== undefined) throw malformed(`unknown header parameter ${JSON.stringify(extra.slice(0, 32))}`);
  // The header carries the device's public key as a JSON object.
  const { jwk, kid } = header;
  if (!isJsonObject(jwk)) throw malformed('jwk header is missing or not an object');
  // Never a private key, even a leaked one.
  if (Object.hasOwn(jwk, 'd')) throw malformed('jwk header must not contain a private key');
  // Exactly the RFC 7638 members.
  const extraMember = Object.keys(jwk).find((name) => !PUBLIC_JWK.has(name));
  if (extraMember !== undefined) throw malformed(`unknown jwk member ${JSON.stringify(extraMember.slice(0, 32))}`);
  // An EC key on P-256, the only curve of ES256.
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') throw malformed('jwk must be an EC P-256 key');
  // Both coordinates are canonical base64url of 32 bytes: one spelling per point, so one thumbprint per key.
  if (!isP256Coordinate(jwk.x) || !isP256Coordinate(jwk.y)) throw malformed('jwk x/y are not canonical P-256 coordinates');
  const publicJwk: EcPublicJwk = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
  // The kid is present and is the thumbprint of that key.
  if (typeof kid !== 'string') throw malformed('kid header is missing or not a string');
  const thumbprint = p256Thumbprint(publicJwk);
  if (kid !== thumbprint) throw malformed('kid is not the RFC 7638 thumbprint of the jwk header');
  // The point is on the curve.
  let key: KeyObject;
  try {
    key = importP256PublicKey(publicJwk.x, publicJwk.y);
  } catch (cause) {
    throw malformed('jwk is not a valid P-256 public key', cause);
  }
  // The assertion is signed by the very key it registers (proof of possession).
  verifyEs256(jws, key);
  // Only now is the payload decoded: a canonical base64url JSON object.
  const payload = decodePayload(jws);
  // The claims are the protocol's, fresh, and match this platform, student and nonce.
  const claims = validateClaims('enroll', payload, {
    audience: settings.audience,
    nonce: expectedNonce,
    enrollmentId,
    nowSeconds: settings.nowSeconds,
    skewSeconds: settings.skewSeconds,
  });
  // Last, once everything else holds: the nonce is spent, so a replay fails.
  if (settings.nonceStore !== undefined) await spendNonce(settings.nonceStore, claims, settings.skewSeconds);

  return { enrollmentId: claims.sub, publicJwk, thumbprint, retainUntil: claims.retainUntil, idDocument: claims.idDocument };
}
