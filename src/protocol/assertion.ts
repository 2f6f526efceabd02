/**
 * Wire types and constants of the Presenza assertion, shared by the browser signer (the face
 * worker) and the server verifier (`presenza/server`). Types and constants only: importing this
 * module adds no runtime code beyond a few frozen arrays.
 *
 * An assertion is a compact JWS (ES256) whose claims say *that* a check passed or failed and
 * why, never *how well*: there is deliberately no field for a score, an embedding, a landmark,
 * an image or a device fingerprint, and the verifier rejects any claim not listed here.
 */

/** The only JWS algorithm Presenza signs with and accepts: ECDSA P-256 with SHA-256. */
export const ASSERTION_ALG = 'ES256';

/** `typ` header of a check assertion. */
export const CHECK_TYP = 'presenza-check+jwt';

/** `typ` header of a self-signed enrollment assertion. */
export const ENROLL_TYP = 'presenza-enroll+jwt';

/** Longest allowed gap between `iat` and `exp`, in seconds. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 120;

/**
 * Longest retention of an enrollment, in calendar months: `retainUntil` (e.g. the course end) is at
 * most this many months ahead. The SDK refuses more at enroll time (counting from the enroll call
 * in the device's local calendar); the verifier refuses more counting from `iat` in UTC.
 */
export const MAX_RETENTION_MONTHS = 12;

/**
 * Seconds the verifier tolerates beyond {@link MAX_RETENTION_MONTHS} after `iat`: two days. It
 * absorbs the difference between the SDK's local calendar and the verifier's UTC one: where a
 * local 29 February is already 1 March in UTC, the two limits a year later lie a day apart, and a
 * time zone's UTC offset may change in between (daylight saving time, a zone moved across the date
 * line). `iat` and `retainUntil` come from the same device clock, so no clock skew is involved.
 */
export const RETENTION_LIMIT_SLACK_SECONDS = 2 * 86_400;

/** Result of a check. `inconclusive` means the check could not be run to a decision. */
export const CHECK_OUTCOMES = ['pass', 'fail', 'inconclusive'] as const;

/** One of {@link CHECK_OUTCOMES}. */
export type CheckOutcome = (typeof CHECK_OUTCOMES)[number];

/** Why a check did not pass. Present exactly when the outcome is not `pass`. */
export const CHECK_REASONS = [
  'mismatch',
  'no_face',
  'multiple_faces',
  'liveness_failed',
  'camera_unavailable',
  'timeout',
  'not_enrolled',
  'enrollment_expired',
] as const;

/** One of {@link CHECK_REASONS}. */
export type CheckReason = (typeof CHECK_REASONS)[number];

/** Result of the liveness stage of a check. */
export const LIVENESS_RESULTS = ['passed', 'failed', 'not_run'] as const;

/** One of {@link LIVENESS_RESULTS}. */
export type LivenessResult = (typeof LIVENESS_RESULTS)[number];

/**
 * Result of the identity-document match of an enrollment: the portrait printed on the student's
 * identity document, shown to the camera, matched the enrollment frames (`matched`), did not or
 * could not be found (`not_matched`), or the match was not asked for or was declined (`not_run`).
 */
export const ID_DOCUMENT_RESULTS = ['matched', 'not_matched', 'not_run'] as const;

/** One of {@link ID_DOCUMENT_RESULTS}. */
export type IdDocumentResult = (typeof ID_DOCUMENT_RESULTS)[number];

/** Most entries allowed in `models` (the pipeline uses three models). */
export const MAX_MODEL_ENTRIES = 8;

/** Shape of one `models` entry: 8 to 64 lower-case hex digits of a model file's SHA-256. */
export const MODEL_DIGEST_PATTERN = /^[0-9a-f]{8,64}$/;

/** Shape of `sdk`: a version string such as `0.1.0` or `1.2.0-beta.3`, at most 32 characters. */
export const SDK_VERSION_PATTERN = /^[0-9A-Za-z][0-9A-Za-z.+-]{0,31}$/;

/** Longest `aud`, `sub`, `jti` or `nonce` accepted, in characters. */
export const MAX_ID_LENGTH = 256;

/** Public half of a device key as it appears on the wire: exactly the RFC 7638 members. */
export interface EcPublicJwk {
  kty: 'EC';
  crv: 'P-256';
  /** Base64url of the 32-byte X coordinate. */
  x: string;
  /** Base64url of the 32-byte Y coordinate. */
  y: string;
}

/** Protected header of a check assertion. No other header parameter is allowed. */
export interface CheckHeader {
  alg: typeof ASSERTION_ALG;
  typ: typeof CHECK_TYP;
  /** RFC 7638 thumbprint of the device key (the key registered at enrollment). */
  kid: string;
}

/** Protected header of an enrollment assertion: it carries the public key that signed it. */
export interface EnrollHeader {
  alg: typeof ASSERTION_ALG;
  typ: typeof ENROLL_TYP;
  /** RFC 7638 thumbprint of {@link EnrollHeader.jwk}. */
  kid: string;
  /** The device's public key, which must also be the key that signed this assertion. */
  jwk: EcPublicJwk;
}

/** Claims of a check assertion. Every member is required except `reason`. */
export interface CheckClaims {
  /** The platform's origin, e.g. `https://school.example`. */
  aud: string;
  /** The platform's pseudonymous enrollment id. */
  sub: string;
  /** The check id the server issued the nonce for. */
  jti: string;
  /** The nonce the server issued for this student and check. */
  nonce: string;
  /** Issued at, Unix seconds (integer). */
  iat: number;
  /** Expiry, Unix seconds (integer), at most {@link MAX_ASSERTION_LIFETIME_SECONDS} after `iat`. */
  exp: number;
  outcome: CheckOutcome;
  /** Present exactly when `outcome` is not `pass`. */
  reason?: CheckReason;
  liveness: LivenessResult;
  /** Lower-case hex prefixes of the SHA-256 of each model file used. */
  models: string[];
  /** Version of the SDK that produced the assertion. */
  sdk: string;
}

/** Claims of an enrollment assertion. Every member is required. */
export interface EnrollClaims {
  /** The platform's origin. */
  aud: string;
  /** The platform's pseudonymous enrollment id. */
  sub: string;
  /** The nonce the server issued for this enrollment. */
  nonce: string;
  /** Issued at, Unix seconds (integer). */
  iat: number;
  /** Expiry, Unix seconds (integer), at most {@link MAX_ASSERTION_LIFETIME_SECONDS} after `iat`. */
  exp: number;
  /**
   * Unix seconds after which the device deletes the template and keys (e.g. the course end): in
   * the future, and at most {@link MAX_RETENTION_MONTHS} months after `iat`.
   */
  retainUntil: number;
  /** Whether the portrait of the student's identity document matched the enrollment frames (no image, no score). */
  idDocument: IdDocumentResult;
  /** Lower-case hex prefixes of the SHA-256 of each model file used. */
  models: string[];
  /** Version of the SDK that produced the assertion. */
  sdk: string;
}
