import { CompactSign, SignJWT } from 'jose';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { CHECK_TYP, ENROLL_TYP, MAX_ASSERTION_LIFETIME_SECONDS, type CheckClaims, type EcPublicJwk } from '../protocol/assertion.js';
import { isPresenzaError, PresenzaError } from '../protocol/errors.js';
import { ES256_SIGN_ALGORITHM, base64urlEncodeJson, signCompactJws } from '../protocol/jws.js';
import {
  AssertionError,
  DEFAULT_MAX_SKEW_SECONDS,
  MAX_ASSERTION_BYTES,
  MemoryNonceStore,
  createChallenge,
  verifyCheck,
  type NonceStore,
  type VerifyCheckOptions,
} from './index.js';
import { newDevice, type Device } from '../../testing/device.js';
import { expectCode, rejection } from '../../testing/refusals.js';

// Injected clock: 2 March 2026, 10:00:00 UTC (in the past, so the default clock rejects these tokens).
const NOW_MS = Date.UTC(2026, 2, 2, 10, 0, 0);
const NOW_S = NOW_MS / 1000;
const AUDIENCE = 'https://school.example';
const CHECK_ID = 'check-7f3a';
const SUBJECT = 'enr_9b2c41';
const MODELS = ['0f1e2d3c4b5a6978', 'a1b2c3d4e5f60718', '99aa88bb77cc66dd'];


let device: Device;
let other: Device;
beforeAll(async () => {
  device = await newDevice();
  other = await newDevice();
});

type ClaimOverrides = Partial<Record<keyof CheckClaims, unknown>> & Record<string, unknown>;

function claims(nonce: string, overrides: ClaimOverrides = {}): Record<string, unknown> {
  return {
    aud: AUDIENCE,
    sub: SUBJECT,
    jti: CHECK_ID,
    nonce,
    iat: NOW_S,
    exp: NOW_S + 60,
    outcome: 'pass',
    liveness: 'passed',
    models: MODELS,
    sdk: '0.1.0',
    ...overrides,
  };
}

async function signCheck(
  nonce: string,
  overrides: ClaimOverrides = {},
  header: Record<string, unknown> = {},
  signer: Device = device,
): Promise<string> {
  const protectedHeader = { alg: 'ES256' as const, typ: CHECK_TYP, kid: signer.kid, ...header };
  return signCompactJws(protectedHeader, claims(nonce, overrides), signer.keys.privateKey);
}

function options(nonce: string, extra: Partial<VerifyCheckOptions> = {}): VerifyCheckOptions {
  return { audience: AUDIENCE, publicJwk: device.publicJwk, expectedNonce: nonce, checkId: CHECK_ID, now: NOW_MS, ...extra };
}

/** The same base64url text with the last character's unused low bit set: same bytes, another spelling. */
function withTrailingBit(text: string): string {
  const digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const spelled = `${text.slice(0, -1)}${digits[digits.indexOf(text.at(-1)!) | 1]}`;
  expect(spelled).not.toBe(text);
  expect(Buffer.from(spelled, 'base64url')).toEqual(Buffer.from(text, 'base64url'));
  return spelled;
}

/** Base64url of `value`'s JSON, with a trailing space if needed so that the last group is partial (has unused bits). */
function withPartialGroup(value: unknown): string {
  let json = JSON.stringify(value);
  if (Buffer.byteLength(json) % 3 === 0) json += ' ';
  return Buffer.from(json).toString('base64url');
}

/** Signs `header.payload` exactly as given with the device key. */
async function signRaw(header: string, payload: string): Promise<string> {
  const signingInput = `${header}.${payload}`;
  const signature = await crypto.subtle.sign(ES256_SIGN_ALGORITHM, device.keys.privateKey, new TextEncoder().encode(signingInput));
  return `${signingInput}.${Buffer.from(signature).toString('base64url')}`;
}

/** Builds a compact JWS from raw parts (for headers our signer refuses to produce). */
function rawJws(header: unknown, payload: unknown, signature = 'AAAA'): string {
  return `${base64urlEncodeJson(header)}.${base64urlEncodeJson(payload)}.${signature}`;
}

describe('verifyCheck: accepted assertions', () => {
  it('accepts a pass signed by signCompactJws (browser signer ↔ server verifier)', async () => {
    const nonce = createChallenge();
    const result = await verifyCheck(await signCheck(nonce), options(nonce));
    expect(result).toEqual({
      outcome: 'pass',
      reason: undefined,
      liveness: 'passed',
      issuedAt: NOW_S,
      enrollmentId: SUBJECT,
      models: MODELS,
      sdk: '0.1.0',
    });
  });

  it('accepts a fail with its reason', async () => {
    const nonce = createChallenge();
    const jws = await signCheck(nonce, { outcome: 'fail', reason: 'mismatch' });
    const result = await verifyCheck(jws, options(nonce));
    expect(result.outcome).toBe('fail');
    expect(result.reason).toBe('mismatch');
  });

  it('accepts an inconclusive check with no models and liveness not run', async () => {
    const nonce = createChallenge();
    const jws = await signCheck(nonce, { outcome: 'inconclusive', reason: 'camera_unavailable', liveness: 'not_run', models: [] });
    expect(await verifyCheck(jws, options(nonce))).toMatchObject({ outcome: 'inconclusive', reason: 'camera_unavailable', liveness: 'not_run' });
  });

  it('accepts an assertion made by jose’s SignJWT', async () => {
    const nonce = createChallenge();
    const jws = await new SignJWT({ nonce, outcome: 'fail', reason: 'liveness_failed', liveness: 'failed', models: MODELS, sdk: '0.1.0' })
      .setProtectedHeader({ alg: 'ES256', typ: CHECK_TYP, kid: device.kid })
      .setAudience(AUDIENCE)
      .setSubject(SUBJECT)
      .setJti(CHECK_ID)
      .setIssuedAt(NOW_S)
      .setExpirationTime(NOW_S + MAX_ASSERTION_LIFETIME_SECONDS)
      .sign(device.keys.privateKey);
    expect(await verifyCheck(jws, options(nonce))).toMatchObject({ outcome: 'fail', reason: 'liveness_failed', liveness: 'failed' });
  });

  it('accepts the registered key with extra JWK members (e.g. key_ops, ext) as passed by the caller', async () => {
    const nonce = createChallenge();
    const publicJwk = { ...device.publicJwk, key_ops: ['verify'], ext: true } as EcPublicJwk;
    expect((await verifyCheck(await signCheck(nonce), options(nonce, { publicJwk }))).outcome).toBe('pass');
  });

  it('uses the real clock when `now` is not given', async () => {
    const nonce = createChallenge();
    const iat = Math.floor(Date.now() / 1000);
    const jws = await signCheck(nonce, { iat, exp: iat + 60 });
    const { now: _ignored, ...withoutClock } = options(nonce);
    expect((await verifyCheck(jws, withoutClock)).issuedAt).toBe(iat);
  });
});

describe('verifyCheck: algorithm and type', () => {
  it('rejects alg "none" (ERR_ALGORITHM)', async () => {
    const nonce = createChallenge();
    const jws = `${base64urlEncodeJson({ alg: 'none', typ: CHECK_TYP, kid: device.kid })}.${base64urlEncodeJson(claims(nonce))}.`;
    await expectCode(verifyCheck(jws, options(nonce)), 'ERR_ALGORITHM');
  });

  it('rejects HS256, even keyed with the public key’s coordinates (ERR_ALGORITHM)', async () => {
    const nonce = createChallenge();
    const secret = new TextEncoder().encode(JSON.stringify(device.publicJwk));
    const jws = await new SignJWT(claims(nonce))
      .setProtectedHeader({ alg: 'HS256', typ: CHECK_TYP, kid: device.kid })
      .sign(secret);
    await expectCode(verifyCheck(jws, options(nonce)), 'ERR_ALGORITHM');
  });

  it.each(['ES384', 'RS256', 'EdDSA', 'es256', ''])('rejects alg %j (ERR_ALGORITHM)', async (alg) => {
    const nonce = createChallenge();
    await expectCode(verifyCheck(rawJws({ alg, typ: CHECK_TYP, kid: device.kid }, claims(nonce)), options(nonce)), 'ERR_ALGORITHM');
  });

  it('rejects a missing alg (ERR_ALGORITHM)', async () => {
    const nonce = createChallenge();
    await expectCode(verifyCheck(rawJws({ typ: CHECK_TYP, kid: device.kid }, claims(nonce)), options(nonce)), 'ERR_ALGORITHM');
  });

  it.each([ENROLL_TYP, 'JWT', 'presenza-check+JWT'])('rejects typ %j (ERR_TYPE)', async (typ) => {
    const nonce = createChallenge();
    await expectCode(verifyCheck(await signCheck(nonce, {}, { typ }), options(nonce)), 'ERR_TYPE');
  });

  it('rejects a missing typ (ERR_TYPE)', async () => {
    const nonce = createChallenge();
    await expectCode(verifyCheck(await signCheck(nonce, {}, { typ: undefined }), options(nonce)), 'ERR_TYPE');
  });
});

describe('verifyCheck: keys and signature', () => {
  it('rejects an assertion signed by another device key (ERR_SIGNATURE_INVALID)', async () => {
    const nonce = createChallenge();
    await expectCode(verifyCheck(await signCheck(nonce, {}, {}, other), options(nonce)), 'ERR_SIGNATURE_INVALID');
  });

  it('rejects another key even when it claims the registered kid (ERR_SIGNATURE_INVALID)', async () => {
    const nonce = createChallenge();
    const jws = await signCheck(nonce, {}, { kid: device.kid }, other);
    await expectCode(verifyCheck(jws, options(nonce)), 'ERR_SIGNATURE_INVALID');
  });

  it('rejects a payload edited after signing (ERR_SIGNATURE_INVALID)', async () => {
    const nonce = createChallenge();
    const [header, , signature] = (await signCheck(nonce, { outcome: 'fail', reason: 'mismatch' })).split('.');
    const forged = `${header}.${base64urlEncodeJson(claims(nonce, { outcome: 'pass' }))}.${signature}`;
    await expectCode(verifyCheck(forged, options(nonce)), 'ERR_SIGNATURE_INVALID');
  });

  it('rejects a signature with one flipped character (ERR_SIGNATURE_INVALID)', async () => {
    const nonce = createChallenge();
    const jws = await signCheck(nonce);
    const last = jws.at(-2) === 'A' ? 'B' : 'A';
    await expectCode(verifyCheck(`${jws.slice(0, -2)}${last}${jws.at(-1)}`, options(nonce)), 'ERR_SIGNATURE_INVALID');
  });

  it('rejects a missing kid (ERR_SIGNATURE_INVALID)', async () => {
    const nonce = createChallenge();
    await expectCode(verifyCheck(await signCheck(nonce, {}, { kid: undefined }), options(nonce)), 'ERR_SIGNATURE_INVALID');
  });

  it('refuses a header jwk of another key and never uses it (ERR_MALFORMED)', async () => {
    const nonce = createChallenge();
    // Signed by `other`, which offers itself in the header with a consistent kid: a key-substitution attempt.
    const jws = await signCheck(nonce, {}, { jwk: other.publicJwk, kid: other.kid }, other);
    await expectCode(verifyCheck(jws, options(nonce)), 'ERR_MALFORMED');
    await expect(verifyCheck(jws, options(nonce))).rejects.toThrow(/must not carry a jwk/);
  });

  it('refuses a header jwk even when it is the registered key (ERR_MALFORMED)', async () => {
    const nonce = createChallenge();
    const jws = await signCheck(nonce, {}, { jwk: device.publicJwk });
    await expectCode(verifyCheck(jws, options(nonce)), 'ERR_MALFORMED');
  });

  it.each([
    ['jku', 'https://evil.example/jwks'],
    ['x5u', 'https://evil.example/cert'],
    ['crit', ['exp']],
    ['b64', false],
    ['cty', 'JWT'],
  ])('refuses the header parameter %s (ERR_MALFORMED)', async (name, value) => {
    const nonce = createChallenge();
    await expectCode(verifyCheck(await signCheck(nonce, {}, { [name]: value }), options(nonce)), 'ERR_MALFORMED');
  });
});

/** Order of the P-256 group: valid ECDSA r and s lie in [1, n − 1]. */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

function toBytes32(value: bigint): Buffer {
  return Buffer.from(value.toString(16).padStart(64, '0'), 'hex');
}

/** Splits a signed assertion into its signing input and its signature's r and s. */
function splitSignature(jws: string): { signingInput: string; r: bigint; s: bigint } {
  const dot = jws.lastIndexOf('.');
  const signature = Buffer.from(jws.slice(dot + 1), 'base64url');
  expect(signature).toHaveLength(64);
  return {
    signingInput: jws.slice(0, dot),
    r: BigInt(`0x${signature.subarray(0, 32).toString('hex')}`),
    s: BigInt(`0x${signature.subarray(32).toString('hex')}`),
  };
}

function withSignature(signingInput: string, signature: Uint8Array): string {
  return `${signingInput}.${Buffer.from(signature).toString('base64url')}`;
}

describe('verifyCheck: the ES256 signature (node:crypto)', () => {
  it('verifies assertions signed by the SDK signer and by jose alike', async () => {
    const sdkNonce = createChallenge();
    const sdk = await signCheck(sdkNonce);
    expect((await verifyCheck(sdk, options(sdkNonce))).outcome).toBe('pass');

    const joseNonce = createChallenge();
    const jose = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims(joseNonce, { outcome: 'fail', reason: 'mismatch' }))))
      .setProtectedHeader({ alg: 'ES256', typ: CHECK_TYP, kid: device.kid })
      .sign(device.keys.privateKey);
    expect(await verifyCheck(jose, options(joseNonce))).toMatchObject({ outcome: 'fail', reason: 'mismatch' });
  });

  it('verifies the signing input exactly as received, not a re-encoding of the parsed JSON', async () => {
    const nonce = createChallenge();
    // Member order and whitespace no serializer of ours would produce: re-encoding would change the bytes.
    const header = Buffer.from(` { "kid" : ${JSON.stringify(device.kid)}, "typ": ${JSON.stringify(CHECK_TYP)}, "alg": "ES256" }\n`).toString('base64url');
    const { sdk, ...rest } = claims(nonce);
    const payload = Buffer.from(`{\n  "sdk" : ${JSON.stringify(sdk)},\t${JSON.stringify(rest).slice(1)}`).toString('base64url');
    const signingInput = `${header}.${payload}`;
    const signature = await crypto.subtle.sign(ES256_SIGN_ALGORITHM, device.keys.privateKey, new TextEncoder().encode(signingInput));
    expect((await verifyCheck(withSignature(signingInput, new Uint8Array(signature)), options(nonce))).outcome).toBe('pass');
  });

  it('accepts an SDK signature whose s is in the upper half of the group (WebCrypto signers do not normalise s)', async () => {
    const nonce = createChallenge();
    let jws = await signCheck(nonce);
    // About half of all WebCrypto signatures have s > n/2; 64 tries all missing is a 2⁻⁶⁴ event.
    for (let i = 0; i < 64 && splitSignature(jws).s <= P256_ORDER / 2n; i++) jws = await signCheck(nonce);
    expect(splitSignature(jws).s).toBeGreaterThan(P256_ORDER / 2n);
    expect((await verifyCheck(jws, options(nonce))).outcome).toBe('pass');
  });

  it('does not enforce low-S: (r, n − s) of a valid signature verifies, as it does with WebCrypto', async () => {
    const nonce = createChallenge();
    const { signingInput, r, s } = splitSignature(await signCheck(nonce));
    const twin = withSignature(signingInput, Buffer.concat([toBytes32(r), toBytes32(P256_ORDER - s)]));
    const ok = await crypto.subtle.verify(ES256_SIGN_ALGORITHM, device.keys.publicKey, Buffer.from(twin.split('.')[2]!, 'base64url'), new TextEncoder().encode(signingInput));
    expect(ok).toBe(true);
    expect((await verifyCheck(twin, options(nonce))).outcome).toBe('pass');
  });

  it.each([
    ['s = n (too high)', (r: bigint, _s: bigint) => [r, P256_ORDER]],
    ['s = n + s (too high, same residue)', (r: bigint, s: bigint) => [r, s + P256_ORDER < 2n ** 256n ? s + P256_ORDER : 2n ** 256n - 1n]],
    ['s = 2²⁵⁶ − 1 (too high)', (r: bigint, _s: bigint) => [r, 2n ** 256n - 1n]],
    ['r = n (too high)', (_r: bigint, s: bigint) => [P256_ORDER, s]],
    ['r = 0', (_r: bigint, s: bigint) => [0n, s]],
    ['s = 0', (r: bigint, _s: bigint) => [r, 0n]],
    ['r and s swapped', (r: bigint, s: bigint) => [s, r]],
  ])('rejects a signature with %s (ERR_SIGNATURE_INVALID)', async (_name, tamper) => {
    const nonce = createChallenge();
    const { signingInput, r, s } = splitSignature(await signCheck(nonce));
    const [r2, s2] = tamper(r, s) as [bigint, bigint];
    const jws = withSignature(signingInput, Buffer.concat([toBytes32(r2), toBytes32(s2)]));
    await expectCode(verifyCheck(jws, options(nonce)), 'ERR_SIGNATURE_INVALID');
  });

  it.each([
    ['all zero', new Uint8Array(64)],
    ['all 0xff', new Uint8Array(64).fill(0xff)],
  ])('rejects an %s signature (ERR_SIGNATURE_INVALID)', async (_name, signature) => {
    const nonce = createChallenge();
    const { signingInput } = splitSignature(await signCheck(nonce));
    await expectCode(verifyCheck(withSignature(signingInput, signature), options(nonce)), 'ERR_SIGNATURE_INVALID');
  });

  it.each([0, 1, 32, 63, 65, 66, 72, 96, 128])('rejects a %i-byte signature (ERR_SIGNATURE_INVALID)', async (length) => {
    const nonce = createChallenge();
    const jws = await signCheck(nonce);
    const { signingInput } = splitSignature(jws);
    const real = Buffer.from(jws.slice(jws.lastIndexOf('.') + 1), 'base64url');
    // The real signature, cut or extended: the first 64 bytes would verify on their own.
    const signature = Buffer.concat([real, real]).subarray(0, length);
    await expectCode(verifyCheck(withSignature(signingInput, signature), options(nonce)), 'ERR_SIGNATURE_INVALID');
  });

  it('rejects a DER-encoded signature of the right key and input (ERR_SIGNATURE_INVALID)', async () => {
    const nonce = createChallenge();
    const { signingInput, r, s } = splitSignature(await signCheck(nonce));
    const derInteger = (v: bigint) => {
      let bytes = toBytes32(v);
      while (bytes.length > 1 && bytes[0] === 0 && bytes[1]! < 0x80) bytes = bytes.subarray(1);
      if (bytes[0]! >= 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
      return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
    };
    const body = Buffer.concat([derInteger(r), derInteger(s)]);
    const der = Buffer.concat([Buffer.from([0x30, body.length]), body]);
    await expectCode(verifyCheck(withSignature(signingInput, der), options(nonce)), 'ERR_SIGNATURE_INVALID');
  });

  it('rejects a signature segment of impossible length 4n+1 as not base64url (ERR_MALFORMED)', async () => {
    const nonce = createChallenge();
    const jws = await signCheck(nonce);
    expect(jws.length - jws.lastIndexOf('.') - 1).toBe(86);
    // 85 and 89 characters cannot be whole bytes; 87 can (65 bytes), so it is merely the wrong length.
    await expectCode(verifyCheck(jws.slice(0, -1), options(nonce)), 'ERR_MALFORMED');
    await expectCode(verifyCheck(`${jws}AAA`, options(nonce)), 'ERR_MALFORMED');
    await expectCode(verifyCheck(`${jws}A`, options(nonce)), 'ERR_SIGNATURE_INVALID');
  });

  it('checks the signature before decoding the payload: a broken payload is ERR_MALFORMED only once signed', async () => {
    const nonce = createChallenge();
    const [header, payload, signature] = (await signCheck(nonce)).split('.');
    const signingInput = `${header}.${payload}A`; // 4n+1: not base64url
    await expectCode(verifyCheck(`${signingInput}.${signature}`, options(nonce)), 'ERR_SIGNATURE_INVALID');
    const signed = await crypto.subtle.sign(ES256_SIGN_ALGORITHM, device.keys.privateKey, new TextEncoder().encode(signingInput));
    await expectCode(verifyCheck(withSignature(signingInput, new Uint8Array(signed)), options(nonce)), 'ERR_MALFORMED');
  });
});

describe('verifyCheck: malformed input', () => {
  it.each([
    ['undefined', undefined],
    ['a number', 42],
    ['an object', { jws: 'a.b.c' }],
    ['an empty string', ''],
    ['two segments', 'eyJhbGciOiJFUzI1NiJ9.e30'],
    ['four segments', 'a.b.c.d'],
    ['padding', 'eyJhbGciOiJFUzI1NiJ9=.e30.AA'],
    ['standard base64 characters', 'eyJh+GciOiJFUzI1NiJ9.e30.AA'],
    ['a non-ASCII character', 'eyJhbGciOiJFUzI1NiJ9é.e30.AA'],
    ['a 4n+1 header', 'eyJhb.e30.AA'],
    ['a non-JSON header', `${Buffer.from('{alg: ES256}').toString('base64url')}.e30.AA`],
    ['a JSON array header', `${Buffer.from('["ES256"]').toString('base64url')}.e30.AA`],
    ['a JSON string header', `${Buffer.from('"ES256"').toString('base64url')}.e30.AA`],
    ['invalid UTF-8 in the header', `${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')}.e30.AA`],
  ])('rejects %s (ERR_MALFORMED)', async (_name, input) => {
    await expectCode(verifyCheck(input, options(createChallenge())), 'ERR_MALFORMED');
  });

  it('rejects a truncated assertion (ERR_MALFORMED)', async () => {
    const nonce = createChallenge();
    const jws = await signCheck(nonce);
    await expectCode(verifyCheck(jws.slice(0, jws.lastIndexOf('.')), options(nonce)), 'ERR_MALFORMED');
    await expectCode(verifyCheck(jws.slice(0, 20), options(nonce)), 'ERR_MALFORMED');
  });

  it('rejects a header segment of impossible length 4n+1, which lenient decoders would accept (ERR_MALFORMED)', async () => {
    const nonce = createChallenge();
    // Pad the header JSON with spaces so its base64url has no partial group, then append one stray character.
    let headerJson = JSON.stringify({ alg: 'ES256', typ: CHECK_TYP, kid: device.kid });
    while (headerJson.length % 3 !== 0) headerJson += ' ';
    const header = `${Buffer.from(headerJson).toString('base64url')}A`;
    expect(Buffer.from(header, 'base64url').toString()).toBe(headerJson);
    const signingInput = `${header}.${base64urlEncodeJson(claims(nonce))}`;
    const signature = await crypto.subtle.sign(ES256_SIGN_ALGORITHM, device.keys.privateKey, new TextEncoder().encode(signingInput));
    const jws = `${signingInput}.${Buffer.from(signature).toString('base64url')}`;
    await expectCode(verifyCheck(jws, options(nonce)), 'ERR_MALFORMED');
  });

  describe('each segment has exactly one spelling: canonical base64url', () => {
    it.each([
      ['the header', 0],
      ['the payload', 1],
      ['the signature', 2],
    ])('rejects padding in %s (ERR_MALFORMED)', async (_name, index) => {
      const nonce = createChallenge();
      const parts = (await signCheck(nonce)).split('.');
      parts[index] = `${parts[index]}${'='.repeat((4 - (parts[index]!.length % 4)) % 4 || 4)}`;
      await expectCode(verifyCheck(parts.join('.'), options(nonce)), 'ERR_MALFORMED');
    });

    it.each([
      ['+', '-'],
      ['/', '_'],
    ])('rejects the standard-alphabet %s in the signature (ERR_MALFORMED)', async (standard, url) => {
      const nonce = createChallenge();
      let jws = await signCheck(nonce);
      // Find a signature holding the url-alphabet character to swap (about 3 tries on average).
      for (let i = 0; i < 64 && !jws.slice(jws.lastIndexOf('.')).includes(url); i++) jws = await signCheck(nonce);
      const dot = jws.lastIndexOf('.');
      await expectCode(verifyCheck(`${jws.slice(0, dot)}${jws.slice(dot).replace(url, standard)}`, options(nonce)), 'ERR_MALFORMED');
    });

    it('rejects a valid signature spelled with non-zero trailing bits (ERR_MALFORMED)', async () => {
      const nonce = createChallenge();
      const jws = await signCheck(nonce);
      const dot = jws.lastIndexOf('.');
      // 86 characters carry 516 bits for 64 bytes: 4 unused bits, 16 spellings of each signature.
      expect(jws.length - dot - 1).toBe(86);
      const respelled = `${jws.slice(0, dot)}.${withTrailingBit(jws.slice(dot + 1))}`;
      await expectCode(verifyCheck(respelled, options(nonce)), 'ERR_MALFORMED');
      expect((await verifyCheck(jws, options(nonce))).outcome).toBe('pass');
    });

    it('rejects a header or payload spelled with non-zero trailing bits, even when that text is what was signed (ERR_MALFORMED)', async () => {
      const nonce = createChallenge();
      const header = withPartialGroup({ alg: 'ES256', typ: CHECK_TYP, kid: device.kid });
      const payload = withPartialGroup(claims(nonce));
      await expectCode(verifyCheck(await signRaw(withTrailingBit(header), payload), options(nonce)), 'ERR_MALFORMED');
      await expectCode(verifyCheck(await signRaw(header, withTrailingBit(payload)), options(nonce)), 'ERR_MALFORMED');
      // The canonical spelling of the same header and payload is accepted.
      expect((await verifyCheck(await signRaw(header, payload), options(nonce))).outcome).toBe('pass');
    });

    it('looks at the payload only once signed: a respelled payload under the original signature is ERR_SIGNATURE_INVALID', async () => {
      const nonce = createChallenge();
      const payload = withPartialGroup(claims(nonce));
      const [header, , signature] = (await signRaw(withPartialGroup({ alg: 'ES256', typ: CHECK_TYP, kid: device.kid }), payload)).split('.');
      await expectCode(verifyCheck(`${header}.${withTrailingBit(payload)}.${signature}`, options(nonce)), 'ERR_SIGNATURE_INVALID');
    });
  });

  it('rejects a signed payload that is not JSON (ERR_MALFORMED)', async () => {
    const nonce = createChallenge();
    const jws = await new CompactSign(new TextEncoder().encode('outcome=pass'))
      .setProtectedHeader({ alg: 'ES256', typ: CHECK_TYP, kid: device.kid })
      .sign(device.keys.privateKey);
    await expectCode(verifyCheck(jws, options(nonce)), 'ERR_MALFORMED');
  });

  it('rejects a signed payload that is a JSON array (ERR_MALFORMED)', async () => {
    const nonce = createChallenge();
    const jws = await new CompactSign(new TextEncoder().encode('[1,2]'))
      .setProtectedHeader({ alg: 'ES256', typ: CHECK_TYP, kid: device.kid })
      .sign(device.keys.privateKey);
    await expectCode(verifyCheck(jws, options(nonce)), 'ERR_MALFORMED');
  });

  it(`rejects more than MAX_ASSERTION_BYTES (${MAX_ASSERTION_BYTES}) before parsing anything (ERR_MALFORMED)`, async () => {
    const nonce = createChallenge();
    // Largest padding that keeps the signed assertion within the limit (base64url grows 4/3).
    const lengthWith = (pad: number) => rawJws({ alg: 'ES256', typ: CHECK_TYP, kid: device.kid }, claims(nonce, { pad: 'x'.repeat(pad) }), 'A'.repeat(86)).length;
    let pad = 0;
    while (lengthWith(pad + 1) <= MAX_ASSERTION_BYTES) pad++;
    const atLimit = await signCheck(nonce, { pad: 'x'.repeat(pad) });
    const padded = await signCheck(nonce, { pad: 'x'.repeat(pad + 3) });
    expect(atLimit.length).toBeGreaterThan(MAX_ASSERTION_BYTES - 4);
    expect(atLimit.length).toBeLessThanOrEqual(MAX_ASSERTION_BYTES);
    expect(padded.length).toBeGreaterThan(MAX_ASSERTION_BYTES);
    // At the limit the size passes and the unknown claim is what fails; one step over, the size fails.
    await expectCode(verifyCheck(atLimit, options(nonce)), 'ERR_CLAIMS');
    await expectCode(verifyCheck(padded, options(nonce)), 'ERR_MALFORMED');

    // An oversized alg-none token is refused for its size, proving no header was parsed.
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const huge = `${base64urlEncodeJson({ alg: 'none' })}.${'A'.repeat(1_000_000)}.`;
      await expectCode(verifyCheck(huge, options(nonce)), 'ERR_MALFORMED');
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });
});

describe('verifyCheck: audience, nonce, check id, subject', () => {
  it('rejects another audience (ERR_AUDIENCE)', async () => {
    const nonce = createChallenge();
    await expectCode(verifyCheck(await signCheck(nonce, { aud: 'https://evil.example' }), options(nonce)), 'ERR_AUDIENCE', 'aud');
  });

  it('rejects an audience array, even one containing ours (ERR_CLAIMS)', async () => {
    const nonce = createChallenge();
    await expectCode(verifyCheck(await signCheck(nonce, { aud: [AUDIENCE] }), options(nonce)), 'ERR_CLAIMS', 'aud');
  });

  it('rejects another nonce (ERR_NONCE_MISMATCH)', async () => {
    const nonce = createChallenge();
    await expectCode(verifyCheck(await signCheck(createChallenge()), options(nonce)), 'ERR_NONCE_MISMATCH', 'nonce');
  });

  it('rejects another check id (ERR_CHECK_ID)', async () => {
    const nonce = createChallenge();
    await expectCode(verifyCheck(await signCheck(nonce, { jti: 'check-other' }), options(nonce)), 'ERR_CHECK_ID', 'jti');
  });

  it('rejects another subject when enrollmentId is given (ERR_CLAIMS)', async () => {
    const nonce = createChallenge();
    const jws = await signCheck(nonce);
    await expectCode(verifyCheck(jws, options(nonce, { enrollmentId: 'enr_other' })), 'ERR_CLAIMS', 'sub');
    expect((await verifyCheck(jws, options(nonce, { enrollmentId: SUBJECT }))).enrollmentId).toBe(SUBJECT);
  });
});

describe('verifyCheck: time', () => {
  it('rejects an expired assertion (ERR_EXPIRED)', async () => {
    const nonce = createChallenge();
    const jws = await signCheck(nonce, { iat: NOW_S - 200, exp: NOW_S - 100 });
    await expectCode(verifyCheck(jws, options(nonce)), 'ERR_EXPIRED', 'exp');
  });

  it('applies the skew exactly at the exp boundary', async () => {
    const nonce = createChallenge();
    const jws = await signCheck(nonce);
    const expMs = (NOW_S + 60) * 1000;
    const skewMs = DEFAULT_MAX_SKEW_SECONDS * 1000;
    expect((await verifyCheck(jws, options(nonce, { now: expMs + skewMs }))).outcome).toBe('pass');
    await expectCode(verifyCheck(jws, options(nonce, { now: expMs + skewMs + 1 })), 'ERR_EXPIRED');
    await expectCode(verifyCheck(jws, options(nonce, { now: expMs + 1, maxSkewSeconds: 0 })), 'ERR_EXPIRED');
  });

  it(`rejects exp more than ${MAX_ASSERTION_LIFETIME_SECONDS} s after iat (ERR_CLAIMS)`, async () => {
    const nonce = createChallenge();
    const tooLong = await signCheck(nonce, { exp: NOW_S + MAX_ASSERTION_LIFETIME_SECONDS + 1 });
    await expectCode(verifyCheck(tooLong, options(nonce)), 'ERR_CLAIMS', 'exp');
    const longest = await signCheck(nonce, { exp: NOW_S + MAX_ASSERTION_LIFETIME_SECONDS });
    expect((await verifyCheck(longest, options(nonce))).outcome).toBe('pass');
  });

  it('rejects exp at or before iat (ERR_CLAIMS)', async () => {
    const nonce = createChallenge();
    await expectCode(verifyCheck(await signCheck(nonce, { exp: NOW_S }), options(nonce)), 'ERR_CLAIMS', 'exp');
  });

  it('rejects iat in the future beyond the skew (ERR_CLAIMS) and accepts it within', async () => {
    const nonce = createChallenge();
    const beyond = NOW_S + DEFAULT_MAX_SKEW_SECONDS + 1;
    await expectCode(verifyCheck(await signCheck(nonce, { iat: beyond, exp: beyond + 60 }), options(nonce)), 'ERR_CLAIMS', 'iat');
    const within = NOW_S + DEFAULT_MAX_SKEW_SECONDS;
    expect((await verifyCheck(await signCheck(nonce, { iat: within, exp: within + 60 }), options(nonce))).issuedAt).toBe(within);
  });

  it.each([
    ['a fractional iat', { iat: NOW_S + 0.5 }, 'iat'],
    ['a string exp', { exp: String(NOW_S + 60) }, 'exp'],
    ['a missing iat', { iat: undefined }, 'iat'],
  ])('rejects %s (ERR_CLAIMS)', async (_name, overrides, claim) => {
    const nonce = createChallenge();
    await expectCode(verifyCheck(await signCheck(nonce, overrides), options(nonce)), 'ERR_CLAIMS', claim);
  });

  it('judges freshness by the injected clock, not the machine clock', async () => {
    const nonce = createChallenge();
    const jws = await signCheck(nonce); // issued at NOW_MS, in 2026
    expect((await verifyCheck(jws, options(nonce))).issuedAt).toBe(NOW_S);
    const { now: _ignored, ...realClock } = options(nonce);
    const expected = Date.now() > NOW_MS ? 'ERR_EXPIRED' : 'ERR_CLAIMS';
    await expectCode(verifyCheck(jws, realClock), expected);
    await expectCode(verifyCheck(jws, options(nonce, { now: NOW_MS + 3_600_000 })), 'ERR_EXPIRED');
    await expectCode(verifyCheck(jws, options(nonce, { now: NOW_MS - 3_600_000 })), 'ERR_CLAIMS');
  });
});

describe('verifyCheck: claims', () => {
  it.each(['passed', 'PASS', 'success', true, 1, null])('rejects outcome %j (ERR_CLAIMS)', async (outcome) => {
    const nonce = createChallenge();
    await expectCode(verifyCheck(await signCheck(nonce, { outcome }), options(nonce)), 'ERR_CLAIMS', 'outcome');
  });

  it('rejects a reason on a pass (ERR_CLAIMS)', async () => {
    const nonce = createChallenge();
    await expectCode(verifyCheck(await signCheck(nonce, { reason: 'mismatch' }), options(nonce)), 'ERR_CLAIMS', 'reason');
    await expectCode(verifyCheck(await signCheck(nonce, { reason: null }), options(nonce)), 'ERR_CLAIMS', 'reason');
  });

  it.each(['fail', 'inconclusive'])('rejects a %s without a reason or with an unknown one (ERR_CLAIMS)', async (outcome) => {
    const nonce = createChallenge();
    await expectCode(verifyCheck(await signCheck(nonce, { outcome }), options(nonce)), 'ERR_CLAIMS', 'reason');
    await expectCode(verifyCheck(await signCheck(nonce, { outcome, reason: 'score_0.42' }), options(nonce)), 'ERR_CLAIMS', 'reason');
  });

  it('rejects liveness outside the enum and a pass with failed liveness (ERR_CLAIMS)', async () => {
    const nonce = createChallenge();
    await expectCode(verifyCheck(await signCheck(nonce, { liveness: 'ok' }), options(nonce)), 'ERR_CLAIMS', 'liveness');
    await expectCode(verifyCheck(await signCheck(nonce, { liveness: 'failed' }), options(nonce)), 'ERR_CLAIMS', 'liveness');
  });

  it.each(['aud', 'sub', 'jti', 'nonce', 'iat', 'exp', 'outcome', 'liveness', 'models', 'sdk'])(
    'rejects a missing %s (ERR_CLAIMS, naming it)',
    async (name) => {
      const nonce = createChallenge();
      await expectCode(verifyCheck(await signCheck(nonce, { [name]: undefined }), options(nonce)), 'ERR_CLAIMS', name);
    },
  );

  it.each([
    ['score', 0.87],
    ['embedding', [0.1, -0.2, 0.3]],
    ['image', 'data:image/jpeg;base64,/9j/4AAQ'],
    ['landmarks', [[1, 2]]],
    ['device', 'Mozilla/5.0'],
    ['iss', 'presenza'],
  ])('rejects an unknown claim %s that could smuggle data (ERR_CLAIMS, naming it)', async (name, value) => {
    const nonce = createChallenge();
    await expectCode(verifyCheck(await signCheck(nonce, { [name]: value }), options(nonce)), 'ERR_CLAIMS', name);
  });

  it.each([
    ['numbers', [0.93]],
    ['a non-hex string', ['not-a-hash']],
    ['upper-case hex', ['ABCDEF12']],
    ['too short a prefix', ['abc']],
    ['too many entries', Array.from({ length: 9 }, () => 'abcdef12')],
    ['not an array', 'abcdef12'],
  ])('rejects models with %s (ERR_CLAIMS)', async (_name, models) => {
    const nonce = createChallenge();
    await expectCode(verifyCheck(await signCheck(nonce, { models }), options(nonce)), 'ERR_CLAIMS', 'models');
  });

  it.each([['a number', 1], ['spaces', '0.1.0 score=0.9'], ['too long', `1.${'0'.repeat(40)}`]])(
    'rejects sdk with %s (ERR_CLAIMS)',
    async (_name, sdk) => {
      const nonce = createChallenge();
      await expectCode(verifyCheck(await signCheck(nonce, { sdk }), options(nonce)), 'ERR_CLAIMS', 'sdk');
    },
  );
});

describe('verifyCheck: replay', () => {
  it('consumes the nonce: a second use fails with ERR_REPLAYED', async () => {
    const nonceStore = new MemoryNonceStore({ now: () => NOW_MS });
    const nonce = createChallenge();
    const jws = await signCheck(nonce);
    expect((await verifyCheck(jws, options(nonce, { nonceStore }))).outcome).toBe('pass');
    await expectCode(verifyCheck(jws, options(nonce, { nonceStore })), 'ERR_REPLAYED', 'nonce');
    // A second, freshly signed assertion with the same nonce is a replay too.
    await expectCode(verifyCheck(await signCheck(nonce, { outcome: 'fail', reason: 'timeout' }), options(nonce, { nonceStore })), 'ERR_REPLAYED');
  });

  it('lets exactly one of two concurrent verifications through', async () => {
    const nonceStore = new MemoryNonceStore({ now: () => NOW_MS });
    const nonce = createChallenge();
    const jws = await signCheck(nonce);
    const results = await Promise.allSettled([verifyCheck(jws, options(nonce, { nonceStore })), verifyCheck(jws, options(nonce, { nonceStore }))]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ code: 'ERR_REPLAYED' });
  });

  it('does not burn the nonce on a rejected assertion', async () => {
    const nonceStore = new MemoryNonceStore({ now: () => NOW_MS });
    const nonce = createChallenge();
    await expectCode(verifyCheck(await signCheck(nonce, {}, {}, other), options(nonce, { nonceStore })), 'ERR_SIGNATURE_INVALID');
    await expectCode(verifyCheck(await signCheck(nonce, { score: 1 }), options(nonce, { nonceStore })), 'ERR_CLAIMS');
    expect(nonceStore.size).toBe(0);
    expect((await verifyCheck(await signCheck(nonce), options(nonce, { nonceStore }))).outcome).toBe('pass');
  });

  it('tells the store the subject, check id and the instant after which the nonce may be forgotten', async () => {
    const consume = vi.fn<NonceStore['consume']>(async () => true);
    const nonce = createChallenge();
    await verifyCheck(await signCheck(nonce), options(nonce, { nonceStore: { consume }, maxSkewSeconds: 10 }));
    expect(consume).toHaveBeenCalledExactlyOnceWith(nonce, { subject: SUBJECT, checkId: CHECK_ID, expiresAt: (NOW_S + 60 + 10) * 1000 });
  });

  it('treats anything but true from the store as already used (fail closed)', async () => {
    const nonce = createChallenge();
    const jws = await signCheck(nonce);
    const sloppy = { consume: async () => 1 as unknown as boolean };
    await expectCode(verifyCheck(jws, options(nonce, { nonceStore: sloppy })), 'ERR_REPLAYED');
  });

  it('propagates a store failure unchanged (it is not an assertion error)', async () => {
    const nonce = createChallenge();
    const down = new Error('database unavailable');
    const error = await rejection(verifyCheck(await signCheck(nonce), options(nonce, { nonceStore: { consume: async () => Promise.reject(down) } })));
    expect(error).toBe(down);
  });
});

describe('verifyCheck: caller mistakes throw TypeError', () => {
  const bad: Array<[string, (nonce: string) => unknown]> = [
    ['no options', () => undefined],
    ['a missing audience', (n) => ({ ...options(n), audience: undefined })],
    ['a missing publicJwk', (n) => ({ ...options(n), publicJwk: undefined })],
    ['a private publicJwk', (n) => ({ ...options(n), publicJwk: { ...device.publicJwk, d: 'x'.repeat(43) } })],
    ['a P-384 publicJwk', (n) => ({ ...options(n), publicJwk: { ...device.publicJwk, crv: 'P-384' } })],
    ['a publicJwk with short coordinates', (n) => ({ ...options(n), publicJwk: { ...device.publicJwk, x: 'AAAA' } })],
    ['a missing expectedNonce', (n) => ({ ...options(n), expectedNonce: undefined })],
    ['a weak expectedNonce', (n) => ({ ...options(n), expectedNonce: '1234' })],
    ['a missing checkId', (n) => ({ ...options(n), checkId: undefined })],
    ['a Date as now', (n) => ({ ...options(n), now: new Date(NOW_MS) })],
    ['NaN as now', (n) => ({ ...options(n), now: Number.NaN })],
    ['a negative skew', (n) => ({ ...options(n), maxSkewSeconds: -1 })],
    ['an enormous skew', (n) => ({ ...options(n), maxSkewSeconds: 86_400 })],
    ['a nonceStore without consume', (n) => ({ ...options(n), nonceStore: {} })],
    ['an empty enrollmentId', (n) => ({ ...options(n), enrollmentId: '' })],
  ];

  it.each(bad)('%s', async (_name, makeOptions) => {
    const nonce = createChallenge();
    const error = await rejection(verifyCheck(await signCheck(nonce), makeOptions(nonce) as VerifyCheckOptions));
    expect(error).toBeInstanceOf(TypeError);
    expect(isPresenzaError(error)).toBe(false);
  });

  it('a registered key that is not on the curve', async () => {
    const nonce = createChallenge();
    const offCurve = { kty: 'EC', crv: 'P-256', x: 'A'.repeat(43), y: 'A'.repeat(43) } as EcPublicJwk;
    const error = await rejection(verifyCheck(await signCheck(nonce), options(nonce, { publicJwk: offCurve })));
    expect(error).toBeInstanceOf(TypeError);
  });
});

describe('AssertionError', () => {
  it('is a coded PresenzaError that survives losing its class', async () => {
    const nonce = createChallenge();
    const error = await rejection(verifyCheck(await signCheck(nonce, { aud: 'https://evil.example' }), options(nonce)));
    expect(error).toBeInstanceOf(PresenzaError);
    expect((error as Error).name).toBe('AssertionError');
    expect(isPresenzaError(error)).toBe(true);
    expect(isPresenzaError(JSON.parse(JSON.stringify({ code: (error as AssertionError).code })))).toBe(true);
  });
});
