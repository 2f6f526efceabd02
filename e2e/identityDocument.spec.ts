/**
 * The identity-document phase of an enrollment end to end in Chromium, with a fake camera that
 * films a student holding a synthesised identity card: the portrait is found, compared in the
 * worker, and the enrollment JWS verified by presenza/server carries `idDocument`; the document
 * frames leave nothing in IndexedDB and no request carries anything but the SDK's own files.
 */
import { expect, test, type Page } from '@playwright/test';
import { chromium, type Browser } from 'playwright-core';
import { createChallenge } from '../src/server/challenge.js';
import { verifyEnrollment } from '../src/server/verifyEnrollment.js';
import { CHROMIUM } from '../tools/chromium.js';
import { startOrigins, type Origins } from '../tools/origins.js';
import { cameraArgs } from './support/fakeCamera.js';
import { cardCameraFiles } from './support/idCards.js';
import { auditVault, vaultViolations } from './support/scenarios.js';
import { AUDIENCE, openSdk, type Globals } from './support/sdkPage.js';

// A genuine pair the benchmark matches (bench/results/id-document-*.json), with its card's seed;
// the impostor card is the same scene with another person's photo on the card.
const STUDENT = 'lfw/Martin_Cauchon/Martin_Cauchon_0002.jpg';
const OWN_PHOTO = 'lfw/Martin_Cauchon/Martin_Cauchon_0001.jpg';
const OTHER_PHOTO = 'lfw/Akhmed_Zakayev/Akhmed_Zakayev_0001.jpg';
const SEED = 3756936434;

let origins: Origins;
let ownCard: string;
let otherCard: string;
let browser: Browser | null = null;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  origins = await startOrigins();
  [ownCard, otherCard] = await cardCameraFiles([
    { live: STUDENT, portrait: OWN_PHOTO, seed: SEED },
    { live: STUDENT, portrait: OTHER_PHOTO, seed: SEED },
  ]) as [string, string];
});
test.afterAll(async () => {
  await browser?.close();
  await origins.close();
});

/** A page in a Chromium whose webcam plays `file`. */
async function pageWithCamera(file: string): Promise<Page> {
  await browser?.close();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: cameraArgs({ file }), headless: true });
  return (await browser.newPage()) as unknown as Page;
}

/** Enrolls from the webcam with the identity document required; records the document progress. */
function enrollWithDocument(page: Page, nonce: string, options: { decline?: boolean } = {}) {
  return page.evaluate(
    async ({ nonce, decline }) => {
      const g = window as unknown as Globals;
      const progress: unknown[] = [];
      const result = await g.sdk.enroll({
        enrollmentId: 'student-42',
        nonce,
        retainUntil: Date.now() + 30 * 86_400_000,
        liveness: 'off',
        identityDocument: 'required',
        onFrame: (p) => {
          if (!p.document) return;
          progress.push(p.document);
          if (decline) g.sdk.declineIdentityDocument();
        },
      });
      return { result, progress };
    },
    { nonce, decline: options.decline ?? false },
  );
}

async function verified(assertion: string, nonce: string) {
  return verifyEnrollment(assertion, { audience: AUDIENCE, expectedNonce: nonce });
}

test('the card of the same person: idDocument matched, verified by presenza/server; nothing kept, nothing sent', async () => {
  test.setTimeout(150_000);
  const page = await pageWithCamera(ownCard);
  const requests: { url: string; method: string; body: string | null }[] = [];
  page.context().on('request', (r) => requests.push({ url: r.url(), method: r.method(), body: r.postData() }));
  await openSdk(page, origins);
  const nonce = createChallenge();
  const { result, progress } = await enrollWithDocument(page, nonce);
  expect(result.idDocument).toBe('matched');
  const enrollment = await verified(result.assertion, nonce);
  expect(enrollment.idDocument).toBe('matched');
  // Progress says only what to tell the student: guidance codes and counts.
  expect(progress.length).toBeGreaterThan(0);
  for (const p of progress) expect(Object.keys(p as object).sort()).toEqual(['collected', 'done', 'guidance', 'needed']);
  // The landmarker went through IMAGE mode for the card: a check (VIDEO mode, tracking) still works after it.
  const check = await page.evaluate(async (nonce) => (window as unknown as Globals).sdk.check({ checkId: 'after-card', nonce, liveness: 'off' }), createChallenge());
  expect(check).toMatchObject({ outcome: 'pass', liveness: 'not_run' });
  // The vault holds the sealed template and keys only: no crop, no float array, no image.
  expect(vaultViolations(await auditVault(page))).toEqual([]);
  // Every request is a GET of the SDK's own files or the page's; none has a body.
  const sdkFiles = new RegExp(`^${origins.cdn.origin}/(presenza(\\.iife|-worker)\\.js|chunks/[\\w.-]+\\.js|models/[\\w.-]+)$`);
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

test('the card of another person: idDocument not_matched', async () => {
  test.setTimeout(150_000);
  const page = await pageWithCamera(otherCard);
  await openSdk(page, origins);
  const nonce = createChallenge();
  const { result } = await enrollWithDocument(page, nonce);
  expect(result.idDocument).toBe('not_matched');
  expect((await verified(result.assertion, nonce)).idDocument).toBe('not_matched');
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

