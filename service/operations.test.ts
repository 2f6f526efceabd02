/**
 * Running the service as several instances: checks fired in one transaction, scheduled checks
 * fired exactly once by whichever instance is up (also after a restart), health and readiness,
 * request ids and log lines that follow a check without personal data, configuration from the
 * environment.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Attendance } from './attendance.js';
import { operationsFromEnv } from './config.js';
import { openDatabase, type Db } from './db.js';
import { Scheduler } from './scheduler.js';
import { ENGINES, makeWorld, POSTGRES_URL, startHarness, type Harness } from '../testing/serviceWorld.js';

let h: Harness;

/** Adds `n` students to a lesson directly in the database (a class, without n sign-ins). */
async function addStudents(db: Db, lessonId: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await db.run(`INSERT INTO users (id, issuer, subject, role, display_name, created_at, last_seen_at) VALUES (?, 'i', ?, 'student', ?, 0, 0)`, [
      `u-class-${lessonId}-${i}`,
      `class-${lessonId}-${i}`,
      `Student ${i}`,
    ]);
    await db.run('INSERT INTO lesson_students (lesson_id, student_id, joined_at) VALUES (?, ?, 0)', [lessonId, `u-class-${lessonId}-${i}`]);
  }
}

const count = async (db: Db, sql: string, params: unknown[] = []) => Number((await db.get<{ n: number }>(sql, params))!.n);

describe.each(ENGINES)('operations on %s', (engine) => {
  beforeEach(async () => {
    h = await startHarness(engine);
  });
  afterEach(async () => {
    await h.close();
  });

  it('a check fired for 300 students is one transaction: cut at its last statement, nobody was asked', async () => {
    const w = await makeWorld(h);
    await addStudents(h.db, w.l1, 300);
    const before = { checks: await count(h.db, 'SELECT COUNT(*) AS n FROM checks'), events: await count(h.db, 'SELECT COUNT(*) AS n FROM events') };
    // The database connection dies as the events are written, after every other row of the check.
    const dying: Db = {
      ...h.db,
      transaction: (work) =>
        h.db.transaction((tx) => work({ ...tx, run: (sql, params) => (sql.includes('INSERT INTO events') ? Promise.reject(new Error('connection lost')) : tx.run(sql, params)) })),
    };
    await expect(new Attendance(dying, { now: () => h.clock.now }).fireCheck(w.l1)).rejects.toThrow('connection lost');
    expect(await count(h.db, 'SELECT COUNT(*) AS n FROM checks')).toBe(before.checks);
    expect(await count(h.db, 'SELECT COUNT(*) AS n FROM events')).toBe(before.events);
    expect(await count(h.db, `SELECT COUNT(*) AS n FROM attendance a JOIN checks c ON c.id = a.check_id WHERE c.lesson_id = ?`, [w.l1])).toBe(1);
    // Fired for real: every student has a line, a nonce and a request.
    const { checkId, students } = await h.attendance.fireCheck(w.l1);
    expect(students).toBe(301);
    expect(await count(h.db, 'SELECT COUNT(*) AS n FROM attendance WHERE check_id = ?', [checkId])).toBe(301);
    expect(await count(h.db, 'SELECT COUNT(*) AS n FROM nonces WHERE check_id = ?', [checkId])).toBe(301);
    expect(await count(h.db, `SELECT COUNT(*) AS n FROM events WHERE type = 'check' AND channel LIKE 'student:%' AND data LIKE ?`, [`%${checkId}%`])).toBe(301);
  }, 60_000);

  it('a scheduled check lives in the database, fires once when due, and not at all after the lesson ends', async () => {
    const w = await makeWorld(h);
    const { firesAt } = (await w.t1.send('POST', `/api/lessons/${w.l1}/checks`, { withinMinutes: 1 })).body as { firesAt: number };
    expect(firesAt).toBeGreaterThan(h.clock.now);
    expect(await h.attendance.fireDueChecks()).toBe(0);
    h.clock.now = firesAt;
    expect(await h.attendance.fireDueChecks()).toBe(1);
    expect(await h.attendance.fireDueChecks()).toBe(0);
    const schedule = await h.db.get<{ fired_at: number; check_id: string }>('SELECT fired_at, check_id FROM scheduled_checks');
    expect(schedule).toMatchObject({ fired_at: firesAt });
    expect((await h.attendance.openChecks(w.l1, w.s1.studentId)).map((c) => c.checkId)).toContain(schedule!.check_id);
    // Another one, then the lesson ends before it is due.
    await w.t1.send('POST', `/api/lessons/${w.l1}/checks`, { withinMinutes: 1 });
    await w.t1.send('POST', `/api/lessons/${w.l1}/end`);
    h.clock.now += 61_000;
    expect(await h.attendance.fireDueChecks()).toBe(0);
    expect(await count(h.db, 'SELECT COUNT(*) AS n FROM scheduled_checks')).toBe(1);
  });

  it('the scheduler fires due checks and prunes the event log; a failing tick is logged, not thrown', async () => {
    const w = await makeWorld(h);
    await w.t1.send('POST', `/api/lessons/${w.l1}/checks`, { withinMinutes: 1 });
    h.clock.now += 61_000;
    const errors: string[] = [];
    const scheduler = new Scheduler(h.attendance, h.db, { now: () => h.clock.now, log: { error: (_d, message) => errors.push(message) } });
    await scheduler.tick();
    expect(await count(h.db, 'SELECT COUNT(*) AS n FROM scheduled_checks WHERE fired_at IS NOT NULL')).toBe(1);
    const broken = new Scheduler({ fireDueChecks: () => Promise.reject(new Error('db down')) } as unknown as Attendance, h.db, { log: { error: (_d, message) => errors.push(message) } });
    await expect(broken.tick()).resolves.toBeUndefined();
    expect(errors).toEqual(['scheduler tick failed']);
  });

  it('health: live always; ready until the instance drains', async () => {
    expect((await h.app.inject({ url: '/health/live' })).json()).toEqual({ status: 'live' });
    // On PostgreSQL, ready once the LISTEN connection is up.
    await expect.poll(async () => (await h.app.inject({ url: '/health/ready' })).statusCode, { timeout: 10_000 }).toBe(200);
    const ready = await h.app.inject({ url: '/health/ready' });
    expect(ready.json()).toEqual({ status: 'ready', checks: { accepting: true, database: true, notifications: true } });
    h.drain();
    const draining = await h.app.inject({ url: '/health/ready' });
    expect(draining.statusCode).toBe(503);
    expect(draining.json()).toMatchObject({ status: 'unavailable', checks: { accepting: false } });
  });

  it('every response names its request id (the load balancer’s, when it sends a sane one)', async () => {
    expect((await h.app.inject({ url: '/health/live', headers: { 'x-request-id': 'lb-7f3a.42' } })).headers['x-request-id']).toBe('lb-7f3a.42');
    const made = (await h.app.inject({ url: '/health/live', headers: { 'x-request-id': 'bad id\u0007' } })).headers['x-request-id'];
    expect(made).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('an operator can follow one check through the logs, by its id, with no name or user id', async () => {
    const w = await makeWorld(h);
    const { firesAt } = (await w.t1.send('POST', `/api/lessons/${w.l1}/checks`, { withinMinutes: 1 })).body as { firesAt: number };
    h.clock.now = firesAt;
    await h.attendance.fireDueChecks();
    const checkId = (await h.db.get<{ check_id: string }>('SELECT check_id FROM scheduled_checks'))!.check_id;
    const open = (await h.attendance.openChecks(w.l1, w.s1.studentId)).find((c) => c.checkId === checkId)!;
    await w.s1.submit(checkId, await w.s1.signCheck(open, 'pass', undefined, () => h.clock.now));
    const lines = h.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const trail = lines.filter((l) => l.check === checkId);
    expect(trail.map((l) => l.msg)).toEqual(['check fired', 'check result recorded']);
    expect(lines.find((l) => l.msg === 'check scheduled')).toMatchObject({ lesson: w.l1 });
    for (const line of [...trail, ...lines.filter((l) => l.msg === 'check scheduled')]) {
      expect(line.instance).toEqual(expect.any(String));
      expect(JSON.stringify(line)).not.toMatch(new RegExp(`${w.s1.studentId}|${w.t1.userId}|student1|teacher1`));
    }
  });
});

describe.each(ENGINES)('a scheduled check survives its instance on %s', (engine) => {
  it('scheduled on one instance that stops, fired once by the next (two racing on PostgreSQL)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'presenza-schedule-')), 'service.sqlite');
    const open = () => (engine === 'postgres' ? openDatabase({ url: POSTGRES_URL, file: '' }) : openDatabase({ file }));
    const first = await startHarness(engine, {}, engine === 'postgres' ? undefined : await open());
    const w = await makeWorld(first);
    const { firesAt } = (await w.t1.send('POST', `/api/lessons/${w.l1}/checks`, { withinMinutes: 1 })).body as { firesAt: number };
    await first.close();
    const second = await startHarness(engine, {}, await open(), first);
    const third = engine === 'postgres' ? await startHarness(engine, {}, await open(), first) : second;
    try {
      second.clock.now = firesAt + 1;
      const fired = await Promise.all([second.attendance.fireDueChecks(), third.attendance.fireDueChecks(), second.attendance.fireDueChecks()]);
      expect(fired.reduce((a, b) => a + b, 0)).toBe(1);
      expect(await count(second.db, 'SELECT COUNT(*) AS n FROM checks WHERE lesson_id = ?', [w.l1])).toBe(2);
      expect(await count(second.db, `SELECT COUNT(*) AS n FROM audit_log WHERE action = 'check.fired'`)).toBe(3);
    } finally {
      if (third !== second) await third.close();
      await second.close();
    }
  }, 60_000);
});

describe('configuration of an instance from the environment', () => {
  it('reads the instance id, pool size and shutdown timings, with defaults, and refuses bad values', () => {
    expect(operationsFromEnv({ PRESENZA_INSTANCE_ID: 'web-2', PRESENZA_DB_POOL_SIZE: '20', PRESENZA_DRAIN_DELAY_MS: '5000' })).toEqual({
      instanceId: 'web-2',
      poolSize: 20,
      drainDelayMs: 5000,
      shutdownTimeoutMs: 15_000,
    });
    expect(operationsFromEnv({}).instanceId).toMatch(/-\d+$/);
    expect(() => operationsFromEnv({ PRESENZA_DB_POOL_SIZE: '0' })).toThrow(/PRESENZA_DB_POOL_SIZE/);
    expect(() => operationsFromEnv({ PRESENZA_DRAIN_DELAY_MS: 'soon' })).toThrow(/PRESENZA_DRAIN_DELAY_MS/);
    expect(() => operationsFromEnv({ PRESENZA_INSTANCE_ID: 'web 2' })).toThrow(/PRESENZA_INSTANCE_ID/);
  });
});
