/**
 * How the verifier uses node:crypto: a registered key is imported once per verifier as a KeyObject
 * and cached (each verifier has its own bounded cache), each signature is one synchronous `verify`
 * over the exact signing input, enrollments go through the same `verify`, and nothing that
 * `node:crypto` throws escapes as a raw exception. `node:crypto` is wrapped (not replaced) so
 * every call can be observed; this file's module mocks do not reach other test files.
 */

import * as nodeCrypto from 'node:crypto';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CHECK_TYP, ENROLL_TYP, type EcPublicJwk } from '../protocol/assertion.js';
import { jwkThumbprint, signCompactJws } from '../protocol/jws.js';
import { p256Thumbprint } from './es256.js';
import { AssertionError, MemoryNonceStore, createChallenge, createVerifier, verifyCheck, type Verifier, type VerifierOptions } from './index.js';
import { newDevice, type Device } from '../../testing/device.js';

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, createPublicKey: vi.fn(actual.createPublicKey), verify: vi.fn(actual.verify) };
});

const createPublicKey = vi.mocked(nodeCrypto.createPublicKey);
const verify = vi.mocked(nodeCrypto.verify);

const NOW_MS = Date.UTC(2026, 2, 2, 10, 0, 0);
const NOW_S = NOW_MS / 1000;
const AUDIENCE = 'https://school.example';
const CHECK_ID = 'check-7f3a';

let device: Device;
let devices: Device[];
beforeAll(async () => {
  devices = await Promise.all([newDevice(), newDevice(), newDevice()]);
  device = devices[0]!;
});

beforeEach(() => {
  createPublicKey.mockClear();
  verify.mockClear();
});

async function signCheck(nonce: string, signer: Device = device): Promise<string> {
  const claims = {
    aud: AUDIENCE, sub: 'enr_1', jti: CHECK_ID, nonce, iat: NOW_S, exp: NOW_S + 60,
    outcome: 'pass', liveness: 'passed', models: [], sdk: '0.1.0',
  };
  return signCompactJws({ alg: 'ES256', typ: CHECK_TYP, kid: signer.kid }, claims, signer.keys.privateKey);
}

/** A verifier of its own: a cache no other test has touched, whatever keys the tests share. */
function newVerifier(extra: Partial<VerifierOptions> = {}): Verifier {
  return createVerifier({ audience: AUDIENCE, nonceStore: new MemoryNonceStore({ now: () => NOW_MS }), clock: () => NOW_MS, ...extra });
}

/** Verifies a fresh check signed by `signer` with `verifier`. */
async function check(verifier: Verifier, signer: Device = device, publicJwk: EcPublicJwk = signer.publicJwk): Promise<string> {
  const nonce = createChallenge();
  return (await verifier.verifyCheck(await signCheck(nonce, signer), { publicJwk, expectedNonce: nonce, checkId: CHECK_ID })).outcome;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => expect.fail(`expected a rejection, got ${JSON.stringify(value)}`),
    (error: unknown) => error,
  );
}

const importsOf = (signer: Device) =>
  createPublicKey.mock.calls.filter(([input]) => (input as { key: { x: string } }).key.x === signer.publicJwk.x).length;

describe('the registered-key cache', () => {
  it('imports the registered JWK once per key as a KeyObject (only kty, crv, x, y) and reuses it', async () => {
    const verifier = newVerifier();
    for (let i = 0; i < 3; i++) {
      // A fresh but equal JWK object each time, once with extra members: the cache is keyed by the point.
      const publicJwk = i === 2 ? ({ ...device.publicJwk, key_ops: ['verify'], ext: true } as EcPublicJwk) : { ...device.publicJwk };
      expect(await check(verifier, device, publicJwk)).toBe('pass');
    }
    expect(createPublicKey).toHaveBeenCalledExactlyOnceWith({
      key: { kty: 'EC', crv: 'P-256', x: device.publicJwk.x, y: device.publicJwk.y },
      format: 'jwk',
    });
    expect(verify).toHaveBeenCalledTimes(3);
    const keys = verify.mock.calls.map(([, , key]) => (key as nodeCrypto.VerifyKeyObjectInput).key);
    expect(keys[0]).toBeInstanceOf(nodeCrypto.KeyObject);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).toBe(keys[0]);
    expect(keys[0]).toMatchObject({ type: 'public', asymmetricKeyType: 'ec', asymmetricKeyDetails: { namedCurve: 'prime256v1' } });
  });

  it('belongs to one verifier: two verifiers do not share it', async () => {
    const first = newVerifier();
    const second = newVerifier();
    await check(first);
    await check(first);
    expect(importsOf(device)).toBe(1);
    // The same key, already imported by `first`, is imported again by `second`.
    await check(second);
    expect(importsOf(device)).toBe(2);
    await check(first);
    await check(second);
    expect(importsOf(device)).toBe(2);
    const keys = verify.mock.calls.map(([, , key]) => (key as nodeCrypto.VerifyKeyObjectInput).key);
    expect(keys[2]).not.toBe(keys[0]);
    expect(keys[3]).toBe(keys[0]);
    expect(keys[4]).toBe(keys[2]);
  });

  it('is bounded: beyond keyCacheSize the least recently used key is dropped', async () => {
    const [a, b, c] = devices as [Device, Device, Device];
    const verifier = newVerifier({ keyCacheSize: 2 });
    await check(verifier, a);
    await check(verifier, b);
    await check(verifier, a); // a is now the most recently used
    await check(verifier, c); // evicts b
    expect([importsOf(a), importsOf(b), importsOf(c)]).toEqual([1, 1, 1]);
    await check(verifier, a);
    await check(verifier, c);
    expect([importsOf(a), importsOf(b), importsOf(c)]).toEqual([1, 1, 1]);
    await check(verifier, b); // imported again, evicts a
    await check(verifier, a); // imported again
    expect([importsOf(a), importsOf(b), importsOf(c)]).toEqual([2, 2, 1]);
  });

  it('keeps nothing with keyCacheSize 0', async () => {
    const verifier = newVerifier({ keyCacheSize: 0 });
    await check(verifier);
    await check(verifier);
    expect(importsOf(device)).toBe(2);
  });

  it('is shared by the standalone verifyCheck calls, and not with any verifier', async () => {
    const [, , c] = devices as [Device, Device, Device];
    const standalone = async () => {
      const nonce = createChallenge();
      return verifyCheck(await signCheck(nonce, c), { audience: AUDIENCE, publicJwk: c.publicJwk, expectedNonce: nonce, checkId: CHECK_ID, now: NOW_MS });
    };
    await standalone();
    await standalone();
    expect(importsOf(c)).toBe(1);
    await check(newVerifier(), c);
    expect(importsOf(c)).toBe(2);
    await standalone();
    expect(importsOf(c)).toBe(2);
  });

  it('reports a registered key that node:crypto cannot import as a TypeError, and does not cache the failure', async () => {
    const verifier = newVerifier();
    const refused = new Error('Invalid JWK EC key');
    createPublicKey.mockImplementationOnce(() => {
      throw refused;
    });
    const error = await rejection(check(verifier));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).cause).toBe(refused);
    expect(await check(verifier)).toBe('pass');
    expect(createPublicKey).toHaveBeenCalledTimes(2);
  });
});

describe('the signature, on node:crypto for checks and enrollments alike', () => {
  it('verifies synchronously with SHA-256, r || s encoding, the exact signing input and the 64-byte signature', async () => {
    const nonce = createChallenge();
    const jws = await signCheck(nonce);
    await newVerifier().verifyCheck(jws, { publicJwk: device.publicJwk, expectedNonce: nonce, checkId: CHECK_ID });
    expect(verify).toHaveBeenCalledOnce();
    const [algorithm, data, key, signature] = verify.mock.calls[0]!;
    expect(algorithm).toBe('sha256');
    expect(Buffer.from(data as Uint8Array).toString('latin1')).toBe(jws.slice(0, jws.lastIndexOf('.')));
    expect(key).toMatchObject({ dsaEncoding: 'ieee-p1363' });
    expect(Buffer.from(signature as Uint8Array)).toEqual(Buffer.from(jws.slice(jws.lastIndexOf('.') + 1), 'base64url'));
    expect(verify.mock.results[0]).toEqual({ type: 'return', value: true });
  });

  it('verifies an enrollment with the same call, on the key it carries, without touching the cache', async () => {
    const nonce = createChallenge();
    const claims = { aud: AUDIENCE, sub: 'enr_1', nonce, iat: NOW_S, exp: NOW_S + 60, retainUntil: NOW_S + 86_400, idDocument: 'not_run', models: [], sdk: '0.1.0' };
    const jws = await signCompactJws({ alg: 'ES256', typ: ENROLL_TYP, kid: device.kid, jwk: device.publicJwk }, claims, device.keys.privateKey);
    const verifier = newVerifier();
    expect((await verifier.verifyEnrollment(jws, { expectedNonce: nonce })).thumbprint).toBe(device.kid);
    expect(createPublicKey).toHaveBeenCalledExactlyOnceWith({ key: { kty: 'EC', crv: 'P-256', x: device.publicJwk.x, y: device.publicJwk.y }, format: 'jwk' });
    expect(verify).toHaveBeenCalledOnce();
    const [algorithm, data, key] = verify.mock.calls[0]!;
    expect(algorithm).toBe('sha256');
    expect(Buffer.from(data as Uint8Array).toString('latin1')).toBe(jws.slice(0, jws.lastIndexOf('.')));
    expect(key).toMatchObject({ dsaEncoding: 'ieee-p1363' });
    // An enrollment key (untrusted until it verifies) does not warm or churn the check cache.
    await check(verifier);
    expect(createPublicKey).toHaveBeenCalledTimes(2);
  });

  it.each([
    ['63 bytes', 63],
    ['65 bytes', 65],
    ['no signature', 0],
  ])('never calls verify for a signature of %s (ERR_SIGNATURE_INVALID)', async (_name, length) => {
    const nonce = createChallenge();
    const jws = await signCheck(nonce);
    const dot = jws.lastIndexOf('.');
    const signature = Buffer.concat([Buffer.from(jws.slice(dot + 1), 'base64url'), Buffer.alloc(1)]).subarray(0, length);
    const error = await rejection(
      newVerifier().verifyCheck(`${jws.slice(0, dot)}.${signature.toString('base64url')}`, { publicJwk: device.publicJwk, expectedNonce: nonce, checkId: CHECK_ID }),
    );
    expect(error).toBeInstanceOf(AssertionError);
    expect((error as AssertionError).code).toBe('ERR_SIGNATURE_INVALID');
    expect(verify).not.toHaveBeenCalled();
  });

  it('turns an exception from verify into ERR_SIGNATURE_INVALID (no raw error escapes) and keeps the nonce', async () => {
    const nonce = createChallenge();
    const nonceStore = new MemoryNonceStore({ now: () => NOW_MS });
    const verifier = newVerifier({ nonceStore });
    const jws = await signCheck(nonce);
    const boom = new Error('simulated OpenSSL failure');
    verify.mockImplementationOnce(() => {
      throw boom;
    });
    const expectation = { publicJwk: device.publicJwk, expectedNonce: nonce, checkId: CHECK_ID };
    const error = await rejection(verifier.verifyCheck(jws, expectation));
    expect(error).toBeInstanceOf(AssertionError);
    expect((error as AssertionError).code).toBe('ERR_SIGNATURE_INVALID');
    expect((error as AssertionError).cause).toBe(boom);
    expect(nonceStore.size).toBe(0);
    // The next, untampered call goes through and spends the nonce.
    expect((await verifier.verifyCheck(jws, expectation)).outcome).toBe('pass');
    expect(nonceStore.size).toBe(1);
  });

  it('treats anything but true from verify as a bad signature (fail closed)', async () => {
    const nonce = createChallenge();
    const jws = await signCheck(nonce);
    verify.mockImplementationOnce((() => 1) as unknown as typeof nodeCrypto.verify);
    const error = await rejection(newVerifier().verifyCheck(jws, { publicJwk: device.publicJwk, expectedNonce: nonce, checkId: CHECK_ID }));
    expect((error as AssertionError).code).toBe('ERR_SIGNATURE_INVALID');
  });
});

describe('p256Thumbprint (the verifier’s synchronous RFC 7638 thumbprint)', () => {
  it('reproduces the published P-256 thumbprint of RFC 9449 §6.1 and agrees with jwkThumbprint', async () => {
    const published: EcPublicJwk = { kty: 'EC', crv: 'P-256', x: 'l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs', y: '9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA' };
    expect(p256Thumbprint(published)).toBe('0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I');
    for (const d of devices) expect(p256Thumbprint(d.publicJwk)).toBe(await jwkThumbprint(d.publicJwk));
  });

  it('refuses what jwkThumbprint refuses', () => {
    expect(() => p256Thumbprint({ ...device.publicJwk, x: `${device.publicJwk.x}=` })).toThrow(TypeError);
    expect(() => p256Thumbprint({ kty: 'EC', crv: 'P-384', x: 'a', y: 'b' } as unknown as EcPublicJwk)).toThrow(TypeError);
  });
});
