/**
 * The identity-document phase of an enrollment end to end in Chromium, with a fake camera that
 * films a student holding a synthesised identity card: the portrait is found, compared in the
 * worker, and the enrollment JWS verified by presenza/server carries `idDocument`; the document
 * frames leave nothing in IndexedDB and no request carries anything but the SDK's own files.
 * Then the same through `<presenza-check>`: its document screens in Italian and English at
 * desktop and phone sizes (audited by axe, saved as screenshots), and the real flow with the
 * document required, optional, and declined from the keyboard.
 */
import { expect, test, type Page } from '@playwright/test';
import { chromium, type Browser } from 'playwright-core';
import { DOCUMENT_CANDIDATE_FRAMES } from '../src/protocol/capture.js';
import { createChallenge } from '../src/server/challenge.js';
import { verifyEnrollment } from '../src/server/verifyEnrollment.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../tools/chromium.js';
import { startOrigins, type Origins } from '../tools/origins.js';
import { cameraArgs } from './support/fakeCamera.js';
import { cameraSequence, cardCameraFiles } from './support/idCards.js';
import { demoSession, signInIfAsked, startDemoServer, type DemoServer } from './support/demoServer.js';
import { SimulatedStudent } from '../testing/simulatedStudent.js';
import AxeBuilder from '@axe-core/playwright';
import { join } from 'node:path';
import { auditVault, vaultViolations } from './support/scenarios.js';
import { AUDIENCE, openSdk, type Globals } from './support/sdkPage.js';
import { GUIDED_DISTANCE_CM } from '../testing/cardSynthesis.js';
import { CATALOGUES } from '../src/ui/i18n/index.js';
import {
  LANGS,
  auditAndCapture,
  expectState,
  installFakeSdk,
  liveRegions,
  mount,
  outcome,
  screenText,
  start,
  startUiOrigins,
  SCREENSHOTS,
  tabTo,
  type TestGlobals,
  type UiOrigins,
} from './support/uiPage.js';

// A genuine pair the benchmark matches with the card held close (15–25 cm, where a 640×480 card
// frame still shows the portrait whole; bench/results/id-document-lfw-15-25cm-*.json; the guidance
// now asks for 25–35 cm, which needs the 1280×720 document frame), with its card's seed; the impostor card is the
// same scene with another person's photo on the card, and the student alone is the same scene
// without any card. The seed draws a card wholly inside the frame (23 cm away): the portrait must
// lie on a card whose outline is in view, and the former seed's card (18 cm away, turned 19°) stuck
// out of the frame's left edge; this one scores 0.56 at 640×480 and 0.74 at 1280×720 in the
// testing harness's documentProbe.
const STUDENT = 'lfw/Jose_Serra/Jose_Serra_0008.jpg';
const OWN_PHOTO = 'lfw/Jose_Serra/Jose_Serra_0002.jpg';
const OTHER_PHOTO = 'lfw/Akhmed_Zakayev/Akhmed_Zakayev_0001.jpg';
const SEED = 1262360859;

let origins: Origins;
let uiOrigins: UiOrigins;
let ownCard: string;
let otherCard: string;
let studentAlone: string;
let studentAloneBriefly: string;
let ownCardHd: string;
let ownFaceBehindHd: string;
let browser: Browser | null = null;

test.beforeAll(async () => {
  test.setTimeout(240_000);
  [origins, uiOrigins] = await Promise.all([startOrigins(), startUiOrigins()]);
  [ownCard, otherCard, studentAlone] = (await cardCameraFiles([
    { live: STUDENT, portrait: OWN_PHOTO, seed: SEED, distanceCm: GUIDED_DISTANCE_CM },
    { live: STUDENT, portrait: OTHER_PHOTO, seed: SEED, distanceCm: GUIDED_DISTANCE_CM },
    { live: STUDENT, portrait: OWN_PHOTO, seed: SEED, distanceCm: GUIDED_DISTANCE_CM, withoutCard: true },
  ])) as [string, string, string];
  [studentAloneBriefly] = (await cardCameraFiles([{ live: STUDENT, portrait: OWN_PHOTO, seed: SEED, distanceCm: GUIDED_DISTANCE_CM, withoutCard: true }], 1)) as [string];
  // A webcam with a 1280×720 mode: the SDK takes 640×480 for the live frames, 1280×720 for the card.
  [ownCardHd] = (await cardCameraFiles([{ live: STUDENT, portrait: OWN_PHOTO, seed: SEED, distanceCm: GUIDED_DISTANCE_CM, camera: { width: 1280, height: 720 } }])) as [string];
  // No card: the student's own other photo small behind them, as big as a card's portrait 25–35 cm
  // away (a face 2–3 m back; a photo on the wall, a mirror, a twin). Before the card check, the
  // portrait search took it and the enrollment was matched.
  [ownFaceBehindHd] = (await cardCameraFiles([{ live: STUDENT, portrait: OWN_PHOTO, seed: SEED, distanceCm: [25, 35], camera: { width: 1280, height: 720 }, backgroundPerson: true }])) as [string];
});
test.afterAll(async () => {
  await browser?.close();
  await Promise.all([origins.close(), uiOrigins.close()]);
});

/** A page in a Chromium whose webcam plays `file`. */
async function pageWithCamera(file: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
  await browser?.close();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: cameraArgs({ file }), headless: true });
  // A context of its own, as axe-core's Playwright builder needs.
  const context = await browser.newContext({ viewport });
  return (await context.newPage()) as unknown as Page;
}

/** Enrolls from the webcam with the identity document required; records the document progress. */
function enrollWithDocument(page: Page, nonce: string, options: { decline?: boolean; documentTimeoutMs?: number } = {}) {
  return page.evaluate(
    async ({ nonce, decline, documentTimeoutMs }) => {
      const g = window as unknown as Globals;
      const progress: unknown[] = [];
      const result = await g.sdk.enroll({
        enrollmentId: 'student-42',
        nonce,
        retainUntil: Date.now() + 30 * 86_400_000,
        liveness: 'off',
        identityDocument: 'required',
        ...(documentTimeoutMs ? { documentTimeoutMs } : {}),
        onFrame: (p) => {
          if (!p.document) return;
          progress.push(p.document);
          if (decline) g.sdk.declineIdentityDocument();
        },
      });
      return { result, progress };
    },
    { nonce, decline: options.decline ?? false, documentTimeoutMs: options.documentTimeoutMs ?? 0 },
  );
}

async function verified(assertion: string, nonce: string) {
  return verifyEnrollment(assertion, { audience: AUDIENCE, expectedNonce: nonce });
}

test('the card of the same person, filmed at 1280×720 for the document step only: idDocument matched, verified by presenza/server; nothing kept, nothing sent', async () => {
  test.setTimeout(150_000);
  const page = await pageWithCamera(ownCardHd);
  // The width of every frame the SDK takes from the video.
  await page.addInitScript(() => {
    const take = window.createImageBitmap.bind(window);
    const widths: number[] = [];
    (window as unknown as { frameWidths: number[] }).frameWidths = widths;
    window.createImageBitmap = (async (...args: Parameters<typeof createImageBitmap>) => {
      const bitmap = await take(...args);
      if (args[0] instanceof HTMLVideoElement) widths.push(bitmap.width);
      return bitmap;
    }) as typeof createImageBitmap;
  });
  const requests: { url: string; method: string; body: string | null }[] = [];
  page.context().on('request', (r) => requests.push({ url: r.url(), method: r.method(), body: r.postData() }));
  await openSdk(page, origins);
  const nonce = createChallenge();
  const { result, progress } = await enrollWithDocument(page, nonce);
  expect(result.idDocument).toBe('matched');
  const enrollment = await verified(result.assertion, nonce);
  expect(enrollment.idDocument).toBe('matched');
  // Live frames at 640 px, then the card at the camera's 1280 px mode.
  const widths = await page.evaluate(() => (window as unknown as { frameWidths: number[] }).frameWidths);
  expect(widths[0]).toBe(640);
  expect(widths.at(-1)).toBe(1280);
  // Progress says only what to tell the student: guidance codes and counts.
  expect(progress.length).toBeGreaterThan(0);
  for (const p of progress) expect(Object.keys(p as object).sort()).toEqual(['collected', 'done', 'guidance', 'needed']);
  // The landmarker went through IMAGE mode for the card: a check (VIDEO mode, tracking) still works after it.
  const check = await page.evaluate(async (nonce) => (window as unknown as Globals).sdk.check({ checkId: 'after-card', nonce, liveness: 'off' }), createChallenge());
  expect(check).toMatchObject({ outcome: 'pass', liveness: 'not_run' });
  // The vault holds the sealed template and keys only: no crop, no float array, no image.
  expect(vaultViolations(await auditVault(page))).toEqual([]);
  // Every request is a GET of the SDK's own files or the page's; none has a body.
  const sdkFiles = new RegExp(`^${origins.cdn.origin}/(presenza(\\.iife|-worker\\.[0-9a-f]{16})\\.js|chunks/[\\w.-]+\\.js|models/[\\w.-]+)$`);
  const pageFiles = new RegExp(`^${origins.site.origin}/sdk\\.html$`);
  for (const request of requests) {
    expect(request.method, request.url).toBe('GET');
    expect(request.body, request.url).toBeNull();
    if (request.url.startsWith('blob:')) continue;
    expect(sdkFiles.test(request.url) || pageFiles.test(request.url), request.url).toBe(true);
  }
  // Nothing but the JWS and the result left the worker: no other storage holds anything.
  expect(await page.evaluate(async () => ({ local: localStorage.length, session: sessionStorage.length, caches: (await caches.keys()).length }))).toEqual({
    local: 0,
    session: 0,
    caches: 0,
  });
});

test('no card, the student’s own face small in the background: never matched (card_not_seen asked), the enrollment waits for the teacher', async () => {
  test.setTimeout(150_000);
  const page = await pageWithCamera(ownFaceBehindHd);
  await openSdk(page, origins);
  const nonce = createChallenge();
  const { result, progress } = await enrollWithDocument(page, nonce, { documentTimeoutMs: 10_000 });
  expect(result.idDocument).toBe('not_matched');
  expect((await verified(result.assertion, nonce)).idDocument).toBe('not_matched');
  // The face behind was seen, and the student told to show the whole document.
  expect((progress as { guidance: string[] }[]).some((p) => p.guidance.includes('card_not_seen'))).toBe(true);
});

test('the student declines the document: idDocument not_run, and the enrollment is still made', async () => {
  test.setTimeout(150_000);
  const page = await pageWithCamera(ownCard);
  await openSdk(page, origins);
  const nonce = createChallenge();
  const { result, progress } = await enrollWithDocument(page, nonce, { decline: true });
  expect(result.idDocument).toBe('not_run');
  expect(progress.length).toBe(1);
  expect((await verified(result.assertion, nonce)).idDocument).toBe('not_run');
  expect(await page.evaluate(() => (window as unknown as Globals).sdk.status())).toMatchObject({ enrolled: true });
});

test('without identityDocument the enrollment says not_run and runs no document phase', async () => {
  test.setTimeout(150_000);
  const page = await pageWithCamera(ownCard);
  await openSdk(page, origins);
  const nonce = createChallenge();
  const result = await page.evaluate(async (nonce) => {
    const g = window as unknown as Globals;
    let documentFrames = 0;
    const r = await g.sdk.enroll({ enrollmentId: 'student-42', nonce, retainUntil: Date.now() + 86_400_000, liveness: 'off', onFrame: (p) => void (documentFrames += p.document ? 1 : 0) });
    return { ...r, documentFrames };
  }, nonce);
  expect(result).toMatchObject({ idDocument: 'not_run', documentFrames: 0 });
  expect((await verified(result.assertion, nonce)).idDocument).toBe('not_run');
});


const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
] as const;

test.describe('the element, <presenza-check>', () => {
  const fakeFrame = (page: Page, progress: object) => page.evaluate((p) => (window as unknown as TestGlobals).__fake.frame(p), progress);
  const documentFrame = (guidance: string[], collected: number, done = false) => ({
    verdict: { ok: guidance.length === 0, issues: [], hints: [] },
    collected: 5,
    needed: 5,
    done,
    document: { guidance, collected, needed: DOCUMENT_CANDIDATE_FRAMES, done },
  });
  /** The document part of the capture screen: the card frame and the decline button shown, the oval hidden. */
  const documentParts = (page: Page) =>
    page.evaluate(() => {
      const root = (window as unknown as TestGlobals).__element.shadowRoot!;
      const shown = (selector: string) => {
        const element = root.querySelector<HTMLElement>(selector);
        return element !== null && element.offsetParent !== null;
      };
      return { cardFrame: shown('.card-frame'), oval: shown('.guide'), decline: shown('[data-choice="decline-document"]') };
    });

  for (const lang of LANGS) {
    for (const viewport of VIEWPORTS) {
      const size = `${viewport.width}x${viewport.height}`;
      test(`document screens in ${lang} at ${size}: guidance, progress, decline, results; no axe violation; screenshots`, async () => {
        test.setTimeout(120_000);
        const m = CATALOGUES[lang];
        const page = await pageWithCamera(ownCard, viewport);
        await page.goto(`${uiOrigins.site.origin}/lesson-${lang}.html`);
        await installFakeSdk(page);
        await mount(page, { sdk: 'fake', lang });
        await start(page, 'enroll', { identityDocument: 'required' });
        await expectState(page, 'notice');
        expect(await screenText(page)).toContain(m.noticeDocument);
        await auditAndCapture(page, lang, `doc-01-notice-${size}`);
        await page.getByRole('button', { name: m.choiceFace }).click();
        await expectState(page, 'capturing');
        await fakeFrame(page, { verdict: { ok: true, issues: [], hints: [] }, collected: 5, needed: 5, done: true });
        // The live frames are in: the camera stays on for the document.
        await fakeFrame(page, documentFrame(['card_too_far'], 0));
        await expect.poll(() => screenText(page)).toContain(m.guideDocumentCloser);
        const text = await screenText(page);
        for (const t of [m.documentTitle, m.documentIntro, m.documentDecline, m.documentDeclineHelp]) expect(text).toContain(t);
        expect(await documentParts(page)).toEqual({ cardFrame: true, oval: false, decline: true });
        // Screen readers hear the new task at once.
        await expect.poll(async () => (await liveRegions(page)).polite).toContain(m.documentTitle);
        await page.waitForFunction(() => ((window as unknown as TestGlobals).__element.shadowRoot!.querySelector('video')?.readyState ?? 0) >= 2);
        await auditAndCapture(page, lang, `doc-02-closer-${size}`);
        // A face seen with no card around it: show the whole document.
        await fakeFrame(page, documentFrame(['card_not_seen'], 0));
        await expect.poll(() => screenText(page)).toContain(m.guideDocumentWhole);
        await auditAndCapture(page, lang, `doc-02b-whole-${size}`);
        await fakeFrame(page, documentFrame(['card_glare'], 1));
        await expect.poll(() => screenText(page)).toContain(m.guideDocumentGlare);
        expect(await screenText(page)).toContain(m.documentProgress.replace('{collected}', '1').replace('{needed}', String(DOCUMENT_CANDIDATE_FRAMES)));
        await auditAndCapture(page, lang, `doc-03-glare-${size}`);
        await fakeFrame(page, documentFrame([], 2));
        await expect.poll(() => screenText(page)).toContain(m.guideDocumentGood);
        await auditAndCapture(page, lang, `doc-04-good-${size}`);
        // Declined from the keyboard: the SDK is told, the enrollment goes on to its result.
        await tabTo(page, m.documentDecline);
        await page.keyboard.press('Enter');
        await expect.poll(() => page.evaluate(() => (window as unknown as TestGlobals).__fake.documentDeclines)).toBe(1);
        await page.evaluate(() => (window as unknown as TestGlobals).__fake.finish({ assertion: 'a.b.c', idDocument: 'not_run' }));
        await expectState(page, 'enrolled');
        expect(await screenText(page)).toContain(m.enrolledDocumentNotRun);
        await auditAndCapture(page, lang, `doc-05-declined-${size}`);
        expect(await outcome(page)).toEqual({ assertion: 'a.b.c', idDocument: 'not_run' });
        // The two other results.
        for (const [result, message] of [
          ['matched', m.enrolledDocumentMatched],
          ['not_matched', m.enrolledDocumentNotMatched],
        ] as const) {
          await start(page, 'enroll', { identityDocument: 'optional' });
          await expectState(page, 'notice');
          await page.getByRole('button', { name: m.choiceFace }).click();
          await expectState(page, 'capturing');
          await page.evaluate((r) => (window as unknown as TestGlobals).__fake.finish({ assertion: 'a.b.c', idDocument: r }), result);
          await expectState(page, 'enrolled');
          expect(await screenText(page)).toContain(message);
          await expect.poll(async () => (await liveRegions(page)).assertive).toContain(message);
          await auditAndCapture(page, lang, `doc-06-${result}-${size}`);
        }
      });
    }
  }

  /** Mounts the element on the real SDK in a Chromium whose webcam plays `file`, and starts an enrollment with `args`. */
  async function realEnrollment(file: string, args: Record<string, unknown>) {
    const page = await pageWithCamera(file);
    await page.goto(`${uiOrigins.site.origin}/lesson-en.html`);
    await mount(page, { sdk: 'real', lang: 'en' });
    const nonce = createChallenge();
    await start(page, 'enroll', { nonce, liveness: 'off', ...args });
    await expectState(page, 'notice');
    await page.getByRole('button', { name: CATALOGUES.en.choiceFace }).click();
    return { page, nonce };
  }
  const verifiedHere = (assertion: unknown, nonce: string) => verifyEnrollment(assertion, { audience: uiOrigins.site.origin, expectedNonce: nonce });
  /** The camera tracks the element opened, all ended. */
  const cameraOff = (page: Page) =>
    page.evaluate(() => {
      const root = (window as unknown as TestGlobals).__element.shadowRoot!;
      return root.querySelectorAll('video').length === 0 || [...root.querySelectorAll('video')].every((v) => v.srcObject === null);
    });

  test('required, real SDK: the own card is matched, the enrolled screen says so, the JWS verifies', async () => {
    test.setTimeout(240_000);
    const { page, nonce } = await realEnrollment(ownCard, { identityDocument: 'required' });
    await expect(page.locator('presenza-check .card-frame')).toBeVisible({ timeout: 120_000 });
    await expectState(page, 'enrolled', 120_000);
    expect(await screenText(page)).toContain(CATALOGUES.en.enrolledDocumentMatched);
    const result = await outcome(page);
    expect(result.idDocument).toBe('matched');
    expect((await verifiedHere(result.assertion, nonce)).idDocument).toBe('matched');
    expect(await cameraOff(page)).toBe(true);
  });

  test('optional, real SDK: no card shown before the time runs out is not_run, for the teacher to approve', async () => {
    test.setTimeout(240_000);
    const { page, nonce } = await realEnrollment(studentAlone, { identityDocument: 'optional', documentTimeoutMs: 4_000 });
    await expectState(page, 'enrolled', 150_000);
    expect(await screenText(page)).toContain(CATALOGUES.en.enrolledDocumentNotRun);
    const result = await outcome(page);
    expect(result.idDocument).toBe('not_run');
    expect((await verifiedHere(result.assertion, nonce)).idDocument).toBe('not_run');
  });

  test('required, real SDK: declined from the keyboard, the enrollment is made with not_run', async () => {
    test.setTimeout(240_000);
    // The student alone: the phase waits for a card until declined (no race with a finished match).
    const { page, nonce } = await realEnrollment(studentAlone, { identityDocument: 'required' });
    const decline = page.getByRole('button', { name: CATALOGUES.en.documentDecline });
    await expect(decline).toBeVisible({ timeout: 120_000 });
    await tabTo(page, CATALOGUES.en.documentDecline);
    await page.keyboard.press('Enter');
    await expectState(page, 'enrolled', 60_000);
    const result = await outcome(page);
    expect(result.idDocument).toBe('not_run');
    expect((await verifiedHere(result.assertion, nonce)).idDocument).toBe('not_run');
  });
});

test.describe('through the attendance service and the demo pages', () => {
  let server: DemoServer | null = null;
  test.afterAll(async () => {
    await server?.close();
  });

  test('a new device: the own card is matched and approved at once; another person’s card is not_matched and waits, the teacher sees why', async () => {
    test.setTimeout(300_000);
    server = await startDemoServer();
    const { origin, db } = server;
    const teacherBrowser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    // A context of its own, as axe-core's Playwright builder needs.
    const teacher = (await (await teacherBrowser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } })).newPage()) as unknown as Page;
    await teacher.goto(`${origin}/teacher.html`);
    await signInIfAsked(teacher, 'Prof. Bianchi');
    await teacher.getByLabel('Lesson title').fill('Diritto amministrativo');
    await teacher.getByRole('button', { name: 'Start lesson' }).click();
    await expect(teacher.locator('#student-link')).toHaveAttribute('href', /lesson=/, { timeout: 30_000 });
    const lessonId = new URL((await teacher.locator('#student-link').getAttribute('href'))!).searchParams.get('lesson')!;
    // The student's first device, enrolled before (its own key through the API): a further device
    // is what the document can approve.
    await SimulatedStudent.enroll(await demoSession(origin, 'Jose', 'student'));
    const keys = () => db.all(`SELECT k.status FROM device_keys k JOIN users u ON u.id = k.student_id WHERE u.display_name = 'Jose' ORDER BY k.created_at`);

    /** A new device of the student: the webcam films the student alone, then holding `card`; enrolls with the document required. */
    async function newDevice(card: string) {
      const page = await pageWithCamera(cameraSequence([studentAloneBriefly, card]));
      await page.goto(`${origin}/student.html?lesson=${lessonId}&liveness=off&identityDocument=required`);
      await signInIfAsked(page, 'Jose');
      await expect(page.locator('presenza-check')).toHaveAttribute('state', 'notice', { timeout: 60_000 });
      await page.locator('presenza-check').getByRole('button', { name: CATALOGUES.en.choiceFace, exact: true }).click();
      await expect(page.locator('presenza-check .card-frame')).toBeVisible({ timeout: 120_000 });
      return page;
    }

    // The own card: matched, the new key is active at once and nothing waits for the teacher.
    const own = await newDevice(ownCard);
    await expect(own.locator('presenza-check')).toHaveAttribute('state', 'enrolled', { timeout: 120_000 });
    await expect(own.locator('presenza-check .view')).toContainText(CATALOGUES.en.enrolledDocumentMatched);
    expect(await keys()).toEqual([{ status: 'active' }, { status: 'active' }]);
    expect((await db.all<{ action: string }>('SELECT action FROM audit_log')).map((r) => r.action)).toContain('enrollment.document_matched');
    await expect(teacher.locator('#enrollments')).toBeHidden();

    // Another person's card: not_matched, the key waits, and the teacher is told why (no photo).
    const other = await newDevice(otherCard);
    await expect(other.locator('#message-title')).toHaveText('Waiting for your teacher’s approval', { timeout: 120_000 });
    expect(await keys()).toEqual([{ status: 'active' }, { status: 'active' }, { status: 'pending' }]);
    const entry = teacher.locator('#pending li');
    await expect(entry).toHaveCount(1, { timeout: 30_000 });
    await expect(entry).toContainText('Jose');
    await expect(entry).toContainText('Why it waits: the photo on the identity document the student showed did not match their face.');
    await expect(teacher.locator('#pending img')).toHaveCount(0);
    await auditTeacher(teacher, 'en');
    await teacher.getByRole('button', { name: 'Italiano' }).click();
    await expect(entry).toContainText('Perché è in attesa: la foto del documento d’identità mostrato dallo studente non corrisponde al suo volto.');
    await auditTeacher(teacher, 'it');
    await teacherBrowser.close();
  });

  /** The teacher page with a waiting device: axe finds nothing; screenshots at 1280×800 and 390×844. */
  async function auditTeacher(page: Page, lang: string) {
    const violations = (await new AxeBuilder({ page }).analyze()).violations.map((v) => v.id);
    expect(violations).toEqual([]);
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      await page.screenshot({ path: join(SCREENSHOTS, `${lang}-teacher-device-pending-${viewport.width}x${viewport.height}.png`), fullPage: true });
    }
    await page.setViewportSize(VIEWPORTS[0]!);
  }
});
