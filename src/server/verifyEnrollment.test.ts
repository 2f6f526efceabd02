import { calculateJwkThumbprint, SignJWT } from 'jose';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { CHECK_TYP, ENROLL_TYP, type EcPublicJwk } from '../protocol/assertion.js';
import { DEVICE_KEY_ALGORITHM, base64urlEncodeJson, exportPublicJwk, jwkThumbprint, signCompactJws } from '../protocol/jws.js';
import {
  AssertionError,
  MemoryNonceStore,
  createChallenge,
  verifyCheck,
  verifyEnrollment,
  type NonceStore,
  type VerifyEnrollmentOptions,
} from './index.js';

const NOW_MS = Date.UTC(2026, 2, 2, 9, 0, 0);
const NOW_S = NOW_MS / 1000;
const COURSE_END_S = Date.UTC(2026, 6, 31) / 1000;
const AUDIENCE = 'https://school.example';
const SUBJECT = 'enr_9b2c41';
const MODELS = ['0f1e2d3c4b5a6978', 'a1b2c3d4e5f60718', '99aa88bb77cc66dd'];

interface Device {
  keys: CryptoKeyPair;
  publicJwk: EcPublicJwk;
  kid: string;
}

async function newDevice(extractable = false): Promise<Device> {
  const keys = (await crypto.subtle.generateKey(DEVICE_KEY_ALGORITHM, extractable, ['sign', 'verify'])) as CryptoKeyPair;
  const publicJwk = await exportPublicJwk(keys.publicKey);
  return { keys, publicJwk, kid: await jwkThumbprint(publicJwk) };
}

let device: Device;
let other: Device;
beforeAll(async () => {
  device = await newDevice(true);
  other = await newDevice();
});

function claims(nonce: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { aud: AUDIENCE, sub: SUBJECT, nonce, iat: NOW_S, exp: NOW_S + 60, retainUntil: COURSE_END_S, models: MODELS, sdk: '0.1.0', ...overrides };
}

async function signEnrollment(
  nonce: string,
  overrides: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
  signer: Device = device,
): Promise<string> {
  const protectedHeader = { alg: 'ES256' as const, typ: ENROLL_TYP, kid: signer.kid, jwk: signer.publicJwk, ...header };
  return signCompactJws(protectedHeader, claims(nonce, overrides), signer.keys.privateKey);
}

function options(nonce: string, extra: Partial<VerifyEnrollmentOptions> = {}): VerifyEnrollmentOptions {
  return { audience: AUDIENCE, expectedNonce: nonce, now: NOW_MS, ...extra };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => expect.fail(`expected a rejection, got ${JSON.stringify(value)}`),
    (error: unknown) => error,
  );
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(AssertionError);
  expect((error as AssertionError).code).toBe(code);
}

describe('verifyEnrollment: accepted assertions', () => {
  it('returns the key to register for an assertion signed by signCompactJws', async () => {
    const nonce = createChallenge();
    const result = await verifyEnrollment(await signEnrollment(nonce), options(nonce));
    expect(result).toEqual({
      enrollmentId: SUBJECT,
      publicJwk: device.publicJwk,
      thumbprint: device.kid,
      retainUntil: COURSE_END_S,
    });
    expect(Object.keys(result.publicJwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    expect(result.thumbprint).toBe(await calculateJwkThumbprint(device.publicJwk, 'sha256'));
  });

  it('accepts an enrollment made by jose’s SignJWT', async () => {
    const nonce = createChallenge();
    const jws = await new SignJWT({ nonce, retainUntil: COURSE_END_S, models: MODELS, sdk: '0.1.0' })
      .setProtectedHeader({ alg: 'ES256', typ: ENROLL_TYP, kid: device.kid, jwk: device.publicJwk })
      .setAudience(AUDIENCE)
      .setSubject(SUBJECT)
      .setIssuedAt(NOW_S)
      .setExpirationTime(NOW_S + 120)
      .sign(device.keys.privateKey);
    expect((await verifyEnrollment(jws, options(nonce))).thumbprint).toBe(device.kid);
  });

  it('registers a key that verifyCheck then accepts, and only that key', async () => {
    const enrollNonce = createChallenge();
    const { publicJwk, enrollmentId } = await verifyEnrollment(await signEnrollment(enrollNonce), options(enrollNonce));
    const checkNonce = createChallenge();
    const check = (signer: Device) =>
      signCompactJws(
        { alg: 'ES256', typ: CHECK_TYP, kid: signer.kid },
        { aud: AUDIENCE, sub: enrollmentId, jti: 'c1', nonce: checkNonce, iat: NOW_S, exp: NOW_S + 30, outcome: 'pass', liveness: 'passed', models: MODELS, sdk: '0.1.0' },
        signer.keys.privateKey,
      );
    const checkOptions = { audience: AUDIENCE, publicJwk, expectedNonce: checkNonce, checkId: 'c1', enrollmentId, now: NOW_MS };
    expect((await verifyCheck(await check(device), checkOptions)).outcome).toBe('pass');
    await expectCode(verifyCheck(await check(other), checkOptions), 'ERR_SIGNATURE_INVALID');
  });
});

describe('verifyEnrollment: the embedded key', () => {
  it('rejects a header jwk of another key than the signer’s, with that key’s kid (ERR_SIGNATURE_INVALID)', async () => {
    const nonce = createChallenge();
    const jws = await signEnrollment(nonce, {}, { jwk: other.publicJwk, kid: other.kid }, device);
    await expectCode(verifyEnrollment(jws, options(nonce)), 'ERR_SIGNATURE_INVALID');
  });

  it('rejects a header jwk of another key with the signer’s kid: the kid is not its thumbprint (ERR_MALFORMED)', async () => {
    const nonce = createChallenge();
    const jws = await signEnrollment(nonce, {}, { jwk: other.publicJwk, kid: device.kid }, device);
    await expectCode(verifyEnrollment(jws, options(nonce)), 'ERR_MALFORMED');
  });

  it.each([
    ['another key’s thumbprint', 'other'],
    ['a made-up kid', 'device-1'],
    ['no kid', undefined],
    ['a number', 7],
  ])('rejects a kid that is %s, even with a valid self-signature (ERR_MALFORMED)', async (_name, kid) => {
    const nonce = createChallenge();
    const jws = await signEnrollment(nonce, {}, { kid: kid === 'other' ? other.kid : kid });
    await expectCode(verifyEnrollment(jws, options(nonce)), 'ERR_MALFORMED');
    await expect(verifyEnrollment(jws, options(nonce))).rejects.toThrow(/kid/);
  });

  it('rejects a payload edited after signing (ERR_SIGNATURE_INVALID)', async () => {
    const nonce = createChallenge();
    const [header, , signature] = (await signEnrollment(nonce)).split('.');
    const forged = `${header}.${base64urlEncodeJson(claims(nonce, { sub: 'enr_victim' }))}.${signature}`;
    await expectCode(verifyEnrollment(forged, options(nonce)), 'ERR_SIGNATURE_INVALID');
  });

  it('rejects a header jwk carrying the private key d (ERR_MALFORMED)', async () => {
    const nonce = createChallenge();
    const full = (await crypto.subtle.exportKey('jwk', device.keys.privateKey)) as JsonWebKey;
    expect(full.d).toBeDefined();
    const jws = await signEnrollment(nonce, {}, { jwk: { kty: 'EC', crv: 'P-256', x: full.x, y: full.y, d: full.d } });
    await expectCode(verifyEnrollment(jws, options(nonce)), 'ERR_MALFORMED');
    await expect(verifyEnrollment(jws, options(nonce))).rejects.toThrow(/private key/);
  });

  it.each([
    ['a missing jwk', undefined],
    ['a string jwk', 'not-a-key'],
    ['an extra member', { key_ops: ['verify'] }],
    ['crv P-384', { crv: 'P-384' }],
    ['kty RSA', { kty: 'RSA' }],
    ['a short x', { x: 'AAAA' }],
    ['a point not on the curve', { x: 'A'.repeat(43), y: 'A'.repeat(43) }],
  ])('rejects %s (ERR_MALFORMED)', async (_name, change) => {
    const nonce = createChallenge();
    const jwk = change === undefined || typeof change === 'string' ? change : { ...device.publicJwk, ...change };
    await expectCode(verifyEnrollment(await signEnrollment(nonce, {}, { jwk }), options(nonce)), 'ERR_MALFORMED');
  });

  it('rejects an unknown header parameter (ERR_MALFORMED)', async () => {
    const nonce = createChallenge();
    await expectCode(verifyEnrollment(await signEnrollment(nonce, {}, { jku: 'https://evil.example/jwks' }), options(nonce)), 'ERR_MALFORMED');
  });
});

describe('verifyEnrollment: algorithm, type, claims', () => {
  it('rejects alg "none" (ERR_ALGORITHM)', async () => {
    const nonce = createChallenge();
    const jws = `${base64urlEncodeJson({ alg: 'none', typ: ENROLL_TYP, kid: device.kid, jwk: device.publicJwk })}.${base64urlEncodeJson(claims(nonce))}.`;
    await expectCode(verifyEnrollment(jws, options(nonce)), 'ERR_ALGORITHM');
  });

  it('rejects HS256 (ERR_ALGORITHM)', async () => {
    const nonce = createChallenge();
    const jws = await new SignJWT(claims(nonce))
      .setProtectedHeader({ alg: 'HS256', typ: ENROLL_TYP, kid: device.kid })
      .sign(new Uint8Array(32).fill(7));
    await expectCode(verifyEnrollment(jws, options(nonce)), 'ERR_ALGORITHM');
  });

  it('rejects a check assertion presented as an enrollment (ERR_TYPE)', async () => {
    const nonce = createChallenge();
    await expectCode(verifyEnrollment(await signEnrollment(nonce, {}, { typ: CHECK_TYP }), options(nonce)), 'ERR_TYPE');
  });

  it('rejects an enrollment presented as a check (ERR_TYPE)', async () => {
    const nonce = createChallenge();
    const jws = await signEnrollment(nonce);
    const checkOptions = { audience: AUDIENCE, publicJwk: device.publicJwk, expectedNonce: nonce, checkId: 'c1', now: NOW_MS };
    await expectCode(verifyCheck(jws, checkOptions), 'ERR_TYPE');
  });

  it('rejects a truncated or oversized enrollment (ERR_MALFORMED)', async () => {
    const nonce = createChallenge();
    const jws = await signEnrollment(nonce);
    await expectCode(verifyEnrollment(jws.split('.').slice(0, 2).join('.'), options(nonce)), 'ERR_MALFORMED');
    await expectCode(verifyEnrollment(await signEnrollment(nonce, { sdk: 'x'.repeat(5000) }), options(nonce)), 'ERR_MALFORMED');
  });

  it('rejects another audience (ERR_AUDIENCE) and another nonce (ERR_NONCE_MISMATCH)', async () => {
    const nonce = createChallenge();
    await expectCode(verifyEnrollment(await signEnrollment(nonce, { aud: 'https://evil.example' }), options(nonce)), 'ERR_AUDIENCE');
    await expectCode(verifyEnrollment(await signEnrollment(createChallenge()), options(nonce)), 'ERR_NONCE_MISMATCH');
  });

  it('rejects another subject when enrollmentId is given (ERR_CLAIMS)', async () => {
    const nonce = createChallenge();
    await expectCode(verifyEnrollment(await signEnrollment(nonce), options(nonce, { enrollmentId: 'enr_other' })), 'ERR_CLAIMS');
  });

  it('rejects an expired enrollment (ERR_EXPIRED) and one with too long a lifetime (ERR_CLAIMS)', async () => {
    const nonce = createChallenge();
    await expectCode(verifyEnrollment(await signEnrollment(nonce), options(nonce, { now: NOW_MS + 3_600_000 })), 'ERR_EXPIRED');
    await expectCode(verifyEnrollment(await signEnrollment(nonce, { exp: NOW_S + 121 }), options(nonce)), 'ERR_CLAIMS');
  });

  it.each([
    ['missing', undefined],
    ['in the past', NOW_S - 1],
    ['now', NOW_S],
    ['fractional', COURSE_END_S + 0.5],
    ['a date string', '2026-07-31'],
  ])('rejects retainUntil %s (ERR_CLAIMS)', async (_name, retainUntil) => {
    const nonce = createChallenge();
    await expectCode(verifyEnrollment(await signEnrollment(nonce, { retainUntil }), options(nonce)), 'ERR_CLAIMS');
  });

  it.each([
    ['template', 'AAECAwQF'],
    ['embedding', [0.1, 0.2]],
    ['jti', 'x'],
    ['outcome', 'pass'],
  ])('rejects an unknown claim %s (ERR_CLAIMS)', async (name, value) => {
    const nonce = createChallenge();
    await expectCode(verifyEnrollment(await signEnrollment(nonce, { [name]: value }), options(nonce)), 'ERR_CLAIMS');
  });

  it('consumes the nonce when a store is given (ERR_REPLAYED), with checkId null', async () => {
    const nonceStore = new MemoryNonceStore({ now: () => NOW_MS });
    const consume = vi.spyOn(nonceStore, 'consume');
    const nonce = createChallenge();
    const jws = await signEnrollment(nonce);
    await verifyEnrollment(jws, options(nonce, { nonceStore }));
    expect(consume).toHaveBeenCalledWith(nonce, { subject: SUBJECT, checkId: null, expiresAt: (NOW_S + 60 + 30) * 1000 });
    await expectCode(verifyEnrollment(jws, options(nonce, { nonceStore })), 'ERR_REPLAYED');
  });

  it('throws TypeError on caller mistakes', async () => {
    const nonce = createChallenge();
    const jws = await signEnrollment(nonce);
    const store = { consume: 'yes' } as unknown as NonceStore;
    for (const bad of [
      undefined,
      { ...options(nonce), audience: '' },
      { ...options(nonce), expectedNonce: 'short' },
      { ...options(nonce), now: '2026-03-02' },
      { ...options(nonce), maxSkewSeconds: Number.POSITIVE_INFINITY },
      { ...options(nonce), nonceStore: store },
    ]) {
      await expect(verifyEnrollment(jws, bad as VerifyEnrollmentOptions)).rejects.toThrow(TypeError);
    }
  });
});
