/**
 * A tiny compact-JWS (ES256) signer on WebCrypto alone, for the face worker and for tests.
 *
 * It runs wherever `globalThis.crypto.subtle`, `btoa`, `atob` and `TextEncoder` exist: a browser
 * (window or Web Worker) and Node 20+. It deliberately does not import jose, so the browser bundle
 * stays small; the server verifier (`presenza/server`) accepts what this produces (it verifies
 * with node:crypto, see src/server/es256.ts).
 *
 * WebCrypto's ECDSA signature is already the fixed-length `r || s` (64 bytes for P-256) that
 * JWS ES256 requires (RFC 7518 §3.4), so no DER conversion is needed.
 */

import { ASSERTION_ALG, type EcPublicJwk } from './assertion.js';

/** WebCrypto parameters of a device key: ECDSA on P-256. */
export const DEVICE_KEY_ALGORITHM: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };

/** WebCrypto parameters of an ES256 signature: ECDSA with SHA-256. */
export const ES256_SIGN_ALGORITHM: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

/** Protected header accepted by {@link signCompactJws}: `alg` must be `ES256`. */
export interface JwsProtectedHeader {
  alg: typeof ASSERTION_ALG;
  typ: string;
  kid?: string;
  jwk?: EcPublicJwk;
}

const BASE64URL_ALPHABET = /^[A-Za-z0-9_-]*$/;
const BASE64URL_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Base64url characters of a 32-byte P-256 coordinate. */
const P256_COORDINATE_CHARS = 43;
const BTOA_CHUNK = 0x8000;
const utf8 = new TextEncoder();

/** Encodes bytes as base64url without padding (RFC 4648 §5, RFC 7515 §2). */
export function base64urlEncode(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += BTOA_CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + BTOA_CHUNK));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * True when `text` is the one canonical unpadded base64url encoding of some bytes, i.e. decoding
 * and re-encoding it gives `text` back: only the url alphabet, no padding, no impossible length
 * (4n + 1), and the unused low bits of the last character are zero. Without that last rule every
 * 2 trailing bytes would have 16 accepted spellings (4 unused bits) and every 1 trailing byte 4.
 */
export function isCanonicalBase64url(text: string): boolean {
  if (typeof text !== 'string' || !BASE64URL_ALPHABET.test(text)) return false;
  const tail = text.length % 4;
  if (tail === 0) return true;
  if (tail === 1) return false;
  // Two characters carry 12 bits for one byte (4 unused), three carry 18 for two bytes (2 unused).
  const unusedBits = tail === 2 ? 0b1111 : 0b11;
  return (BASE64URL_DIGITS.indexOf(text.charAt(text.length - 1)) & unusedBits) === 0;
}

/**
 * Decodes canonical unpadded base64url. Throws `TypeError` on padding, on any character outside
 * the base64url alphabet, on an impossible length or on non-zero unused trailing bits (see
 * {@link isCanonicalBase64url}).
 */
export function base64urlDecode(text: string): Uint8Array<ArrayBuffer> {
  if (typeof text !== 'string') throw new TypeError('base64urlDecode: input must be a string');
  if (!isCanonicalBase64url(text)) {
    throw new TypeError('base64urlDecode: input is not canonical unpadded base64url');
  }
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * True when `value` is a P-256 coordinate as a JWK carries it: the canonical base64url of exactly
 * 32 bytes (43 characters). Whether the point lies on the curve is a separate question.
 */
export function isP256Coordinate(value: unknown): value is string {
  return typeof value === 'string' && value.length === P256_COORDINATE_CHARS && isCanonicalBase64url(value);
}

/** Encodes a value as UTF-8 JSON, then base64url. */
export function base64urlEncodeJson(value: unknown): string {
  return base64urlEncode(utf8.encode(JSON.stringify(value)));
}

function assertEs256PrivateKey(key: unknown): asserts key is CryptoKey {
  const k = key as Partial<CryptoKey> | null;
  const algorithm = k?.algorithm as Partial<EcKeyAlgorithm> | undefined;
  if (typeof k !== 'object' || k === null || algorithm === undefined || k.type === undefined) {
    throw new TypeError('signCompactJws: privateKey must be a CryptoKey');
  }
  if (k.type !== 'private' || algorithm.name !== 'ECDSA' || algorithm.namedCurve !== 'P-256') {
    throw new TypeError('signCompactJws: privateKey must be an ECDSA P-256 private key');
  }
  if (!k.usages?.includes('sign')) {
    throw new TypeError('signCompactJws: privateKey must allow the "sign" usage');
  }
}

/**
 * Signs `claims` as a compact JWS with ES256: `b64u(header) . b64u(claims) . b64u(r || s)`.
 *
 * The header and claims are serialised with `JSON.stringify` as given; the caller is responsible
 * for putting only protocol fields in them (see `CheckClaims` / `EnrollClaims`).
 *
 * @param protectedHeader The protected header; `alg` must be `"ES256"`.
 * @param claims The JWS payload (a JSON object).
 * @param privateKey An ECDSA P-256 private key with the `sign` usage (may be non-extractable).
 */
export async function signCompactJws(
  protectedHeader: JwsProtectedHeader,
  claims: object,
  privateKey: CryptoKey,
): Promise<string> {
  if (typeof protectedHeader !== 'object' || protectedHeader === null) {
    throw new TypeError('signCompactJws: protectedHeader must be an object');
  }
  if (protectedHeader.alg !== ASSERTION_ALG) {
    throw new TypeError(`signCompactJws: protectedHeader.alg must be "${ASSERTION_ALG}"`);
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw new TypeError('signCompactJws: claims must be a plain object');
  }
  assertEs256PrivateKey(privateKey);
  const signingInput = `${base64urlEncodeJson(protectedHeader)}.${base64urlEncodeJson(claims)}`;
  const signature = await crypto.subtle.sign(ES256_SIGN_ALGORITHM, privateKey, utf8.encode(signingInput));
  return `${signingInput}.${base64urlEncode(new Uint8Array(signature))}`;
}

/**
 * Exports the public half of a device key as the minimal {@link EcPublicJwk} (`kty`, `crv`, `x`,
 * `y` only: no `key_ops`, no `ext`), ready for the enrollment header.
 *
 * @param publicKey An ECDSA P-256 public key (public keys are always extractable in WebCrypto).
 */
export async function exportPublicJwk(publicKey: CryptoKey): Promise<EcPublicJwk> {
  const algorithm = publicKey?.algorithm as Partial<EcKeyAlgorithm> | undefined;
  if (publicKey?.type !== 'public' || algorithm?.name !== 'ECDSA' || algorithm.namedCurve !== 'P-256') {
    throw new TypeError('exportPublicJwk: publicKey must be an ECDSA P-256 public CryptoKey');
  }
  const jwk = await crypto.subtle.exportKey('jwk', publicKey);
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
    throw new TypeError('exportPublicJwk: the exported key has no x/y coordinates');
  }
  return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
}

/**
 * The RFC 7638 thumbprint input of an EC P-256 public key: the canonical JSON
 * `{"crv":…,"kty":…,"x":…,"y":…}` (members in that order, no whitespace). Members other than these
 * four (e.g. `key_ops`) do not affect it. `x` and `y` must be canonical base64url of 32 bytes
 * ({@link isP256Coordinate}): the thumbprint hashes their text, so a non-canonical spelling of the
 * same point would otherwise give the key a second thumbprint.
 */
export function thumbprintInput(publicJwk: EcPublicJwk): string {
  if (typeof publicJwk !== 'object' || publicJwk === null) {
    throw new TypeError('jwkThumbprint: publicJwk must be an object');
  }
  const { kty, crv, x, y } = publicJwk;
  if (kty !== 'EC' || crv !== 'P-256' || typeof x !== 'string' || typeof y !== 'string') {
    throw new TypeError('jwkThumbprint: publicJwk must be an EC P-256 JWK with string x and y');
  }
  if (!isP256Coordinate(x) || !isP256Coordinate(y)) {
    throw new TypeError('jwkThumbprint: publicJwk x and y must be canonical base64url of 32 bytes');
  }
  return JSON.stringify({ crv, kty, x, y });
}

/** RFC 7638 JWK thumbprint of an EC P-256 public key: SHA-256 of {@link thumbprintInput}, base64url. */
export async function jwkThumbprint(publicJwk: EcPublicJwk): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', utf8.encode(thumbprintInput(publicJwk)));
  return base64urlEncode(new Uint8Array(digest));
}
