/**
 * Load benchmark of the demo backend: N simulated students (default 500; Node clients with real
 * device keys and real ES256 JWS, loopback only, each signed in through the demo platform with its
 * own session) hold SSE streams to one lesson; the teacher triggers one check; every student signs
 * and posts its assertion as soon as the check arrives.
 * Reports the server latency of the result posts (p50/p99, as seen by the clients), the time until
 * all are recorded, and checks that every one is. Usage: npx tsx bench/demo-load.ts [--students N] [--json]
 * The server runs in its own process on a temp SQLite file, or on PostgreSQL when DATABASE_URL is
 * set. Results: bench/results/demo-load-<engine>.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ApiClient, fetchTransport, SimulatedStudent } from '../testing/simulatedStudent.js';
import { ROOT } from '../tools/paths.js';

const { values } = parseArgs({ options: { students: { type: 'string', default: '500' }, json: { type: 'boolean', default: false } } });
const STUDENTS = Number(values.students);
const PORT = 5300 + Math.floor(Math.random() * 500);
const origin = `http://127.0.0.1:${PORT}`;
const GOAL_MS = 10_000;

const server = spawn(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'demo', 'main.ts')], {
  env: {
    ...process.env,
    PORT: String(PORT),
    PRESENZA_PUBLIC_URL: origin,
    PRESENZA_SQLITE: join(mkdtempSync(join(tmpdir(), 'presenza-load-')), 'load.sqlite'),
    // Every simulated user signs in from this one address.
    PRESENZA_LAUNCHES_PER_MINUTE: '100000',
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise<void>((resolve, reject) => {
  server.stdout!.on('data', (chunk: Buffer) => String(chunk).includes('Presenza demo') && resolve());
  server.on('exit', (code) => reject(new Error(`demo server exited with ${code}`)));
});

const transport = fetchTransport(origin);
/** A user signed in through the demo platform. */
async function signIn(name: string, role: 'student' | 'teacher'): Promise<ApiClient> {
  const { body } = await new ApiClient(transport, origin).send('POST', '/demo-platform/sign-in', { name, role });
  return ApiClient.signIn(transport, origin, String(body.token));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

try {
  const teacher = await signIn('Load teacher', 'teacher');
  const send = teacher.send;
  const { lessonId } = (await send('POST', '/api/lessons', { title: 'Load test' })).body as { lessonId: string };
  console.error(`enrolling ${STUDENTS} simulated students…`);
  const students: SimulatedStudent[] = [];
  for (let i = 0; i < STUDENTS; i += 50) {
    const batch = Array.from({ length: Math.min(50, STUDENTS - i) }, async (_, k) => {
      const student = await SimulatedStudent.enroll(await signIn(`Load ${i + k}`, 'student'));
      await student.join(lessonId);
      return student;
    });
    students.push(...(await Promise.all(batch)));
  }
  const latencies: number[] = [];
  const failures: string[] = [];
  let triggeredAt = 0;
  const answered = students.map(async (student) => {
    const check = await student.waitForCheck(origin, lessonId);
    const assertion = await student.signCheck(check, 'pass');
    const started = performance.now();
    const result = await student.submit(check.checkId, assertion);
    latencies.push(performance.now() - started);
    if (result.status !== 200) failures.push(JSON.stringify(result.body));
    return performance.now() - triggeredAt;
  });
  const joined = async () => Number(((await send('GET', `/api/lessons/${lessonId}/attendance`)).body as { students: number }).students);
  while ((await joined()) < STUDENTS) await new Promise((r) => setTimeout(r, 250));
  triggeredAt = performance.now();
  await send('POST', `/api/lessons/${lessonId}/checks`, { withinMinutes: 0 });
  const doneAt = await Promise.all(answered);
  const allAnsweredMs = Math.max(...doneAt);
  const final = (await send('GET', `/api/lessons/${lessonId}/attendance`)).body as { counts: Record<string, number> };
  latencies.sort((a, b) => a - b);
  const record = {
    date: new Date().toISOString(),
    students: STUDENTS,
    recorded_passed: final.counts.passed,
    failures: failures.length,
    result_post_ms_p50: Number(percentile(latencies, 0.5).toFixed(1)),
    result_post_ms_p99: Number(percentile(latencies, 0.99).toFixed(1)),
    result_post_ms_max: Number(latencies.at(-1)!.toFixed(1)),
    all_answered_ms: Number(allAnsweredMs.toFixed(0)),
    within_goal: allAnsweredMs <= GOAL_MS && final.counts.passed === STUDENTS,
    engine: process.env.DATABASE_URL ? 'postgres' : 'sqlite',
    note: 'server and clients share this 2-core machine; clients also sign their JWS (WebCrypto) during the run',
  };
  console.log(`students ${STUDENTS}, recorded passed ${record.recorded_passed}, failures ${record.failures}`);
  console.log(`result POST latency p50 ${record.result_post_ms_p50} ms, p99 ${record.result_post_ms_p99} ms, max ${record.result_post_ms_max} ms`);
  console.log(`from trigger to the last recorded answer: ${record.all_answered_ms} ms (goal ≤ ${GOAL_MS} ms)`);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', `demo-load-${record.engine}.json`), JSON.stringify(record, null, 1) + '\n');
  if (values.json) console.log(JSON.stringify(record));
} finally {
  server.kill('SIGTERM');
}
