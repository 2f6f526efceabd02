/**
 * The claim checks of both assertions, written once. Every refusal names its claim: the error's
 * `claim` property and the start of its message (`exp: …`).
 */

import {
  CHECK_OUTCOMES,
  CHECK_REASONS,
  ID_DOCUMENT_RESULTS,
  LIVENESS_RESULTS,
  MAX_ASSERTION_LIFETIME_SECONDS,
  MAX_ID_LENGTH,
  MAX_MODEL_ENTRIES,
  MAX_RETENTION_MONTHS,
  MODEL_DIGEST_PATTERN,
  RETENTION_LIMIT_SLACK_SECONDS,
  SDK_VERSION_PATTERN,
  type CheckClaims,
  type CheckOutcome,
  type CheckReason,
  type EnrollClaims,
  type IdDocumentResult,
  type LivenessResult,
} from '../protocol/assertion.js';
import { claimError } from './assertionError.js';
import type { JsonObject } from './compactJws.js';

/** Which assertion the claims belong to. */
export type AssertionKind = 'check' | 'enroll';

/** What the claims must match; every value has been checked by the caller. */
export interface ClaimExpectations {
  /** This platform's origin: `aud`. */
  audience: string;
  /** The nonce issued: `nonce`. */
  nonce: string;
  /** The check the nonce was issued for: `jti` (checks only). */
  checkId?: string;
  /** If given, `sub` must equal it. */
  enrollmentId?: string | undefined;
  /** The verifier's clock, Unix seconds (may be fractional). */
  nowSeconds: number;
  /** Tolerated clock skew, seconds. */
  skewSeconds: number;
}

/** Names of the claims each assertion may carry; any other is refused. */
export const CLAIM_NAMES: Readonly<Record<AssertionKind, readonly string[]>> = {
  check: ['aud', 'sub', 'jti', 'nonce', 'iat', 'exp', 'outcome', 'reason', 'liveness', 'models', 'sdk'],
  enroll: ['aud', 'sub', 'nonce', 'iat', 'exp', 'retainUntil', 'idDocument', 'models', 'sdk'],
};

const ALLOWED: Readonly<Record<AssertionKind, ReadonlySet<string>>> = {
  check: new Set(CLAIM_NAMES.check),
  enroll: new Set(CLAIM_NAMES.enroll),
};
const OUTCOMES: ReadonlySet<unknown> = new Set(CHECK_OUTCOMES);
const REASONS: ReadonlySet<unknown> = new Set(CHECK_REASONS);
const LIVENESS: ReadonlySet<unknown> = new Set(LIVENESS_RESULTS);
const ID_DOCUMENT: ReadonlySet<unknown> = new Set(ID_DOCUMENT_RESULTS);
/** Longest unknown claim name repeated in an error. */
const MAX_NAME_IN_ERROR = 32;

/**
 * Checks the claims of a verified assertion against the protocol and `expected`, and returns them
 * typed. Throws `AssertionError`: `ERR_CLAIMS`, or `ERR_AUDIENCE`, `ERR_CHECK_ID`,
 * `ERR_NONCE_MISMATCH`, `ERR_EXPIRED` for a well-formed claim with the wrong value; `claim` names
 * the claim either way.
 */
export function validateClaims(kind: 'check', claims: JsonObject, expected: ClaimExpectations): CheckClaims;
export function validateClaims(kind: 'enroll', claims: JsonObject, expected: ClaimExpectations): EnrollClaims;
export function validateClaims(kind: AssertionKind, claims: JsonObject, expected: ClaimExpectations): CheckClaims | EnrollClaims {
  const { aud, sub, jti, nonce, iat, exp, outcome, reason, liveness, retainUntil, idDocument, models, sdk } = claims;
  // Only protocol claims: an unknown claim could smuggle a score, an embedding or an image.
  const unknown = Object.keys(claims).find((name) => !ALLOWED[kind].has(name))?.slice(0, MAX_NAME_IN_ERROR);
  if (unknown !== undefined) throw claimError(unknown, `unknown claim ${JSON.stringify(unknown)}`);
  // aud is a string: this platform's origin, so an assertion made for another site is refused.
  if (!isId(aud)) throw claimError('aud', 'missing or not a string');
  if (aud !== expected.audience) throw claimError('aud', 'not this platform', 'ERR_AUDIENCE');
  // sub is the pseudonymous enrollment id, the expected one when the caller knows it.
  if (!isId(sub)) throw claimError('sub', 'missing or not a string');
  if (expected.enrollmentId !== undefined && sub !== expected.enrollmentId) throw claimError('sub', 'not the expected enrollment');
  // jti is the check the nonce was issued for (an enrollment has none).
  if (kind === 'check' && !isId(jti)) throw claimError('jti', 'missing or not a string');
  if (kind === 'check' && jti !== expected.checkId) throw claimError('jti', 'not this check', 'ERR_CHECK_ID');
  // nonce is the one issued for this student (and check).
  if (!isId(nonce)) throw claimError('nonce', 'missing or not a string');
  if (nonce !== expected.nonce) throw claimError('nonce', 'not the one issued', 'ERR_NONCE_MISMATCH');
  // iat and exp are integer Unix seconds.
  if (!Number.isSafeInteger(iat)) throw claimError('iat', 'missing or not an integer');
  if (!Number.isSafeInteger(exp)) throw claimError('exp', 'missing or not an integer');
  const issuedAt = iat as number;
  const expiresAt = exp as number;
  // exp comes after iat, at most MAX_ASSERTION_LIFETIME_SECONDS later.
  if (expiresAt <= issuedAt) throw claimError('exp', 'not after iat');
  if (expiresAt - issuedAt > MAX_ASSERTION_LIFETIME_SECONDS) throw claimError('exp', `more than ${MAX_ASSERTION_LIFETIME_SECONDS} s after iat`);
  // iat is not in the future (beyond the skew).
  if (issuedAt > expected.nowSeconds + expected.skewSeconds) throw claimError('iat', 'in the future');
  // exp has not passed (beyond the skew).
  if (expected.nowSeconds > expiresAt + expected.skewSeconds) throw claimError('exp', 'the assertion has expired', 'ERR_EXPIRED');
  if (kind === 'check') {
    // outcome is one of the protocol's three values.
    if (!OUTCOMES.has(outcome)) throw claimError('outcome', 'not pass, fail or inconclusive');
    // A pass carries no reason.
    if (outcome === 'pass' && Object.hasOwn(claims, 'reason')) throw claimError('reason', 'a pass must not carry one');
    // Anything but a pass says why, with a known reason.
    if (outcome !== 'pass' && !REASONS.has(reason)) throw claimError('reason', 'missing or unknown');
    // liveness is one of the protocol's three values.
    if (!LIVENESS.has(liveness)) throw claimError('liveness', 'not passed, failed or not_run');
    // A pass with failed liveness contradicts itself.
    if (outcome === 'pass' && liveness === 'failed') throw claimError('liveness', 'a pass cannot have failed liveness');
  } else {
    // retainUntil is integer Unix seconds: the device must be told when to forget.
    if (!Number.isSafeInteger(retainUntil)) throw claimError('retainUntil', 'missing or not an integer');
    // It is still ahead.
    if ((retainUntil as number) <= expected.nowSeconds) throw claimError('retainUntil', 'not in the future');
    // It is within the longest retention the SDK allows (`!(a <= b)` also refuses NaN).
    if (!((retainUntil as number) <= latestRetainUntil(issuedAt))) {
      throw claimError('retainUntil', `more than ${MAX_RETENTION_MONTHS} months after iat`);
    }
    // idDocument is required and one of the protocol's three values (never a score).
    if (!ID_DOCUMENT.has(idDocument)) throw claimError('idDocument', 'missing or not matched, not_matched or not_run');
  }
  // models is a short list of SHA-256 hex prefixes (no room to smuggle data).
  if (!Array.isArray(models) || models.length > MAX_MODEL_ENTRIES) throw claimError('models', 'missing or too long');
  if (!models.every((m) => typeof m === 'string' && MODEL_DIGEST_PATTERN.test(m))) throw claimError('models', 'holds something other than SHA-256 hex prefixes');
  // sdk is a version string.
  if (typeof sdk !== 'string' || !SDK_VERSION_PATTERN.test(sdk)) throw claimError('sdk', 'missing or not a version');

  // Built member by member: object spread here cost more than all the checks above.
  const modelList = [...(models as string[])];
  if (kind === 'enroll') {
    return {
      aud, sub, nonce, iat: issuedAt, exp: expiresAt, retainUntil: retainUntil as number,
      idDocument: idDocument as IdDocumentResult, models: modelList, sdk,
    };
  }
  const check: CheckClaims = {
    aud, sub, jti: jti as string, nonce, iat: issuedAt, exp: expiresAt,
    outcome: outcome as CheckOutcome, liveness: liveness as LivenessResult, models: modelList, sdk,
  };
  if (outcome !== 'pass') check.reason = reason as CheckReason;
  return check;
}

/**
 * Latest `retainUntil` accepted in an enrollment issued at `iat` (Unix seconds):
 * {@link MAX_RETENTION_MONTHS} calendar months later in UTC, plus
 * {@link RETENTION_LIMIT_SLACK_SECONDS}.
 */
export function latestRetainUntil(iat: number): number {
  const limit = new Date(iat * 1000);
  limit.setUTCMonth(limit.getUTCMonth() + MAX_RETENTION_MONTHS);
  return limit.getTime() / 1000 + RETENTION_LIMIT_SLACK_SECONDS;
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH;
}
