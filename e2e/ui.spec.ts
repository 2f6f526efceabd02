/**
 * The student UI, `<presenza-check>`, in Chromium: every screen in Italian and English audited by
 * axe-core and saved as a screenshot, keyboard-only enrollment and checks on the real SDK (with
 * the assertions verified by presenza/server), each camera error, and the cross-origin iframe.
 */
import { expect, test, type Page } from '@playwright/test';
import { CHROMIUM, CHROMIUM_ARGS } from '../tools/chromium.js';
import { verifyCheck, verifyEnrollment, MemoryNonceStore } from '../src/server/index.js';
import { createChallenge } from '../src/server/challenge.js';
import { CATALOGUES } from '../src/ui/i18n/index.js';
import { DAY } from './support/sdkPage.js';
import { publishedAssetName } from '../workers/runtime/assets.js';
import {
  LANGS,
  RETAIN_UNTIL,
  auditAndCapture,
  auditAndCaptureSizes,
  buttons,
  expectState,
  installCamera,
  installFakeSdk,
  liveRegions,
  mount,
  outcome,
  screenText,
  setCamera,
  start,
  startUiOrigins,
  tabTo,
  type Lang,
  type TestGlobals,
  type UiOrigins,
} from './support/uiPage.js';

test.use({
  launchOptions: { executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] },
  viewport: { width: 760, height: 900 },
});

const PERSON_A = ['/faces/lfw/Abel_Pacheco/Abel_Pacheco_0001.jpg', '/faces/lfw/Abel_Pacheco/Abel_Pacheco_0004.jpg'] as const;
const LANGUAGE_NAMES: Record<Lang, string> = { en: 'English', it: 'Italian' };

let origins: UiOrigins;
test.beforeAll(async () => {
  origins = await startUiOrigins();
});
test.afterAll(async () => origins.close());

const fake = {
  frame: (page: Page, progress: { issues?: string[]; collected: number; needed: number; done?: boolean; liveness?: object }) =>
    page.evaluate(
      (p) => (window as unknown as TestGlobals).__fake.frame({ verdict: { ok: !p.issues?.length, issues: p.issues ?? [], hints: [] }, done: false, ...p }),
      progress,
    ),
  finish: (page: Page, value: unknown) => page.evaluate((v) => (window as unknown as TestGlobals).__fake.finish(v), value),
  fail: (page: Page, code: string) => page.evaluate((c) => (window as unknown as TestGlobals).__fake.fail(c), code),
  gestureRequests: (page: Page) => page.evaluate(() => (window as unknown as TestGlobals).__fake.gestureRequests),
};

/** A frame's liveness progress while `step` is asked. */
const gesture = (step: string, stepIndex: number, steps: number, alternativeAvailable: boolean) => ({ status: 'pending', step, stepIndex, steps, alternativeAvailable });
const fill = (text: string, values: Record<string, number>) => text.replace(/\{(\w+)\}/g, (_, name: string) => String(values[name]));

/** Waits until the preview shows video, so a screenshot has the picture. */
const previewPlaying = (page: Page) =>
  expect
    .poll(() => page.evaluate(() => ((window as unknown as TestGlobals).__element.shadowRoot!.querySelector('video')?.readyState ?? 0) >= 2))
    .toBe(true);

const streamsEnded = (page: Page) =>
  page.evaluate(() => (window as unknown as TestGlobals).__streams.flatMap((s) => s.getTracks().map((t) => t.readyState)));

/** No canvas anywhere in the page or the element, and no video once the capture is over. */
const leftovers = (page: Page) =>
  page.evaluate(() => {
    const root = (window as unknown as TestGlobals).__element.shadowRoot!;
    return document.querySelectorAll('canvas, video').length + root.querySelectorAll('canvas, video').length;
  });

for (const lang of LANGS) {
  test(`every screen in ${LANGUAGE_NAMES[lang]}: no axe violation, focus on the heading, screenshots saved`, async ({ page, context }) => {
    const m = CATALOGUES[lang];
    await installCamera(page);
    await page.goto(`${origins.site.origin}/lesson-${lang}.html`);

    // Models loading: the real SDK, with one model held back so the screen stays.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await context.route(`**/models/${publishedAssetName('fr_feature.onnx')}`, async (route) => {
      await held;
      await route.abort().catch(() => undefined);
    });
    await mount(page, { sdk: 'real', lang });
    await start(page, 'check');
    await expectState(page, 'intro');
    await page.getByRole('button', { name: m.choiceFace }).click();
    await expectState(page, 'loading');
    await expect(page.locator('presenza-check progress')).not.toHaveAttribute('value', '0', { timeout: 20_000 });
    await auditAndCaptureSizes(page, lang, '02-loading');
    await page.evaluate(() => (window as unknown as TestGlobals).__element.remove());
    expect(await outcome(page)).toEqual({ error: 'ERR_ABORTED' });
    release();
    await context.unrouteAll({ behavior: 'ignoreErrors' });

    // Everything else with the scriptable SDK: enrollment, with a failed attempt and an error first.
    await installFakeSdk(page);
    await mount(page, { sdk: 'fake', lang, maxAttempts: 2 });
    await start(page, 'enroll');
    await expectState(page, 'notice');
    const notice = await screenText(page);
    for (const text of [m.noticeTitle, 'Università Telematica Esempio', m.noticeDevice, m.fullNotice]) expect(notice).toContain(text);
    expect(notice).toContain(new Intl.DateTimeFormat(lang, { dateStyle: 'long' }).format(RETAIN_UNTIL));
    expect(await buttons(page)).toEqual([m.choiceFace, m.choiceAlternative]);
    await auditAndCaptureSizes(page, lang, '01-notice');
    // A phone-sized frame: the facts stack, nothing overflows (WCAG reflow).
    await page.setViewportSize({ width: 360, height: 900 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await auditAndCapture(page, lang, '01-notice-narrow');
    await page.setViewportSize({ width: 760, height: 900 });

    await page.getByRole('button', { name: m.choiceFace }).click();
    await expectState(page, 'starting');
    await auditAndCaptureSizes(page, lang, '03-starting');
    await setCamera(page, { mode: 'photo', photo: PERSON_A[0], scale: 1.4 });
    await page.evaluate(() => (window as unknown as TestGlobals).__answerPrompt());
    await expectState(page, 'capturing');
    await previewPlaying(page);
    // The preview is mirrored by CSS only (the SDK reads the unmirrored stream), without motion when reduced motion is asked.
    const video = page.locator('presenza-check video');
    await expect(video).toHaveCSS('transform', 'matrix(-1, 0, 0, 1, 0, 0)');
    await expect(video).toHaveAttribute('aria-hidden', 'true');
    await expect(page.locator('presenza-check .guide')).toHaveCSS('transition-duration', '0.3s');
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await expect(page.locator('presenza-check .guide')).toHaveCSS('transition-duration', '0s');
    await fake.frame(page, { issues: ['face_too_small'], collected: 0, needed: 5 });
    await expect(page.locator('presenza-check .guidance')).toHaveText(m.guideTooSmall);
    await expect.poll(async () => (await liveRegions(page)).polite).toBe(m.guideTooSmall);
    await auditAndCaptureSizes(page, lang, '04-capturing-fix');
    await fake.frame(page, { collected: 3, needed: 5 });
    await expect(page.locator('presenza-check .guidance')).toHaveText(m.guideGood);
    await auditAndCaptureSizes(page, lang, '05-capturing-good');
    expect(await buttons(page)).toEqual([m.cancel, m.choiceAlternative]);

    // Liveness: the gesture is prompted in text and announced at once, with a way out if it is hard.
    await fake.frame(page, { collected: 5, needed: 5, liveness: gesture('turn_left', 0, 2, true) });
    await expect(page.locator('presenza-check .guidance')).toHaveText(m.gestureTurnLeft);
    await expect.poll(async () => (await liveRegions(page)).polite).toBe(m.gestureTurnLeft);
    expect(await screenText(page)).toContain(fill(m.gestureStep, { step: 1, steps: 2 }));
    // The bar covers images and gestures, and so do its words: all images in is not yet the end.
    expect(await screenText(page)).toContain(fill(m.captureProgressGestures, { collected: 5, needed: 5, done: 0, steps: 2 }));
    // A turned head is the gesture, not a problem to fix.
    await fake.frame(page, { issues: ['head_turned'], collected: 5, needed: 5, liveness: gesture('turn_left', 0, 2, true) });
    await expect(page.locator('presenza-check .guidance')).toHaveText(m.gestureTurnLeft);
    expect(await buttons(page)).toEqual([m.gestureCannot, m.cancel, m.choiceAlternative]);
    await auditAndCaptureSizes(page, lang, '05b-capturing-gesture');
    await page.getByRole('button', { name: m.gestureCannot }).click();
    await expect.poll(() => fake.gestureRequests(page)).toBe(1);
    // The next gesture is announced at once too; with no alternative left, the alternative path remains.
    await fake.frame(page, { collected: 5, needed: 5, liveness: gesture('open_mouth', 0, 2, false) });
    await expect(page.locator('presenza-check .guidance')).toHaveText(m.gestureOpenMouth);
    await expect.poll(async () => (await liveRegions(page)).polite).toBe(m.gestureOpenMouth);
    expect(await buttons(page)).toEqual([m.cancel, m.choiceAlternative]);

    await fake.fail(page, 'ERR_CAPTURE_TIMEOUT');
    await expectState(page, 'failed');
    expect(await screenText(page)).toContain(m.reasonTimeout);
    await expect.poll(() => liveRegions(page)).toEqual({ polite: '', assertive: `${m.enrollFailedTitle}. ${m.reasonTimeout}` });
    expect(await buttons(page)).toEqual([m.retry, m.choiceAlternative]);
    await auditAndCaptureSizes(page, lang, '06-enroll-failed');

    await page.getByRole('button', { name: m.retry }).click();
    await expectState(page, 'capturing');
    await fake.fail(page, 'ERR_STORAGE');
    await expectState(page, 'error');
    expect(await buttons(page)).toEqual([m.retry, m.choiceAlternative]);
    await auditAndCaptureSizes(page, lang, '07-error');

    await page.getByRole('button', { name: m.retry }).click();
    await expectState(page, 'capturing');
    await fake.frame(page, { collected: 5, needed: 5, done: true });
    // Enough frames: the camera is off before the SDK has even answered.
    expect(await streamsEnded(page)).toEqual(['ended', 'ended', 'ended']);
    await fake.finish(page, { assertion: 'header.payload.signature' });
    await expectState(page, 'enrolled');
    await auditAndCaptureSizes(page, lang, '08-enrolled');
    expect(await outcome(page)).toEqual({ assertion: 'header.payload.signature' });

    // A check: cancel during the capture, then two failures, then the alternative.
    await start(page, 'check');
    await expectState(page, 'intro');
    expect(await buttons(page)).toEqual([m.choiceFace, m.choiceAlternative]);
    await auditAndCaptureSizes(page, lang, '09-check-intro');
    await page.getByRole('button', { name: m.choiceFace }).click();
    await expectState(page, 'capturing');
    await page.getByRole('button', { name: m.cancel }).click();
    await expectState(page, 'intro');
    await page.getByRole('button', { name: m.choiceFace }).click();
    await expectState(page, 'capturing');
    await fake.frame(page, { issues: ['too_dark'], collected: 0, needed: 3 });
    await fake.finish(page, { outcome: 'fail', reason: 'mismatch', liveness: 'passed', assertion: 'a.b.c' });
    await expectState(page, 'failed');
    expect(await screenText(page)).toContain(m.reasonMismatch);
    expect(await screenText(page)).toContain(m.nothingKept);
    expect(await buttons(page)).toEqual([m.retry, m.choiceAlternative]);
    await auditAndCaptureSizes(page, lang, '10-check-failed');
    await page.getByRole('button', { name: m.retry }).click();
    await expectState(page, 'capturing');
    await fake.finish(page, { outcome: 'inconclusive', reason: 'no_face', liveness: 'not_run', assertion: 'a.b.c' });
    await expectState(page, 'failed');
    expect(await screenText(page)).toContain(m.noRetry);
    expect(await buttons(page)).toEqual([m.choiceAlternative]);
    await auditAndCaptureSizes(page, lang, '11-check-failed-final');
    await page.getByRole('button', { name: m.choiceAlternative }).click();
    await expectState(page, 'alternative');
    await auditAndCaptureSizes(page, lang, '12-alternative');
    expect(await outcome(page)).toEqual({ outcome: 'alternative' });

    // A check that passes.
    await start(page, 'check');
    await expectState(page, 'intro');
    await page.getByRole('button', { name: m.choiceFace }).click();
    await expectState(page, 'capturing');
    await fake.finish(page, { outcome: 'pass', liveness: 'passed', assertion: 'x.y.z' });
    await expectState(page, 'passed');
    await auditAndCaptureSizes(page, lang, '13-passed');
    expect(await outcome(page)).toEqual({ outcome: 'pass', liveness: 'passed', assertion: 'x.y.z' });

    // Not enrolled on this device: the camera is never opened, and the alternative is the way on.
    const opened = (await streamsEnded(page)).length;
    await page.evaluate(() => void ((window as unknown as TestGlobals).__fake.enrolled = false));
    await start(page, 'check');
    await expectState(page, 'intro');
    await page.getByRole('button', { name: m.choiceFace }).click();
    await expectState(page, 'failed');
    expect(await screenText(page)).toContain(m.reasonNotEnrolled);
    expect(await buttons(page)).toEqual([m.choiceAlternative]);
    await auditAndCaptureSizes(page, lang, '14-not-enrolled');
    expect((await streamsEnded(page)).length).toBe(opened);
    expect((await streamsEnded(page)).every((state) => state === 'ended')).toBe(true);
    expect(await leftovers(page)).toBe(0);
  });
}

test('keyboard only, real SDK: notice → enrollment → check → alternative; assertions verify; camera off after each capture', async ({ page }) => {
  const m = CATALOGUES.en;
  await installCamera(page);
  await page.goto(`${origins.site.origin}/lesson-en.html`);
  await setCamera(page, { mode: 'photo', photo: PERSON_A[0] });
  await mount(page, { sdk: 'real', lang: 'en', passLang: true });

  const enrollNonce = createChallenge();
  // Still photos cannot make gestures: liveness is off here (e2e/liveness.spec.ts drives it with live clips).
  await start(page, 'enroll', { enrollmentId: 'student-42', nonce: enrollNonce, retainUntil: Date.now() + 30 * DAY, liveness: 'off' });
  await expectState(page, 'notice');
  await tabTo(page, m.choiceFace);
  await page.keyboard.press('Enter');
  await expectState(page, 'enrolled', 60_000);
  const enrolled = await outcome(page);
  const registration = await verifyEnrollment(enrolled.assertion as string, { audience: origins.site.origin, expectedNonce: enrollNonce });
  expect(registration).toMatchObject({ enrollmentId: 'student-42', idDocument: 'not_run' });
  expect(await streamsEnded(page)).toEqual(['ended']);
  expect(await leftovers(page)).toBe(0);

  await setCamera(page, { mode: 'photo', photo: PERSON_A[1] });
  const checkNonce = createChallenge();
  await start(page, 'check', { checkId: 'check-1', nonce: checkNonce, liveness: 'off' });
  await expectState(page, 'intro');
  await tabTo(page, m.choiceFace);
  await page.keyboard.press('Space');
  await expectState(page, 'passed', 60_000);
  const passed = await outcome(page);
  expect(passed).toMatchObject({ outcome: 'pass' });
  const verified = await verifyCheck(passed.assertion as string, {
    audience: origins.site.origin,
    publicJwk: registration.publicJwk,
    expectedNonce: checkNonce,
    checkId: 'check-1',
    nonceStore: new MemoryNonceStore(),
  });
  expect(verified.outcome).toBe('pass');
  expect(await streamsEnded(page)).toEqual(['ended', 'ended']);

  await start(page, 'check', { checkId: 'check-2', nonce: createChallenge(), liveness: 'off' });
  await expectState(page, 'intro');
  await tabTo(page, m.choiceAlternative);
  await page.keyboard.press('Enter');
  await expectState(page, 'alternative');
  expect(await outcome(page)).toEqual({ outcome: 'alternative' });
  expect((await streamsEnded(page)).length).toBe(2);
  expect(await leftovers(page)).toBe(0);

  // Headless use: the same story told through DOM events.
  const events = await page.evaluate(() => (window as unknown as TestGlobals).__events);
  const types = events.map((e) => e.type);
  expect(types).toContain('presenza-progress');
  expect(types.filter((t) => t === 'presenza-frame').length).toBeGreaterThanOrEqual(8);
  expect(events.filter((e) => e.type === 'presenza-result').map((e) => e.detail)).toEqual([
    { operation: 'enroll', attempt: 1, result: { assertion: enrolled.assertion, idDocument: 'not_run' }, final: true },
    { operation: 'check', attempt: 1, result: passed, final: true },
  ]);
  expect(events.filter((e) => e.type === 'presenza-alternative').map((e) => e.detail)).toEqual([{ operation: 'check' }]);
});

/** Each simulated getUserMedia failure, and what the student reads. */
const CAMERA_ERRORS = [
  { name: 'NotAllowedError', body: 'cameraDenied', steps: 'cameraDeniedSteps' },
  { name: 'NotReadableError', body: 'cameraBusy', steps: 'cameraBusySteps' },
  { name: 'NotFoundError', body: 'cameraNotFound', steps: 'cameraNotFoundSteps' },
  { name: 'OverconstrainedError', body: 'cameraConstraints', steps: 'cameraConstraintsSteps' },
] as const;

for (const lang of LANGS) {
  test(`camera errors in ${LANGUAGE_NAMES[lang]}: denied, busy, not found, constraints, insecure page each show their message and next steps`, async ({ page }) => {
    const m = CATALOGUES[lang];
    await installCamera(page);
    await page.goto(`${origins.site.origin}/lesson-${lang}.html`);
    await installFakeSdk(page);
    const alternative = lang === 'it' ? 'scrivi «presente» nella chat della lezione entro due minuti.' : 'write “present” in the lesson chat within two minutes.';
    await mount(page, { sdk: 'fake', lang, maxAttempts: 1, texts: { alternativeDescription: alternative } });
    await start(page, 'check');
    await expectState(page, 'intro');
    // The platform's own description of its alternative replaces the built-in one.
    expect(await screenText(page)).toContain(m.alternativeOffer.replace('{alternative}', alternative));
    for (const [index, error] of CAMERA_ERRORS.entries()) {
      await setCamera(page, { mode: 'error', name: error.name });
      await page.getByRole('button', { name: index === 0 ? m.choiceFace : m.retry }).click();
      await expectState(page, 'camera-error');
      const text = await screenText(page);
      expect(text).toContain(m.cameraTitle);
      expect(text).toContain(m[error.body]);
      expect(text).toContain(m[error.steps]);
      // Camera problems do not use up the attempts: the retry stays (maxAttempts is 1 here).
      expect(await buttons(page)).toEqual([m.retry, m.choiceAlternative]);
      await auditAndCaptureSizes(page, lang, `20-camera-${error.name}`);
    }
    // An insecure (http) page: nothing the student can fix, so only the alternative.
    await page.evaluate(() => Object.defineProperty(window, 'isSecureContext', { value: false, configurable: true }));
    await page.getByRole('button', { name: m.retry }).click();
    await expectState(page, 'camera-error');
    expect(await screenText(page)).toContain(m.cameraInsecure);
    expect(await buttons(page)).toEqual([m.choiceAlternative]);
    await auditAndCaptureSizes(page, lang, '21-camera-insecure');
    await page.getByRole('button', { name: m.choiceAlternative }).click();
    expect(await outcome(page)).toEqual({ outcome: 'alternative' });
    const results = await page.evaluate(() => (window as unknown as TestGlobals).__events.filter((e) => e.type === 'presenza-result').map((e) => e.detail));
    expect(results.map((r) => (r as { error: { code: string } }).error.code)).toEqual([
      'ERR_CAMERA_DENIED',
      'ERR_CAMERA_BUSY',
      'ERR_CAMERA_NOT_FOUND',
      'ERR_CAMERA_CONSTRAINTS',
      'ERR_CAMERA_INSECURE_CONTEXT',
    ]);
  });

  test(`in a cross-origin iframe (${LANGUAGE_NAMES[lang]}): without allow="camera" the student is told why; with it the camera opens`, async ({ page }) => {
    const m = CATALOGUES[lang];
    await page.goto(`${origins.site.origin}/embed-${lang}.html`);
    const frame = page.frameLocator('iframe');
    const inner = page.frames()[1]!;
    await inner.waitForFunction(() => 'Presenza' in window);
    await installFakeSdk(inner);
    await mount(inner, { sdk: 'fake', lang });
    await start(inner, 'check');
    await expectState(inner, 'intro');
    await frame.getByRole('button', { name: m.choiceFace }).click();
    await expectState(inner, 'camera-error');
    expect(await screenText(inner)).toContain(m.cameraPolicy);
    expect(await screenText(inner)).toContain(m.cameraPolicySteps);
    expect(await buttons(inner)).toEqual([m.choiceAlternative]);
    await auditAndCaptureSizes(page, lang, '22-camera-iframe-policy');

    await page.goto(`${origins.site.origin}/embed-allowed-${lang}.html`);
    const allowed = page.frames()[1]!;
    await allowed.waitForFunction(() => 'Presenza' in window);
    await installFakeSdk(allowed);
    await mount(allowed, { sdk: 'fake', lang });
    await start(allowed, 'check');
    await expectState(allowed, 'intro');
    await page.frameLocator('iframe').getByRole('button', { name: m.choiceFace }).click();
    await expectState(allowed, 'capturing');
  });
}
