import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ID_DOCUMENT_RESULTS } from 'presenza/server';
import { admitDeviceKey, pendingReason } from './enrollmentApproval.js';
import { ENGINES, makeWorld, startHarness, type Harness } from '../testing/serviceWorld.js';
import { SimulatedStudent } from '../testing/simulatedStudent.js';

describe('admitDeviceKey', () => {
  it('a first key is active whatever the document found', () => {
    for (const result of ID_DOCUMENT_RESULTS) expect(admitDeviceKey(false, result)).toEqual({ status: 'active', action: 'enrollment.registered' });
  });

  it('a further key is active only when the identity document matched', () => {
    expect(admitDeviceKey(true, 'matched')).toEqual({ status: 'active', action: 'enrollment.document_matched' });
    expect(admitDeviceKey(true, 'not_matched')).toEqual({ status: 'pending', action: 'enrollment.pending' });
    expect(admitDeviceKey(true, 'not_run')).toEqual({ status: 'pending', action: 'enrollment.pending' });
  });
});

describe('pendingReason', () => {
  it('gives the stored outcome that keeps a key pending, null for anything else', () => {
    expect(pendingReason('not_matched')).toBe('not_matched');
    expect(pendingReason('not_run')).toBe('not_run');
    // Keys stored before the outcome was kept, and a value that cannot keep a key pending.
    expect(pendingReason(null)).toBeNull();
    expect(pendingReason('matched')).toBeNull();
    expect(pendingReason('<img>')).toBeNull();
  });
});

let h: Harness;

describe.each(ENGINES)('a new device enrolled on %s', (engine) => {
  beforeEach(async () => {
    h = await startHarness(engine);
  });
  afterEach(async () => {
    await h.close();
  });
  const now = () => h.clock.now;
  /** Audit entries about `keyId`: action and detail. */
  const auditOf = (keyId: string) => h.db.all<{ action: string; detail: string }>('SELECT action, detail FROM audit_log WHERE target_id = ? ORDER BY seq', [keyId]);

  it('is active at once when the identity document matched: audited, nothing for the teacher to approve', async () => {
    const w = await makeWorld(h);
    const device = new SimulatedStudent(w.s1.client);
    device.idDocument = 'matched';
    expect((await device.tryEnroll(now)).body).toMatchObject({ status: 'active' });
    expect(await auditOf(device.keyId)).toEqual([{ action: 'enrollment.document_matched', detail: JSON.stringify({ idDocument: 'matched' }) }]);
    const pending = (await w.t1.send('GET', `/api/lessons/${w.l1}/enrollments`)).body as unknown as { keyId: string }[];
    expect(pending.map((p) => p.keyId)).toEqual([w.s1b.keyId]);
    // The new key answers checks straight away.
    const open = await w.nonceOf(w.s1, w.l1);
    expect((await device.submit(w.c1, await device.signCheck(open, 'pass', undefined, now))).body).toEqual({ status: 'passed' });
    expect((await w.auditor.send('GET', '/api/audit/verify')).body).toMatchObject({ ok: true });
  });

  it.each(['not_matched', 'not_run'] as const)('stays pending for the teacher when the document was %s, who sees why', async (result) => {
    const w = await makeWorld(h);
    const device = new SimulatedStudent(w.s1.client);
    device.idDocument = result;
    expect((await device.tryEnroll(now)).body).toMatchObject({ status: 'pending' });
    expect(await auditOf(device.keyId)).toEqual([{ action: 'enrollment.pending', detail: JSON.stringify({ idDocument: result }) }]);
    // The teacher's list says why, as a code (the page words it): no score, no image.
    const pending = (await w.t1.send('GET', `/api/lessons/${w.l1}/enrollments`)).body as unknown as Record<string, unknown>[];
    const entry = pending.find((p) => p.keyId === device.keyId);
    expect(entry).toMatchObject({ idDocument: result });
    expect(Object.keys(entry!).sort()).toEqual(['activeKeys', 'createdAt', 'displayName', 'fingerprint', 'idDocument', 'keyId', 'studentId']);
  });

  it('a first enrollment is registered as before, whatever the document', async () => {
    const student = new SimulatedStudent(await h.platform.signIn(h.transport, 'http://localhost:5173', { subject: `first-${engine}`, role: 'student' }, now()));
    student.idDocument = 'not_matched';
    expect((await student.tryEnroll(now)).body).toMatchObject({ status: 'active' });
    expect((await auditOf(student.keyId)).map((e) => e.action)).toEqual(['enrollment.registered']);
  });
});
