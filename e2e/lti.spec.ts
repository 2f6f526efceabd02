/**
 * Presenza launched from an LMS (the fake LMS of testing/fakeLms.ts, on another site) in a real
 * Chromium: the teacher adds "Presenza attendance" to the course by Deep Linking, launches the
 * created link in a window and starts a lesson; a student opens the same link in the LMS's course
 * page, which frames Presenza from the other site, sets up the face check there with the fake
 * camera (a face photo from ../shared/faces), passes a check, the teacher ends the lesson, and the
 * student's score arrives at the LMS's gradebook, with an "absent" score for the learner of the
 * roster who never came. The teacher's LMS panel shows the roster and the delivery; axe, overflow
 * and screenshots (1280×800 and 390×844, English and Italian) for the new pages.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Browser, type Frame, type Page } from '@playwright/test';
import { chromium, type Browser as CoreBrowser } from 'playwright-core';
import { demoDeployment, registerDemoUiOptions } from '../demo/notice.js';
import { buildApp, type BuiltApp } from '../service/app.js';
import { openDatabase, type Db } from '../service/db.js';
import { parseLtiConfig } from '../service/lti/config.js';
import { loadToolKey, toolJwks } from '../service/lti/toolKey.js';
import { freePort } from '../testing/cluster.js';
import { FakeLms, INSTRUCTOR, LEARNER } from '../testing/fakeLms.js';
import { CHROMIUM } from '../tools/chromium.js';
import { PUBLIC_DIR } from './support/demoServer.js';
import { cameraArgs, fakeCameraFile } from './support/fakeCamera.js';

const SCREENSHOTS = join(import.meta.dirname, 'screenshots');
const teacherUser = { sub: 'lms-teacher-1', roles: [INSTRUCTOR], name: 'Prof. Rossi' };
const studentUser = { sub: 'lms-student-1', roles: [LEARNER], name: 'Anna Bianchi' };
const absentUser = { sub: 'lms-student-2', roles: [LEARNER], name: 'Bruno Conti' };

let lms: FakeLms;
let built: BuiltApp;
let db: Db;
let tool: string;
let studentBrowser: CoreBrowser | undefined;

/** The student's face, as the fake webcam shows it. */
const STUDENT_FACE = 'lfw/Abel_Pacheco/Abel_Pacheco_0001.jpg';
/**
 * Playwright turns Chromium's third-party storage partitioning off, so with its test profiles'
 * third-party cookie blocking a frame of another site gets no storage at all; Chrome keeps it on
 * (a frame gets storage of its own under the LMS's site). The student's browser is launched with
 * Playwright's other disabled features only, as Chrome behaves. (A later --disable-features replaces
 * the earlier one.)
 */
const CHROME_STORAGE_ARG = '--disable-features=AvoidCorsURLLoaderRestartOnRedirect,HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,MediaRouter,PaintHolding,OptimizationHints';

test.beforeAll(async () => {
  lms = await FakeLms.start();
  const dir = mkdtempSync(join(tmpdir(), 'presenza-lti-e2e-'));
  const toolKey = await loadToolKey(join(dir, 'tool-key.json'), { create: true });
  lms.toolJwks = toolJwks(toolKey);
  lms.services = true;
  lms.members = [teacherUser, studentUser, absentUser].map((u) => ({ user_id: u.sub, name: u.name, roles: u.roles }));
  const port = await freePort();
  // The tool on localhost, the LMS on 127.0.0.1: two sites, as in a real deployment.
  tool = `http://localhost:${port}`;
  lms.browserTool = tool;
  db = await openDatabase({ file: join(dir, 'presenza.sqlite') });
  built = await buildApp({
    db,
    config: { publicUrl: tool, allowedOrigins: [], trustedIssuers: [] },
    publicDir: PUBLIC_DIR,
    lti: { config: parseLtiConfig({ toolKeyFile: 'tool-key.json', platforms: [lms.registration()] }, dir) },
  });
  // The demo's student page reads its first-layer texts from the demo's configuration.
  await registerDemoUiOptions(built.app, demoDeployment());
  built.grades!.start(300);
  await built.app.listen({ port, host: '127.0.0.1' });
});

test.afterAll(async () => {
  await studentBrowser?.close();
  await built?.app.close();
  await db?.close();
  await lms?.close();
});

/** axe finds nothing, nothing overflows 390 px, screenshots at both sizes. */
async function audit(page: Page, name: string) {
  const violations = (await new AxeBuilder({ page }).analyze()).violations.map((v) => `${v.id}: ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
  expect(violations, name).toEqual([]);
  const size = page.viewportSize()!;
  await page.screenshot({ path: join(SCREENSHOTS, `lti-${name}-1280.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  const overflowing = await page.evaluate(() => [...document.querySelectorAll('body *')].filter((e) => e.checkVisibility() && e.getBoundingClientRect().right > innerWidth + 0.5).map((e) => e.tagName));
  expect(overflowing, `${name} at 390 px`).toEqual([]);
  // A box that scrolls sideways must be reachable from the keyboard (arrow keys scroll it once focused).
  const unfocusableScrollers = () =>
    page.evaluate(() => [...document.querySelectorAll<HTMLElement>('body *')].filter((e) => e.checkVisibility() && e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'auto' && e.tabIndex < 0).map((e) => e.outerHTML.slice(0, 60)));
  await expect.poll(unfocusableScrollers, { message: `${name} at 390 px: scroll boxes outside the tab order` }).toEqual([]);
  const narrowViolations = (await new AxeBuilder({ page }).analyze()).violations.map((v) => v.id);
  expect(narrowViolations, `${name} at 390 px`).toEqual([]);
  await page.screenshot({ path: join(SCREENSHOTS, `lti-${name}-390.png`), fullPage: true });
  await page.setViewportSize(size);
}

async function window(browser: Browser, locale = 'en-US') {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 800 } });
  return context.newPage();
}

/** The tool's frame in the LMS's course page, once it shows `path` (query included). */
async function toolFrame(page: Page, path: string): Promise<Frame> {
  await expect.poll(() => page.frames().find((f) => f.parentFrame())?.url(), { timeout: 60_000 }).toBe(`${tool}${path}`);
  const frame = page.frames().find((f) => f.parentFrame())!;
  await frame.waitForLoadState();
  return frame;
}

/** The student's browser (its webcam shows the student's face) on the LMS's course page framing link `linkId`. */
async function studentInFrame(linkId: string): Promise<{ page: Page; frame: Frame }> {
  studentBrowser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...cameraArgs({ file: fakeCameraFile(STUDENT_FACE) }), CHROME_STORAGE_ARG] });
  const context = await studentBrowser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(lms.courseUrl(studentUser, `camera ${tool}`, `link:${linkId}`));
  return { page, frame: await toolFrame(page, '/student.html') };
}

test('teacher: deep link → lesson; student in the LMS frame: launch → enroll → face check → lesson end → scores in the LMS gradebook', async ({ browser }) => {
  // Two windows, the student's loading the SDK, and four audited states: slow on a busy 2-core machine.
  test.setTimeout(240_000);
  // The teacher adds the activity to a course section.
  const teacher = await window(browser);
  await teacher.goto(lms.startUrl(teacherUser, 'deep-linking'));
  await expect(teacher.getByLabel(/activity title/)).toBeVisible({ timeout: 30_000 });
  await audit(teacher, 'deep-link');
  await teacher.getByLabel(/activity title/).fill('Presenza: Biologia');
  await teacher.getByRole('button', { name: /Add/ }).click();
  // The signed response went back to the LMS, which verified it and created the link.
  await expect(teacher.locator('#created')).toContainText('Presenza: Biologia', { timeout: 30_000 });
  const link = lms.createdLinks.at(-1)!;
  expect(link.url).toBe(`${tool}/lti/launch`);
  expect(lms.refusedResponses).toEqual([]);

  // The created link opens the teacher's dashboard; the teacher starts a lesson.
  await teacher.goto(lms.startUrl(teacherUser, `link:${link.id}`));
  await teacher.waitForURL(`${tool}/teacher.html`);
  await teacher.getByLabel('Lesson title').fill('Genetica');
  await teacher.getByRole('button', { name: 'Start lesson' }).click();
  await expect(teacher.locator('#student-link')).toHaveAttribute('href', /lesson=/, { timeout: 30_000 });
  const studentLink = (await teacher.locator('#student-link').getAttribute('href'))!;

  // The student opens the same link in the LMS's course page, which frames Presenza (another site)
  // and allows it the camera; the frame goes on to the lesson's page.
  const student = await studentInFrame(link.id);
  const lessonPath = new URL(studentLink).pathname + new URL(studentLink).search;
  // (Still photos cannot make the liveness gestures: the demo's developer option turns liveness off.)
  await student.frame.evaluate((path) => location.assign(`${path}&liveness=off`), lessonPath);
  const frame = await toolFrame(student.page, `${lessonPath}&liveness=off`);
  await expect(frame.locator('#lesson-title')).toHaveText('Genetica', { timeout: 30_000 });
  // The face check is set up in the frame: its models load once, the template stays in the frame's storage.
  await expect(frame.locator('#sdk-status')).toHaveText('Face check ready.', { timeout: 90_000 });
  const element = frame.locator('presenza-check');
  await expect(element).toHaveAttribute('state', 'notice', { timeout: 60_000 });
  await element.getByRole('button', { name: 'Use the face check', exact: true }).click();
  await expect(element).toHaveAttribute('state', 'enrolled', { timeout: 90_000 });

  // The roster (read from the LMS when asked): Anna joined and set up the face check, Bruno never opened Presenza.
  await teacher.getByRole('button', { name: 'Refresh roster' }).click();
  await expect(teacher.locator('#lms-roster-summary')).toHaveText('Not joined: 1 of 2. Face check not set up: 1.', { timeout: 30_000 });
  await expect(teacher.locator('#lms tbody tr').first()).toContainText('Bruno Conti');

  // A check, answered by the face check in the frame.
  await teacher.getByRole('button', { name: 'Check now' }).click();
  await expect(element).toHaveAttribute('state', 'intro', { timeout: 60_000 });
  await element.getByRole('button', { name: 'Use the face check', exact: true }).click();
  await expect(element).toHaveAttribute('state', 'passed', { timeout: 90_000 });
  await expect(teacher.locator('#count-passed')).toHaveText('1', { timeout: 30_000 });

  // The lesson ends: Anna's score reaches the LMS's gradebook (the link's line item or the lesson's own),
  // and Bruno, on the course's roster but never in the lesson, gets an "absent" score.
  await teacher.getByRole('button', { name: 'End lesson' }).click();
  const scores = () => lms.scores().map((s) => [s.userId, s.scoreGiven, s.scoreMaximum, s.comment]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  await expect.poll(scores, { timeout: 30_000 }).toEqual([
    ['lms-student-1', 100, 100, 'Presenza: presente / attended, verifiche superate o confermate / checks passed or confirmed: 1/1'],
    ['lms-student-2', 0, 100, 'Presenza: assente, non ha partecipato alla lezione / absent, did not join the lesson'],
  ]);
  await expect(teacher.locator('#lms tr.grade-sent')).toHaveCount(2, { timeout: 30_000 });
  await audit(teacher, 'teacher-panel-en');
  await teacher.getByRole('button', { name: 'Italiano' }).click();
  await expect(teacher.locator('#lms-grades-title')).toHaveText('Registro dei voti (piattaforma)');
  await audit(teacher, 'teacher-panel-it');
});

test('a failed delivery is shown to the teacher, who sends it again', async ({ browser }) => {
  const teacher = await window(browser, 'it-IT');
  const linkId = 'link-e2e-retry';
  await teacher.goto(lms.startUrl(teacherUser, `link:${linkId}`));
  await teacher.waitForURL(`${tool}/teacher.html`);
  await teacher.getByLabel('Titolo della lezione').fill('Ecologia');
  await teacher.getByRole('button', { name: 'Avvia la lezione' }).click();
  await expect(teacher.locator('#student-link')).toHaveAttribute('href', /lesson=/, { timeout: 30_000 });
  const studentLink = (await teacher.locator('#student-link').getAttribute('href'))!;
  const student = await window(browser);
  await student.goto(lms.startUrl(absentUser, `link:${linkId}`));
  await student.waitForURL(`${tool}/student.html`);
  await student.goto(studentLink);
  await expect(student.locator('#lesson-title')).toHaveText('Ecologia', { timeout: 30_000 });
  lms.failScores = 1000;
  // (This lesson's scores are the ones the gradebook receives from now on.)
  const earlier = lms.scores().length;
  await teacher.getByRole('button', { name: 'Termina la lezione' }).click();
  // The teacher reads what failed in plain words; the code is kept for support, one click away.
  const failing = teacher.locator('#lms tr.grade-pending', { hasText: 'Bruno Conti' });
  await expect(failing).toContainText('Il registro della piattaforma non ha accettato il punteggio: un guasto della piattaforma.', { timeout: 30_000 });
  await expect(failing.locator('code')).toBeHidden();
  await failing.getByText('Codice per l’assistenza').click();
  await expect(failing.locator('code')).toHaveText('lti_score_refused 500');
  // No check in this lesson: having joined counts as attended, and the teacher is told so.
  await expect(failing).toContainText('100/100 · presente (nessuna verifica in questa lezione)');
  await expect(teacher.locator('#lms tr[class^="grade-"]', { hasText: 'Anna Bianchi' })).toContainText('0/100 · assente (non ha partecipato alla lezione)');
  // Backoff: the next try is later; the teacher sees when. Give up now (as after the last attempt) to show the button.
  await db.run(`UPDATE lti_grades SET status = 'failed'`, []);
  await expect(teacher.getByRole('button', { name: 'Invia di nuovo i punteggi non riusciti' })).toBeVisible({ timeout: 30_000 });
  // The panel was drawn again: the code the teacher opened stays open.
  await expect(teacher.locator('#lms tr.grade-failed', { hasText: 'Bruno Conti' }).locator('code')).toBeVisible();
  await audit(teacher, 'teacher-panel-failed-it');
  await teacher.getByRole('button', { name: 'English' }).click();
  await expect(teacher.getByRole('button', { name: 'Send the failed scores again' })).toBeVisible();
  await audit(teacher, 'teacher-panel-failed-en');
  lms.failScores = 0;
  await teacher.getByRole('button', { name: 'Send the failed scores again' }).click();
  await expect
    .poll(() => lms.scores().slice(earlier).filter((s) => s.userId === 'lms-student-2').map((s) => [s.scoreGiven, s.comment]), { timeout: 30_000 })
    .toEqual([[100, 'Presenza: presente, nessuna verifica in questa lezione / attended, no checks in this lesson']]);
  // (Anna, on the roster, never joined this lesson: her absent score is sent again too.)
  await expect(teacher.locator('#lms tr.grade-sent')).toHaveCount(2, { timeout: 30_000 });
});
