/**
 * Launch tokens: how a platform tells the service who a user is. The platform signs a short JWT
 * (ES256) with a key the service trusts; the service checks it once and opens a session. The
 * contract is in the README ("Launch tokens").
 */
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { TrustedIssuer } from './config.js';
import { ServiceError } from './errors.js';

/** Longest lifetime of a launch token (`exp - iat`). */
export const MAX_LAUNCH_TOKEN_SECONDS = 300;
/** Clock skew tolerated on `iat`/`exp`. */
export const LAUNCH_CLOCK_SKEW_SECONDS = 30;
/** The `typ` header a launch token may carry (optional; `JWT` is accepted too). */
export const LAUNCH_TOKEN_TYP = 'presenza-launch+jwt';
export const ROLES = ['student', 'teacher', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** What a verified launch token says. */
export interface Launch {
  readonly issuer: string;
  readonly subject: string;
  readonly name: string;
  readonly role: Role;
  readonly course: string | null;
  readonly lessonId: string | null;
  readonly jti: string;
  /** When the token expires (epoch ms): its jti is remembered until then. */
  readonly expiresAt: number;
}

const TEXT = /^[^\u0000-\u001f\u007f]+$/;
const isText = (value: unknown, max: number): value is string => typeof value === 'string' && value.length <= max && TEXT.test(value) && value.trim() === value && value !== '';

/** Verifies launch tokens against the trusted issuers. */
export class LaunchVerifier {
  private readonly keys = new Map<string, JWTVerifyGetKey>();

  constructor(
    issuers: readonly TrustedIssuer[],
    private readonly audience: string,
    private readonly now: () => number = Date.now,
  ) {
    for (const { issuer, jwks } of issuers) this.keys.set(issuer, jwks instanceof URL ? createRemoteJWKSet(jwks) : createLocalJWKSet(jwks));
  }

  /** Verifies `token`; throws a 401 {@link ServiceError} with a code saying why not. */
  async verify(token: string): Promise<Launch> {
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw new ServiceError(401, 'launch_malformed', 'the launch token is not a JWT');
    }
    // The issuer must be one we trust; its keys then decide.
    const keys = typeof issuer === 'string' ? this.keys.get(issuer) : undefined;
    if (!keys) throw new ServiceError(401, 'launch_untrusted_issuer', 'the launch token comes from an issuer this service does not trust');
    let payload;
    let typ: string | undefined;
    try {
      ({ payload, protectedHeader: { typ } } = await jwtVerify(token, keys, {
        algorithms: ['ES256'],
        issuer: issuer as string,
        audience: this.audience,
        requiredClaims: ['sub', 'iat', 'exp', 'jti'],
        maxTokenAge: MAX_LAUNCH_TOKEN_SECONDS + LAUNCH_CLOCK_SKEW_SECONDS,
        clockTolerance: LAUNCH_CLOCK_SKEW_SECONDS,
        currentDate: new Date(this.now()),
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new ServiceError(401, 'launch_expired', 'the launch token has expired');
      if (error instanceof errors.JWTClaimValidationFailed) throw new ServiceError(401, 'launch_claims', `launch token claim refused: ${error.claim}`);
      throw new ServiceError(401, 'launch_invalid', 'the launch token does not verify with the issuer’s keys');
    }
    // An explicit typ must be ours (so another JWT of the platform cannot be replayed here).
    if (typ !== undefined && typ !== LAUNCH_TOKEN_TYP && typ !== 'JWT') throw new ServiceError(401, 'launch_claims', 'launch token claim refused: typ');
    // Short-lived: at most five minutes between issue and expiry.
    if (payload.exp! - payload.iat! > MAX_LAUNCH_TOKEN_SECONDS) throw new ServiceError(401, 'launch_claims', 'launch token claim refused: exp too far after iat');
    // Who: a platform user id, a display name, a known role.
    if (!isText(payload.sub, 200) || !isText(payload.jti, 200)) throw new ServiceError(401, 'launch_claims', 'launch token claim refused: sub or jti');
    if (!isText(payload.name, 60)) throw new ServiceError(401, 'launch_claims', 'launch token claim refused: name');
    if (!ROLES.includes(payload.role as Role)) throw new ServiceError(401, 'launch_claims', 'launch token claim refused: role');
    // Optional context: a course, a lesson of this service.
    if (payload.course !== undefined && !isText(payload.course, 200)) throw new ServiceError(401, 'launch_claims', 'launch token claim refused: course');
    if (payload.lesson !== undefined && (typeof payload.lesson !== 'string' || !/^l-[0-9a-f-]{36}$/.test(payload.lesson))) {
      throw new ServiceError(401, 'launch_claims', 'launch token claim refused: lesson');
    }
    return {
      issuer: issuer as string,
      subject: payload.sub,
      name: payload.name,
      role: payload.role as Role,
      course: (payload.course as string | undefined) ?? null,
      lessonId: (payload.lesson as string | undefined) ?? null,
      jti: payload.jti,
      expiresAt: (payload.exp! + LAUNCH_CLOCK_SKEW_SECONDS) * 1000,
    };
  }
}
