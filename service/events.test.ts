/**
 * Event streams over the shared log, on each engine: snapshot then one event per change, resume
 * with Last-Event-ID, deltas that stay small whatever the class size; on PostgreSQL, two app
 * instances on one database deliver each other's events.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckSummary, LineDelta, RosterEntry } from './attendance.js';
import { canResumeAfter, EVENT_REPLAY_MS, lastEventId, pruneEvents } from './eventLog.js';
import { parseLastEventId } from './events.js';
import { EventStream, parseSse } from '../testing/eventStream.js';
import { ENGINES, makeWorld, ORIGIN, POSTGRES_URL, startHarness, type Harness } from '../testing/serviceWorld.js';
import { SimulatedStudent } from '../testing/simulatedStudent.js';
import { openDatabase } from './db.js';

let h: Harness;
const streams: EventStream[] = [];
const follow = (origin: string, path: string, cookie: string, lastEventId?: string) => {
  const stream = new EventStream(() => origin, path, { cookie, retryMs: 100, ...(lastEventId ? { lastEventId } : {}) });
  streams.push(stream);
  return stream;
};

describe.each(ENGINES)('event streams on %s', (engine) => {
  beforeEach(async () => {
    h = await startHarness(engine);
  });
  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await h.close();
  });
  const now = () => h.clock.now;

  it('a teacher gets a snapshot, then one small event per change, each with a growing id', async () => {
    const w = await makeWorld(h);
    const origin = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const teacher = follow(origin, `/api/lessons/${w.l1}/events`, w.t1.cookie!);
    const snapshot = JSON.parse((await teacher.waitFor((e) => e.type === 'snapshot')).data) as {
      students: RosterEntry[];
      checks: CheckSummary[];
      lines: LineDelta[];
      lesson: { status: string };
    };
    expect(snapshot.lesson.status).toBe('live');
    expect(snapshot.students.map((s) => s.studentId)).toEqual([w.s1.studentId]);
    expect(snapshot.checks.map((c) => c.checkId)).toEqual([w.c1]);
    expect(snapshot.lines).toEqual([expect.objectContaining({ checkId: w.c1, studentId: w.s1.studentId, status: 'pending' })]);
    const afterSnapshot = teacher.bytes;
    const open = await w.nonceOf(w.s1, w.l1);
    await w.s1.submit(w.c1, await w.s1.signCheck(open, 'pass', undefined, now));
    const line = await teacher.waitFor((e) => e.type === 'line');
    expect(JSON.parse(line.data)).toEqual({ checkId: w.c1, studentId: w.s1.studentId, status: 'passed', method: 'biometric', outcome: 'pass', reason: null, updatedAt: now() });
    expect(Number(line.id)).toBeGreaterThan(Number(teacher.events[0]!.id));
    // One row, not the whole list: no name, no other student.
    expect(teacher.bytes - afterSnapshot).toBeLessThan(400);
    const fired = await h.attendance.fireCheck(w.l1);
    const check = JSON.parse((await teacher.waitFor((e) => e.type === 'check')).data) as CheckSummary;
    expect(check).toMatchObject({ checkId: fired.checkId, students: 1, counts: { pending: 1 } });
  });

  it('a result is one event of the same size in a class of 1 and of 40', async () => {
    const w = await makeWorld(h);
    const origin = await h.app.listen({ port: 0, host: '127.0.0.1' });
    for (let i = 0; i < 39; i++) {
      const client = await h.platform.signIn(h.transport, ORIGIN, { subject: `extra-${i}`, role: 'student' }, now());
      await new SimulatedStudent(client).join(w.l1);
    }
    const { checkId } = await h.attendance.fireCheck(w.l1);
    const teacher = follow(origin, `/api/lessons/${w.l1}/events`, w.t1.cookie!);
    await teacher.waitFor((e) => e.type === 'snapshot');
    const before = teacher.bytes;
    const open = (await h.attendance.openChecks(w.l1, w.s1.studentId)).find((c) => c.checkId === checkId)!;
    await w.s1.submit(checkId, await w.s1.signCheck(open, 'pass', undefined, now));
    await teacher.waitFor((e) => e.type === 'line');
    expect(teacher.bytes - before).toBeLessThan(400);
  }, 60_000);

  it('a stream that reconnects with Last-Event-ID gets exactly what it missed, no snapshot; an unknown id gets a snapshot', async () => {
    const w = await makeWorld(h);
    const origin = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const first = follow(origin, `/api/lessons/${w.l1}/me/events`, w.s1.client.cookie!);
    const asked = await first.waitFor((e) => e.type === 'check');
    first.close();
    const missed = [(await h.attendance.fireCheck(w.l1)).checkId, (await h.attendance.fireCheck(w.l1)).checkId];
    const resumed = follow(origin, `/api/lessons/${w.l1}/me/events`, w.s1.client.cookie!, first.lastEventId);
    await resumed.waitFor((e) => e.type === 'check' && e.data.includes(missed[1]!));
    expect(resumed.events.map((e) => e.type)).toEqual(['check', 'check']);
    expect(resumed.of<{ checkId: string }>('check').map((c) => c.checkId)).toEqual(missed);
    expect(asked.data).toContain(w.c1);
    // An id from elsewhere (or pruned long ago): start again from the state.
    const stranger = follow(origin, `/api/lessons/${w.l1}/me/events`, w.s1.client.cookie!, '999999999');
    await stranger.waitFor((e) => e.type === 'lesson');
    expect(stranger.of<{ checkId: string }>('check').map((c) => c.checkId).sort()).toEqual([w.c1, ...missed].sort());
  });

  it('students and teacher are told when the lesson ends; a teacher’s confirmation reaches the student', async () => {
    const w = await makeWorld(h);
    const origin = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const student = follow(origin, `/api/lessons/${w.l1}/me/events`, w.s1.client.cookie!);
    const teacher = follow(origin, `/api/lessons/${w.l1}/events`, w.t1.cookie!);
    await student.waitFor((e) => e.type === 'check');
    await teacher.waitFor((e) => e.type === 'snapshot');
    await w.s1.client.send('POST', `/api/checks/${w.c1}/alternative`);
    await w.t1.send('POST', `/api/checks/${w.c1}/confirm`, { studentId: w.s1.studentId, present: true });
    expect(JSON.parse((await student.waitFor((e) => e.type === 'result')).data)).toEqual({ checkId: w.c1, status: 'alternative_confirmed' });
    await w.t1.send('POST', `/api/lessons/${w.l1}/end`);
    for (const stream of [student, teacher]) expect(JSON.parse((await stream.waitFor((e) => e.type === 'lesson' && e.data.includes('ended'))).data)).toMatchObject({ status: 'ended' });
    expect(teacher.of<LineDelta>('line').map((l) => l.status)).toEqual(['alternative_requested', 'alternative_confirmed']);
  });

  it('the log keeps the newest event when pruned, and says when a stream can no longer resume', async () => {
    const w = await makeWorld(h);
    const newest = await lastEventId(h.db);
    expect(newest).toBeGreaterThan(2);
    expect(await canResumeAfter(h.db, 1)).toBe(true);
    expect(await canResumeAfter(h.db, newest + 1)).toBe(false);
    h.clock.now += EVENT_REPLAY_MS + 1;
    expect(await pruneEvents(h.db, h.clock.now)).toBe(newest - 1);
    expect(await lastEventId(h.db)).toBe(newest);
    expect(await canResumeAfter(h.db, 1)).toBe(false);
    expect(await canResumeAfter(h.db, newest - 1)).toBe(true);
    expect(w.l1).toBeTruthy();
  });

  it('no event carries an assertion, a score or a number array', async () => {
    const w = await makeWorld(h);
    const open = await w.nonceOf(w.s1, w.l1);
    await w.s1.submit(w.c1, await w.s1.signCheck(open, 'fail', 'mismatch', now));
    const rows = await h.db.all<{ type: string; data: string }>('SELECT type, data FROM events');
    expect(rows.length).toBeGreaterThan(3);
    for (const { data } of rows) {
      expect(data).not.toMatch(/eyJ[A-Za-z0-9_-]+\.eyJ/);
      expect(data).not.toMatch(/score|similar|embedding|template|distance|liveness/i);
      expect(data).not.toMatch(/\[\s*-?\d+(\.\d+)?\s*(,\s*-?\d+(\.\d+)?\s*){7,}\]/);
    }
  });
});

describe.runIf(POSTGRES_URL)('two instances on one PostgreSQL', () => {
  let other: Harness;
  beforeEach(async () => {
    h = await startHarness('postgres');
    other = await startHarness('postgres', {}, await openDatabase({ url: POSTGRES_URL, file: '' }), h);
  });
  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await other.close();
    await h.close();
  });

  it('a check fired on one reaches a student streaming from the other, and the result comes back to the teacher on the first', async () => {
    const w = await makeWorld(h);
    const a = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const b = await other.app.listen({ port: 0, host: '127.0.0.1' });
    const student = follow(a, `/api/lessons/${w.l1}/me/events`, w.s1.client.cookie!);
    const teacher = follow(a, `/api/lessons/${w.l1}/events`, w.t1.cookie!);
    await student.waitFor((e) => e.type === 'check');
    await teacher.waitFor((e) => e.type === 'snapshot');
    // The same sessions work on the other instance: fire the check there.
    const fired = (await other.transport({ method: 'POST', path: `/api/lessons/${w.l1}/checks`, headers: { origin: ORIGIN, 'content-type': 'application/json', cookie: w.t1.cookie!, 'x-csrf-token': w.t1.csrfToken! }, body: JSON.stringify({ withinMinutes: 0 }) }));
    expect(fired.status).toBe(200);
    const check = JSON.parse((await student.waitFor((e) => e.type === 'check' && !e.data.includes(w.c1))).data) as { checkId: string; nonce: string };
    const answer = await fetch(`${b}/api/checks/${check.checkId}/result`, {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json', cookie: w.s1.client.cookie!, 'x-csrf-token': w.s1.client.csrfToken! },
      body: JSON.stringify({ assertion: await w.s1.signCheck(check, 'pass', undefined, () => h.clock.now) }),
    });
    expect(await answer.json()).toEqual({ status: 'passed' });
    expect(JSON.parse((await teacher.waitFor((e) => e.type === 'line' && e.data.includes(check.checkId))).data)).toMatchObject({ status: 'passed' });
  });

  it('the same result posted on both instances at once is recorded once and answered the same on both', async () => {
    const w = await makeWorld(h);
    const open = await w.nonceOf(w.s1, w.l1);
    const assertion = await w.s1.signCheck(open, 'pass', undefined, () => h.clock.now);
    const post = (harness: Harness) =>
      harness.transport({
        method: 'POST',
        path: `/api/checks/${w.c1}/result`,
        headers: { origin: ORIGIN, 'content-type': 'application/json', cookie: w.s1.client.cookie!, 'x-csrf-token': w.s1.client.csrfToken! },
        body: JSON.stringify({ assertion }),
      });
    const answers = await Promise.all([post(h), post(other)]);
    expect(answers.map((a) => [a.status, JSON.parse(a.text)])).toEqual([
      [200, { status: 'passed' }],
      [200, { status: 'passed' }],
    ]);
    expect(await h.db.all(`SELECT action FROM audit_log WHERE action = 'check.answered'`)).toHaveLength(1);
  });
});

describe('Last-Event-ID and SSE parsing', () => {
  it('takes only a plain log id', () => {
    expect(parseLastEventId('42')).toBe(42);
    for (const bad of [undefined, '', '-1', '4.2', '1e3', '12345678901234567', 'abc']) expect(parseLastEventId(bad)).toBeUndefined();
  });

  it('splits events, keeps the last id and the unfinished rest', () => {
    const parsed = parseSse('retry: 2000\n\nid: 3\nevent: check\ndata: {"a":1}\n\n: keepalive\n\nid: 4\nevent: li');
    expect(parsed.events).toEqual([{ id: '3', type: 'check', data: '{"a":1}' }]);
    expect(parsed.lastId).toBe('3');
    expect(parsed.rest).toBe('id: 4\nevent: li');
  });
});
