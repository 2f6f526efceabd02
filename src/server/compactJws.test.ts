import { describe, expect, it, vi } from 'vitest';
import { AssertionError } from './assertionError.js';
import { MAX_ASSERTION_BYTES, decodePayload, parseCompactJws } from './compactJws.js';

const b64 = (text: string) => Buffer.from(text).toString('base64url');
/** `{"alg":"ES256"}` and a space: 16 bytes, 22 characters, the last with 4 unused bits. */
const HEADER = b64('{"alg":"ES256"} ');
/** `{"a":1}` and a space: 8 bytes, 11 characters, the last with 2 unused bits. */
const PAYLOAD = b64('{"a":1} ');
/** 64 bytes: 86 characters, 4 unused bits. */
const SIGNATURE = Buffer.alloc(64, 7).toString('base64url');

/** The same text with the last character's lowest unused bit set: same bytes, another spelling. */
function withTrailingBit(text: string): string {
  const digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  return `${text.slice(0, -1)}${digits[digits.indexOf(text.at(-1)!) | 1]}`;
}

function malformed(run: () => unknown): AssertionError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AssertionError);
    expect((error as AssertionError).code).toBe('ERR_MALFORMED');
    expect((error as AssertionError).claim).toBeUndefined();
    return error as AssertionError;
  }
  return expect.fail('accepted');
}

describe('parseCompactJws', () => {
  it('splits a canonical JWS; the signing input is the received text', () => {
    expect(HEADER.length % 4).toBe(2);
    expect(PAYLOAD.length % 4).toBe(3);
    const jws = parseCompactJws(`${HEADER}.${PAYLOAD}.${SIGNATURE}`);
    expect(jws.header).toEqual({ alg: 'ES256' });
    expect(jws.signingInput.toString('latin1')).toBe(`${HEADER}.${PAYLOAD}`);
    expect(jws.encodedPayload).toBe(PAYLOAD);
    expect(jws.signature).toEqual(Buffer.alloc(64, 7));
    expect(decodePayload(jws)).toEqual({ a: 1 });
  });

  it.each([
    ['header', (h: string) => `${withTrailingBit(h)}.${PAYLOAD}.${SIGNATURE}`],
    ['signature', (_h: string) => `${HEADER}.${PAYLOAD}.${withTrailingBit(SIGNATURE)}`],
  ])('refuses non-zero trailing bits in the %s', (_name, build) => {
    const text = build(HEADER);
    // Node's own decoder would accept it: the bytes are the same.
    const [h, , s] = text.split('.') as [string, string, string];
    expect(Buffer.from(h, 'base64url')).toEqual(Buffer.from(HEADER, 'base64url'));
    expect(Buffer.from(s, 'base64url')).toEqual(Buffer.from(SIGNATURE, 'base64url'));
    expect(malformed(() => parseCompactJws(text)).message).toMatch(/canonical/);
  });

  it('refuses non-zero trailing bits in the payload when it is decoded', () => {
    const jws = parseCompactJws(`${HEADER}.${withTrailingBit(PAYLOAD)}.${SIGNATURE}`);
    expect(malformed(() => decodePayload(jws)).message).toMatch(/payload is not canonical/);
  });

  it.each([
    ['padding in the header', `${HEADER}=.${PAYLOAD}.${SIGNATURE}`],
    ['padding in the payload', `${HEADER}.${PAYLOAD}==.${SIGNATURE}`],
    ['padding in the signature', `${HEADER}.${PAYLOAD}.${SIGNATURE}==`],
    ['a standard-alphabet character', `${HEADER}.${PAYLOAD}.${SIGNATURE.slice(0, -2)}+A`],
    ['whitespace', `${HEADER}.${PAYLOAD}.${SIGNATURE} `],
    ['a signature of impossible length', `${HEADER}.${PAYLOAD}.${SIGNATURE}AAA`],
    ['a header of impossible length', `${HEADER}AA.${PAYLOAD}.${SIGNATURE}`],
    ['two segments', `${HEADER}.${PAYLOAD}`],
    ['four segments', `${HEADER}.${PAYLOAD}.${SIGNATURE}.${SIGNATURE}`],
    ['a JSON array header', `${b64('["ES256"]')}.${PAYLOAD}.${SIGNATURE}`],
    ['a null header', `${b64('null')}.${PAYLOAD}.${SIGNATURE}`],
    ['an empty header', `.${PAYLOAD}.${SIGNATURE}`],
    ['a number', 42],
  ])('refuses %s', (_name, input) => {
    malformed(() => parseCompactJws(input));
  });

  it('refuses a payload that is not a JSON object, once decoded', () => {
    malformed(() => decodePayload(parseCompactJws(`${HEADER}.${b64('[1]')}.${SIGNATURE}`)));
    malformed(() => decodePayload(parseCompactJws(`${HEADER}.${b64('{"a":')}.${SIGNATURE}`)));
    malformed(() => decodePayload(parseCompactJws(`${HEADER}.${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')}.${SIGNATURE}`)));
  });

  it(`refuses more than ${MAX_ASSERTION_BYTES} bytes before decoding anything, and leaves the payload undecoded`, () => {
    const parse = vi.spyOn(JSON, 'parse');
    try {
      malformed(() => parseCompactJws(`${HEADER}.${'A'.repeat(MAX_ASSERTION_BYTES)}.${SIGNATURE}`));
      expect(parse).not.toHaveBeenCalled();
      parseCompactJws(`${HEADER}.${'A'.repeat(MAX_ASSERTION_BYTES - HEADER.length - SIGNATURE.length - 2)}.${SIGNATURE}`);
      expect(parse).toHaveBeenCalledOnce(); // the header only
    } finally {
      parse.mockRestore();
    }
  });
});
