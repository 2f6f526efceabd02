/**
 * The demo webinar end to end: the real service on a temp SQLite database with the demo pages and
 * the demo platform (users sign in there and arrive with a launch token), the teacher page, and
 * students in Chromium whose fake webcams play LFW photos. Every request of the student pages is
 * recorded for the privacy audit.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { chromium, type BrowserContext } from 'playwright-core';
import type { Attendance } from '../service/attendance.js';
import type { Db } from '../service/db.js';
import { SimulatedStudent } from '../testing/simulatedStudent.js';
import { CHROMIUM } from '../tools/chromium.js';
import { demoSession, signInIfAsked, startDemoServer } from './support/demoServer.js';
import { cameraArgs, fakeCameraFile } from './support/fakeCamera.js';
import { overflowing } from './support/uiPage.js';

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

const SCREENSHOTS = join(import.meta.dirname, 'screenshots');
mkdirSync(SCREENSHOTS, { recursive: true });

/** Opens the student page of the lesson in a browser profile whose webcam shows `camera`. */
async function student(options: { camera?: string; grant?: boolean; profile?: string; locale?: string }): Promise<{ context: BrowserContext; page: Page }> {
  const launch = {
    executablePath: CHROMIUM,
    headless: true,
    locale: options.locale ?? 'en-US',
    viewport: { width: 1280, height: 800 },
    args: cameraArgs({ ...(options.camera ? { file: fakeCameraFile(options.camera) } : {}), ...(options.grant === false ? { grant: false } : {}) }),
  };
  const context = options.profile
    ? await chromium.launchPersistentContext(options.profile, launch)
    : await (await chromium.launch(launch)).newContext({ locale: launch.locale, viewport: launch.viewport });
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

/** The SDK's element on the student page. */
const element = (page: Page): Locator => page.locator('presenza-check');
/** A button inside the element. */
const choose = (page: Page, name: string) => element(page).getByRole('button', { name, exact: true }).click();

/** Presses Tab until the focused control (inside the element's shadow root too) has this accessible name, then Enter. */
async function keyboardPress(page: Page, name: string, maxPresses = 40) {
  for (let presses = 0; presses < maxPresses; presses += 1) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      let active = document.activeElement;
      while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
      return active ? (active.getAttribute('aria-label') ?? active.textContent ?? '').trim() : '';
    });
    if (focused === name) return page.keyboard.press('Enter');
  }
  throw new Error(`"${name}" was not reached with Tab`);
}

/**
 * The page state as a person meets it: axe finds nothing (shadow DOM included), nothing overflows
 * a 390 px wide phone (element boxes against the viewport), and screenshots at 1280×800 and
 * 390×844 are saved as e2e/screenshots/demo-<name>-<width>.png for review.
 */
async function auditState(page: Page, name: string) {
  const violations = (await new AxeBuilder({ page }).analyze()).violations.map((v) => `${v.id}: ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
  expect(violations, name).toEqual([]);
  const size = page.viewportSize()!;
  await page.mouse.move(0, 0);
  await page.screenshot({ path: join(SCREENSHOTS, `demo-${name}-1280.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await overflowing(page), `${name} at 390 px`).toEqual([]);
  await page.screenshot({ path: join(SCREENSHOTS, `demo-${name}-390.png`), fullPage: true });
  await page.setViewportSize(size);
}

/**
 * The first layer (the element's notice) and the full notice come from one configuration: the
 * deletion date is the course end the full notice names, the controller and the alternative are
 * the same, and the published notice carries no draft banner.
 */
async function expectFirstLayerAsFullNotice(page: Page, lang: 'it' | 'en') {
  const sentence = await element(page).getByText(lang === 'it' ? /cancellati automaticamente il / : /deleted automatically on /).innerText();
  const date = /(?:automatically on|automaticamente il) (.+)\.$/.exec(sentence)![1]!;
  const notice = await (await page.request.get(`${origin}/privacy/notice-${lang}.html`)).text();
  expect(notice).toContain(date);
  expect(notice).not.toMatch(/class="draft"|not legal advice|non è una consulenza legale/i);
  const config = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'compliance', 'example.config.json'), 'utf8'));
  expect(date).toBe(new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(`${config.course.end}T12:00:00Z`)));
  await expect(element(page)).toContainText(config.controller.name);
  await expect(element(page)).toContainText(config.policies.alternative.description[lang]);
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
  // A page of its own context, as axe needs.
  teacher = await (await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } })).newPage();
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
  // Not enrolled: the element's layered notice, with the face check and the alternative side by side.
  await expect(element(page)).toHaveAttribute('state', 'notice', { timeout: 60_000 });
  await expect(element(page).getByRole('link', { name: /Full privacy notice/ })).toHaveAttribute('href', /\/privacy\/notice-en\.html$/);
  // The hidden-button regression: nothing of a later state is shown, focusable or read out.
  await expect(page.locator('#forget')).toBeHidden();
  await expect(element(page).getByRole('button', { name: 'I cannot make this movement' })).toBeHidden();
  await expectFirstLayerAsFullNotice(page, 'en');
  await auditState(page, 'en-notice');
  await choose(page, 'Use the face check');
  await expect(element(page)).toHaveAttribute('state', 'enrolled', { timeout: 60_000 });
  await expect(page.locator('#forget')).toBeVisible();
  await context.close();

  // Another photo of the same person in front of the camera.
  const again = await student({ camera: PERSON_A[1], profile: profileA });
  await expect(again.page.locator('#sdk-status')).toHaveText('Face check ready.', { timeout: 60_000 });
  again.page.on('request', (request) => {
    if (request.url().endsWith('/result')) capturedAssertion = { checkId: request.url().split('/').at(-2)!, body: request.postData()! };
  });
  await expect(again.page.locator('#message-title')).toHaveText('The face check is set up on this device', { timeout: 60_000 });
  await triggerCheck();
  await expect(element(again.page)).toHaveAttribute('state', 'intro', { timeout: 30_000 });
  // A new request clears what was shown before.
  await expect(again.page.locator('#message')).toBeHidden();
  await choose(again.page, 'Use the face check');
  await expect(element(again.page)).toHaveAttribute('state', 'passed', { timeout: 60_000 });
  await expect.poll(() => attendanceOf('Anna')).toEqual({ status: 'passed', method: 'biometric', outcome: 'pass', reason: null });
  await expect(teacher.locator('#count-passed')).toHaveText('1');
  await again.context.close();
});

test('a new device of an enrolled student waits for the teacher’s approval, then passes a check', async () => {
  const { context, page } = await student({ camera: PERSON_A[1], profile: profileB });
  await joinLesson(page, 'Anna');
  await expect(element(page)).toHaveAttribute('state', 'notice', { timeout: 60_000 });
  await choose(page, 'Use the face check');
  await expect(page.locator('#message-title')).toHaveText('Waiting for your teacher’s approval', { timeout: 60_000 });
  await expect(page.locator('#message-title')).toBeFocused();
  await auditState(page, 'en-device-pending');
  const keys = () => db.all(`SELECT k.status FROM device_keys k JOIN users u ON u.id = k.student_id WHERE u.display_name = 'Anna' ORDER BY k.created_at`);
  expect(await keys()).toEqual([{ status: 'active' }, { status: 'pending' }]);
  // Before approval this device's answer is refused, and the page says why.
  await triggerCheck();
  await choose(page, 'Use the face check');
  await expect(page.locator('#message-title')).toHaveText('Your presence was not recorded: this device is not approved yet', { timeout: 60_000 });
  await expect(page.locator('#message-title')).toBeFocused();
  await expect(page.locator('#message').getByRole('button', { name: 'Use the alternative' })).toBeVisible();
  await auditState(page, 'en-answer-refused');
  // The teacher sees the new device and approves it (the button names the student).
  await teacher.getByRole('button', { name: 'Approve new device: Anna' }).click();
  await expect(teacher.locator('#enrollments')).toBeHidden();
  expect(await keys()).toEqual([{ status: 'active' }, { status: 'active' }]);
  await triggerCheck();
  await choose(page, 'Use the face check');
  await expect(element(page)).toHaveAttribute('state', 'passed', { timeout: 60_000 });
  await expect.poll(() => attendanceOf('Anna')).toEqual({ status: 'passed', method: 'biometric', outcome: 'pass', reason: null });
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
  const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, iat: claims.iat + 1 })).toString('base64url')}.${signature}`;
  const forged = await send('POST', `/api/checks/${checkId}/result`, { ...parsed, assertion: tampered });
  expect(forged.status).toBe(400);
  expect(String(forged.body.error)).toMatch(/^ERR_/);
});

test('enrolled as A, the camera shows B: the check fails, is recorded, and the teacher is asked to verify in person', async () => {
  const { context, page } = await student({ camera: PERSON_B, profile: profileA });
  await expect(page.locator('#sdk-status')).toHaveText('Face check ready.', { timeout: 60_000 });
  await triggerCheck();
  await choose(page, 'Use the face check');
  await expect(element(page)).toHaveAttribute('state', 'failed', { timeout: 60_000 });
  await expect(element(page)).toContainText('did not match the enrollment');
  await expect(element(page)).toContainText('Nothing from this attempt was kept');
  await expect(element(page).getByRole('button', { name: 'Use the alternative' })).toBeVisible();
  await auditState(page, 'en-check-failed');
  await expect.poll(() => attendanceOf('Anna')).toEqual({ status: 'failed', method: 'biometric', outcome: 'fail', reason: 'mismatch' });
  await expect(teacher.locator('#alerts')).toContainText('Anna');
  await expect(teacher.locator('#alerts')).toContainText('the face did not match');
  await expect(teacher.locator('#count-failed')).toHaveText('1');
  // The retry is signed for a fresh nonce from the service, which accepts it.
  const retried = page.waitForResponse((r) => r.url().endsWith('/retry') && r.request().method() === 'POST');
  const answered = page.waitForResponse((r) => r.url().endsWith('/result') && r.request().method() === 'POST', { timeout: 60_000 });
  await choose(page, 'Try again');
  expect((await retried).status()).toBe(200);
  expect((await answered).status()).toBe(200);
  await expect(element(page)).toHaveAttribute('state', 'failed', { timeout: 60_000 });
  await context.close();
});

test('a camera without a face: guidance while it looks, then no_face', async () => {
  const { context, page } = await student({ profile: profileA });
  await expect(page.locator('#sdk-status')).toHaveText('Face check ready.', { timeout: 60_000 });
  await triggerCheck();
  await choose(page, 'Use the face check');
  await expect(element(page)).toContainText('No face seen: sit in front of the camera.', { timeout: 30_000 });
  await expect(element(page)).toContainText('No face was seen clearly enough', { timeout: 60_000 });
  await expect.poll(() => attendanceOf('Anna')).toMatchObject({ status: 'failed', outcome: 'inconclusive', reason: 'no_face' });
  // Counted as "could not run", not as a failed check; the alert says why.
  await expect(teacher.locator('#count-couldnotrun')).toHaveText('1');
  await expect(teacher.locator('#count-failed')).toHaveText('0');
  await expect(teacher.locator('#alerts')).toContainText('Anna');
  await expect(teacher.locator('#alerts')).toContainText('Check could not run: no face was seen');
  await context.close();
});

test('camera permission denied: a clear message, and the alternative is recorded once the teacher confirms', async () => {
  const { context, page } = await student({ grant: false, profile: profileA });
  await expect(page.locator('#sdk-status')).toHaveText('Face check ready.', { timeout: 60_000 });
  await expect(teacher.locator('#alerts')).toContainText('Anna');
  await triggerCheck();
  // Anna is asked again: the earlier check's alert goes while the new one waits (her card keeps it).
  await expect(teacher.locator('#alerts > li')).toHaveCount(0);
  await expect(teacher.locator('#alerts-title')).toBeHidden();
  await expect(teacher.locator('li.student', { hasText: 'Anna' })).toContainText('Waiting for an answer');
  await expect(teacher.locator('#students-joined')).toHaveText('1 student joined.');
  await expect(teacher.locator('#latest-check')).toContainText('; 1 student asked.');
  await auditState(teacher, 'en-teacher-new-check');
  await choose(page, 'Use the face check');
  await expect(element(page)).toContainText('Camera access is blocked for this site.', { timeout: 60_000 });
  await auditState(page, 'en-camera-denied');
  // Keyboard only, from the problem's heading (which has focus) to the alternative.
  await keyboardPress(page, 'Use the alternative');
  await expect(element(page)).toHaveAttribute('state', 'alternative');
  await expect.poll(() => attendanceOf('Anna')).toMatchObject({ status: 'alternative_requested', method: 'alternative' });
  await expect(teacher.locator('#count-alternative')).toHaveText('1');
  await teacher.locator('#lesson-title').focus();
  await keyboardPress(teacher, 'Confirm present: Anna');
  await expect.poll(async () => (await attendanceOf('Anna'))?.status).toBe('alternative_confirmed');
  // The button is gone with the answer: focus goes to Anna's card (not the page's start), which reads her new state.
  await expect(teacher.locator('li.student', { hasText: 'Anna' }).locator('.name')).toBeFocused();
  await expect(teacher.locator('li.student', { hasText: 'Anna' }).locator('.state')).toHaveText('Present (alternative)');
  expect(await attendanceOf('Anna')).toMatchObject({ method: 'alternative' });
  // The student is told, with focus on the message.
  await expect(page.locator('#message-title')).toHaveText('Your teacher confirmed your presence');
  await expect(page.locator('#message-title')).toBeFocused();
  await auditState(page, 'en-confirmed');
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
  await choose(browserStudent.page, 'Use the face check');
  await expect(element(browserStudent.page)).toHaveAttribute('state', 'passed', { timeout: 60_000 });
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
  await expect(teacher.locator('#students > li')).toHaveCount(20);
  // Names in order, numbers by value; counts in words.
  expect(await teacher.locator('#students > li .name').allTextContents()).toEqual(['Anna', ...Array.from({ length: 19 }, (_, i) => `Sim ${i + 1}`)]);
  await expect(teacher.locator('#students-joined')).toHaveText('20 students joined.');
  await expect(teacher.locator('#latest-check')).toContainText('; 20 students asked.');
  await auditState(teacher, 'en-teacher-live');
  const csv = await (await teacher.context().request.get(`${origin}/api/lessons/${lessonId}/attendance.csv`)).text();
  expect(csv.split('\r\n').filter((line) => line.includes('"passed"')).length).toBeGreaterThanOrEqual(15);
  await browserStudent.context.close();
});

/** Replaces EventSource with one the test drives: `__emit(type, data)` reaches every listener. */
const FAKE_STREAM = `
  window.__streams = [];
  window.EventSource = class {
    constructor(url) { this.url = url; this.listeners = {}; window.__streams.push(this); }
    addEventListener(type, listener) { (this.listeners[type] ??= []).push(listener); }
    close() {}
  };
  window.__emit = (type, data) => {
    for (const stream of window.__streams) for (const listener of stream.listeners[type] ?? []) listener({ data: JSON.stringify(data) });
  };
`;

test('500 students on the dashboard: a line event changes one card, the counts and one alert, never the list', async ({ browser }) => {
  const context = await browser.newContext({ locale: 'en-US' });
  await context.addInitScript(FAKE_STREAM);
  const page = await context.newPage();
  await page.goto(`${origin}/teacher.html?lesson=${lessonId}`);
  await signInIfAsked(page, 'Prof. Bianchi');
  await page.waitForFunction(() => (window as unknown as { __streams: unknown[] }).__streams.length === 1);
  const students = Array.from({ length: 500 }, (_, i) => ({ studentId: `s-${i}`, displayName: `Student ${String(i).padStart(3, '0')}`, joinedAt: 1 }));
  const counts = { pending: 500, passed: 0, failed: 0, alternative: 0 };
  const snapshot = {
    lesson: { lessonId, status: 'live' },
    students,
    checks: [{ checkId: 'c-1', opensAt: 2, closesAt: Date.now() + 600_000, students: 500, counts }],
    lines: students.map((s) => ({ checkId: 'c-1', studentId: s.studentId, status: 'pending', method: null, outcome: null, reason: null, updatedAt: 2 })),
    enrollments: [],
  };
  await page.evaluate((data) => (window as unknown as { __emit: (t: string, d: unknown) => void }).__emit('snapshot', data), snapshot);
  await expect(page.locator('#students > li')).toHaveCount(500);
  const touched = await page.evaluate(() => {
    const emit = (window as unknown as { __emit: (t: string, d: unknown) => void }).__emit;
    const list = document.getElementById('students')!;
    const observer = new MutationObserver(() => undefined);
    observer.observe(list, { childList: true, subtree: true, characterData: true, attributes: true });
    for (let i = 0; i < 100; i += 1) {
      const passed = i % 2 === 1;
      emit('line', { checkId: 'c-1', studentId: `s-${i}`, status: passed ? 'passed' : 'failed', method: 'biometric', outcome: passed ? 'pass' : 'inconclusive', reason: passed ? null : 'no_face', updatedAt: 3 });
    }
    const records = observer.takeRecords();
    observer.disconnect();
    const where = (node: Node) => {
      const element = node.nodeType === Node.ELEMENT_NODE ? (node as Element) : node.parentElement!;
      return element === list ? 'the list' : (element.closest<HTMLElement>('li.student')?.dataset.student ?? 'elsewhere');
    };
    return [...new Set(records.map((record) => where(record.target)))];
  });
  expect(touched.sort()).toEqual(Array.from({ length: 100 }, (_, i) => `s-${i}`).sort());
  await expect(page.locator('#count-passed')).toHaveText('50');
  await expect(page.locator('#count-couldnotrun')).toHaveText('50');
  await expect(page.locator('#count-pending')).toHaveText('400');
  await expect(page.locator('#alerts > li')).toHaveCount(50);
  await expect(page.locator('#alerts > li').first()).toContainText('Student 000');
  // A screen reader hears one summary of the counts, not one announcement per answer.
  await expect(page.locator('.counts')).not.toHaveAttribute('aria-live');
  await expect(page.locator('#counts-announcer')).toHaveAttribute('aria-live', 'polite');
  await expect(page.locator('#counts-announcer')).toHaveText(
    'Latest check: Waiting: 400, Present: 50, Alternative: 0, Failed: 0, Could not run: 50, Absent: 0.',
    { timeout: 10_000 },
  );
  // Resolved: the alert goes.
  await page.evaluate(() =>
    (window as unknown as { __emit: (t: string, d: unknown) => void }).__emit('line', { checkId: 'c-1', studentId: 's-0', status: 'confirmed_in_person', method: 'in_person', outcome: 'inconclusive', reason: 'no_face', updatedAt: 4 }),
  );
  await expect(page.locator('#alerts > li')).toHaveCount(49);
  await expect(page.locator('#alerts')).not.toContainText('Student 000');
  await expect(page.locator('li.student[data-student="s-0"]')).toContainText('Present (you verified them)');
  // A new check asks everyone again: the 49 alerts of the first one go; the cards keep its results.
  await page.evaluate(
    (closesAt) => (window as unknown as { __emit: (t: string, d: unknown) => void }).__emit('check', { checkId: 'c-2', opensAt: 5, closesAt, students: 500, counts: { pending: 500, passed: 0, failed: 0, alternative: 0 } }),
    Date.now() + 600_000,
  );
  await expect(page.locator('#alerts > li')).toHaveCount(0);
  await expect(page.locator('#count-pending')).toHaveText('500');
  await expect(page.locator('li.student[data-student="s-2"]')).toContainText('Check could not run: no face was seen');
  await expect(page.locator('li.student[data-student="s-2"]')).toContainText('Waiting for an answer');
  // A check that closes after a newer one opened: its waiting lines still become "no answer" on the cards.
  const emitCheck = (checkId: string, closesIn: number) =>
    page.evaluate(
      ({ checkId, closesAt }) =>
        (window as unknown as { __emit: (t: string, d: unknown) => void }).__emit('check', { checkId, opensAt: Date.now(), closesAt, students: 500, counts: { pending: 500, passed: 0, failed: 0, alternative: 0 } }),
      { checkId, closesAt: Date.now() + closesIn },
    );
  await emitCheck('c-3', 1_500);
  await emitCheck('c-4', 600_000);
  const chip = (student: string, n: number) => page.locator(`li.student[data-student="${student}"] .history li`).nth(n - 1);
  await expect(chip('s-7', 3)).toContainText('Check 3');
  await expect(chip('s-7', 3)).toContainText('No answer (the check has closed)', { timeout: 10_000 });
  await expect(chip('s-7', 4)).toContainText('Waiting for an answer');
  // A keyboard user on a card's button keeps the focus there when a new check re-renders the list.
  await page.getByRole('button', { name: 'Verified in person: Student 010' }).focus();
  await emitCheck('c-5', 600_000);
  await expect(chip('s-10', 5)).toContainText('Check 5');
  await expect(page.getByRole('button', { name: 'Verified in person: Student 010' })).toBeFocused();
  // Opened on a snapshot whose check then closes: the same.
  await page.evaluate(
    (data) => (window as unknown as { __emit: (t: string, d: unknown) => void }).__emit('snapshot', data),
    { ...snapshot, checks: [{ ...snapshot.checks[0]!, closesAt: Date.now() + 1_500 }] },
  );
  await expect(page.locator('li.student[data-student="s-9"] .state')).toHaveText('Waiting for an answer');
  await expect(page.locator('li.student[data-student="s-9"] .state')).toHaveText('No answer (the check has closed)', { timeout: 10_000 });
  await expect(page.locator('#count-pending').locator('xpath=preceding-sibling::span')).toHaveText('No answer');
  await context.close();
});

test('in Italian: a student not enrolled yet gets the first layer with the course end the full notice names', async () => {
  const { context, page } = await student({ locale: 'it-IT' });
  await signInIfAsked(page, 'Bruno');
  await expect(element(page)).toHaveAttribute('state', 'notice', { timeout: 60_000 });
  await expect(element(page).getByRole('link', { name: /Informativa privacy completa/ })).toHaveAttribute('href', /\/privacy\/notice-it\.html$/);
  await expectFirstLayerAsFullNotice(page, 'it');
  await auditState(page, 'it-notice');
  await context.close();
});

test('in Italian: the student page follows the browser, the teacher switches, the lesson’s end is told and disables checks', async () => {
  const { context, page } = await student({ camera: PERSON_A[1], profile: profileA, locale: 'it-IT' });
  await expect(page.locator('#sdk-status')).toHaveText('Verifica del volto pronta.', { timeout: 60_000 });
  await expect(page.locator('html')).toHaveAttribute('lang', 'it');
  // Enrolled and nothing asked: the page says so (a check still open from before would show instead).
  const enrolled = page.locator('#message-title', { hasText: 'La verifica del volto è configurata su questo dispositivo' });
  await expect(enrolled.or(page.locator('presenza-check[state="intro"]'))).toBeVisible({ timeout: 60_000 });
  if (await enrolled.isVisible()) await auditState(page, 'it-enrolled');
  await triggerCheck();
  await expect(element(page)).toHaveAttribute('state', 'intro', { timeout: 30_000 });
  await expect(element(page).getByRole('button', { name: 'Usa l’alternativa' })).toBeVisible();
  await auditState(page, 'it-check');
  // The new check: nobody is left with an alert of the last one while it waits.
  await expect(teacher.locator('#alerts > li')).toHaveCount(0);
  await teacher.getByRole('button', { name: 'Italiano' }).click();
  await expect(teacher.locator('html')).toHaveAttribute('lang', 'it');
  // The status line shown before the switch follows it.
  await expect(teacher.locator('#lesson-status')).toHaveText('Verifica inviata a tutti gli studenti.');
  // An alternative of the last check left unconfirmed no longer asks for a confirmation there.
  await expect(teacher.locator('li.student', { hasText: 'Sim 18' })).toContainText('Ha scelto l’alternativa (non confermata)');
  await expect(teacher.locator('li.student', { hasText: 'Sim 18' })).not.toContainText('conferma la presenza');
  await expect(teacher.locator('#students')).toContainText('Verifica 1');
  await auditState(teacher, 'it-teacher-live');
  await teacher.getByRole('button', { name: 'Termina la lezione' }).click();
  await expect(teacher.getByRole('button', { name: 'Verifica ora' })).toBeDisabled();
  // The pressed button is disabled now: focus moves to the status line saying the lesson ended, not to the page's start.
  await expect(teacher.locator('#lesson-status')).toBeFocused();
  await expect(page.locator('#message-title')).toHaveText('La lezione è terminata');
  await expect(page.locator('#message-title')).toBeFocused();
  await expect(element(page)).toBeHidden();
  await auditState(page, 'it-ended');
  await auditState(teacher, 'it-teacher-ended');
  // The switch changes the page at once, the message shown included.
  await page.getByRole('button', { name: 'English' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.locator('#message-title')).toHaveText('The lesson has ended');
  await expect(page.locator('#sdk-status')).toHaveText('Face check ready.');
  await auditState(page, 'en-ended');
  await context.close();
});

test('the full notice the element links to is served in both languages, styled under the CSP, with no script', async ({ browser }) => {
  for (const lang of ['it', 'en'] as const) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const blocked: string[] = [];
    page.on('console', (message) => message.type() === 'error' && blocked.push(message.text()));
    const response = await page.goto(`${origin}/privacy/notice-${lang}.html`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toMatch(/style-src 'self' 'sha256-[^']+'/);
    expect(response?.headers()['content-security-policy']).toMatch(/script-src 'self' 'wasm-unsafe-eval'/);
    await expect(page.locator('html')).toHaveAttribute('lang', lang);
    await expect(page.locator('main')).toContainText('Università Telematica Esempio');
    // Names only in the fields shown as is in both languages: the English notice had "(server propri, sala macchine di Roma)".
    if (lang === 'en') await expect(page.locator('main')).not.toContainText('server propri');
    // The demo's configuration approves its notice: students read it without the kit's draft statement.
    expect(await page.locator('.draft').count()).toBe(0);
    await expect(page.locator('header')).toContainText(lang === 'it' ? 'Informativa approvata dal titolare il 5 ottobre 2026' : 'Notice approved by the controller on October 5, 2026');
    expect(blocked).toEqual([]);
    expect(await page.locator('script').count()).toBe(0);
    await auditState(page, `${lang}-full-notice`);
    await context.close();
  }
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
