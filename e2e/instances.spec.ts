/**
 * The attendance service as several processes on one PostgreSQL, configured from the environment,
 * behind a round-robin load balancer with no sticky sessions (testing/cluster.ts): a check fired
 * on one instance reaches students streaming from the others and their results, posted anywhere,
 * reach the teacher's stream; an operator follows the check across the instances' logs; a
 * scheduled check fires exactly once after the instance that scheduled it is killed; streams of a
 * stopped instance resume on another with Last-Event-ID and miss nothing.
 * Needs PRESENZA_TEST_DATABASE_URL (CI starts a PostgreSQL); each test gets a database of its own.
 */
import { expect, test } from '@playwright/test';
import pg from 'pg';
import { ServiceCluster } from '../testing/cluster.js';
import { EventStream } from '../testing/eventStream.js';
import { TestPlatform } from '../testing/platform.js';
import { ApiClient, fetchTransport, SimulatedStudent } from '../testing/simulatedStudent.js';

const SERVER_URL = process.env.PRESENZA_TEST_DATABASE_URL;
test.skip(!SERVER_URL, 'needs PRESENZA_TEST_DATABASE_URL (a PostgreSQL the tests may create databases on)');
test.describe.configure({ mode: 'serial' });
test.setTimeout(180_000);

let cluster: ServiceCluster | undefined;
let databaseUrl = '';
let database = '';
const streams: EventStream[] = [];

/** A fresh database on the test server. */
async function createDatabase(): Promise<string> {
  database = `presenza_cluster_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const url = new URL(SERVER_URL!);
  url.pathname = `/${database}`;
  return url.href;
}

test.beforeEach(async () => {
  databaseUrl = await createDatabase();
});

test.afterEach(async () => {
  for (const stream of streams.splice(0)) stream.close();
  await cluster?.stop();
  cluster = undefined;
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
});

/** A lesson with a teacher and `n` enrolled students, all signed in through the balancer. */
async function lessonWith(running: ServiceCluster, platform: TestPlatform, n: number) {
  const transport = fetchTransport(running.origin);
  const signIn = (subject: string, role: 'student' | 'teacher') => platform.signIn(transport, running.origin, { subject, name: subject, role });
  const teacher = await signIn('prof', 'teacher');
  const { lessonId } = (await teacher.send('POST', '/api/lessons', { title: 'Several instances' })).body as { lessonId: string };
  const students: SimulatedStudent[] = [];
  for (let i = 0; i < n; i++) {
    const student = await SimulatedStudent.enroll(await signIn(`student-${i}`, 'student'));
    await student.join(lessonId);
    students.push(student);
  }
  return { teacher, lessonId, students };
}

const follow = (origin: string, path: string, client: ApiClient) => {
  const stream = new EventStream(() => origin, path, { cookie: client.cookie!, retryMs: 200 });
  streams.push(stream);
  return stream;
};

test('three instances: a check fired on one reaches students on the others; results posted anywhere reach the teacher on a third', async () => {
  const platform = await TestPlatform.create();
  cluster = await ServiceCluster.start({ instances: 3, databaseUrl, platform });
  const running = cluster;
  const [a, b, c] = running.instances as [(typeof running.instances)[0], (typeof running.instances)[0], (typeof running.instances)[0]];
  const { teacher, lessonId, students } = await lessonWith(running, platform, 6);
  // Student i streams from instance i % 3; the teacher from the third.
  const studentStreams = students.map((s, i) => follow(running.originOf(running.instances[i % 3]!), `/api/lessons/${lessonId}/me/events`, s.client));
  const teacherStream = follow(running.originOf(c), `/api/lessons/${lessonId}/events`, teacher);
  for (const stream of [...studentStreams, teacherStream]) await stream.waitFor((e) => e.type === 'lesson' || e.type === 'snapshot');

  const fired = await teacher.through(fetchTransport(running.originOf(a))).send('POST', `/api/lessons/${lessonId}/checks`, { withinMinutes: 0 });
  expect(fired.status).toBe(200);
  const checks = await Promise.all(studentStreams.map(async (stream) => JSON.parse((await stream.waitFor((e) => e.type === 'check')).data) as { checkId: string; nonce: string }));
  const checkId = checks[0]!.checkId;
  expect(new Set(checks.map((check) => check.checkId))).toEqual(new Set([checkId]));

  // Each posts on the instance after its own.
  for (const [i, student] of students.entries()) {
    const via = student.client.through(fetchTransport(running.originOf(running.instances[(i + 1) % 3]!)));
    const answer = await via.send('POST', `/api/checks/${checkId}/result`, { assertion: await student.signCheck(checks[i]!, 'pass') });
    expect(answer.body).toEqual({ status: 'passed' });
  }
  await expect.poll(() => teacherStream.of<{ checkId: string; status: string }>('line').filter((l) => l.checkId === checkId && l.status === 'passed').length, { timeout: 20_000 }).toBe(6);

  // One check, followed through the logs of all three instances by its id, with no user id in them.
  const trail = running.instances.flatMap((instance) => instance.logs.filter((line) => line.check === checkId).map((line) => `${String(line.instance)} ${String(line.msg)}`));
  expect(trail).toContain(`${a.id} check fired`);
  for (const instance of [a, b, c]) expect(trail).toContain(`${instance.id} check result recorded`);
  const lines = JSON.stringify(running.instances.flatMap((instance) => instance.logs.filter((line) => line.check === checkId)));
  for (const student of students) expect(lines).not.toContain(student.studentId);
});

test('a scheduled check fires exactly once after the instance that scheduled it is killed', async () => {
  const platform = await TestPlatform.create();
  cluster = await ServiceCluster.start({ instances: 2, databaseUrl, platform });
  const running = cluster;
  const [a, b] = running.instances as [(typeof running.instances)[0], (typeof running.instances)[0]];
  const { teacher, lessonId, students } = await lessonWith(running, platform, 3);
  const studentStreams = students.map((s) => follow(running.originOf(b), `/api/lessons/${lessonId}/me/events`, s.client));
  for (const stream of studentStreams) await stream.waitFor((e) => e.type === 'lesson');

  // Within 6 seconds, scheduled on A, which dies at once.
  const scheduled = await teacher.through(fetchTransport(running.originOf(a))).send('POST', `/api/lessons/${lessonId}/checks`, { withinMinutes: 0.1 });
  expect(scheduled.status).toBe(200);
  await running.kill(a);
  for (const stream of studentStreams) await stream.waitFor((e) => e.type === 'check', 30_000);
  // Give a second instance's scheduler time to fire it again, if it could.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  for (const stream of studentStreams) expect(stream.of('check')).toHaveLength(1);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const { rows } = await db.query('SELECT COUNT(*)::int AS n FROM checks');
  const { rows: schedules } = await db.query('SELECT fired_at IS NOT NULL AS fired FROM scheduled_checks');
  await db.end();
  expect(rows[0].n).toBe(1);
  expect(schedules).toEqual([{ fired: true }]);
  const firedBy = b.logs.find((line) => line.msg === 'check fired');
  expect(firedBy, 'the check came from B, if A did not fire it before it died').toBeTruthy();
});

test('SIGTERM drains an instance: its streams end, reconnect to another with Last-Event-ID and miss nothing', async () => {
  const platform = await TestPlatform.create();
  cluster = await ServiceCluster.start({ instances: 2, databaseUrl, platform, env: { PRESENZA_DRAIN_DELAY_MS: '300' } });
  const running = cluster;
  const [a] = running.instances as [(typeof running.instances)[0]];
  const { teacher, lessonId, students } = await lessonWith(running, platform, 4);
  // Every stream starts on A; when it ends, the browser comes back through the balancer.
  const studentStreams = students.map((s) => {
    let connections = 0;
    const stream = new EventStream(() => (connections++ === 0 ? running.originOf(a) : running.origin), `/api/lessons/${lessonId}/me/events`, { cookie: s.client.cookie!, retryMs: 200 });
    streams.push(stream);
    return stream;
  });
  for (const stream of studentStreams) await stream.waitFor((e) => e.type === 'lesson');
  await teacher.send('POST', `/api/lessons/${lessonId}/checks`, { withinMinutes: 0 });
  for (const stream of studentStreams) await stream.waitFor((e) => e.type === 'check');
  // A drains and exits; the check fired right after lands on B while the browsers wait to reconnect.
  await running.signal(a, 'SIGTERM');
  expect(a.logs.some((line) => line.msg === 'shutting down')).toBe(true);
  await teacher.send('POST', `/api/lessons/${lessonId}/checks`, { withinMinutes: 0 });
  for (const stream of studentStreams) {
    await expect.poll(() => stream.of('check').length, { timeout: 30_000 }).toBe(2);
    // Resumed after its last event id (no second snapshot), each check once.
    expect(stream.connects).toBe(2);
    expect(stream.of('lesson')).toHaveLength(1);
    expect(new Set(stream.of<{ checkId: string }>('check').map((c) => c.checkId)).size).toBe(2);
  }
});
