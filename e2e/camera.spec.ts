/** The SDK with Chromium's fake camera (a moving test pattern, no face). */
import { expect, test } from '@playwright/test';
import { createChallenge } from '../src/server/challenge.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../playwright.config.js';
import { startOrigins, type Origins } from './support/origins.js';
import { DAY, enroll, openSdk, type Globals } from './support/sdkPage.js';

test.use({
  launchOptions: { executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] },
});

let origins: Origins;
test.beforeAll(async () => {
  origins = await startOrigins();
});
test.afterAll(async () => origins.close());

test('a check on a camera without a face is inconclusive (no_face), signed, and every track is stopped', async ({ page }) => {
  await openSdk(page, origins);
  await enroll(page, { photo: 'lfw/Abel_Pacheco/Abel_Pacheco_0001.jpg', nonce: createChallenge(), retainUntil: Date.now() + DAY });
  const result = await page.evaluate(async () => {
    const g = window as unknown as Globals;
    const opened: MediaStream[] = [];
    const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = async (constraints) => {
      const stream = await original(constraints);
      opened.push(stream);
      return stream;
    };
    const outcome = await g.sdk.check({ checkId: 'cam', nonce: 'n'.repeat(22), timeoutMs: 2500 });
    return { outcome, tracks: opened.flatMap((s) => s.getTracks().map((t) => t.readyState)) };
  });
  expect(result.outcome).toMatchObject({ outcome: 'inconclusive', reason: 'no_face' });
  expect(result.outcome.assertion).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  expect(result.tracks.length).toBeGreaterThan(0);
  expect(result.tracks.every((state) => state === 'ended')).toBe(true);
});
