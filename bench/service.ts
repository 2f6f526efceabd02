/**
 * Load benchmark of the attendance service as a school runs it: N instances (each its own
 * `service/main.ts` process) on one PostgreSQL behind a round-robin balancer without sticky
 * sessions, L lessons of S simulated students with real device keys and real ES256 assertions,
 * each holding an SSE stream that reconnects as a browser's EventSource does (Last-Event-ID, via
 * the balancer), one teacher stream per lesson, C checks fired per lesson (the lessons' checks at
 * the same moment). Every student answers each check it receives after a random wait, uniform
 * up to --answer-spread-ms (default 10 s), and retries a post that got no answer or a 5xx, as a
 * page would. A real check takes the student 9.6–25.7 s from prompt to answer
 * (bench/results/journey-quiet.json: camera, framing, three gestures), so a class answering
 * within 10 s of the prompt is denser than any measured; `--answer-spread-ms 0` sends every
 * answer in the same instant, a stress test whose time on this machine is set by the CPU shared
 * with a thousand simulated clients. With --kill-instance one instance is killed with SIGKILL in the middle check, once a
 * third of its answers are acknowledged.
 *
 * Afterwards it reads the database: an answer acknowledged (2xx) but not recorded is lost. It
 * also reports the CPU seconds each part spent while the checks ran (`cpu_seconds`).
 *
 * Usage: npm run bench:service -- [--instances 3] [--lessons 2] [--students 500] [--checks 3]
 *        [--kill-instance] [--answer-spread-ms 10000] [--cpu-prof <dir>] [--json]
 * --cpu-prof writes each instance's V8 CPU profile into <dir> (open it in Chrome's DevTools).
 * Without DATABASE_URL it starts a private PostgreSQL cluster. Results:
 * bench/results/service[-kill][-spread<ms>].json (-spread only when not the default). Take flock /tmp/presenza-bench.lock around it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { ServiceCluster } from '../testing/cluster.js';
import { EventStream } from '../testing/eventStream.js';
import { TestPlatform } from '../testing/platform.js';
import { ApiClient, fetchTransport, SimulatedStudent } from '../testing/simulatedStudent.js';
import { ROOT } from '../tools/paths.js';
import { startPrivatePostgres } from './lib/privatePostgres.js';
import { cpuSeconds, cpuSpent, reapedSeconds } from './lib/processCpu.js';

/** Answers of a class arrive within this window after the prompt (see above). */
const DEFAULT_SPREAD_MS = 10_000;
const { values } = parseArgs({
  options: {
    instances: { type: 'string', default: '3' },
    lessons: { type: 'string', default: '2' },
    students: { type: 'string', default: '500' },
    checks: { type: 'string', default: '3' },
    'kill-instance': { type: 'boolean', default: false },
    'answer-spread-ms': { type: 'string', default: String(DEFAULT_SPREAD_MS) },
    'cpu-prof': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const INSTANCES = Number(values.instances);
const LESSONS = Number(values.lessons);
const STUDENTS = Number(values.students);
const CHECKS = Number(values.checks);
const KILL = values['kill-instance'];
const SPREAD_MS = Number(values['answer-spread-ms']);
if (KILL && INSTANCES < 2) throw new Error('--kill-instance needs at least 2 instances');
/** Longest wait for a check's answers. */
const BURST_TIMEOUT_MS = 180_000;
const RETRY_MS = 500;

const log = (message: string) => console.error(`[bench:service] ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 10) / 10 : null;
};

/** One acknowledged answer. */
interface Ack {
  checkId: string;
  studentId: string;
  /** The request that got the 2xx. */
  postMs: number;
  /** From the first attempt to the 2xx (retries included). */
  ackMs: number;
  at: number;
}

const loadBefore = loadavg()[0]!;
const privatePg = process.env.DATABASE_URL ? null : await startPrivatePostgres();
const databaseUrl = process.env.DATABASE_URL ?? privatePg!.url;
const platform = await TestPlatform.create();
log(`starting ${INSTANCES} instances on ${privatePg ? 'a private PostgreSQL' : 'DATABASE_URL'}…`);
const cluster = await ServiceCluster.start({ instances: INSTANCES, databaseUrl, platform, env: { PRESENZA_REQUESTS_PER_MINUTE: '1000000' },
  keepLogs: false,
  ...(values['cpu-prof'] ? { cpuProfileDir: values['cpu-prof'] } : {}),
});
const transport = fetchTransport(cluster.origin);
const streams: EventStream[] = [];
const acks: Ack[] = [];
const failures: string[] = [];
let retries = 0;

/** Sends with the retries a page makes when the connection drops or an instance answers 5xx. */
async function sendRetrying(client: ApiClient, method: string, path: string, body?: unknown) {
  for (let attempt = 0; ; attempt++) {
    const started = performance.now();
    try {
      const response = await client.send(method, path, body);
      if (response.status < 500) return { ...response, ms: performance.now() - started };
    } catch {
      // Connection refused or reset: the instance died. Try again through the balancer.
    }
    if (attempt >= 40) throw new Error(`${method} ${path}: no answer after ${attempt} retries`);
    retries += 1;
    await sleep(RETRY_MS);
  }
}

try {
  const signIn = (subject: string, role: 'student' | 'teacher') => platform.signIn(transport, cluster.origin, { subject, name: subject, role });
  const lessons: { lessonId: string; teacher: ApiClient; stream: EventStream; students: SimulatedStudent[] }[] = [];
  for (let l = 0; l < LESSONS; l++) {
    const teacher = await signIn(`teacher-${l}`, 'teacher');
    const { lessonId } = (await teacher.send('POST', '/api/lessons', { title: `Load lesson ${l}` })).body as { lessonId: string };
    const stream = new EventStream(() => cluster.origin, `/api/lessons/${lessonId}/events`, { cookie: teacher.cookie! });
    streams.push(stream);
    lessons.push({ lessonId, teacher, stream, students: [] });
  }
  log(`enrolling ${LESSONS} × ${STUDENTS} simulated students…`);
  for (const lesson of lessons) {
    for (let i = 0; i < STUDENTS; i += 25) {
      const batch = Array.from({ length: Math.min(25, STUDENTS - i) }, async (_, k) => {
        const student = await SimulatedStudent.enroll(await signIn(`${lesson.lessonId}-s${i + k}`, 'student'));
        await student.join(lesson.lessonId);
        return student;
      });
      lesson.students.push(...(await Promise.all(batch)));
    }
  }
  // Every student streams through the balancer and answers each check once.
  const received = new Map<string, Set<string>>();
  for (const lesson of lessons) {
    for (const student of lesson.students) {
      const seen = new Set<string>();
      received.set(student.studentId, seen);
      const stream = new EventStream(() => cluster.origin, `/api/lessons/${lesson.lessonId}/me/events`, {
        cookie: student.client.cookie!,
        onEvent: (event) => {
          if (event.type !== 'check') return;
          const check = JSON.parse(event.data) as { checkId: string; nonce: string };
          if (seen.has(check.checkId)) return;
          seen.add(check.checkId);
          void (async () => {
            if (SPREAD_MS) await sleep(Math.random() * SPREAD_MS);
            const started = performance.now();
            const answer = await sendRetrying(student.client, 'POST', `/api/checks/${check.checkId}/result`, { assertion: await student.signCheck(check, 'pass') });
            if (answer.status === 200) acks.push({ checkId: check.checkId, studentId: student.studentId, postMs: answer.ms, ackMs: performance.now() - started, at: performance.now() });
            else failures.push(`${answer.status} ${JSON.stringify(answer.body)}`);
          })().catch((error: Error) => failures.push(error.message));
        },
      });
      streams.push(stream);
    }
  }
  const everyone = streams.slice(LESSONS);
  while (everyone.some((s) => !s.events.some((e) => e.type === 'lesson'))) await sleep(200);
  for (const lesson of lessons) await lesson.stream.waitFor((e) => e.type === 'snapshot');
  log(`${everyone.length} student streams open; firing ${CHECKS} checks per lesson${KILL ? ', killing one instance in the middle one' : ''}…`);

  const teacherBytesBefore = lessons.map((l) => l.stream.bytes);
  // Where the CPU goes while the checks run (the simulated clients are this process).
  const cpuNow = () => {
    const groups = cpuSeconds({ instances: cluster.instances.map((i) => i.process.pid!), balancer: [cluster.balancerPid], postgres: privatePg ? [privatePg.pid] : [] });
    // An instance killed meanwhile is reaped by this process, its parent: its time counts there.
    return { ...groups, instances: groups.instances! + reapedSeconds(process.pid), clients: (process.cpuUsage().user + process.cpuUsage().system) / 1e6 };
  };
  const cpuBefore = cpuNow();
  const checksStarted = performance.now();
  const perCheck: { check: number; last_result_ms: number; acknowledged: number }[] = [];
  let killed: { instance: string; afterAcks: number } | null = null;
  for (let k = 0; k < CHECKS; k++) {
    const start = acks.length;
    const triggeredAt = performance.now();
    const fired = await Promise.all(lessons.map((lesson) => sendRetrying(lesson.teacher, 'POST', `/api/lessons/${lesson.lessonId}/checks`, { withinMinutes: 0 })));
    if (fired.some((f) => f.status !== 200)) throw new Error(`a check was refused: ${JSON.stringify(fired.map((f) => f.body))}`);
    const expected = LESSONS * STUDENTS;
    const killAt = KILL && k === Math.floor(CHECKS / 2) ? Math.floor(expected / 3) : null;
    const deadline = triggeredAt + BURST_TIMEOUT_MS;
    while (acks.length - start < expected && performance.now() < deadline) {
      if (killAt !== null && !killed && acks.length - start >= killAt) {
        const victim = cluster.instances[1]!;
        await cluster.kill(victim);
        killed = { instance: victim.id, afterAcks: acks.length - start };
        log(`killed ${victim.id} (SIGKILL) after ${killed.afterAcks} answers of check ${k + 1}`);
      }
      await sleep(20);
    }
    const burst = acks.slice(start);
    const last = burst.length ? Math.max(...burst.map((a) => a.at)) - triggeredAt : null;
    perCheck.push({ check: k + 1, last_result_ms: Math.round(last ?? -1), acknowledged: burst.length });
    log(`check ${k + 1}: ${burst.length}/${expected} acknowledged, last after ${Math.round(last ?? -1)} ms`);
    await sleep(500);
  }
  const cpuDuringChecks = { ...cpuSpent(cpuBefore, cpuNow()), wall: Math.round((performance.now() - checksStarted) / 100) / 10 };
  await sleep(2_000);
  const teacherBytes = lessons.reduce((sum, l, i) => sum + l.stream.bytes - teacherBytesBefore[i]!, 0);
  for (const stream of streams) stream.close();

  // What the database holds.
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const { rows } = await db.query<{ check_id: string; student_id: string; status: string }>(
    `SELECT a.check_id, a.student_id, a.status FROM attendance a JOIN checks c ON c.id = a.check_id WHERE c.lesson_id = ANY($1)`,
    [lessons.map((l) => l.lessonId)],
  );
  const { rows: checkRows } = await db.query<{ lesson_id: string; id: string }>('SELECT lesson_id, id FROM checks WHERE lesson_id = ANY($1)', [lessons.map((l) => l.lessonId)]);
  await db.end();
  const passed = new Set(rows.filter((r) => r.status === 'passed').map((r) => `${r.check_id} ${r.student_id}`));
  const acknowledged = new Set(acks.map((a) => `${a.checkId} ${a.studentId}`));
  const lost = [...acknowledged].filter((key) => !passed.has(key)).length;
  const checksOf = new Map<string, string[]>();
  for (const row of checkRows) checksOf.set(row.lesson_id, [...(checksOf.get(row.lesson_id) ?? []), row.id]);
  const everyCheckReceived = lessons.every((lesson) => lesson.students.every((s) => (checksOf.get(lesson.lessonId) ?? []).every((c) => received.get(s.studentId)!.has(c))));
  const everyStudentAsked = rows.length === LESSONS * STUDENTS * CHECKS;
  const result = {
    date: new Date().toISOString(),
    instances: INSTANCES,
    lessons: LESSONS,
    students: STUDENTS,
    checks: CHECKS,
    kill_instance: KILL,
    killed,
    answer_spread_ms: SPREAD_MS,
    acknowledged: acknowledged.size,
    recorded: passed.size,
    lost,
    cross_instance_events: everyCheckReceived,
    every_student_asked: everyStudentAsked,
    teacher_bytes_per_result: Math.round(teacherBytes / Math.max(1, acknowledged.size)),
    result_post_ms: { p50: percentile(acks.map((a) => a.postMs), 0.5), p99: percentile(acks.map((a) => a.postMs), 0.99) },
    result_ack_ms: { p50: percentile(acks.map((a) => a.ackMs), 0.5), p99: percentile(acks.map((a) => a.ackMs), 0.99) },
    last_result_ms: Math.max(...perCheck.map((c) => c.last_result_ms)),
    per_check: perCheck,
    cpu_seconds: cpuDuringChecks,
    retries,
    stream_reconnects: streams.reduce((sum, s) => sum + Math.max(0, s.connects - 1), 0),
    failures: failures.slice(0, 10),
    failure_count: failures.length,
    load_before: Math.round(loadBefore * 100) / 100,
    load_after: Math.round(loadavg()[0]! * 100) / 100,
    engine: 'postgres',
    note: 'instances, PostgreSQL, the balancer and every simulated client share this 2-core machine; clients sign real ES256 JWS',
  };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', `service${KILL ? '-kill' : ''}${SPREAD_MS !== DEFAULT_SPREAD_MS ? `-spread${SPREAD_MS}` : ''}.json`), JSON.stringify(result, null, 1) + '\n');
  if (!values.json) console.log(JSON.stringify(result, null, 1));
  console.log(JSON.stringify(result));
} finally {
  for (const stream of streams) stream.close();
  await cluster.stop();
  privatePg?.stop();
}
