/**
 * Strict parsing of a compact JWS (`header.payload.signature`, RFC 7515 §7.1) from untrusted
 * input. Every segment must be canonical unpadded base64url (decoding and re-encoding gives the
 * same text), so an assertion has exactly one spelling: padding, characters outside the url
 * alphabet, an impossible length or non-zero unused trailing bits are all `ERR_MALFORMED`.
 */

import { Buffer } from 'node:buffer';
import { isCanonicalBase64url } from '../protocol/jws.js';
import { malformed } from './assertionError.js';

/**
 * Largest assertion accepted, in bytes (= characters: a valid compact JWS is ASCII). Anything
 * longer is refused with `ERR_MALFORMED` before any decoding or parsing. A real check assertion
 * is about 600 bytes and an enrollment assertion about 800.
 */
export const MAX_ASSERTION_BYTES = 4096;

/** A decoded JSON object (header or payload). */
export type JsonObject = Record<string, unknown>;

/**
 * A compact JWS split into its parts. The payload stays encoded: nothing of it is looked at before
 * the signature has verified ({@link decodePayload}).
 */
export interface CompactJws {
  /** The protected header, a JSON object. */
  readonly header: JsonObject;
  /** `header.payload` exactly as received (never re-encoded): the bytes the signature covers. */
  readonly signingInput: Buffer;
  /** The payload segment, still base64url. */
  readonly encodedPayload: string;
  /** The decoded signature, of whatever length it has. */
  readonly signature: Buffer;
}

const THREE_SEGMENTS = /^[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Splits and decodes a compact JWS; throws `AssertionError` (`ERR_MALFORMED`) unless `jws` is a
 * string of at most {@link MAX_ASSERTION_BYTES} with three canonical base64url segments and a
 * header that is a UTF-8 JSON object.
 */
export function parseCompactJws(jws: unknown): CompactJws {
  // Untrusted input can be anything; only a string can be a compact JWS.
  if (typeof jws !== 'string') throw malformed('the assertion is not a string');
  // The size is bounded before anything is decoded or parsed.
  if (jws.length > MAX_ASSERTION_BYTES) throw malformed(`the assertion is longer than ${MAX_ASSERTION_BYTES} bytes`);
  // Exactly three segments of the base64url alphabet (ASCII only, so characters are bytes).
  if (!THREE_SEGMENTS.test(jws)) throw malformed('the assertion is not three base64url segments');
  const firstDot = jws.indexOf('.');
  const lastDot = jws.lastIndexOf('.');
  // The header is canonical base64url of a UTF-8 JSON object.
  const header = parseJsonObject(decodeSegment(jws.slice(0, firstDot), 'protected header'), 'protected header');
  // So is the signature, of bytes (its length is the signature check's business).
  const signature = decodeSegment(jws.slice(lastDot + 1), 'signature');
  return {
    header,
    signingInput: Buffer.from(jws.slice(0, lastDot), 'latin1'),
    encodedPayload: jws.slice(firstDot + 1, lastDot),
    signature,
  };
}

/** Decodes the payload of a JWS whose signature has verified: canonical base64url of a UTF-8 JSON object, or `ERR_MALFORMED`. */
export function decodePayload(jws: CompactJws): JsonObject {
  return parseJsonObject(decodeSegment(jws.encodedPayload, 'payload'), 'payload');
}

function decodeSegment(segment: string, what: string): Buffer {
  if (!isCanonicalBase64url(segment)) throw malformed(`${what} is not canonical base64url`);
  return Buffer.from(segment, 'base64url');
}

function parseJsonObject(bytes: Uint8Array, what: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(bytes));
  } catch (cause) {
    throw malformed(`${what} is not UTF-8 JSON`, cause);
  }
  if (!isJsonObject(value)) throw malformed(`${what} is not a JSON object`);
  return value;
}

/** True for a JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
