/**
 * Builds and signs the two assertions the worker produces (DESIGN, "The assertion"): the
 * self-signed enrollment JWS and the check JWS. Only protocol fields go in; the types leave no
 * room for a score, an embedding, a landmark or an image.
 */
import {
  ASSERTION_ALG,
  CHECK_TYP,
  ENROLL_TYP,
  MAX_ASSERTION_LIFETIME_SECONDS,
  type CheckClaims,
  type CheckOutcome,
  type CheckReason,
  type EnrollClaims,
  type IdDocumentResult,
  type LivenessResult,
} from '../src/protocol/assertion.js';
import { signCompactJws } from '../src/protocol/jws.js';
import { SDK_VERSION } from '../src/protocol/version.js';
import type { DeviceKeys } from './vault.js';

const seconds = (ms: number) => Math.floor(ms / 1000);

/** Signs the enrollment assertion; its header carries the public key that signed it. */
export function signEnrollment(
  keys: DeviceKeys,
  claims: {
    audience: string;
    enrollmentId: string;
    nonce: string;
    retainUntilMs: number;
    nowMs: number;
    idDocument: IdDocumentResult;
    models: readonly string[];
  },
): Promise<string> {
  const iat = seconds(claims.nowMs);
  const payload: EnrollClaims = {
    aud: claims.audience,
    sub: claims.enrollmentId,
    nonce: claims.nonce,
    iat,
    exp: iat + MAX_ASSERTION_LIFETIME_SECONDS,
    retainUntil: seconds(claims.retainUntilMs),
    idDocument: claims.idDocument,
    models: [...claims.models],
    sdk: SDK_VERSION,
  };
  return signCompactJws({ alg: ASSERTION_ALG, typ: ENROLL_TYP, kid: keys.kid, jwk: keys.publicJwk }, payload, keys.signingKey);
}

/** Signs a check assertion with the enrolled device key. */
export function signCheck(
  keys: Pick<DeviceKeys, 'signingKey' | 'kid'>,
  claims: {
    audience: string;
    enrollmentId: string;
    checkId: string;
    nonce: string;
    nowMs: number;
    outcome: CheckOutcome;
    reason?: CheckReason;
    liveness: LivenessResult;
    models: readonly string[];
  },
): Promise<string> {
  const iat = seconds(claims.nowMs);
  const payload: CheckClaims = {
    aud: claims.audience,
    sub: claims.enrollmentId,
    jti: claims.checkId,
    nonce: claims.nonce,
    iat,
    exp: iat + MAX_ASSERTION_LIFETIME_SECONDS,
    outcome: claims.outcome,
    ...(claims.outcome === 'pass' ? {} : { reason: claims.reason }),
    liveness: claims.liveness,
    models: [...claims.models],
    sdk: SDK_VERSION,
  };
  return signCompactJws({ alg: ASSERTION_ALG, typ: CHECK_TYP, kid: keys.kid }, payload, keys.signingKey);
}
