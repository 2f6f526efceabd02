import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { createDeviceKeys, sealTemplate, unsealTemplate, Vault, type EnrollmentRecord } from './vault.js';

const DAY = 86_400_000;
let dbCounter = 0;

async function record(audience: string, retainUntil: number): Promise<EnrollmentRecord> {
  const keys = await createDeviceKeys();
  const template = new Float32Array(512).map((_, i) => Math.sin(i) / 16);
  return {
    ...keys,
    audience,
    enrollmentId: 'student-7',
    retainUntil,
    createdAt: 0,
    sealedTemplate: await sealTemplate(keys.sealingKey, template, audience, 'student-7'),
    models: ['64184e229b26'],
  };
}

describe('device keys', () => {
  it('are non-extractable where private and carry an RFC 7638 kid', async () => {
    const keys = await createDeviceKeys();
    expect(keys.signingKey.extractable).toBe(false);
    expect(keys.signingKey.type).toBe('private');
    expect(keys.sealingKey.extractable).toBe(false);
    expect(keys.publicJwk).toEqual({ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String) });
    expect(keys.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await expect(crypto.subtle.exportKey('jwk', keys.signingKey)).rejects.toThrow();
  });
});

describe('sealTemplate', () => {
  it('round-trips, and the ciphertext is not the plaintext', async () => {
    const { sealingKey } = await createDeviceKeys();
    const template = new Float32Array([0.5, -0.25, 0.125, 0.75]);
    const sealed = await sealTemplate(sealingKey, template, 'https://school.example', 'a');
    expect(new Uint8Array(sealed.ciphertext)).not.toEqual(new Uint8Array(template.buffer));
    expect(await unsealTemplate(sealingKey, sealed, 'https://school.example', 'a')).toEqual(template);
  });

  it('refuses a template moved to another enrollment or tampered with', async () => {
    const { sealingKey } = await createDeviceKeys();
    const sealed = await sealTemplate(sealingKey, new Float32Array([1, 2]), 'https://school.example', 'a');
    await expect(unsealTemplate(sealingKey, sealed, 'https://school.example', 'b')).rejects.toThrow();
    const flipped = new Uint8Array(sealed.ciphertext.slice(0));
    flipped[0] = flipped[0]! ^ 1;
    await expect(unsealTemplate(sealingKey, { iv: sealed.iv, ciphertext: flipped.buffer }, 'https://school.example', 'a')).rejects.toThrow();
  });
});

describe('Vault', () => {
  it('stores one record per audience and keeps its keys usable after reopening', async () => {
    const name = `vault-test-${dbCounter++}`;
    const vault = await Vault.open(name);
    const saved = await record('https://school.example', 10 * DAY);
    await vault.save(saved);
    vault.close();
    const reopened = await Vault.open(name);
    const found = await reopened.lookup('https://school.example', DAY);
    expect(found.state).toBe('enrolled');
    if (found.state !== 'enrolled') return;
    const template = await unsealTemplate(found.record.sealingKey, found.record.sealedTemplate, 'https://school.example', 'student-7');
    expect(template).toHaveLength(512);
    const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, found.record.signingKey, new Uint8Array([1]));
    expect(signature.byteLength).toBe(64);
    expect(await reopened.lookup('https://other.example', DAY)).toEqual({ state: 'not_enrolled' });
  });

  it('deletes a record when it is read after retainUntil', async () => {
    const vault = await Vault.open(`vault-test-${dbCounter++}`);
    await vault.save(await record('https://school.example', 10 * DAY));
    expect(await vault.lookup('https://school.example', 10 * DAY)).toEqual({ state: 'expired' });
    expect(await vault.lookup('https://school.example', DAY)).toEqual({ state: 'not_enrolled' });
  });

  it('purges every expired record and keeps the others', async () => {
    const vault = await Vault.open(`vault-test-${dbCounter++}`);
    await vault.save(await record('https://a.example', 2 * DAY));
    await vault.save(await record('https://b.example', 20 * DAY));
    expect(await vault.purgeExpired(5 * DAY)).toBe(1);
    expect((await vault.lookup('https://a.example', DAY)).state).toBe('not_enrolled');
    expect((await vault.lookup('https://b.example', DAY)).state).toBe('enrolled');
  });

  it('forget deletes template and keys at once', async () => {
    const vault = await Vault.open(`vault-test-${dbCounter++}`);
    await vault.save(await record('https://school.example', 10 * DAY));
    await vault.forget('https://school.example');
    expect(await vault.lookup('https://school.example', DAY)).toEqual({ state: 'not_enrolled' });
  });
});
