/**
 * Enrollment and checks end to end in Chromium, with frames injected from LFW photos: the
 * assertions are verified by presenza/server, the vault is read raw, and every request is recorded.
 */
import { expect, test } from '@playwright/test';
import { MemoryNonceStore, verifyCheck, verifyEnrollment } from '../src/server/index.js';
import { createChallenge } from '../src/server/challenge.js';
import { AUDIENCE, DAY, check, enroll, openSdk, setClock, type Globals } from './support/sdkPage.js';
import { startOrigins, type Origins } from './support/origins.js';

const PERSON_A = ['lfw/Abel_Pacheco/Abel_Pacheco_0001.jpg', 'lfw/Abel_Pacheco/Abel_Pacheco_0004.jpg'] as const;
const PERSON_B = 'lfw/Akhmed_Zakayev/Akhmed_Zakayev_0001.jpg';

let origins: Origins;
test.beforeAll(async () => {
  origins = await startOrigins();
});
test.afterAll(async () => origins.close());

const payloadOf = (jws: string) => JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

test('enroll from one photo, pass with another of the same person, fail with someone else; all verified by presenza/server', async ({ page }) => {
  await openSdk(page, origins);
  const enrollNonce = createChallenge();
  const enrolled = await enroll(page, { photo: PERSON_A[0], nonce: enrollNonce, retainUntil: Date.now() + 30 * DAY });
  expect(Object.keys(enrolled)).toEqual(['assertion']);
  const registration = await verifyEnrollment(enrolled.assertion, { audience: AUDIENCE, expectedNonce: enrollNonce });
  expect(registration.enrollmentId).toBe('student-42');

  const nonces = new MemoryNonceStore();
  const passNonce = createChallenge();
  const pass = await check(page, { photo: PERSON_A[1], nonce: passNonce, checkId: 'check-1' });
  expect(pass).toMatchObject({ outcome: 'pass', liveness: 'not_run' });
  expect(Object.keys(pass).sort()).toEqual(['assertion', 'liveness', 'outcome']);
  const verifiedPass = await verifyCheck(pass.assertion!, {
    audience: AUDIENCE,
    publicJwk: registration.publicJwk,
    expectedNonce: passNonce,
    checkId: 'check-1',
    nonceStore: nonces,
  });
  expect(verifiedPass.outcome).toBe('pass');

  const failNonce = createChallenge();
  const fail = await check(page, { photo: PERSON_B, nonce: failNonce, checkId: 'check-2' });
  expect(fail).toMatchObject({ outcome: 'fail', reason: 'mismatch' });
  const verifiedFail = await verifyCheck(fail.assertion!, {
    audience: AUDIENCE,
    publicJwk: registration.publicJwk,
    expectedNonce: failNonce,
    checkId: 'check-2',
    nonceStore: nonces,
  });
  expect(verifiedFail).toMatchObject({ outcome: 'fail', reason: 'mismatch' });

  // The same assertion twice: the nonce store refuses the replay.
  const replay = verifyCheck(pass.assertion!, {
    audience: AUDIENCE,
    publicJwk: registration.publicJwk,
    expectedNonce: passNonce,
    checkId: 'check-1',
    nonceStore: nonces,
  });
  await expect(replay).rejects.toMatchObject({ code: 'ERR_REPLAYED' });

  // Only protocol fields travel: no score, embedding, landmark or image in any claim.
  for (const jws of [enrolled.assertion, pass.assertion!, fail.assertion!]) {
    const claims = Object.keys(payloadOf(jws));
    for (const claim of claims) {
      expect(['aud', 'sub', 'jti', 'nonce', 'iat', 'exp', 'outcome', 'reason', 'liveness', 'models', 'sdk', 'retainUntil']).toContain(claim);
    }
  }
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
  const audit = await page.evaluate(
    () =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const open = indexedDB.open('presenza-vault');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const request = open.result.transaction('enrollments').objectStore('enrollments').getAll();
          request.onsuccess = () => {
            const records = request.result as Record<string, unknown>[];
            const kinds: string[] = [];
            let largestNumberArray = 0;
            const walk = (value: unknown, path: string): void => {
              if (value instanceof CryptoKey) {
                kinds.push(`${path}:CryptoKey:${value.type}:${value.extractable}`);
              } else if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
                kinds.push(`${path}:${value.constructor.name}`);
              } else if (value instanceof Blob) {
                kinds.push(`${path}:Blob`);
              } else if (Array.isArray(value)) {
                if (value.every((v) => typeof v === 'number')) largestNumberArray = Math.max(largestNumberArray, value.length);
                value.forEach((v, i) => walk(v, `${path}[${i}]`));
              } else if (value && typeof value === 'object') {
                for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
              }
            };
            records.forEach((r) => walk(r, ''));
            const sealed = records[0]!.sealedTemplate as { ciphertext: ArrayBuffer };
            // Read as floats, ciphertext is noise: not a unit-length vector, often not even finite.
            const asFloats = new Float32Array(sealed.ciphertext.slice(0, 512 * 4));
            const norm = Math.sqrt(asFloats.reduce((s, v) => s + (Number.isFinite(v) ? v * v : 1e30), 0));
            resolve({ count: records.length, kinds, largestNumberArray, ciphertextBytes: sealed.ciphertext.byteLength, norm });
          };
        };
      }),
  );
  expect(audit.count).toBe(1);
  expect(audit.kinds).toEqual(
    expect.arrayContaining(['signingKey:CryptoKey:private:false', 'sealingKey:CryptoKey:secret:false', 'sealedTemplate.ciphertext:ArrayBuffer']),
  );
  expect((audit.kinds as string[]).filter((k) => /Float32Array|Float64Array|Blob/.test(k))).toEqual([]);
  expect(audit.largestNumberArray).toBeLessThan(16);
  // 512 float32 values plus the 16-byte GCM tag.
  expect(audit.ciphertextBytes).toBe(512 * 4 + 16);
  expect(Math.abs((audit.norm as number) - 1)).toBeGreaterThan(0.5);
});

test('across create, enroll and check the SDK only fetches its own code, wasm and models', async ({ page, context }) => {
  const requests: { url: string; method: string; body: string | null }[] = [];
  context.on('request', (request) => requests.push({ url: request.url(), method: request.method(), body: request.postData() }));
  await openSdk(page, origins);
  await enroll(page, { photo: PERSON_A[0], nonce: createChallenge(), retainUntil: Date.now() + DAY });
  await check(page, { photo: PERSON_A[1], nonce: createChallenge(), checkId: 'audit' });
  // The worker's own fetches are recorded too (the models), so nothing escapes the audit.
  expect(requests.map((r) => r.url)).toEqual(expect.arrayContaining([`${origins.cdn.origin}/models/fr_feature.onnx`]));
  const sdkFiles = new RegExp(`^${origins.cdn.origin}/(presenza(\\.iife|-worker)\\.js|chunks/[\\w.-]+\\.js|models/[\\w.-]+)$`);
  const pageFiles = new RegExp(`^${origins.site.origin}/(sdk\\.html|faces/lfw/[\\w/.-]+\\.jpg)$`);
  for (const request of requests) {
    expect(request.method, request.url).toBe('GET');
    expect(request.body, request.url).toBeNull();
    if (request.url.startsWith('blob:')) continue;
    expect(sdkFiles.test(request.url) || pageFiles.test(request.url), request.url).toBe(true);
  }
});
