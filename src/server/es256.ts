/**
 * The one signature stack of the verifier: ES256 (ECDSA P-256 with SHA-256) on `node:crypto`,
 * for check and enrollment assertions alike.
 *
 * Why `node:crypto` and not WebCrypto (or jose, built on it): checks are the hot path, with a goal
 * of at least 5,000 verifications per second per core. Measured on a loaded 2-core AMD EPYC with
 * Node 20 (`bench/assertion-verify.ts`), jose's `compactVerify` alone ran 3,268/s,
 * `crypto.subtle.verify` alone 4,429/s and `node:crypto`'s synchronous `verify` 6,572/s. The
 * synchronous call holds the event loop for one verification (about 0.15 ms); WebCrypto kept the
 * caller waiting just as long.
 *
 * Accepted signatures are those WebCrypto accepts: r || s of exactly 64 bytes, r and s in
 * [1, n − 1], with no low-S rule (WebCrypto signers, the SDK's included, do not normalise s, so
 * (r, n − s) verifies too; a replay is stopped by the single-use nonce, not by the signature).
 */

import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { EcPublicJwk } from '../protocol/assertion.js';
import { thumbprintInput } from '../protocol/jws.js';
import { AssertionError } from './assertionError.js';
import type { CompactJws } from './compactJws.js';

/** Bytes of an ES256 signature: r || s, 32 bytes each (RFC 7518 §3.4). */
export const ES256_SIGNATURE_BYTES = 64;

/**
 * Imports a P-256 public key from its JWK coordinates (already checked to be canonical base64url
 * of 32 bytes). Throws `node:crypto`'s error if the point is not on the curve.
 */
export function importP256PublicKey(x: string, y: string): KeyObject {
  const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x, y }, format: 'jwk' });
  if (key.type !== 'public' || key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('not a P-256 public key');
  }
  return key;
}

/**
 * Verifies the ES256 signature of `jws` with `key`; throws `AssertionError`
 * (`ERR_SIGNATURE_INVALID`) unless it verifies. No exception of `node:crypto` escapes.
 */
export function verifyEs256(jws: CompactJws, key: KeyObject): void {
  // r || s is exactly 64 bytes; anything else cannot be a P-256 signature and never reaches OpenSSL.
  if (jws.signature.length !== ES256_SIGNATURE_BYTES) {
    throw new AssertionError('ERR_SIGNATURE_INVALID', `the signature is not ${ES256_SIGNATURE_BYTES} bytes`);
  }
  let valid: unknown;
  try {
    valid = verify('sha256', jws.signingInput, { key, dsaEncoding: 'ieee-p1363' }, jws.signature);
  } catch (cause) {
    throw new AssertionError('ERR_SIGNATURE_INVALID', 'the signature does not verify', { cause });
  }
  // Anything but `true` is a bad signature (fail closed).
  if (valid !== true) throw new AssertionError('ERR_SIGNATURE_INVALID', 'the signature does not verify');
}

/**
 * RFC 7638 thumbprint of a P-256 public key, as `jwkThumbprint` computes it, hashed synchronously
 * with `node:crypto` (WebCrypto's asynchronous digest cost a verifying instance more than the
 * signature check itself).
 */
export function p256Thumbprint(publicJwk: EcPublicJwk): string {
  return createHash('sha256').update(thumbprintInput(publicJwk)).digest('base64url');
}
