import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { CHECK_WINDOW_MS, COURSE_RETENTION_MS, type Attendance } from './attendance.js';
import { describeSchema, openDatabase, type Db } from './db.js';
import { SimulatedStudent, type Send } from '../testing/simulatedStudent.js';

const ORIGIN = 'http://localhost:5173';
/** Set (e.g. by .ci/run) to run these tests on PostgreSQL too; each test starts from an empty schema. */
const POSTGRES_URL = process.env.PRESENZA_TEST_DATABASE_URL;
const engines = POSTGRES_URL ? ['sqlite', 'postgres'] : ['sqlite'];
let db: Db;
let app: FastifyInstance;
let attendance: Attendance;
let clock: number;

const send: Send = async (method, url, payload) => {
  const response = await app.inject({
    method: method as 'GET' | 'POST',
    url,
    headers: { origin: ORIGIN, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
  });
  const text = response.body;
  return { status: response.statusCode, body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text } };
};

async function freshDatabase(engine: string): Promise<Db> {
  if (engine === 'sqlite') return openDatabase({ file: ':memory:' });
  const scratch = await openDatabase({ url: POSTGRES_URL, file: '' });
  await scratch.run('DROP SCHEMA public CASCADE');
  await scratch.run('CREATE SCHEMA public');
  await scratch.close();
  return openDatabase({ url: POSTGRES_URL, file: '' });
}

afterEach(async () => {
  await app.close();
  await db.close();
});

describe.each(engines)('on %s', (engine) => {
  beforeEach(async () => {
    clock = Date.UTC(2026, 10, 23, 9);
    db = await freshDatabase(engine);
    ({ app, attendance } = await buildApp({ db, origins: [ORIGIN], now: () => clock }));
  });

  async function lessonWith(students: SimulatedStudent[]) {
    const { lessonId } = (await send('POST', '/api/lessons', { title: 'Diritto amministrativo' })).body as { lessonId: string };
    for (const s of students) expect((await send('POST', `/api/lessons/${lessonId}/join`, { studentId: s.studentId })).status).toBe(200);
    const opened = await attendance.fireCheck(lessonId);
    const check = async (s: SimulatedStudent) => {
      const [open] = await attendance.openChecks(lessonId, s.studentId);
      return open!;
    };
    return { lessonId, checkId: opened.checkId, check };
  }

  describe('schema', () => {
    it('has no column that could hold an image, an embedding, a template or a score', async () => {
      const columns = await describeSchema(db);
      expect(columns.length).toBeGreaterThan(20);
      for (const { table, column, type } of columns) {
        expect(`${table}.${column}`).not.toMatch(/image|photo|picture|frame|embedding|template|vector|feature|score|similar|distance|landmark|biometric|face/i);
        expect(`${table}.${column}:${type}`).not.toMatch(/blob|bytea|binary/i);
      }
    });
  });

  describe('malformed requests', () => {
    it('are refused with 400 and a code, before any work', async () => {
      expect((await send('POST', '/api/students', {})).body).toMatchObject({ error: 'bad_request' });
      expect((await send('POST', '/api/students', { displayName: 'x', extra: 1 })).status).toBe(400);
      expect((await send('POST', '/api/students/not-an-id/enrollment-challenge')).status).toBe(400);
      expect((await send('POST', '/api/lessons', { title: 42 })).status).toBe(400);
      expect((await send('POST', '/api/checks/c-00000000-0000-0000-0000-000000000000/result', { studentId: 's-x', assertion: 'a.b.c' })).status).toBe(400);
      const notJson = await app.inject({ method: 'POST', url: '/api/lessons', headers: { 'content-type': 'application/json' }, payload: '{"title":' });
      expect(notJson.statusCode).toBe(400);
    });

    it('refuses an oversized body with 413', async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/api/lessons',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ title: 'x'.repeat(20_000) }),
      });
      expect(response.statusCode).toBe(413);
    });

    it('answers 404 for unknown students and lessons', async () => {
      expect((await send('GET', '/api/students/s-00000000-0000-0000-0000-000000000000')).body).toMatchObject({ error: 'no_such_student' });
      expect((await send('GET', '/api/lessons/l-00000000-0000-0000-0000-000000000000')).status).toBe(404);
    });
  });

  describe('checks', () => {
    it('records a verified pass, refuses a replay and a tampered assertion', async () => {
      const student = await SimulatedStudent.enroll(send, ORIGIN, 'Giulia', () => clock);
      const { lessonId, check } = await lessonWith([student]);
      const open = await check(student);
      const assertion = await student.signCheck(open, 'pass', undefined, () => clock);

      const [header, payload, signature] = assertion.split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
      const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, outcome: 'pass', liveness: 'passed' })).toString('base64url')}x.${signature}`;
      expect((await student.submit(open.checkId, forged)).body).toMatchObject({ error: expect.stringMatching(/^ERR_/) });

      expect((await student.submit(open.checkId, assertion)).body).toEqual({ status: 'passed' });
      expect((await student.submit(open.checkId, assertion)).body).toMatchObject({ error: 'ERR_REPLAYED' });
      const { counts } = await attendance.attendance(lessonId);
      expect(counts).toEqual({ pending: 0, passed: 1, failed: 0, alternative: 0 });
    });

    it('refuses an assertion signed by another student’s key', async () => {
      const a = await SimulatedStudent.enroll(send, ORIGIN, 'A', () => clock);
      const b = await SimulatedStudent.enroll(send, ORIGIN, 'B', () => clock);
      const { check } = await lessonWith([a, b]);
      const openA = await check(a);
      const signedByB = await b.signCheck(openA, 'pass', undefined, () => clock);
      expect((await a.submit(openA.checkId, signedByB)).body).toMatchObject({ error: expect.stringMatching(/^ERR_(SIGNATURE_INVALID|CLAIMS)$/) });
    });

    it('a failed check asks the teacher to verify in person; a retry gets a fresh nonce', async () => {
      const student = await SimulatedStudent.enroll(send, ORIGIN, 'Marco', () => clock);
      const { lessonId, check } = await lessonWith([student]);
      const open = await check(student);
      const failed = await student.signCheck(open, 'fail', 'mismatch', () => clock);
      expect((await student.submit(open.checkId, failed)).body).toEqual({ status: 'failed' });
      const retry = (await send('POST', `/api/checks/${open.checkId}/retry`, { studentId: student.studentId })).body as { nonce: string };
      expect(retry.nonce).not.toBe(open.nonce);
      // The old nonce no longer works, the new one does.
      const stale = await student.signCheck(open, 'pass', undefined, () => clock);
      expect((await student.submit(open.checkId, stale)).body).toMatchObject({ error: 'ERR_NONCE_MISMATCH' });
      const fresh = await student.signCheck({ checkId: open.checkId, nonce: retry.nonce }, 'pass', undefined, () => clock);
      expect((await student.submit(open.checkId, fresh)).body).toEqual({ status: 'passed' });
      expect((await attendance.attendance(lessonId)).lines[0]).toMatchObject({ status: 'passed', method: 'biometric', outcome: 'pass' });
    });

    it('records the alternative path and the teacher’s confirmations', async () => {
      const alt = await SimulatedStudent.enroll(send, ORIGIN, 'Anna', () => clock);
      const failing = await SimulatedStudent.enroll(send, ORIGIN, 'Bruno', () => clock);
      const { lessonId, checkId, check } = await lessonWith([alt, failing]);
      expect((await send('POST', `/api/checks/${checkId}/alternative`, { studentId: alt.studentId })).body).toEqual({ status: 'alternative_requested' });
      const open = await check(failing);
      await failing.submit(checkId, await failing.signCheck(open, 'inconclusive', 'no_face', () => clock));
      expect((await attendance.attendance(lessonId)).counts).toEqual({ pending: 0, passed: 0, failed: 1, alternative: 1 });
      expect((await send('POST', `/api/checks/${checkId}/confirm`, { studentId: alt.studentId, present: true })).body).toEqual({ status: 'alternative_confirmed' });
      expect((await send('POST', `/api/checks/${checkId}/confirm`, { studentId: failing.studentId, present: true })).body).toEqual({ status: 'confirmed_in_person' });
      const result = await attendance.attendance(lessonId);
      expect(result.counts).toEqual({ pending: 0, passed: 1, failed: 0, alternative: 1 });
      const csv = (await send('GET', `/api/lessons/${lessonId}/attendance.csv`)).body.text as string;
      expect(csv.split('\r\n')[0]).toBe('check_id,student_id,display_name,status,method,outcome,reason,updated_at');
      expect(csv).toContain('"alternative_confirmed","alternative"');
      expect(csv).toContain('"confirmed_in_person","in_person","inconclusive","no_face"');
    });

    it('refuses answers after the check window closes', async () => {
      const student = await SimulatedStudent.enroll(send, ORIGIN, 'Late', () => clock);
      const { check } = await lessonWith([student]);
      const open = await check(student);
      clock += CHECK_WINDOW_MS + 1;
      const late = await student.signCheck(open, 'pass', undefined, () => clock);
      expect((await student.submit(open.checkId, late)).body).toMatchObject({ error: 'check_closed' });
    });

    it('escapes spreadsheet formulas in the CSV', async () => {
      const student = await SimulatedStudent.enroll(send, ORIGIN, '=HYPERLINK("x")', () => clock);
      const { lessonId } = await lessonWith([student]);
      const csv = (await send('GET', `/api/lessons/${lessonId}/attendance.csv`)).body.text as string;
      expect(csv).toContain(`"'=HYPERLINK(""x"")"`);
    });
  });

  describe('retention', () => {
    it('purges lessons with their attendance and keys after the retention date, nonces after expiry', async () => {
      const student = await SimulatedStudent.enroll(send, ORIGIN, 'Old', () => clock);
      const { lessonId } = await lessonWith([student]);
      expect(await attendance.purgeExpired()).toEqual({ lessons: 0, keys: 0, nonces: 0 });
      clock += CHECK_WINDOW_MS + 1;
      expect((await attendance.purgeExpired()).nonces).toBeGreaterThan(0);
      clock += COURSE_RETENTION_MS;
      expect(await attendance.purgeExpired()).toMatchObject({ lessons: 1, keys: 1 });
      expect((await send('GET', `/api/lessons/${lessonId}/attendance`)).status).toBe(404);
      expect(await db.all('SELECT * FROM attendance')).toEqual([]);
      expect((await send('GET', `/api/students/${student.studentId}`)).body).toEqual({ enrolled: false, retainUntil: null });
    });
  });
});
