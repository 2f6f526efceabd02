/**
 * How verifyCheck uses node:crypto: the registered key is imported once as a KeyObject and
 * cached, each check is one synchronous `verify` over the exact signing input, and nothing that
 * `node:crypto` throws escapes as a raw exception. `node:crypto` is wrapped (not replaced) so
 * every call can be observed; this file's module mocks do not reach other test files.
 */

import * as nodeCrypto from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { CHECK_TYP, type EcPublicJwk } from '../protocol/assertion.js';
import { signCompactJws } from '../protocol/jws.js';
import { AssertionError, MemoryNonceStore, createChallenge, verifyCheck, type VerifyCheckOptions } from './index.js';
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


async function signCheck(device: Device, nonce: string): Promise<string> {
  const claims = {
    aud: AUDIENCE, sub: 'enr_1', jti: CHECK_ID, nonce, iat: NOW_S, exp: NOW_S + 60,
    outcome: 'pass', liveness: 'passed', models: [], sdk: '0.1.0',
  };
  return signCompactJws({ alg: 'ES256', typ: CHECK_TYP, kid: device.kid }, claims, device.keys.privateKey);
}

function options(device: Device, nonce: string, extra: Partial<VerifyCheckOptions> = {}): VerifyCheckOptions {
  return { audience: AUDIENCE, publicJwk: device.publicJwk, expectedNonce: nonce, checkId: CHECK_ID, now: NOW_MS, ...extra };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => expect.fail(`expected a rejection, got ${JSON.stringify(value)}`),
    (error: unknown) => error,
  );
}

beforeEach(() => {
  createPublicKey.mockClear();
  verify.mockClear();
});

describe('verifyCheck on node:crypto', () => {
  it('imports the registered JWK once per key as a KeyObject (only kty, crv, x, y) and reuses it', async () => {
    const device = await newDevice();
    for (let i = 0; i < 3; i++) {
      const nonce = createChallenge();
      // A fresh but equal JWK object each time, once with extra members: the cache is keyed by the point.
      const publicJwk = i === 2 ? ({ ...device.publicJwk, key_ops: ['verify'], ext: true } as EcPublicJwk) : { ...device.publicJwk };
      expect((await verifyCheck(await signCheck(device, nonce), options(device, nonce, { publicJwk }))).outcome).toBe('pass');
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

  it('verifies synchronously with SHA-256, r || s encoding, the exact signing input and the 64-byte signature', async () => {
    const device = await newDevice();
    const nonce = createChallenge();
    const jws = await signCheck(device, nonce);
    await verifyCheck(jws, options(device, nonce));
    expect(verify).toHaveBeenCalledOnce();
    const [algorithm, data, key, signature] = verify.mock.calls[0]!;
    expect(algorithm).toBe('sha256');
    expect(Buffer.from(data as Uint8Array).toString('latin1')).toBe(jws.slice(0, jws.lastIndexOf('.')));
    expect(key).toMatchObject({ dsaEncoding: 'ieee-p1363' });
    expect(Buffer.from(signature as Uint8Array)).toEqual(Buffer.from(jws.slice(jws.lastIndexOf('.') + 1), 'base64url'));
    expect(verify.mock.results[0]).toEqual({ type: 'return', value: true });
  });

  it.each([
    ['63 bytes', 63],
    ['65 bytes', 65],
    ['no signature', 0],
  ])('never calls verify for a signature of %s (ERR_SIGNATURE_INVALID)', async (_name, length) => {
    const device = await newDevice();
    const nonce = createChallenge();
    const jws = await signCheck(device, nonce);
    const dot = jws.lastIndexOf('.');
    const signature = Buffer.concat([Buffer.from(jws.slice(dot + 1), 'base64url'), Buffer.alloc(1)]).subarray(0, length);
    const error = await rejection(verifyCheck(`${jws.slice(0, dot)}.${signature.toString('base64url')}`, options(device, nonce)));
    expect(error).toBeInstanceOf(AssertionError);
    expect((error as AssertionError).code).toBe('ERR_SIGNATURE_INVALID');
    expect(verify).not.toHaveBeenCalled();
  });

  it('turns an exception from verify into ERR_SIGNATURE_INVALID (no raw error escapes) and keeps the nonce', async () => {
    const device = await newDevice();
    const nonce = createChallenge();
    const nonceStore = new MemoryNonceStore({ now: () => NOW_MS });
    const jws = await signCheck(device, nonce);
    const boom = new Error('simulated OpenSSL failure');
    verify.mockImplementationOnce(() => {
      throw boom;
    });
    const error = await rejection(verifyCheck(jws, options(device, nonce, { nonceStore })));
    expect(error).toBeInstanceOf(AssertionError);
    expect((error as AssertionError).code).toBe('ERR_SIGNATURE_INVALID');
    expect((error as AssertionError).cause).toBe(boom);
    expect(nonceStore.size).toBe(0);
    // The next, untampered call goes through and spends the nonce.
    expect((await verifyCheck(jws, options(device, nonce, { nonceStore }))).outcome).toBe('pass');
    expect(nonceStore.size).toBe(1);
  });

  it('treats anything but true from verify as a bad signature (fail closed)', async () => {
    const device = await newDevice();
    const nonce = createChallenge();
    const jws = await signCheck(device, nonce);
    verify.mockImplementationOnce((() => 1) as unknown as typeof nodeCrypto.verify);
    const error = await rejection(verifyCheck(jws, options(device, nonce)));
    expect((error as AssertionError).code).toBe('ERR_SIGNATURE_INVALID');
  });

  it('reports a registered key that node:crypto cannot import as a TypeError, and does not cache the failure', async () => {
    const device = await newDevice();
    const nonce = createChallenge();
    const jws = await signCheck(device, nonce);
    const refused = new Error('Invalid JWK EC key');
    createPublicKey.mockImplementationOnce(() => {
      throw refused;
    });
    const error = await rejection(verifyCheck(jws, options(device, nonce)));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).cause).toBe(refused);
    expect((await verifyCheck(jws, options(device, nonce))).outcome).toBe('pass');
    expect(createPublicKey).toHaveBeenCalledTimes(2);
  });
});
