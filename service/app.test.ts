import { chmodSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHECK_WINDOW_MS, COURSE_RETENTION_MS, UNATTACHED_STUDENT_GRACE_MS } from './attendance.js';
import { csvCell } from './attendanceViews.js';
import { ROUTES } from './access.js';
import { verifyAuditChain } from './audit.js';
import { describeSchema, openDatabase, SQLITE_FILE_MODE } from './db.js';
import { ENGINES, makeWorld, ORIGIN, snapshot, startHarness, type Harness } from '../testing/serviceWorld.js';
import { ApiClient, SimulatedStudent } from '../testing/simulatedStudent.js';

let h: Harness;

describe.each(ENGINES)('on %s', (engine) => {
  beforeEach(async () => {
    h = await startHarness(engine);
  });
  afterEach(async () => {
    await h.close();
  });
  const now = () => h.clock.now;

  describe('schema and stored data', () => {
    it('has no column that could hold an image, an embedding, a template or a score', async () => {
      const columns = await describeSchema(h.db);
      expect(columns.length).toBeGreaterThan(50);
      for (const { table, column, type } of columns) {
        expect(`${table}.${column}`).not.toMatch(/image|photo|picture|frame|embedding|template|vector|feature|score|similar|distance|landmark|biometric|face|ip_?addr|address/i);
        expect(`${table}.${column}:${type}`).not.toMatch(/blob|bytea|binary/i);
      }
    });

    it('after a full lesson, no stored value is an assertion, a launch token, a cookie or a number array', async () => {
      const w = await makeWorld(h);
      const open = await w.nonceOf(w.s1, w.l1);
      expect((await w.s1.submit(w.c1, await w.s1.signCheck(open, 'fail', 'mismatch', now))).body).toEqual({ status: 'failed' });
      await w.t1.send('GET', `/api/lessons/${w.l1}/attendance.csv`);
      const dump = await snapshot(h.db);
      expect(dump).not.toMatch(/eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/);
      expect(dump).not.toContain(w.s1.client.cookie!.split('=')[1]);
      expect(dump).not.toMatch(/\[\s*-?\d+(\.\d+)?\s*(,\s*-?\d+(\.\d+)?\s*){7,}\]/);
      expect(dump).not.toMatch(/127\.0\.0\.1|::1|::ffff/);
    });
  });

  describe('launch tokens and sessions', () => {
    const claims = { subject: 'lms-user-7', role: 'teacher' as const, name: 'Prof. Rossi' };

    it('a valid token opens a session: HttpOnly, SameSite=Strict cookie; the token works once', async () => {
      const token = await h.platform.token(ORIGIN, claims, { now: now() });
      const client = new ApiClient(h.transport, ORIGIN);
      const response = await h.transport({ method: 'POST', path: '/api/launch', headers: { origin: ORIGIN, 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
      expect(response.status).toBe(200);
      const cookie = String(response.headers['set-cookie']);
      expect(cookie).toMatch(/^presenza=[A-Za-z0-9_-]{43};/);
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
      expect(cookie).not.toMatch(/Secure/);
      expect((await client.send('POST', '/api/launch', { token })).body).toMatchObject({ error: 'launch_replayed' });
    });

    it('refuses expired, long-lived, foreign, mis-addressed and malformed tokens with 401 and a code', async () => {
      const t = (overrides: Parameters<typeof h.platform.token>[2] = {}, audience = ORIGIN) => h.platform.token(audience, claims, { now: now(), ...overrides });
      const post = async (token: string) => (await new ApiClient(h.transport, ORIGIN).send('POST', '/api/launch', { token })).body.error;
      expect(await post(await t({ now: now() - 10 * 60_000 }))).toBe('launch_expired');
      expect(await post(await t({ lifetimeSeconds: 600 }))).toBe('launch_claims');
      expect(await post(await t({}, 'https://elsewhere.example'))).toBe('launch_claims');
      const stranger = await (await import('../testing/platform.js')).TestPlatform.create();
      expect(await post(await stranger.token(ORIGIN, claims, { now: now() }))).toBe('launch_invalid');
      const other = await (await import('../testing/platform.js')).TestPlatform.create('https://other-lms.example');
      expect(await post(await other.token(ORIGIN, claims, { now: now() }))).toBe('launch_untrusted_issuer');
      expect(await post(await h.platform.token(ORIGIN, { ...claims, role: 'admin' as 'teacher' }, { now: now() }))).toBe('launch_claims');
      // alg none / HS256: refused before any key is tried.
      const [, payload] = (await t()).split('.');
      const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${payload}.AAAAAAAAAAAAAAAAAAAA`;
      expect(await post(none)).toBe('launch_invalid');
      expect((await new ApiClient(h.transport, ORIGIN).send('POST', '/api/launch', { token: 'x' })).status).toBe(400);
      expect(await h.db.all('SELECT * FROM sessions')).toEqual([]);
    });

    it('sign-out revokes the session server-side; the table holds only a hash of the cookie', async () => {
      const client = await h.platform.signIn(h.transport, ORIGIN, claims, now());
      const value = client.cookie!.split('=')[1]!;
      expect(JSON.stringify(await h.db.all('SELECT * FROM sessions'))).not.toContain(value);
      expect((await client.send('POST', '/api/session/end')).status).toBe(200);
      expect((await client.send('GET', '/api/session')).body).toMatchObject({ error: 'unauthenticated' });
    });

    it('state-changing requests need the CSRF token and an allowed Origin', async () => {
      const teacher = await h.platform.signIn(h.transport, ORIGIN, claims, now());
      const csrf = teacher.csrfToken;
      teacher.csrfToken = undefined;
      expect((await teacher.send('POST', '/api/lessons', { title: 'x' })).body).toMatchObject({ error: 'csrf' });
      teacher.csrfToken = 'A'.repeat(43);
      expect((await teacher.send('POST', '/api/lessons', { title: 'x' })).body).toMatchObject({ error: 'csrf' });
      teacher.csrfToken = csrf;
      const evil = new ApiClient(h.transport, 'https://evil.example');
      evil.cookie = teacher.cookie;
      evil.csrfToken = csrf;
      expect((await evil.send('POST', '/api/lessons', { title: 'x' })).body).toMatchObject({ error: 'bad_origin' });
      expect(await h.db.all('SELECT * FROM lessons')).toEqual([]);
      expect((await teacher.send('POST', '/api/lessons', { title: 'x' })).status).toBe(200);
    });
  });

  describe('attacks of the issue, each refused with nothing changed', () => {
    it('enrollment takeover, stream snooping, foreign retry, forged and self-confirmations', async () => {
      const w = await makeWorld(h);
      // A classmate: a student of lesson 1 beside student 1.
      const mate = await SimulatedStudent.enroll(await h.platform.signIn(h.transport, ORIGIN, { subject: 'mate', role: 'student' }, now()), now);
      await mate.join(w.l1);
      const before = await snapshot(h.db);
      // A classmate's session cannot touch student 1's check, stream or keys: there is no student id to forge.
      expect((await mate.client.send('POST', `/api/me/keys/${w.s1b.keyId}/revoke`)).status).toBe(403);
      expect((await mate.client.send('POST', `/api/lessons/${w.l2}/join`)).status).toBe(403);
      expect((await w.s2.client.send('POST', `/api/checks/${w.c1}/retry`)).status).toBe(403);
      expect((await w.s2.client.send('POST', `/api/checks/${w.c1}/alternative`)).status).toBe(403);
      // Self-confirmation: a student is not a teacher; another teacher does not own the lesson.
      expect((await w.s1.client.send('POST', `/api/checks/${w.c1}/confirm`, { studentId: w.s1.studentId, present: true })).body).toMatchObject({ error: 'forbidden_role' });
      expect((await w.t2.send('POST', `/api/checks/${w.c1}/confirm`, { studentId: w.s1.studentId, present: false })).body).toMatchObject({ error: 'forbidden' });
      // A teacher confirming a student of another lesson in their own check: no such line.
      expect((await w.t1.send('POST', `/api/checks/${w.c1}/confirm`, { studentId: w.s2.studentId, present: true })).status).toBe(404);
      // Approving another lesson's student's key, or one's own lesson but a foreign key.
      expect((await w.t1.send('POST', `/api/lessons/${w.l1}/enrollments/${w.s2b.keyId}/approve`)).status).toBe(404);
      expect((await w.s1.client.send('POST', `/api/lessons/${w.l1}/enrollments/${w.s1b.keyId}/approve`)).status).toBe(403);
      expect(await snapshot(h.db)).toBe(before);
    });

    it('a second device is pending: its checks are refused, the old key keeps working, approval activates it', async () => {
      const w = await makeWorld(h);
      expect(w.s1b.keyStatus).toBe('pending');
      const open = await w.nonceOf(w.s1, w.l1);
      expect((await w.s1.client.send('POST', `/api/checks/${w.c1}/result`, { assertion: await w.s1b.signCheck(open, 'pass', undefined, now) })).body).toMatchObject({ error: 'key_pending' });
      const pending = (await w.t1.send('GET', `/api/lessons/${w.l1}/enrollments`)).body as unknown as { keyId: string; activeKeys: number }[];
      expect(pending).toMatchObject([{ keyId: w.s1b.keyId, activeKeys: 1 }]);
      // The old key still answers.
      expect((await w.s1.submit(w.c1, await w.s1.signCheck(open, 'pass', undefined, now))).body).toEqual({ status: 'passed' });
      expect((await w.t1.send('POST', `/api/lessons/${w.l1}/enrollments/${w.s1b.keyId}/approve`)).body).toEqual({ keyId: w.s1b.keyId, status: 'active' });
      expect((await w.t1.send('POST', `/api/lessons/${w.l1}/enrollments/${w.s1b.keyId}/approve`)).body).toMatchObject({ error: 'not_pending' });
      const next = (await h.attendance.fireCheck(w.l1)).checkId;
      const nextOpen = (await h.attendance.openChecks(w.l1, w.s1.studentId)).find((c) => c.checkId === next)!;
      expect((await w.s1b.submit(next, await w.s1b.signCheck(nextOpen, 'pass', undefined, now))).body).toEqual({ status: 'passed' });
    });

    it('concurrent enrollments cannot exceed three keys, nor replace the active one', async () => {
      const w = await makeWorld(h);
      const devices = [0, 1, 2].map(() => new SimulatedStudent(w.s1.client));
      const prepared = [];
      for (const d of devices) prepared.push(await d.prepareEnrollment(now));
      const answers = await Promise.all(prepared.map((p) => w.s1.client.send('POST', '/api/me/enrollment', p)));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409]);
      const keys = await h.db.all<{ status: string }>('SELECT status FROM device_keys WHERE student_id = ? ORDER BY created_at, status', [w.s1.studentId]);
      expect(keys.map((k) => k.status).sort()).toEqual(['active', 'pending', 'pending']);
    });

    it('at most three keys; a student lists and revokes their own', async () => {
      const w = await makeWorld(h);
      const third = new SimulatedStudent(w.s1.client);
      expect((await third.tryEnroll(now)).body).toMatchObject({ status: 'pending' });
      expect((await new SimulatedStudent(w.s1.client).tryEnroll(now)).body).toMatchObject({ error: 'too_many_keys' });
      const listed = (await w.s1.client.send('GET', '/api/me/enrollment')).body as { keys: { keyId: string; status: string }[]; enrolled: boolean };
      expect(listed.enrolled).toBe(true);
      expect(listed.keys.map((k) => k.status)).toEqual(['active', 'pending', 'pending']);
      expect((await w.s1.client.send('POST', `/api/me/keys/${third.keyId}/revoke`)).body).toEqual({ revoked: true });
      expect((await w.s1.client.send('POST', `/api/me/keys/${third.keyId}/revoke`)).status).toBe(404);
      expect((await new SimulatedStudent(w.s1.client).tryEnroll(now)).status).toBe(200);
    });
  });

  describe('checks', () => {
    it('records a verified pass, answers the same session’s repeated post without change, refuses a replay from another session and a tampered assertion', async () => {
      const w = await makeWorld(h);
      const open = await w.nonceOf(w.s1, w.l1);
      const assertion = await w.s1.signCheck(open, 'pass', undefined, now);
      const [header, payload, signature] = assertion.split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
      const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, outcome: 'pass', liveness: 'passed' })).toString('base64url')}x.${signature}`;
      expect((await w.s1.submit(w.c1, forged)).body).toMatchObject({ error: expect.stringMatching(/^ERR_/) });
      expect((await w.s1.submit(w.c1, assertion)).body).toEqual({ status: 'passed' });
      // A retry of the same post (its answer was lost) gets the same answer and changes nothing.
      const recorded = await snapshot(h.db);
      expect((await w.s1.submit(w.c1, assertion)).body).toEqual({ status: 'passed' });
      expect(await snapshot(h.db)).toBe(recorded);
      // From another session of the same student (a captured assertion), it is a replay.
      const again = await h.platform.signIn(h.transport, ORIGIN, { subject: (await h.db.get<{ subject: string }>('SELECT subject FROM users WHERE id = ?', [w.s1.studentId]))!.subject, role: 'student' }, now());
      expect((await again.send('POST', `/api/checks/${w.c1}/result`, { assertion })).body).toMatchObject({ error: 'ERR_REPLAYED' });
      expect((await h.attendance.attendance(w.l1)).counts).toEqual({ pending: 0, passed: 1, failed: 0, alternative: 0 });
    });

    it('an assertion superseded by a later attempt is refused as a replay and cannot change the result', async () => {
      const w = await makeWorld(h);
      const first = await w.nonceOf(w.s1, w.l1);
      const failed = await w.s1.signCheck(first, 'fail', 'mismatch', now);
      expect((await w.s1.submit(w.c1, failed)).body).toEqual({ status: 'failed' });
      const retry = (await w.s1.client.send('POST', `/api/checks/${w.c1}/retry`)).body as { checkId: string; nonce: string };
      expect((await w.s1.submit(w.c1, await w.s1.signCheck(retry, 'pass', undefined, now))).body).toEqual({ status: 'passed' });
      const before = await snapshot(h.db);
      expect((await w.s1.submit(w.c1, failed)).body).toMatchObject({ error: expect.stringMatching(/^ERR_(REPLAYED|NONCE_MISMATCH)$/) });
      expect(await snapshot(h.db)).toBe(before);
    });

    it('a failed check: retry with a fresh nonce; the alternative and the teacher’s confirmations; CSV', async () => {
      const w = await makeWorld(h);
      const open = await w.nonceOf(w.s1, w.l1);
      expect((await w.s1.submit(w.c1, await w.s1.signCheck(open, 'fail', 'mismatch', now))).body).toEqual({ status: 'failed' });
      const retry = (await w.s1.client.send('POST', `/api/checks/${w.c1}/retry`)).body as { nonce: string };
      expect(retry.nonce).not.toBe(open.nonce);
      expect((await w.s1.submit(w.c1, await w.s1.signCheck(open, 'pass', undefined, now))).body).toMatchObject({ error: 'ERR_NONCE_MISMATCH' });
      expect((await w.s1.client.send('POST', `/api/checks/${w.c1}/alternative`)).body).toEqual({ status: 'alternative_requested' });
      expect((await w.t1.send('POST', `/api/checks/${w.c1}/confirm`, { studentId: w.s1.studentId, present: true })).body).toEqual({ status: 'alternative_confirmed' });
      const csv = (await w.t1.send('GET', `/api/lessons/${w.l1}/attendance.csv`)).body.text as string;
      expect(csv.split('\r\n')[0]).toBe('check_id,student_id,display_name,status,method,outcome,reason,updated_at');
      expect(csv).toContain('"alternative_confirmed","alternative"');
    });

    it('refuses answers after the check window closes', async () => {
      const w = await makeWorld(h);
      const open = await w.nonceOf(w.s1, w.l1);
      h.clock.now += CHECK_WINDOW_MS + 1;
      expect((await w.s1.submit(w.c1, await w.s1.signCheck(open, 'pass', undefined, now))).body).toMatchObject({ error: 'check_closed' });
    });

    it('defuses spreadsheet formulas: = + - @, tab and CR', async () => {
      for (const name of ['=HYPERLINK("x")', '+1', '-1', '@SUM(A1)', '\tx', '\rx']) expect(csvCell(name).startsWith(`"'`)).toBe(true);
      expect(csvCell('Anna')).toBe('"Anna"');
      expect(csvCell('say "hi"')).toBe('"say ""hi"""');
      const student = await h.platform.signIn(h.transport, ORIGIN, { subject: 'x', role: 'student', name: '=HYPERLINK("x")' }, now());
      const w = await makeWorld(h);
      await new SimulatedStudent(student).join(w.l1);
      await h.attendance.fireCheck(w.l1);
      expect((await w.t1.send('GET', `/api/lessons/${w.l1}/attendance.csv`)).body.text).toContain(`"'=HYPERLINK(""x"")"`);
    });
  });

  describe('malformed input', () => {
    it('is refused with 400 and a code before any work; a NUL byte anywhere is a 400', async () => {
      const w = await makeWorld(h);
      const before = await snapshot(h.db);
      expect((await w.t1.send('POST', '/api/lessons', {})).body).toMatchObject({ error: 'bad_request' });
      expect((await w.t1.send('POST', '/api/lessons', { title: 'x', extra: 1 })).status).toBe(400);
      expect((await w.t1.send('POST', '/api/lessons', { title: 42 })).status).toBe(400);
      expect((await w.t1.send('POST', '/api/lessons', { title: 'a\u0000b' })).body).toMatchObject({ error: 'nul_byte' });
      expect((await w.t1.send('POST', `/api/checks/${w.c1}/confirm`, { studentId: `${w.s1.studentId}\u0000`, present: true })).body).toMatchObject({ error: 'nul_byte' });
      expect((await w.t1.send('GET', `/api/lessons/${w.l1}%00`)).status).toBe(400);
      expect((await w.t1.send('GET', `/api/audit?after=1%00`)).status).toBe(403);
      expect((await w.auditor.send('GET', `/api/audit?after=1%00`)).body).toMatchObject({ error: 'nul_byte' });
      expect((await w.s1.client.send('POST', '/api/me/enrollment', { assertion: 'a\u0000.b.c' })).body).toMatchObject({ error: 'nul_byte' });
      expect((await new ApiClient(h.transport, ORIGIN).send('POST', '/api/launch', { token: 'a.b\u0000.c' })).body).toMatchObject({ error: 'nul_byte' });
      const notJson = await h.app.inject({ method: 'POST', url: '/api/lessons', headers: { 'content-type': 'application/json', cookie: w.t1.cookie!, 'x-csrf-token': w.t1.csrfToken!, origin: ORIGIN }, payload: '{"title":' });
      expect(notJson.statusCode).toBe(400);
      const huge = await h.app.inject({ method: 'POST', url: '/api/lessons', headers: { 'content-type': 'application/json', cookie: w.t1.cookie!, 'x-csrf-token': w.t1.csrfToken!, origin: ORIGIN }, payload: JSON.stringify({ title: 'x'.repeat(20_000) }) });
      expect(huge.statusCode).toBe(413);
      expect(await snapshot(h.db)).toBe(before);
    });
  });

  describe('audit log', () => {
    it('records who did what, verifies, refuses updates, and detects an edited row', async () => {
      const w = await makeWorld(h);
      await w.t1.send('GET', `/api/lessons/${w.l1}/attendance.csv`);
      await w.t1.send('POST', `/api/checks/${w.c1}/confirm`, { studentId: w.s1.studentId, present: true });
      const actions = (await h.db.all<{ action: string }>('SELECT action FROM audit_log ORDER BY seq')).map((r) => r.action);
      for (const a of ['session.started', 'lesson.started', 'lesson.joined', 'enrollment.registered', 'enrollment.pending', 'check.fired', 'attendance.exported', 'check.confirmed']) {
        expect(actions).toContain(a);
      }
      expect((await w.auditor.send('GET', '/api/audit/verify')).body).toMatchObject({ ok: true });
      const entries = (await w.auditor.send('GET', '/api/audit')).body.entries as { detail: string }[];
      expect(entries.length).toBeGreaterThan(10);
      // No names in the log: ids and codes only.
      expect(JSON.stringify(entries)).not.toMatch(/teacher1|student1|Lesson one/);
      await expect(h.db.run(`UPDATE audit_log SET action = 'lesson.ended' WHERE seq = 3`)).rejects.toThrow(/append-only/);
      // Someone with the database's own rights drops the guard and edits a row: the chain breaks there.
      await h.db.run('DROP TRIGGER audit_log_append_only' + (engine === 'postgres' ? ' ON audit_log' : ''));
      await h.db.run(`UPDATE audit_log SET actor_id = NULL WHERE seq = 3`);
      expect(await verifyAuditChain(h.db)).toMatchObject({ ok: false, brokenAt: 3 });
    });

    it('a deleted row is detected; retention keeps the chain verifiable with its anchor', async () => {
      const w = await makeWorld(h);
      expect(w).toBeDefined();
      h.clock.now += 500 * 86_400_000;
      const report = await h.attendance.purgeExpired();
      expect(report.auditEntries).toBeGreaterThan(5);
      expect(await verifyAuditChain(h.db)).toMatchObject({ ok: true });
      const first = await h.db.get<{ seq: number }>('SELECT MIN(seq) AS seq FROM audit_log');
      await h.db.run('DELETE FROM audit_log WHERE seq = ?', [Number(first!.seq)]);
      expect(await verifyAuditChain(h.db)).toMatchObject({ ok: false });
    });
  });

  describe('retention', () => {
    it('purges lessons, keys, nonces, sessions, and students left with no lesson', async () => {
      const w = await makeWorld(h);
      const loner = await h.platform.signIn(h.transport, ORIGIN, { subject: 'loner', role: 'student' }, now());
      expect(loner).toBeDefined();
      h.clock.now += CHECK_WINDOW_MS + 1;
      expect((await h.attendance.purgeExpired()).nonces).toBeGreaterThan(0);
      h.clock.now += COURSE_RETENTION_MS + UNATTACHED_STUDENT_GRACE_MS;
      const report = await h.attendance.purgeExpired();
      expect(report).toMatchObject({ lessons: 2, keys: 4 });
      expect(report.students).toBeGreaterThanOrEqual(3);
      expect(await h.db.all('SELECT * FROM attendance')).toEqual([]);
      expect(await h.db.all(`SELECT * FROM users WHERE role = 'student'`)).toEqual([]);
      expect(await h.db.all('SELECT * FROM sessions')).toEqual([]);
      expect((await w.t1.send('GET', `/api/lessons/${w.l1}`)).status).toBe(401);
      expect((await w.auditor.send('GET', '/api/audit')).status).toBe(401);
    });
  });

  describe('hardening', () => {
    it('security headers on every response, event streams included; no HSTS over plain HTTP', async () => {
      const w = await makeWorld(h);
      const origin = await h.app.listen({ port: 0, host: '127.0.0.1' });
      const controller = new AbortController();
      const responses = [
        await fetch(`${origin}/api/lessons/${w.l1}/events`, { headers: { cookie: w.t1.cookie! }, signal: controller.signal }),
        await fetch(`${origin}/api/session`, { headers: { cookie: w.t1.cookie! } }),
        await fetch(`${origin}/api/session`),
        await fetch(`${origin}/nope`),
        await fetch(`${origin}/sdk/presenza.iife.js`),
      ];
      expect(responses[0]!.headers.get('content-type')).toMatch(/event-stream/);
      // Read the other bodies, so the server can close their connections.
      for (const response of responses.slice(1)) await response.arrayBuffer();
      for (const response of responses) {
        const csp = response.headers.get('content-security-policy') ?? '';
        expect(csp, response.url).toMatch(/frame-ancestors 'none'/);
        expect(csp).toMatch(/default-src 'self'/);
        expect(csp).not.toMatch(/'unsafe-inline'|'unsafe-eval'/);
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
        expect(response.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
        expect(response.headers.get('strict-transport-security')).toBeNull();
      }
      controller.abort();
    });

    it('HEAD takes the GET route’s rule; an API route outside the table is never served', async () => {
      const w = await makeWorld(h);
      for (const rule of ROUTES.filter((r) => r.method === 'GET' && !('public' in r))) {
        const url = rule.url.replace(':lessonId', w.l1);
        expect((await h.app.inject({ method: 'HEAD', url })).statusCode, url).toBe(401);
        const asStudent = (await h.app.inject({ method: 'HEAD', url, headers: { cookie: w.s2.client.cookie! } })).statusCode;
        // Student 2 is in no lesson of teacher 1: refused unless the route is the student's own.
        expect(asStudent, url).toBe((rule.roles as Record<string, string>).student === 'any' ? 200 : 403);
      }
      await h.close();
      h = await startHarness(engine);
      // A route added outside the table (a plugin, a mistake) is refused for everyone.
      h.app.get('/api/debug', async () => ({ secrets: true }));
      const teacher = await h.platform.signIn(h.transport, ORIGIN, { subject: 't', role: 'teacher' }, now());
      expect((await teacher.send('GET', '/api/debug')).body).toMatchObject({ error: 'forbidden_route' });
    });

    it('never serves the SDK’s testing folder, however the path is spelled', async () => {
      for (const path of ['/sdk/testing/worker.js', '/sdk/testing/', '/sdk//testing/x.js', '/sdk/%74esting/worker.js', '/sdk/TESTING/x', '/sdk/x/../testing/worker.js']) {
        expect((await h.app.inject({ url: path })).statusCode, path).toBe(404);
      }
    });

    it('caps open event streams per user', async () => {
      const w = await makeWorld(h);
      const origin = await h.app.listen({ port: 0, host: '127.0.0.1' });
      const controller = new AbortController();
      const open = (path: string) => fetch(`${origin}${path}`, { headers: { cookie: w.s1.client.cookie! }, signal: controller.signal });
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await open(`/api/lessons/${w.l1}/me/events`)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      controller.abort();
    });

    it('rate-limits launches per address', async () => {
      await h.close();
      h = await startHarness(engine, { limits: { launchesPerMinute: 3 } });
      const statuses = [];
      for (let i = 0; i < 4; i++) {
        const token = await h.platform.token(ORIGIN, { subject: `u${i}`, role: 'student' }, { now: now() });
        statuses.push((await new ApiClient(h.transport, ORIGIN).send('POST', '/api/launch', { token })).status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
    });

    it('rate-limits API requests per user, and refused ones per address too', async () => {
      await h.close();
      h = await startHarness(engine, { limits: { requestsPerMinute: 3 } });
      const teacher = await h.platform.signIn(h.transport, ORIGIN, { subject: 't', role: 'teacher' }, now());
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await teacher.send('GET', '/api/session')).status);
      // The session read at sign-in counted as one.
      expect(statuses).toEqual([200, 200, 429, 429]);
      const anonymous = [];
      for (let i = 0; i < 4; i++) anonymous.push((await new ApiClient(h.transport, ORIGIN).send('GET', '/api/session')).status);
      expect(anonymous).toEqual([401, 401, 401, 429]);
      // Static files are not limited.
      for (let i = 0; i < 5; i++) expect((await h.app.inject({ url: '/sdk/presenza.iife.js' })).statusCode).not.toBe(429);
    });

    it('logs are structured and carry no cookie, token, name, assertion or address', async () => {
      const w = await makeWorld(h);
      const open = await w.nonceOf(w.s1, w.l1);
      const assertion = await w.s1.signCheck(open, 'pass', undefined, now);
      await w.s1.submit(w.c1, assertion);
      await w.t1.send('GET', `/api/lessons/${w.l1}/attendance.csv`);
      const text = h.logs.join('');
      expect(h.logs.length).toBeGreaterThan(20);
      for (const line of h.logs) expect(() => JSON.parse(line)).not.toThrow();
      expect(text).toContain('attendance exported');
      // One line per answered request, with its id, route path and status.
      const lines = h.logs.map((line) => JSON.parse(line) as { msg: string; req?: { id: string; path: string }; res?: { statusCode: number } });
      expect(lines.find((l) => l.msg === 'request completed' && l.req?.path === `/api/checks/${w.c1}/result`)).toMatchObject({ req: { id: expect.any(String) }, res: { statusCode: 200 }, responseTime: expect.any(Number) });
      expect(lines.filter((l) => l.msg === 'incoming request')).toEqual([]);
      expect(text).not.toContain(w.s1.client.cookie!.split('=')[1]);
      expect(text).not.toContain(w.t1.csrfToken!);
      expect(text).not.toContain(assertion.split('.')[2]);
      expect(text).not.toMatch(/teacher1|student1|127\.0\.0\.1|eyJ/);
    });
  });
});

describe('SQLite file', () => {
  it('is private to its user (0600) and runs with secure_delete', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'presenza-db-')), 'service.sqlite');
    const db = await openDatabase({ file });
    await db.run(`INSERT INTO users (id, issuer, subject, role, display_name, created_at, last_seen_at) VALUES ('u-1', 'i', 's', 'student', 'Zorro', 0, 0)`);
    for (const path of [file, `${file}-wal`]) expect((statSync(path).mode & 0o777).toString(8), path).toBe(SQLITE_FILE_MODE.toString(8));
    expect(await db.get('PRAGMA secure_delete')).toEqual({ secure_delete: 1 });
    await db.close();
    chmodSync(file, 0o644);
    const again = await openDatabase({ file });
    expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    await again.close();
  });
});
