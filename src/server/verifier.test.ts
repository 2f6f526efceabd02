import { beforeAll, describe, expect, it, vi } from 'vitest';
import { CHECK_TYP, ENROLL_TYP } from '../protocol/assertion.js';
import { base64urlEncodeJson, signCompactJws } from '../protocol/jws.js';
import { AssertionError, MemoryNonceStore, createChallenge, createVerifier, isPresenzaError, type NonceStore, type VerifierOptions } from './index.js';
import { newDevice, type Device } from '../../testing/device.js';
import { expectCode, rejection } from '../../testing/refusals.js';

const NOW_MS = Date.UTC(2026, 2, 2, 10, 0, 0);
const NOW_S = NOW_MS / 1000;
const AUDIENCE = 'https://school.example';
const SUBJECT = 'enr_9b2c41';
const CHECK_ID = 'check-7f3a';

let device: Device;
let other: Device;
beforeAll(async () => {
  device = await newDevice();
  other = await newDevice();
});

function signCheck(nonce: string, overrides: Record<string, unknown> = {}, signer: Device = device): Promise<string> {
  const claims = {
    aud: AUDIENCE, sub: SUBJECT, jti: CHECK_ID, nonce, iat: NOW_S, exp: NOW_S + 60,
    outcome: 'pass', liveness: 'passed', models: ['0f1e2d3c'], sdk: '0.1.0', ...overrides,
  };
  return signCompactJws({ alg: 'ES256', typ: CHECK_TYP, kid: signer.kid }, claims, signer.keys.privateKey);
}

function signEnrollment(nonce: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const claims = { aud: AUDIENCE, sub: SUBJECT, nonce, iat: NOW_S, exp: NOW_S + 60, retainUntil: NOW_S + 90 * 86_400, idDocument: 'not_run', models: [], sdk: '0.1.0', ...overrides };
  return signCompactJws({ alg: 'ES256', typ: ENROLL_TYP, kid: device.kid, jwk: device.publicJwk }, claims, device.keys.privateKey);
}

function verifier(extra: Partial<VerifierOptions> = {}) {
  return createVerifier({ audience: AUDIENCE, nonceStore: new MemoryNonceStore({ now: () => NOW_MS }), clock: () => NOW_MS, ...extra });
}

const expectation = (nonce: string) => ({ publicJwk: device.publicJwk, expectedNonce: nonce, checkId: CHECK_ID, enrollmentId: SUBJECT });

describe('createVerifier', () => {
  it('enrolls a device, then accepts its checks', async () => {
    const v = verifier();
    const enrollNonce = createChallenge();
    const { publicJwk, enrollmentId, thumbprint } = await v.verifyEnrollment(await signEnrollment(enrollNonce), { expectedNonce: enrollNonce, enrollmentId: SUBJECT });
    expect(thumbprint).toBe(device.kid);
    const nonce = createChallenge();
    const result = await v.verifyCheck(await signCheck(nonce, { outcome: 'fail', reason: 'mismatch' }), { publicJwk, expectedNonce: nonce, checkId: CHECK_ID, enrollmentId });
    expect(result).toEqual({ outcome: 'fail', reason: 'mismatch', liveness: 'passed', issuedAt: NOW_S, enrollmentId: SUBJECT, models: ['0f1e2d3c'], sdk: '0.1.0' });
    expect(v.audience).toBe(AUDIENCE);
    expect(Object.isFrozen(v)).toBe(true);
  });

  it('refuses a tampered check (ERR_SIGNATURE_INVALID) and one signed by another key', async () => {
    const v = verifier();
    const nonce = createChallenge();
    const [header, , signature] = (await signCheck(nonce, { outcome: 'fail', reason: 'mismatch' })).split('.');
    const tampered = `${header}.${base64urlEncodeJson({ aud: AUDIENCE, sub: SUBJECT, jti: CHECK_ID, nonce, iat: NOW_S, exp: NOW_S + 60, outcome: 'pass', liveness: 'passed', models: ['0f1e2d3c'], sdk: '0.1.0' })}.${signature}`;
    await expectCode(v.verifyCheck(tampered, expectation(nonce)), 'ERR_SIGNATURE_INVALID');
    await expectCode(v.verifyCheck(await signCheck(nonce, {}, other), expectation(nonce)), 'ERR_SIGNATURE_INVALID');
    // Neither burnt the nonce.
    expect((await v.verifyCheck(await signCheck(nonce), expectation(nonce))).outcome).toBe('pass');
  });

  it('refuses a replayed check and a replayed enrollment (ERR_REPLAYED): the nonce store is always used', async () => {
    const v = verifier();
    const nonce = createChallenge();
    const jws = await signCheck(nonce);
    expect((await v.verifyCheck(jws, expectation(nonce))).outcome).toBe('pass');
    await expectCode(v.verifyCheck(jws, expectation(nonce)), 'ERR_REPLAYED', 'nonce');
    const enrollNonce = createChallenge();
    const enrollment = await signEnrollment(enrollNonce);
    await v.verifyEnrollment(enrollment, { expectedNonce: enrollNonce });
    await expectCode(v.verifyEnrollment(enrollment, { expectedNonce: enrollNonce }), 'ERR_REPLAYED', 'nonce');
  });

  it('refuses an assertion made for another platform (ERR_AUDIENCE), and another platform’s verifier refuses ours', async () => {
    const nonce = createChallenge();
    await expectCode(verifier().verifyCheck(await signCheck(nonce, { aud: 'https://evil.example' }), expectation(nonce)), 'ERR_AUDIENCE', 'aud');
    const elsewhere = verifier({ audience: 'https://other-school.example' });
    await expectCode(elsewhere.verifyCheck(await signCheck(nonce), expectation(nonce)), 'ERR_AUDIENCE', 'aud');
    const enrollNonce = createChallenge();
    await expectCode(elsewhere.verifyEnrollment(await signEnrollment(enrollNonce), { expectedNonce: enrollNonce }), 'ERR_AUDIENCE', 'aud');
  });

  it('reads its clock once per verification', async () => {
    let now = NOW_MS;
    const clock = vi.fn(() => now);
    const v = verifier({ clock, nonceStore: new MemoryNonceStore({ now: clock }) });
    const jws = await signCheck(createChallenge());
    const nonce = JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()).nonce as string;
    now = NOW_MS + (60 + 31) * 1000;
    clock.mockClear();
    await expectCode(v.verifyCheck(jws, expectation(nonce)), 'ERR_EXPIRED', 'exp');
    expect(clock).toHaveBeenCalledOnce();
    now = NOW_MS;
    expect((await v.verifyCheck(jws, expectation(nonce))).outcome).toBe('pass');
  });

  it('uses its own maxSkewSeconds', async () => {
    const nonce = createChallenge();
    const jws = await signCheck(nonce);
    const strict = verifier({ maxSkewSeconds: 0, clock: () => (NOW_S + 61) * 1000 });
    await expectCode(strict.verifyCheck(jws, expectation(nonce)), 'ERR_EXPIRED', 'exp');
    const lenient = verifier({ maxSkewSeconds: 10, clock: () => (NOW_S + 61) * 1000 });
    expect((await lenient.verifyCheck(jws, expectation(nonce))).outcome).toBe('pass');
  });

  it.each<[string, unknown]>([
    ['no options', undefined],
    ['a missing audience', { nonceStore: new MemoryNonceStore() }],
    ['a missing nonceStore', { audience: AUDIENCE }],
    ['a nonceStore without consume', { audience: AUDIENCE, nonceStore: {} }],
    ['a clock that is not a function', { audience: AUDIENCE, nonceStore: new MemoryNonceStore(), clock: NOW_MS }],
    ['an enormous skew', { audience: AUDIENCE, nonceStore: new MemoryNonceStore(), maxSkewSeconds: 86_400 }],
    ['a negative keyCacheSize', { audience: AUDIENCE, nonceStore: new MemoryNonceStore(), keyCacheSize: -1 }],
    ['a fractional keyCacheSize', { audience: AUDIENCE, nonceStore: new MemoryNonceStore(), keyCacheSize: 1.5 }],
  ])('throws TypeError on %s', (_name, options) => {
    expect(() => createVerifier(options as VerifierOptions)).toThrow(TypeError);
  });

  it('rejects with TypeError on a bad expectation or a clock that returns no time', async () => {
    const nonce = createChallenge();
    const jws = await signCheck(nonce);
    const v = verifier();
    for (const bad of [undefined, { ...expectation(nonce), publicJwk: undefined }, { ...expectation(nonce), expectedNonce: 'short' }, { ...expectation(nonce), checkId: '' }]) {
      const error = await rejection(v.verifyCheck(jws, bad as never));
      expect(error).toBeInstanceOf(TypeError);
      expect(isPresenzaError(error)).toBe(false);
    }
    await expect(v.verifyEnrollment(await signEnrollment(nonce), { expectedNonce: 'short' })).rejects.toThrow(TypeError);
    const broken = verifier({ clock: () => Number.NaN });
    await expect(broken.verifyCheck(jws, expectation(nonce))).rejects.toThrow(TypeError);
  });

  it('propagates a nonce store failure unchanged', async () => {
    const down = new Error('database unavailable');
    const nonceStore: NonceStore = { consume: async () => Promise.reject(down) };
    const nonce = createChallenge();
    expect(await rejection(verifier({ nonceStore }).verifyCheck(await signCheck(nonce), expectation(nonce)))).toBe(down);
  });
});
