import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, SignJWT } from 'jose';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { CHECK_TYP, ENROLL_TYP, MAX_RETENTION_MONTHS, RETENTION_LIMIT_SLACK_SECONDS } from '../protocol/assertion.js';
import { ES256_SIGN_ALGORITHM, base64urlEncodeJson, signCompactJws } from '../protocol/jws.js';
import {
  AssertionError,
  MemoryNonceStore,
  createChallenge,
  verifyCheck,
  verifyEnrollment,
  type NonceStore,
  type VerifyEnrollmentOptions,
} from './index.js';
import { newDevice, type Device } from '../../testing/device.js';
import { expectCode } from '../../testing/refusals.js';

const NOW_MS = Date.UTC(2026, 2, 2, 9, 0, 0);
const NOW_S = NOW_MS / 1000;
const COURSE_END_S = Date.UTC(2026, 6, 31) / 1000;
const AUDIENCE = 'https://school.example';
const SUBJECT = 'enr_9b2c41';
const MODELS = ['0f1e2d3c4b5a6978', 'a1b2c3d4e5f60718', '99aa88bb77cc66dd'];

let device: Device;
let other: Device;
beforeAll(async () => {
  device = await newDevice({ extractable: true });
  other = await newDevice();
});

function claims(nonce: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { aud: AUDIENCE, sub: SUBJECT, nonce, iat: NOW_S, exp: NOW_S + 60, retainUntil: COURSE_END_S, idDocument: 'not_run', models: MODELS, sdk: '0.1.0', ...overrides };
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

/** Signs `header.payload` as given (e.g. in a spelling no encoder would produce) with `signer`. */
async function signRaw(header: string, payload: string, signer: Device = device): Promise<string> {
  const signingInput = `${header}.${payload}`;
  const signature = await crypto.subtle.sign(ES256_SIGN_ALGORITHM, signer.keys.privateKey, new TextEncoder().encode(signingInput));
  return `${signingInput}.${Buffer.from(signature).toString('base64url')}`;
}

/** Base64url of `value`'s JSON, with a trailing space if needed so that the last group is partial (has unused bits). */
function withPartialGroup(value: unknown): string {
  let json = JSON.stringify(value);
  if (Buffer.byteLength(json) % 3 === 0) json += ' ';
  return Buffer.from(json).toString('base64url');
}

/** The same base64url text with the last character's unused low bit set: same bytes, another spelling. */
function withTrailingBit(text: string): string {
  const digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const spelled = `${text.slice(0, -1)}${digits[digits.indexOf(text.at(-1)!) | 1]}`;
  expect(spelled).not.toBe(text);
  expect(Buffer.from(spelled, 'base64url')).toEqual(Buffer.from(text, 'base64url'));
  return spelled;
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
      idDocument: 'not_run',
    });
    expect(Object.keys(result.publicJwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    expect(result.thumbprint).toBe(await calculateJwkThumbprint(device.publicJwk, 'sha256'));
  });

  it('accepts an enrollment made by jose’s SignJWT', async () => {
    const nonce = createChallenge();
    const jws = await new SignJWT({ nonce, retainUntil: COURSE_END_S, idDocument: 'matched', models: MODELS, sdk: '0.1.0' })
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

  it.each(['x', 'y'] as const)(
    'rejects a jwk %s with non-zero trailing bits, signed and with its own thumbprint as kid: one key, one thumbprint (ERR_MALFORMED)',
    async (coordinate) => {
      const nonce = createChallenge();
      const jwk = { ...device.publicJwk, [coordinate]: withTrailingBit(device.publicJwk[coordinate]) };
      // The thumbprint of this spelling, computed by hand (jwkThumbprint refuses it): without the
      // rule the same key would register under a second thumbprint.
      const kid = createHash('sha256').update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })).digest('base64url');
      expect(kid).not.toBe(device.kid);
      const jws = await signEnrollment(nonce, {}, { jwk, kid });
      await expectCode(verifyEnrollment(jws, options(nonce)), 'ERR_MALFORMED');
      await expect(verifyEnrollment(jws, options(nonce))).rejects.toThrow(/canonical/);
      // The canonical spelling of the same key, signed the same way, is accepted.
      expect((await verifyEnrollment(await signEnrollment(nonce), options(nonce))).thumbprint).toBe(device.kid);
    },
  );

  it('rejects a header or payload with non-zero trailing bits even when correctly signed (ERR_MALFORMED)', async () => {
    const nonce = createChallenge();
    const header = withPartialGroup({ alg: 'ES256', typ: ENROLL_TYP, kid: device.kid, jwk: device.publicJwk });
    const payload = withPartialGroup(claims(nonce));
    await expectCode(verifyEnrollment(await signRaw(withTrailingBit(header), payload), options(nonce)), 'ERR_MALFORMED');
    await expectCode(verifyEnrollment(await signRaw(header, withTrailingBit(payload)), options(nonce)), 'ERR_MALFORMED');
    // The canonical spelling of the same header and payload is accepted.
    expect((await verifyEnrollment(await signRaw(header, payload), options(nonce))).enrollmentId).toBe(SUBJECT);
  });

  it('rejects a signature with non-zero trailing bits: the same bytes in another spelling (ERR_MALFORMED)', async () => {
    const nonce = createChallenge();
    const jws = await signEnrollment(nonce);
    const dot = jws.lastIndexOf('.');
    await expectCode(verifyEnrollment(`${jws.slice(0, dot)}.${withTrailingBit(jws.slice(dot + 1))}`, options(nonce)), 'ERR_MALFORMED');
    expect((await verifyEnrollment(jws, options(nonce))).thumbprint).toBe(device.kid);
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

  /** iat + MAX_RETENTION_MONTHS calendar months in UTC + the slack: the latest retainUntil accepted. */
  const LATEST_RETAIN_UNTIL_S = Date.UTC(2026, 2 + MAX_RETENTION_MONTHS, 2, 9, 0, 0) / 1000 + RETENTION_LIMIT_SLACK_SECONDS;

  it.each([
    ['missing', undefined],
    ['in the past', NOW_S - 1],
    ['now', NOW_S],
    ['fractional', COURSE_END_S + 0.5],
    ['a date string', '2026-07-31'],
    [`one second beyond ${MAX_RETENTION_MONTHS} months after iat (and the slack)`, LATEST_RETAIN_UNTIL_S + 1],
    ['two years ahead', NOW_S + 2 * 365 * 86_400],
    ['the largest safe integer', Number.MAX_SAFE_INTEGER],
  ])('rejects retainUntil %s (ERR_CLAIMS, claim retainUntil)', async (_name, retainUntil) => {
    const nonce = createChallenge();
    await expectCode(verifyEnrollment(await signEnrollment(nonce, { retainUntil }), options(nonce)), 'ERR_CLAIMS', 'retainUntil');
    await expect(verifyEnrollment(await signEnrollment(nonce, { retainUntil }), options(nonce))).rejects.toThrow(/^retainUntil: /);
  });

  it(`accepts retainUntil up to ${MAX_RETENTION_MONTHS} months after iat plus the slack, counted from iat (not from now)`, async () => {
    const nonce = createChallenge();
    const latest = await signEnrollment(nonce, { retainUntil: LATEST_RETAIN_UNTIL_S });
    expect((await verifyEnrollment(latest, options(nonce))).retainUntil).toBe(LATEST_RETAIN_UNTIL_S);
    // Verified 50 s later (still within exp), the bound has not moved with the clock.
    await expectCode(verifyEnrollment(await signEnrollment(nonce, { retainUntil: LATEST_RETAIN_UNTIL_S + 1 }), options(nonce, { now: NOW_MS + 50_000 })), 'ERR_CLAIMS', 'retainUntil');
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
