/**
 * A service under test on one engine, with a trusted test platform and a clock, reached through
 * app.inject; and a "world" of two teachers, two students and an auditor with lessons, checks and
 * keys of their own, for walking the access table.
 */
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp, type AppOptions } from '../service/app.js';
import type { Attendance } from '../service/attendance.js';
import type { ServiceConfig } from '../service/config.js';
import { openDatabase, type Db } from '../service/db.js';
import type { LtiGrades } from '../service/lti/grades.js';
import { TestPlatform } from './platform.js';
import { ApiClient, SimulatedStudent, type Transport } from './simulatedStudent.js';

export const ORIGIN = 'http://localhost:5173';
/**
 * Set PRESENZA_TEST_DATABASE_URL (e.g. .ci/run does) to run the service tests on PostgreSQL too.
 * Each test process works in a schema of its own on that database, so test files running in
 * parallel never drop each other's tables.
 */
const SCHEMA = `test_${process.pid}`;
export const POSTGRES_URL = process.env.PRESENZA_TEST_DATABASE_URL ? inSchema(process.env.PRESENZA_TEST_DATABASE_URL) : undefined;

/** The URL with this process's schema first on its search path. */
function inSchema(url: string): string {
  const withSchema = new URL(url);
  withSchema.searchParams.set('options', `-c search_path=${SCHEMA}`);
  return withSchema.href;
}

export const ENGINES = POSTGRES_URL ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const);

/** Drops and recreates this process's PostgreSQL schema: no table at all. */
export async function emptyPostgresSchema(): Promise<void> {
  const admin = new pg.Client({ connectionString: process.env.PRESENZA_TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await admin.query(`CREATE SCHEMA ${SCHEMA}`);
  await admin.end();
}

/** An empty, migrated database of `engine` (PostgreSQL: this process's schema recreated). */
export async function freshDatabase(engine: string): Promise<Db> {
  if (engine === 'sqlite') return openDatabase({ file: ':memory:' });
  await emptyPostgresSchema();
  return openDatabase({ url: POSTGRES_URL, file: '' });
}

/** A running service under test. */
export interface Harness {
  db: Db;
  app: FastifyInstance;
  attendance: Attendance;
  platform: TestPlatform;
  transport: Transport;
  clock: { now: number };
  /** Every log line the service wrote. */
  logs: string[];
  /** The LMS gradebook outbox, when the service has LTI registrations (ticked by the tests). */
  grades?: LtiGrades;
  /** Marks the instance as shutting down (readiness 503). */
  drain(): void;
  close(): Promise<void>;
}

/**
 * Starts a service under test. `db` (an existing database) and `shared` (another harness's
 * platform and clock) make a second instance of the same deployment.
 */
export async function startHarness(
  engine: string,
  config: Partial<ServiceConfig> = {},
  db?: Db,
  shared?: Pick<Harness, 'platform' | 'clock'>,
  extra?: Pick<AppOptions, 'lti'>,
): Promise<Harness> {
  const clock = shared?.clock ?? { now: Date.UTC(2026, 10, 23, 9) };
  const database = db ?? (await freshDatabase(engine));
  const platform = shared?.platform ?? (await TestPlatform.create());
  const logs: string[] = [];
  const log = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const { app, attendance, drain, grades } = await buildApp({
    db: database,
    config: {
      publicUrl: ORIGIN,
      allowedOrigins: [],
      trustedIssuers: [platform.trusted],
      ...config,
      // Tests sign in many users from one address: limits high unless a test sets its own.
      limits: { launchesPerMinute: 100_000, requestsPerMinute: 100_000, ...config.limits },
    },
    now: () => clock.now,
    log,
    ...extra,
  });
  const transport: Transport = async ({ method, path, headers, body }) => {
    const response = await app.inject({ method: method as 'GET', url: path, headers, ...(body !== undefined ? { payload: body } : {}) });
    return { status: response.statusCode, headers: response.headers as Record<string, string | string[] | undefined>, text: response.body };
  };
  return {
    db: database,
    app,
    attendance,
    platform,
    transport,
    clock,
    logs,
    drain,
    ...(grades ? { grades } : {}),
    close: async () => {
      await app.close();
      await database.close();
    },
  };
}

let counter = 0;

/** Two of each, with their own lesson, check and keys; everything the access table names. */
export async function makeWorld(h: Harness) {
  const tag = `${++counter}-${Math.random().toString(36).slice(2, 8)}`;
  const now = () => h.clock.now;
  const signIn = (subject: string, role: 'student' | 'teacher' | 'auditor', course = 'course-1') =>
    h.platform.signIn(h.transport, ORIGIN, { subject: `${subject}-${tag}`, name: subject, role, course }, h.clock.now);
  const t1 = await signIn('teacher1', 'teacher');
  const t2 = await signIn('teacher2', 'teacher', 'course-2');
  const auditor = await signIn('auditor', 'auditor');
  const l1 = String((await t1.send('POST', '/api/lessons', { title: 'Lesson one' })).body.lessonId);
  const l2 = String((await t2.send('POST', '/api/lessons', { title: 'Lesson two' })).body.lessonId);
  const s1 = await SimulatedStudent.enroll(await signIn('student1', 'student'), now);
  const s2 = await SimulatedStudent.enroll(await signIn('student2', 'student', 'course-2'), now);
  await s1.join(l1);
  await s2.join(l2);
  // A second device of each student: pending until a teacher approves it.
  const s1b = new SimulatedStudent(s1.client);
  await s1b.tryEnroll(now);
  const s2b = new SimulatedStudent(s2.client);
  await s2b.tryEnroll(now);
  const c1 = (await h.attendance.fireCheck(l1)).checkId;
  const c2 = (await h.attendance.fireCheck(l2)).checkId;
  const nonceOf = async (student: SimulatedStudent, lessonId: string) => (await h.attendance.openChecks(lessonId, student.studentId))[0]!;
  return { t1, t2, auditor, s1, s2, s1b, s2b, l1, l2, c1, c2, nonceOf, anonymous: new ApiClient(h.transport, ORIGIN) };
}
export type World = Awaited<ReturnType<typeof makeWorld>>;

/** Every row of every table, to prove a refused request changed nothing. */
export async function snapshot(db: Db): Promise<string> {
  const tables = ['users', 'sessions', 'launch_tokens', 'lessons', 'lesson_students', 'device_keys', 'checks', 'nonces', 'attendance', 'audit_log', 'events', 'scheduled_checks', 'lti_states', 'lti_links', 'lti_deep_links', 'lti_grades', 'lti_roster_reads', 'lti_registrations'];
  const out: Record<string, unknown> = {};
  for (const table of tables) out[table] = await db.all(`SELECT * FROM ${table} ORDER BY 1, 2`);
  return JSON.stringify(out);
}
