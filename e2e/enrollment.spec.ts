/**
 * Enrollment and checks end to end in Chromium, with frames injected from LFW photos: the
 * assertions are verified by presenza/server, the vault is read raw, and every request is recorded.
 */
import { expect, test } from '@playwright/test';
import { createChallenge } from '../src/server/challenge.js';
import { DAY, check, enroll, openSdk, setClock, type Globals } from './support/sdkPage.js';
import { startOrigins, type Origins } from '../tools/origins.js';
import { publishedAssetName } from '../workers/runtime/assets.js';
import { auditVault, enrollPassFail, enrollPassFailProblems, PERSON_A, vaultViolations } from './support/scenarios.js';

let origins: Origins;
test.beforeAll(async () => {
  origins = await startOrigins();
});
test.afterAll(async () => origins.close());

test('enroll from one photo, pass with another of the same person, fail with someone else; all verified by presenza/server', async ({ page }) => {
  expect(enrollPassFailProblems(await enrollPassFail(page, origins))).toEqual([]);
});

test('retainUntil in the past or more than 12 months ahead is a TypeError', async ({ page }) => {
  await openSdk(page, origins);
  const attempt = (retainUntil: number | string) =>
    page.evaluate(async (retainUntil) => {
      const g = window as unknown as Globals;
      try {
        await g.sdk.enroll({ enrollmentId: 's', nonce: 'n'.repeat(22), retainUntil, camera: g.photo('/faces/none.jpg') });
        return 'enrolled';
      } catch (e) {
        return `${(e as Error).name}: ${(e as Error).message}`;
      }
    }, retainUntil);
  expect(await attempt(Date.now() - DAY)).toMatch(/^TypeError: .*past/);
  expect(await attempt(Date.now() + 400 * DAY)).toMatch(/^TypeError: .*12 months/);
  expect(await attempt('not a date')).toMatch(/^TypeError: .*retainUntil is required/);
});

test('a template that expires between enroll and check is deleted: enrollment_expired, then not enrolled', async ({ page }) => {
  const start = Date.now();
  await openSdk(page, origins, start);
  await enroll(page, { photo: PERSON_A[0], nonce: createChallenge(), retainUntil: start + 7 * DAY });
  expect(await page.evaluate(() => (window as unknown as Globals).sdk.status())).toMatchObject({ enrolled: true, enrollmentId: 'student-42' });
  await setClock(page, start + 8 * DAY);
  const result = await check(page, { photo: PERSON_A[1], nonce: createChallenge(), checkId: 'late' });
  expect(result).toEqual({ outcome: 'inconclusive', reason: 'enrollment_expired', liveness: 'not_run', assertion: null });
  expect(await page.evaluate(() => (window as unknown as Globals).sdk.status())).toEqual({ enrolled: false });
});

test('an expired template is deleted when the SDK starts', async ({ page }) => {
  const start = Date.now();
  await openSdk(page, origins, start);
  await enroll(page, { photo: PERSON_A[0], nonce: createChallenge(), retainUntil: start + 2 * DAY });
  await openSdk(page, origins, start + 3 * DAY);
  const records = await page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open('presenza-vault');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const request = open.result.transaction('enrollments').objectStore('enrollments').count();
          request.onsuccess = () => resolve(request.result);
        };
      }),
  );
  expect(records).toBe(0);
});

test('after forget() a check is not_enrolled', async ({ page }) => {
  await openSdk(page, origins);
  await enroll(page, { photo: PERSON_A[0], nonce: createChallenge(), retainUntil: Date.now() + DAY });
  await page.evaluate(() => (window as unknown as Globals).sdk.forget());
  const result = await check(page, { photo: PERSON_A[1], nonce: createChallenge(), checkId: 'after-forget' });
  expect(result).toEqual({ outcome: 'inconclusive', reason: 'not_enrolled', liveness: 'not_run', assertion: null });
});

test('the raw IndexedDB record holds ciphertext and non-extractable keys, no float array and no image', async ({ page }) => {
  await openSdk(page, origins);
  await enroll(page, { photo: PERSON_A[0], nonce: createChallenge(), retainUntil: Date.now() + DAY });
  expect(vaultViolations(await auditVault(page))).toEqual([]);
});

test('across create, enroll and check the SDK only fetches its own code, wasm and models', async ({ page, context }) => {
  const requests: { url: string; method: string; body: string | null }[] = [];
  context.on('request', (request) => requests.push({ url: request.url(), method: request.method(), body: request.postData() }));
  await openSdk(page, origins);
  await enroll(page, { photo: PERSON_A[0], nonce: createChallenge(), retainUntil: Date.now() + DAY });
  await check(page, { photo: PERSON_A[1], nonce: createChallenge(), checkId: 'audit' });
  // The worker's own fetches are recorded too (the models), so nothing escapes the audit.
  expect(requests.map((r) => r.url)).toEqual(expect.arrayContaining([`${origins.cdn.origin}/models/${publishedAssetName('fr_feature.onnx')}`]));
  const sdkFiles = new RegExp(`^${origins.cdn.origin}/(presenza(\\.iife|-worker\\.[0-9a-f]{16})\\.js|chunks/[\\w.-]+\\.js|models/[\\w.-]+)$`);
  const pageFiles = new RegExp(`^${origins.site.origin}/(sdk\\.html|faces/lfw/[\\w/.-]+\\.jpg)$`);
  for (const request of requests) {
    expect(request.method, request.url).toBe('GET');
    expect(request.body, request.url).toBeNull();
    if (request.url.startsWith('blob:')) continue;
    expect(sdkFiles.test(request.url) || pageFiles.test(request.url), request.url).toBe(true);
  }
});
