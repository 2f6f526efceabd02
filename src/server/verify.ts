/**
 * Server-side verification of Presenza assertions (Node only, built on jose).
 *
 * Each verifier is a straight list of guard clauses; the first one that fails throws an
 * {@link AssertionError} whose `code` says why. Caller mistakes (a missing or mistyped option)
 * throw `TypeError` instead, so they are not confused with a bad assertion from a client.
 *
 * Built on jose for enrollment and its JWK handling: jose verifies enrollment assertions (rare:
 * once per device) and imports and validates the key they embed. Check assertions, the hot path,
 * are verified with `node:crypto` instead: OpenSSL's ECDSA through the synchronous `verify()`,
 * with the registered key imported once as a `KeyObject` and cached. The goal is at least 5,000
 * check verifications per second per core, and WebCrypto, which jose is built on, cannot reach
 * it: measured before the switch on a loaded 2-core AMD EPYC with Node 20
 * (`bench/assertion-verify.ts`), jose's `compactVerify` alone ran 3,268/s, `crypto.subtle.verify`
 * alone 4,429/s and `node:crypto`'s synchronous `verify` 6,572/s (`verifyCheck` on jose: 3,165/s). The synchronous call keeps the
 * event loop for one verification (about 0.15 ms); WebCrypto's kept the caller waiting just as
 * long. Both accept and refuse the same signatures: r || s of exactly 64 bytes, r and s in
 * [1, n − 1], with no low-S rule (WebCrypto signers, the SDK's included, do not normalise s, so
 * (r, n − s) verifies too; a replay is stopped by the single-use nonce, not by the signature).
 */

import { Buffer } from 'node:buffer';
import { createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import { compactVerify, errors as joseErrors, importJWK } from 'jose';
import {
  ASSERTION_ALG,
  CHECK_OUTCOMES,
  CHECK_REASONS,
  CHECK_TYP,
  ENROLL_TYP,
  LIVENESS_RESULTS,
  MAX_ASSERTION_LIFETIME_SECONDS,
  MAX_ID_LENGTH,
  MAX_MODEL_ENTRIES,
  MODEL_DIGEST_PATTERN,
  SDK_VERSION_PATTERN,
  type CheckOutcome,
  type CheckReason,
  type EcPublicJwk,
  type LivenessResult,
} from '../protocol/assertion.js';
import { PresenzaError, type PresenzaErrorCode } from '../protocol/errors.js';
import { jwkThumbprint } from '../protocol/jws.js';
import type { NonceStore } from './nonceStore.js';

/**
 * Largest assertion accepted, in bytes (= characters: a valid compact JWS is ASCII). Anything
 * longer is refused with `ERR_MALFORMED` before any decoding or parsing. A real check assertion
 * is about 600 bytes and an enrollment assertion about 800.
 */
export const MAX_ASSERTION_BYTES = 4096;

/** Clock skew tolerated between the device and the server by default, in seconds. */
export const DEFAULT_MAX_SKEW_SECONDS = 30;

/** Largest `maxSkewSeconds` a caller may configure, in seconds. */
export const MAX_SKEW_SECONDS_LIMIT = 300;

/** Shortest `expectedNonce` accepted, in characters: 22 base64url characters carry 128 bits. */
export const MIN_NONCE_LENGTH = 22;

/** How many imported registered keys {@link verifyCheck} keeps (least recently used dropped first). */
export const REGISTERED_KEY_CACHE_SIZE = 1024;

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

/** An assertion was refused. Branch on `code`; the message is for logs only. */
export class AssertionError extends PresenzaError {
  declare readonly code: AssertionErrorCode;

  constructor(code: AssertionErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'AssertionError';
  }
}

/** Options of {@link verifyCheck}. */
export interface VerifyCheckOptions {
  /** This platform's origin; the assertion's `aud` must equal it. */
  audience: string;
  /**
   * The device key registered for this enrollment (from {@link verifyEnrollment}). It is the
   * only key the assertion is verified with.
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
  /** If given, the nonce is consumed there, so a second use fails with `ERR_REPLAYED`. */
  nonceStore?: NonceStore;
  /** Current time in milliseconds since the Unix epoch, as `Date.now()` returns (the default). */
  now?: number;
  /** Tolerated clock skew in seconds (default {@link DEFAULT_MAX_SKEW_SECONDS}). */
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

/** Options of {@link verifyEnrollment}. */
export interface VerifyEnrollmentOptions {
  /** This platform's origin; the assertion's `aud` must equal it. */
  audience: string;
  /** The nonce this server issued for this enrollment. */
  expectedNonce: string;
  /** If given, the assertion's `sub` must equal it. */
  enrollmentId?: string;
  /** If given, the nonce is consumed there (with `checkId: null`). */
  nonceStore?: NonceStore;
  /** Current time in milliseconds since the Unix epoch, as `Date.now()` returns (the default). */
  now?: number;
  /** Tolerated clock skew in seconds (default {@link DEFAULT_MAX_SKEW_SECONDS}). */
  maxSkewSeconds?: number;
}

/** A verified enrollment: store `publicJwk` (or `thumbprint` and `publicJwk`) for `enrollmentId`. */
export interface VerifiedEnrollment {
  /** `sub` of the assertion: the platform's pseudonymous enrollment id. */
  enrollmentId: string;
  /** The device's public key, reduced to `kty`, `crv`, `x`, `y`. Pass it to {@link verifyCheck}. */
  publicJwk: EcPublicJwk;
  /** RFC 7638 thumbprint of `publicJwk` (also the `kid` of every check assertion). */
  thumbprint: string;
  /** Unix seconds at which the device deletes its template; the server should forget the key then too. */
  retainUntil: number;
}

/** Bytes of an ES256 signature: r || s, 32 bytes each (RFC 7518 §3.4). */
const ES256_SIGNATURE_BYTES = 64;
/** Unpadded base64url characters of {@link ES256_SIGNATURE_BYTES} bytes. */
const ES256_SIGNATURE_CHARS = Math.ceil((ES256_SIGNATURE_BYTES * 4) / 3);
const COMPACT_JWS = /^[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;
const P256_COORDINATE = /^[A-Za-z0-9_-]{43}$/;
const CHECK_HEADER_MEMBERS: ReadonlySet<string> = new Set(['alg', 'typ', 'kid']);
const ENROLL_HEADER_MEMBERS: ReadonlySet<string> = new Set(['alg', 'typ', 'kid', 'jwk']);
const PUBLIC_JWK_MEMBERS: ReadonlySet<string> = new Set(['kty', 'crv', 'x', 'y']);
const CHECK_CLAIMS: ReadonlySet<string> = new Set([
  'aud', 'sub', 'jti', 'nonce', 'iat', 'exp', 'outcome', 'reason', 'liveness', 'models', 'sdk',
]);
const ENROLL_CLAIMS: ReadonlySet<string> = new Set([
  'aud', 'sub', 'nonce', 'iat', 'exp', 'retainUntil', 'models', 'sdk',
]);
const OUTCOMES: ReadonlySet<unknown> = new Set(CHECK_OUTCOMES);
const REASONS: ReadonlySet<unknown> = new Set(CHECK_REASONS);
const LIVENESS: ReadonlySet<unknown> = new Set(LIVENESS_RESULTS);
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

type JsonObject = Record<string, unknown>;

/**
 * Verifies a check assertion against the key registered at enrollment and returns its outcome.
 * Throws {@link AssertionError} when the assertion must be refused, `TypeError` on bad options.
 *
 * `jws` is untrusted input and may be of any type (e.g. straight from a request body): anything
 * but a compact JWS string of at most {@link MAX_ASSERTION_BYTES} is `ERR_MALFORMED`.
 * A `jwk` header parameter on a check assertion is refused (`ERR_MALFORMED`), whichever key it
 * holds: only `options.publicJwk` is ever used. Claims other than those of `CheckClaims` are
 * refused (`ERR_CLAIMS`). The nonce is consumed only after every other check has passed, so a
 * forged or broken assertion cannot burn a student's nonce.
 */
export async function verifyCheck(jws: unknown, options: VerifyCheckOptions): Promise<VerifiedCheck> {
  assertOptionsObject(options, 'verifyCheck');
  const { audience, publicJwk, expectedNonce, checkId, enrollmentId, nonceStore } = options;
  assertNonEmptyString(audience, 'verifyCheck: options.audience');
  assertRegisteredJwk(publicJwk);
  assertExpectedNonce(expectedNonce, 'verifyCheck');
  assertNonEmptyString(checkId, 'verifyCheck: options.checkId');
  if (enrollmentId !== undefined) assertNonEmptyString(enrollmentId, 'verifyCheck: options.enrollmentId');
  assertNonceStore(nonceStore, 'verifyCheck');
  const nowSeconds = resolveNowSeconds(options.now, 'verifyCheck');
  const skew = resolveSkew(options.maxSkewSeconds, 'verifyCheck');
  const registered = await registeredKey(publicJwk);

  const { compact, header } = parseCompactJws(jws);
  // Only ES256: never "none", never an HMAC algorithm, never another curve.
  if (header.alg !== ASSERTION_ALG) throw new AssertionError('ERR_ALGORITHM', `alg must be ${ASSERTION_ALG}`);
  // The type binds the token to its purpose: an enrollment assertion is not a check.
  if (header.typ !== CHECK_TYP) throw new AssertionError('ERR_TYPE', `typ must be ${CHECK_TYP}`);
  // A check is verified with the registered key only: a key offered in the header is refused, never used.
  if (Object.hasOwn(header, 'jwk')) throw new AssertionError('ERR_MALFORMED', 'a check assertion must not carry a jwk header');
  // No other header parameter (jku, x5u, x5c, crit, b64, …) is part of the protocol.
  assertOnlyMembers(header, CHECK_HEADER_MEMBERS, 'ERR_MALFORMED', 'header parameter');
  // The kid names the signing key: it must be the registered key's thumbprint.
  if (header.kid !== registered.thumbprint) throw new AssertionError('ERR_SIGNATURE_INVALID', 'kid is not the registered key');
  // The signature must verify with the registered key (ES256 on node:crypto, see the module comment).
  const claims = verifyCheckSignature(compact, registered.key);
  // Only protocol claims: an unknown claim could smuggle a score, an embedding or an image.
  assertOnlyMembers(claims, CHECK_CLAIMS, 'ERR_CLAIMS', 'claim');
  // The audience is this platform's origin, so an assertion made for another site is refused.
  if (!isId(claims.aud)) throw new AssertionError('ERR_CLAIMS', 'aud is missing or not a string');
  if (claims.aud !== audience) throw new AssertionError('ERR_AUDIENCE', 'aud is not this platform');
  // The subject is the pseudonymous enrollment id.
  if (!isId(claims.sub)) throw new AssertionError('ERR_CLAIMS', 'sub is missing or not a string');
  if (enrollmentId !== undefined && claims.sub !== enrollmentId) throw new AssertionError('ERR_CLAIMS', 'sub is not the expected enrollment');
  // The jti is the check the nonce was issued for.
  if (!isId(claims.jti)) throw new AssertionError('ERR_CLAIMS', 'jti is missing or not a string');
  if (claims.jti !== checkId) throw new AssertionError('ERR_CHECK_ID', 'jti is not this check');
  // The nonce is the one issued for this student and check.
  if (!isId(claims.nonce)) throw new AssertionError('ERR_CLAIMS', 'nonce is missing or not a string');
  if (claims.nonce !== expectedNonce) throw new AssertionError('ERR_NONCE_MISMATCH', 'nonce is not the one issued');
  // iat and exp are fresh, short-lived and not from the future.
  assertFresh(claims, nowSeconds, skew);
  // The outcome is one of the protocol's three values.
  if (!OUTCOMES.has(claims.outcome)) throw new AssertionError('ERR_CLAIMS', 'outcome is not pass, fail or inconclusive');
  const outcome = claims.outcome as CheckOutcome;
  // A pass carries no reason.
  if (outcome === 'pass' && Object.hasOwn(claims, 'reason')) throw new AssertionError('ERR_CLAIMS', 'a pass must not carry a reason');
  // Anything but a pass says why, with a known reason.
  if (outcome !== 'pass' && !REASONS.has(claims.reason)) throw new AssertionError('ERR_CLAIMS', 'reason is missing or unknown');
  // Liveness is one of the protocol's three values.
  if (!LIVENESS.has(claims.liveness)) throw new AssertionError('ERR_CLAIMS', 'liveness is not passed, failed or not_run');
  // A pass with failed liveness contradicts itself.
  if (outcome === 'pass' && claims.liveness === 'failed') throw new AssertionError('ERR_CLAIMS', 'a pass cannot have failed liveness');
  // models and sdk are short, fixed-shape strings (no room to smuggle data).
  assertModelsAndSdk(claims);
  // Last, once everything else holds: the nonce is spent, so a replay fails.
  if (nonceStore !== undefined) {
    const consumed = await nonceStore.consume(claims.nonce, {
      subject: claims.sub,
      checkId: claims.jti,
      expiresAt: ((claims.exp as number) + skew) * 1000,
    });
    if (consumed !== true) throw new AssertionError('ERR_REPLAYED', 'nonce already used');
  }

  return {
    outcome,
    reason: claims.reason as CheckReason | undefined,
    liveness: claims.liveness as LivenessResult,
    issuedAt: claims.iat as number,
    enrollmentId: claims.sub,
    models: [...(claims.models as string[])],
    sdk: claims.sdk as string,
  };
}

/**
 * Verifies a self-signed enrollment assertion and returns the device key to register.
 * Throws {@link AssertionError} when the assertion must be refused, `TypeError` on bad options.
 *
 * The header's `jwk` must be an EC P-256 public key (exactly `kty`, `crv`, `x`, `y`; never `d`),
 * `kid` must be its RFC 7638 thumbprint, and the signature must verify with that very key.
 * Claims other than those of `EnrollClaims` are refused (`ERR_CLAIMS`), and `retainUntil` must be
 * in the future.
 */
export async function verifyEnrollment(jws: unknown, options: VerifyEnrollmentOptions): Promise<VerifiedEnrollment> {
  assertOptionsObject(options, 'verifyEnrollment');
  const { audience, expectedNonce, enrollmentId, nonceStore } = options;
  assertNonEmptyString(audience, 'verifyEnrollment: options.audience');
  assertExpectedNonce(expectedNonce, 'verifyEnrollment');
  if (enrollmentId !== undefined) assertNonEmptyString(enrollmentId, 'verifyEnrollment: options.enrollmentId');
  assertNonceStore(nonceStore, 'verifyEnrollment');
  const nowSeconds = resolveNowSeconds(options.now, 'verifyEnrollment');
  const skew = resolveSkew(options.maxSkewSeconds, 'verifyEnrollment');

  const { compact, header } = parseCompactJws(jws);
  // Only ES256: never "none", never an HMAC algorithm, never another curve.
  if (header.alg !== ASSERTION_ALG) throw new AssertionError('ERR_ALGORITHM', `alg must be ${ASSERTION_ALG}`);
  // The type binds the token to its purpose: a check assertion is not an enrollment.
  if (header.typ !== ENROLL_TYP) throw new AssertionError('ERR_TYPE', `typ must be ${ENROLL_TYP}`);
  // No header parameter beyond alg, typ, kid and jwk (no jku, x5u, x5c, crit, b64, …).
  assertOnlyMembers(header, ENROLL_HEADER_MEMBERS, 'ERR_MALFORMED', 'header parameter');
  // The header carries the device's public key as a JSON object.
  const jwk = header.jwk;
  if (!isJsonObject(jwk)) throw new AssertionError('ERR_MALFORMED', 'jwk header is missing or not an object');
  // Never a private key, even a leaked one.
  if (Object.hasOwn(jwk, 'd')) throw new AssertionError('ERR_MALFORMED', 'jwk header must not contain a private key');
  // Exactly the RFC 7638 members: nothing else rides along with the key.
  assertOnlyMembers(jwk, PUBLIC_JWK_MEMBERS, 'ERR_MALFORMED', 'jwk member');
  // An EC key on P-256, the only curve of ES256.
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') throw new AssertionError('ERR_MALFORMED', 'jwk must be an EC P-256 key');
  // Both coordinates are 32 bytes of base64url.
  if (!isP256Coordinate(jwk.x) || !isP256Coordinate(jwk.y)) throw new AssertionError('ERR_MALFORMED', 'jwk x/y are not P-256 coordinates');
  const publicJwk: EcPublicJwk = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
  // The point must be on the curve (WebCrypto refuses it otherwise).
  const key = await importEs256Key(publicJwk).catch((cause: unknown) => {
    throw new AssertionError('ERR_MALFORMED', 'jwk is not a valid P-256 public key', { cause });
  });
  // The kid must be the thumbprint of that key.
  const thumbprint = await jwkThumbprint(publicJwk);
  if (header.kid !== thumbprint) throw new AssertionError('ERR_SIGNATURE_INVALID', 'kid is not the thumbprint of the jwk header');
  // The assertion is signed by the very key it registers (proof of possession; jose, ES256 only).
  const claims = await verifyEnrollmentSignature(compact, key);
  // Only protocol claims: an unknown claim could smuggle a score, an embedding or an image.
  assertOnlyMembers(claims, ENROLL_CLAIMS, 'ERR_CLAIMS', 'claim');
  // The audience is this platform's origin, so an assertion made for another site is refused.
  if (!isId(claims.aud)) throw new AssertionError('ERR_CLAIMS', 'aud is missing or not a string');
  if (claims.aud !== audience) throw new AssertionError('ERR_AUDIENCE', 'aud is not this platform');
  // The subject is the pseudonymous enrollment id.
  if (!isId(claims.sub)) throw new AssertionError('ERR_CLAIMS', 'sub is missing or not a string');
  if (enrollmentId !== undefined && claims.sub !== enrollmentId) throw new AssertionError('ERR_CLAIMS', 'sub is not the expected enrollment');
  // The nonce is the one issued for this enrollment.
  if (!isId(claims.nonce)) throw new AssertionError('ERR_CLAIMS', 'nonce is missing or not a string');
  if (claims.nonce !== expectedNonce) throw new AssertionError('ERR_NONCE_MISMATCH', 'nonce is not the one issued');
  // iat and exp are fresh, short-lived and not from the future.
  assertFresh(claims, nowSeconds, skew);
  // retainUntil is a Unix time still ahead: the device must be told when to forget.
  if (!Number.isSafeInteger(claims.retainUntil)) throw new AssertionError('ERR_CLAIMS', 'retainUntil is missing or not an integer');
  if ((claims.retainUntil as number) <= nowSeconds) throw new AssertionError('ERR_CLAIMS', 'retainUntil is not in the future');
  // models and sdk are short, fixed-shape strings (no room to smuggle data).
  assertModelsAndSdk(claims);
  // Last, once everything else holds: the nonce is spent, so a replay fails.
  if (nonceStore !== undefined) {
    const consumed = await nonceStore.consume(claims.nonce, {
      subject: claims.sub,
      checkId: null,
      expiresAt: ((claims.exp as number) + skew) * 1000,
    });
    if (consumed !== true) throw new AssertionError('ERR_REPLAYED', 'nonce already used');
  }

  return { enrollmentId: claims.sub, publicJwk, thumbprint, retainUntil: claims.retainUntil as number };
}

// ---------------------------------------------------------------------------------------------
// Parsing and shared guards (untrusted input → AssertionError).

function parseCompactJws(jws: unknown): { compact: string; header: JsonObject } {
  // Untrusted input can be anything; only a string can be a compact JWS.
  if (typeof jws !== 'string') throw new AssertionError('ERR_MALFORMED', 'the assertion is not a string');
  // The size is bounded before anything is decoded or parsed.
  if (jws.length > MAX_ASSERTION_BYTES) throw new AssertionError('ERR_MALFORMED', `the assertion is longer than ${MAX_ASSERTION_BYTES} bytes`);
  // Exactly three base64url segments (ASCII only, so characters are bytes).
  if (!COMPACT_JWS.test(jws)) throw new AssertionError('ERR_MALFORMED', 'the assertion is not three base64url segments');
  return { compact: jws, header: decodeJsonSegment(jws.slice(0, jws.indexOf('.')), 'protected header') };
}

function decodeJsonSegment(segment: string, what: string): JsonObject {
  // A base64url length of 4n+1 cannot encode whole bytes.
  if (segment.length % 4 === 1) throw new AssertionError('ERR_MALFORMED', `${what} is not valid base64url`);
  return parseJsonObject(Buffer.from(segment, 'base64url'), what);
}

function parseJsonObject(bytes: Uint8Array, what: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(bytes));
  } catch (cause) {
    throw new AssertionError('ERR_MALFORMED', `${what} is not UTF-8 JSON`, { cause });
  }
  if (!isJsonObject(value)) throw new AssertionError('ERR_MALFORMED', `${what} is not a JSON object`);
  return value;
}

/** Verifies an enrollment assertion's signature with jose and returns its payload. */
async function verifyEnrollmentSignature(jws: string, key: CryptoKey): Promise<JsonObject> {
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws, key, { algorithms: [ASSERTION_ALG] }));
  } catch (cause) {
    if (cause instanceof joseErrors.JWSSignatureVerificationFailed) {
      throw new AssertionError('ERR_SIGNATURE_INVALID', 'the signature does not verify', { cause });
    }
    throw new AssertionError('ERR_MALFORMED', 'the assertion is not a valid JWS', { cause });
  }
  return parseJsonObject(payload, 'payload');
}

/**
 * Verifies a check assertion's ES256 signature with `node:crypto` and returns its payload.
 *
 * `compact` has passed {@link parseCompactJws} (three base64url segments, ASCII, bounded) and
 * its header the check guards (alg is ES256). The outcomes are those jose's `compactVerify` gave:
 * a signature segment that is not base64url (length 4n + 1) is `ERR_MALFORMED`; any signature
 * that does not verify, whatever its length or content, is `ERR_SIGNATURE_INVALID`; and only then
 * is the payload decoded (`ERR_MALFORMED` if it is not base64url JSON). No exception of
 * `node:crypto` escapes.
 */
function verifyCheckSignature(compact: string, key: KeyObject): JsonObject {
  const firstDot = compact.indexOf('.');
  const lastDot = compact.lastIndexOf('.');
  const encodedSignature = compact.slice(lastDot + 1);
  // A base64url length of 4n+1 cannot encode whole bytes.
  if (encodedSignature.length % 4 === 1) throw new AssertionError('ERR_MALFORMED', 'the signature is not valid base64url');
  // r || s is exactly 64 bytes (86 characters); anything else cannot be a P-256 signature.
  if (encodedSignature.length !== ES256_SIGNATURE_CHARS) {
    throw new AssertionError('ERR_SIGNATURE_INVALID', `the signature is not ${ES256_SIGNATURE_BYTES} bytes`);
  }
  const signature = Buffer.from(encodedSignature, 'base64url');
  if (signature.length !== ES256_SIGNATURE_BYTES) {
    throw new AssertionError('ERR_SIGNATURE_INVALID', `the signature is not ${ES256_SIGNATURE_BYTES} bytes`);
  }
  // The signing input is the ASCII of `header.payload` exactly as received (never re-encoded).
  const signingInput = Buffer.from(compact.slice(0, lastDot), 'latin1');
  let valid: boolean;
  try {
    valid = verifySignature('sha256', signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch (cause) {
    throw new AssertionError('ERR_SIGNATURE_INVALID', 'the signature does not verify', { cause });
  }
  if (valid !== true) throw new AssertionError('ERR_SIGNATURE_INVALID', 'the signature does not verify');
  return decodeJsonSegment(compact.slice(firstDot + 1, lastDot), 'payload');
}

function assertOnlyMembers(object: JsonObject, allowed: ReadonlySet<string>, code: AssertionErrorCode, what: string): void {
  for (const name of Object.keys(object)) {
    if (!allowed.has(name)) throw new AssertionError(code, `unknown ${what} ${JSON.stringify(name.slice(0, 32))}`);
  }
}

function assertFresh(claims: JsonObject, nowSeconds: number, skew: number): void {
  const { iat, exp } = claims;
  // Both times are integer Unix seconds.
  if (!Number.isSafeInteger(iat) || !Number.isSafeInteger(exp)) throw new AssertionError('ERR_CLAIMS', 'iat/exp are missing or not integers');
  // exp comes after iat.
  if ((exp as number) <= (iat as number)) throw new AssertionError('ERR_CLAIMS', 'exp is not after iat');
  // The assertion lives at most MAX_ASSERTION_LIFETIME_SECONDS.
  if ((exp as number) - (iat as number) > MAX_ASSERTION_LIFETIME_SECONDS) {
    throw new AssertionError('ERR_CLAIMS', `exp is more than ${MAX_ASSERTION_LIFETIME_SECONDS} s after iat`);
  }
  // It was not issued in the future (beyond the skew).
  if ((iat as number) > nowSeconds + skew) throw new AssertionError('ERR_CLAIMS', 'iat is in the future');
  // It has not expired (beyond the skew).
  if (nowSeconds > (exp as number) + skew) throw new AssertionError('ERR_EXPIRED', 'the assertion has expired');
}

function assertModelsAndSdk(claims: JsonObject): void {
  const { models, sdk } = claims;
  // models is a short list of SHA-256 hex prefixes.
  if (!Array.isArray(models) || models.length > MAX_MODEL_ENTRIES) throw new AssertionError('ERR_CLAIMS', 'models is missing or too long');
  if (!models.every((m) => typeof m === 'string' && MODEL_DIGEST_PATTERN.test(m))) {
    throw new AssertionError('ERR_CLAIMS', 'models holds something other than SHA-256 hex prefixes');
  }
  // sdk is a version string.
  if (typeof sdk !== 'string' || !SDK_VERSION_PATTERN.test(sdk)) throw new AssertionError('ERR_CLAIMS', 'sdk is missing or not a version');
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH;
}

function isP256Coordinate(value: unknown): value is string {
  return typeof value === 'string' && P256_COORDINATE.test(value);
}

// ---------------------------------------------------------------------------------------------
// Keys.

interface RegisteredKey {
  /** The registered key as imported by `node:crypto`, for {@link verifyCheckSignature}. */
  key: KeyObject;
  thumbprint: string;
}

const registeredKeys = new Map<string, Promise<RegisteredKey>>();

/** Imports an enrollment's embedded key with jose (a WebCrypto `CryptoKey`); refuses a point off P-256. */
async function importEs256Key(publicJwk: EcPublicJwk): Promise<CryptoKey> {
  const key = await importJWK({ kty: 'EC', crv: 'P-256', x: publicJwk.x, y: publicJwk.y }, ASSERTION_ALG);
  return key as CryptoKey;
}

/**
 * Imports a registered key into `node:crypto` once and keeps the `KeyObject` (with its thumbprint)
 * in a small LRU cache. OpenSSL refuses a point that is not on P-256 (as WebCrypto does).
 */
function registeredKey(publicJwk: EcPublicJwk): Promise<RegisteredKey> {
  const cacheKey = `${publicJwk.x}.${publicJwk.y}`;
  const cached = registeredKeys.get(cacheKey);
  if (cached !== undefined) {
    registeredKeys.delete(cacheKey);
    registeredKeys.set(cacheKey, cached);
    return cached;
  }
  const entry = (async (): Promise<RegisteredKey> => {
    let key: KeyObject;
    try {
      key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: publicJwk.x, y: publicJwk.y }, format: 'jwk' });
    } catch (cause) {
      throw new TypeError('verifyCheck: options.publicJwk is not a valid P-256 public key', { cause });
    }
    if (key.type !== 'public' || key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new TypeError('verifyCheck: options.publicJwk is not a P-256 public key');
    }
    return { key, thumbprint: await jwkThumbprint(publicJwk) };
  })();
  registeredKeys.set(cacheKey, entry);
  entry.catch(() => {
    if (registeredKeys.get(cacheKey) === entry) registeredKeys.delete(cacheKey);
  });
  if (registeredKeys.size > REGISTERED_KEY_CACHE_SIZE) {
    const oldest = registeredKeys.keys().next().value;
    if (oldest !== undefined) registeredKeys.delete(oldest);
  }
  return entry;
}

// ---------------------------------------------------------------------------------------------
// Option checks (caller mistakes → TypeError).

function assertOptionsObject(options: unknown, fn: string): asserts options is object {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${fn}: options must be an object`);
}

function assertNonEmptyString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${name} must be a non-empty string`);
}

function assertExpectedNonce(value: unknown, fn: string): asserts value is string {
  if (typeof value !== 'string' || value.length < MIN_NONCE_LENGTH) {
    throw new TypeError(`${fn}: options.expectedNonce must be a string of at least ${MIN_NONCE_LENGTH} characters (use createChallenge())`);
  }
}

function assertRegisteredJwk(value: unknown): asserts value is EcPublicJwk {
  if (!isJsonObject(value)) throw new TypeError('verifyCheck: options.publicJwk must be a JWK object');
  if (Object.hasOwn(value, 'd')) throw new TypeError('verifyCheck: options.publicJwk must be a public key (it has "d")');
  if (value.kty !== 'EC' || value.crv !== 'P-256') throw new TypeError('verifyCheck: options.publicJwk must have kty "EC" and crv "P-256"');
  if (!isP256Coordinate(value.x) || !isP256Coordinate(value.y)) {
    throw new TypeError('verifyCheck: options.publicJwk x and y must be 43-character base64url coordinates');
  }
}

function assertNonceStore(value: unknown, fn: string): asserts value is NonceStore | undefined {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null || typeof (value as NonceStore).consume !== 'function') {
    throw new TypeError(`${fn}: options.nonceStore must have a consume(nonce, use) method`);
  }
}

function resolveNowSeconds(now: unknown, fn: string): number {
  if (now === undefined) return Date.now() / 1000;
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new TypeError(`${fn}: options.now must be milliseconds since the Unix epoch (a finite number)`);
  }
  return now / 1000;
}

function resolveSkew(skew: unknown, fn: string): number {
  if (skew === undefined) return DEFAULT_MAX_SKEW_SECONDS;
  if (typeof skew !== 'number' || !Number.isFinite(skew) || skew < 0 || skew > MAX_SKEW_SECONDS_LIMIT) {
    throw new TypeError(`${fn}: options.maxSkewSeconds must be a number from 0 to ${MAX_SKEW_SECONDS_LIMIT}`);
  }
  return skew;
}
