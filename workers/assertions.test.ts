import { describe, expect, it } from 'vitest';
import { MemoryNonceStore, verifyCheck, verifyEnrollment } from '../src/server/index.js';
import { signCheck, signEnrollment } from './assertions.js';
import { MAX_ASSERTION_LIFETIME_SECONDS } from '../src/protocol/assertion.js';
import { createDeviceKeys } from './vault.js';
import { SDK_VERSION } from '../src/protocol/version.js';

const NOW = Date.UTC(2026, 10, 23, 9, 0, 0);
const nonce = 'a'.repeat(43);
const audience = 'https://school.example';

describe('signEnrollment and signCheck', () => {
  it('produce assertions presenza/server accepts, with only protocol claims', async () => {
    const keys = await createDeviceKeys();
    const enrollment = await signEnrollment(keys, {
      audience,
      enrollmentId: 'student-1',
      nonce,
      retainUntilMs: NOW + 30 * 86_400_000,
      nowMs: NOW,
      idDocument: 'matched',
      models: ['64184e229b26', '87aacdfe5751'],
    });
    const registered = await verifyEnrollment(enrollment, { audience, expectedNonce: nonce, now: NOW });
    expect(registered).toMatchObject({ enrollmentId: 'student-1', thumbprint: keys.kid, retainUntil: Math.floor((NOW + 30 * 86_400_000) / 1000), idDocument: 'matched' });

    const check = await signCheck(keys, {
      audience,
      enrollmentId: 'student-1',
      checkId: 'check-9',
      nonce,
      nowMs: NOW,
      outcome: 'fail',
      reason: 'mismatch',
      liveness: 'not_run',
      models: ['64184e229b26', '87aacdfe5751'],
    });
    const verified = await verifyCheck(check, {
      audience,
      publicJwk: registered.publicJwk,
      expectedNonce: nonce,
      checkId: 'check-9',
      nonceStore: new MemoryNonceStore({ now: () => NOW }),
      now: NOW,
    });
    expect(verified).toMatchObject({ outcome: 'fail', reason: 'mismatch', liveness: 'not_run', sdk: SDK_VERSION });
    const claims = JSON.parse(Buffer.from(check.split('.')[1]!, 'base64url').toString('utf8'));
    expect(Object.keys(claims).sort()).toEqual(['aud', 'exp', 'iat', 'jti', 'liveness', 'models', 'nonce', 'outcome', 'reason', 'sdk', 'sub']);
    expect(claims.exp - claims.iat).toBe(MAX_ASSERTION_LIFETIME_SECONDS);
  });

  it('leaves reason out of a pass', async () => {
    const keys = await createDeviceKeys();
    const pass = await signCheck(keys, {
      audience,
      enrollmentId: 's',
      checkId: 'c',
      nonce,
      nowMs: NOW,
      outcome: 'pass',
      reason: 'mismatch',
      liveness: 'passed',
      models: ['64184e229b26'],
    });
    expect(JSON.parse(Buffer.from(pass.split('.')[1]!, 'base64url').toString('utf8'))).not.toHaveProperty('reason');
  });
});
