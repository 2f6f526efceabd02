/** The SDK with Chromium's fake camera (a moving test pattern, no face). */
import { expect, test } from '@playwright/test';
import { CHROMIUM, CHROMIUM_ARGS } from '../tools/chromium.js';
import { startOrigins, type Origins } from '../tools/origins.js';
import { cameraCheckProblems, checkWithCamera } from './support/scenarios.js';

test.use({
  launchOptions: { executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] },
});

let origins: Origins;
test.beforeAll(async () => {
  origins = await startOrigins();
});
test.afterAll(async () => origins.close());

test('a check on a camera without a face is inconclusive (no_face), signed, and every track is stopped', async ({ page }) => {
  expect(cameraCheckProblems(await checkWithCamera(page, origins))).toEqual([]);
});
