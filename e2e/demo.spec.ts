/**
 * The demo webinar end to end: the real service on a temp SQLite database with the demo pages and
 * the demo platform (users sign in there and arrive with a launch token), the teacher page, and
 * students in Chromium whose fake webcams play LFW photos. Every request of the student pages is
 * recorded for the privacy audit.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { chromium, type BrowserContext } from 'playwright-core';
import type { Attendance } from '../service/attendance.js';
import type { Db } from '../service/db.js';
import { SimulatedStudent } from '../testing/simulatedStudent.js';
import { CHROMIUM } from '../tools/chromium.js';
import { demoSession, signInIfAsked, startDemoServer } from './support/demoServer.js';
import { cameraArgs, fakeCameraFile } from './support/fakeCamera.js';

test.describe.configure({ mode: 'serial' });
test.setTimeout(180_000);

const PERSON_A = ['lfw/Abel_Pacheco/Abel_Pacheco_0001.jpg', 'lfw/Abel_Pacheco/Abel_Pacheco_0004.jpg'] as const;
const PERSON_B = 'lfw/Akhmed_Zakayev/Akhmed_Zakayev_0001.jpg';
const PROTOCOL_BODY_FIELDS = ['name', 'role', 'token', 'assertion'];

let db: Db;
let attendance: Attendance;
let origin: string;
let closeServer: () => Promise<void>;
let lessonId: string;
let teacher: Page;
const profileA = mkdtempSync(join(tmpdir(), 'presenza-student-a-'));
const profileB = mkdtempSync(join(tmpdir(), 'presenza-student-b-'));
const studentRequests: { url: string; method: string; body: string | null }[] = [];
let capturedAssertion: { checkId: string; body: string } | undefined;

/** Opens the student page of the lesson in a browser profile whose webcam shows `camera`. */
async function student(options: { camera?: string; grant?: boolean; profile?: string }): Promise<{ context: BrowserContext; page: Page }> {
  const launch = { executablePath: CHROMIUM, headless: true, args: cameraArgs({ ...(options.camera ? { file: fakeCameraFile(options.camera) } : {}), ...(options.grant === false ? { grant: false } : {}) }) };
  const context = options.profile
    ? await chromium.launchPersistentContext(options.profile, launch)
    : await (await chromium.launch(launch)).newContext();
  context.on('request', (request) => studentRequests.push({ url: request.url(), method: request.method(), body: request.postData() }));
  const page = context.pages()[0] ?? (await context.newPage());
  // Still photos cannot make the liveness gestures: the demo's developer option turns liveness off.
  await page.goto(`${origin}/student.html?lesson=${lessonId}&liveness=off`);
  return { context, page };
}

async function joinLesson(page: Page, name: string) {
  await signInIfAsked(page, name);
  await expect(page.locator('#sdk-status')).toHaveText('Face check ready.', { timeout: 60_000 });
}

async function triggerCheck() {
  await teacher.getByRole('button', { name: 'Check now' }).click();
  await expect(teacher.locator('#lesson-status')).toHaveText('Check sent to every student.');
}

async function attendanceOf(name: string) {
  return db.get<{ status: string; method: string | null; outcome: string | null; reason: string | null }>(
    `SELECT a.status, a.method, a.outcome, a.reason FROM attendance a JOIN users s ON s.id = a.student_id
     JOIN checks c ON c.id = a.check_id WHERE s.display_name = ? ORDER BY c.opens_at DESC LIMIT 1`,
    [name],
  );
}

test.beforeAll(async ({ browser }) => {
  const server = await startDemoServer();
  ({ db, attendance, origin } = server);
  closeServer = server.close;
  teacher = await browser.newPage();
  await teacher.goto(`${origin}/teacher.html`);
  await signInIfAsked(teacher, 'Prof. Bianchi');
  await teacher.getByLabel('Lesson title').fill('Diritto amministrativo');
  await teacher.getByRole('button', { name: 'Start lesson' }).click();
  // The link appears once the server has created the lesson (slower on a busy machine).
  await expect(teacher.locator('#student-link')).toHaveAttribute('href', /lesson=/, { timeout: 30_000 });
  const link = await teacher.locator('#student-link').getAttribute('href');
  lessonId = new URL(link!).searchParams.get('lesson')!;
});

test.afterAll(async () => {
  await closeServer();
});

test('a student enrolls and passes a check triggered by the teacher; the pass is recorded in the DB', async () => {
  const { context, page } = await student({ camera: PERSON_A[0], profile: profileA });
  await joinLesson(page, 'Anna');
  await page.getByRole('button', { name: 'Set up the face check' }).click();
  await expect(page.locator('#result')).toHaveText('Face check set up.', { timeout: 60_000 });
  await context.close();

  // Another photo of the same person in front of the camera.
  const again = await student({ camera: PERSON_A[1], profile: profileA });
  await expect(again.page.locator('#sdk-status')).toHaveText('Face check ready.', { timeout: 60_000 });
  again.page.on('request', (request) => {
    if (request.url().endsWith('/result')) capturedAssertion = { checkId: request.url().split('/').at(-2)!, body: request.postData()! };
  });
  await triggerCheck();
  await again.page.getByRole('button', { name: 'Verify with the face check' }).click();
  await expect(again.page.locator('#result')).toHaveText('Presence confirmed. Thank you!', { timeout: 60_000 });
  expect(await attendanceOf('Anna')).toEqual({ status: 'passed', method: 'biometric', outcome: 'pass', reason: null });
  await expect(teacher.locator('#count-passed')).toHaveText('1');
  await again.context.close();
});

test('a new device of an enrolled student waits for the teacher’s approval, then passes a check', async () => {
  const { context, page } = await student({ camera: PERSON_A[1], profile: profileB });
  await joinLesson(page, 'Anna');
  await page.getByRole('button', { name: 'Set up the face check' }).click();
  await expect(page.locator('#result')).toHaveText('Face check set up on this device: waiting for your teacher’s approval.', { timeout: 60_000 });
  await expect(page.locator('#pending')).toBeVisible();
  const keys = () => db.all(`SELECT k.status FROM device_keys k JOIN users u ON u.id = k.student_id WHERE u.display_name = 'Anna' ORDER BY k.created_at`);
  expect(await keys()).toEqual([{ status: 'active' }, { status: 'pending' }]);
  // Before approval this device's answer is refused, and the page says why.
  await triggerCheck();
  await page.getByRole('button', { name: 'Verify with the face check' }).click();
  await expect(page.locator('#result')).toContainText('not approved this new device yet', { timeout: 60_000 });
  // The teacher sees the new device and approves it.
  await teacher.getByRole('button', { name: 'Approve new device' }).click();
  await expect(teacher.locator('#enrollments')).toBeHidden();
  expect(await keys()).toEqual([{ status: 'active' }, { status: 'active' }]);
  await triggerCheck();
  await page.getByRole('button', { name: 'Verify with the face check' }).click();
  await expect(page.locator('#result')).toHaveText('Presence confirmed. Thank you!', { timeout: 60_000 });
  expect(await attendanceOf('Anna')).toEqual({ status: 'passed', method: 'biometric', outcome: 'pass', reason: null });
  expect((await db.all<{ action: string }>('SELECT action FROM audit_log')).map((r) => r.action)).toEqual(
    expect.arrayContaining(['enrollment.registered', 'enrollment.pending', 'enrollment.approved', 'check.answered']),
  );
  await context.close();
});

test('a captured assertion replayed, or tampered with, is rejected', async () => {
  expect(capturedAssertion).toBeDefined();
  const { checkId, body } = capturedAssertion!;
  // Anna's own second session (the same platform user): still a replay.
  const anna = await demoSession(origin, 'Anna', 'student');
  const send = anna.send;
  const replay = await send('POST', `/api/checks/${checkId}/result`, JSON.parse(body));
  expect(replay).toMatchObject({ status: 400, body: { error: 'ERR_REPLAYED' } });
  const parsed = JSON.parse(body) as { assertion: string };
  const [header, payload, signature] = parsed.assertion.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
  const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, outcome: 'pass', reason: undefined })).toString('base64url')}.${signature}`;
  const forged = await send('POST', `/api/checks/${checkId}/result`, { ...parsed, assertion: tampered });
  expect(forged.status).toBe(400);
  expect(String(forged.body.error)).toMatch(/^ERR_/);
});

test('enrolled as A, the camera shows B: the check fails, is recorded, and the teacher is asked to verify in person', async () => {
  const { context, page } = await student({ camera: PERSON_B, profile: profileA });
  await expect(page.locator('#sdk-status')).toHaveText('Face check ready.', { timeout: 60_000 });
  await triggerCheck();
  await page.getByRole('button', { name: 'Verify with the face check' }).click();
  await expect(page.locator('#result')).toContainText('did not recognise you', { timeout: 60_000 });
  await expect(page.locator('#result')).toContainText('Nothing was kept');
  await expect(page.getByRole('button', { name: 'Try again' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Use the alternative' })).toBeVisible();
  expect(await attendanceOf('Anna')).toEqual({ status: 'failed', method: 'biometric', outcome: 'fail', reason: 'mismatch' });
  await expect(teacher.locator('#alerts')).toContainText('verify them in person');
  await context.close();
});

test('a camera without a face: guidance while it looks, then no_face', async () => {
  const { context, page } = await student({ profile: profileA });
  await expect(page.locator('#sdk-status')).toHaveText('Face check ready.', { timeout: 60_000 });
  await triggerCheck();
  await page.getByRole('button', { name: 'Verify with the face check' }).click();
  await expect(page.locator('#guidance')).toHaveText('Look at the camera: no face found.', { timeout: 30_000 });
  await expect(page.locator('#result')).toContainText('No face was seen', { timeout: 60_000 });
  expect(await attendanceOf('Anna')).toMatchObject({ status: 'failed', outcome: 'inconclusive', reason: 'no_face' });
  await context.close();
});

test('camera permission denied: a clear message, and the alternative is recorded once the teacher confirms', async () => {
  const { context, page } = await student({ grant: false, profile: profileA });
  await expect(page.locator('#sdk-status')).toHaveText('Face check ready.', { timeout: 60_000 });
  await triggerCheck();
  await page.getByRole('button', { name: 'Verify with the face check' }).click();
  await expect(page.locator('#result')).toContainText('Camera permission was denied', { timeout: 60_000 });
  await page.getByRole('button', { name: 'Use the alternative' }).click();
  await expect(page.locator('#result')).toHaveText('Your teacher will confirm your presence.');
  expect(await attendanceOf('Anna')).toMatchObject({ status: 'alternative_requested', method: 'alternative' });
  await teacher.getByRole('button', { name: 'Confirm present' }).click();
  await expect.poll(async () => (await attendanceOf('Anna'))?.status).toBe('alternative_confirmed');
  expect(await attendanceOf('Anna')).toMatchObject({ method: 'alternative' });
  await context.close();
});

test('20 students in one lesson all get the check and are counted right', async () => {
  // One real browser student plus 19 simulated students with real device keys and real JWS.
  const browserStudent = await student({ camera: PERSON_A[1], profile: profileA });
  await expect(browserStudent.page.locator('#sdk-status')).toHaveText('Face check ready.', { timeout: 60_000 });
  const simulated = await Promise.all(
    Array.from({ length: 19 }, async (_, i) => {
      const s = await SimulatedStudent.enroll(await demoSession(origin, `Sim ${i + 1}`, 'student'));
      await s.join(lessonId);
      return s;
    }),
  );
  const streams = simulated.map((s) => s.waitForCheck(origin, lessonId));
  await expect.poll(() => attendance.attendance(lessonId).then((a) => a.students)).toBeGreaterThanOrEqual(20);
  await triggerCheck();
  const checks = await Promise.all(streams);
  expect(checks).toHaveLength(19);
  await browserStudent.page.getByRole('button', { name: 'Verify with the face check' }).click();
  await expect(browserStudent.page.locator('#result')).toHaveText('Presence confirmed. Thank you!', { timeout: 60_000 });
  // 14 pass, 3 fail, 2 choose the alternative.
  await Promise.all(
    simulated.map(async (s, i) => {
      const check = checks[i]!;
      if (i >= 17) return s.client.send('POST', `/api/checks/${check.checkId}/alternative`);
      const assertion = await s.signCheck(check, i < 14 ? 'pass' : 'fail', i < 14 ? undefined : 'mismatch');
      return s.submit(check.checkId, assertion);
    }),
  );
  await expect(teacher.locator('#count-passed')).toHaveText('15');
  await expect(teacher.locator('#count-failed')).toHaveText('3');
  await expect(teacher.locator('#count-alternative')).toHaveText('2');
  await expect(teacher.locator('#count-pending')).toHaveText('0');
  const csv = await (await teacher.context().request.get(`${origin}/api/lessons/${lessonId}/attendance.csv`)).text();
  expect(csv.split('\r\n').filter((line) => line.includes('"passed"')).length).toBeGreaterThanOrEqual(15);
  await browserStudent.context.close();
});

test('privacy audit: every request of the student pages carried only protocol fields, nothing biometric', async () => {
  expect(studentRequests.length).toBeGreaterThan(20);
  const bodies = studentRequests.filter((r) => r.body !== null);
  expect(bodies.length).toBeGreaterThan(3);
  for (const { url, body } of bodies) {
    expect(Buffer.byteLength(body!), url).toBeLessThanOrEqual(4096);
    expect(body, url).not.toMatch(/\/9j\/|iVBORw0KGgo|UklGR|data:image|\xff\xd8\xff|\x89PNG|RIFF/);
    expect(body, url).not.toMatch(/\[\s*-?\d+(\.\d+)?\s*(,\s*-?\d+(\.\d+)?\s*){7,}\]/);
    const parsed = JSON.parse(body!) as Record<string, unknown>;
    for (const key of Object.keys(parsed)) expect(PROTOCOL_BODY_FIELDS, `${url}: ${key}`).toContain(key);
    if (typeof parsed.assertion === 'string') {
      const claims = JSON.parse(Buffer.from(parsed.assertion.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      for (const claim of Object.keys(claims)) {
        expect(['aud', 'sub', 'jti', 'nonce', 'iat', 'exp', 'outcome', 'reason', 'liveness', 'models', 'sdk', 'retainUntil', 'idDocument']).toContain(claim);
      }
    }
  }
  // Every request went to the demo's own origin (pages, SDK files, API), none elsewhere.
  for (const { url } of studentRequests) expect(url.startsWith(origin) || url.startsWith('blob:'), url).toBe(true);
});
