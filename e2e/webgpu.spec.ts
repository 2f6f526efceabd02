/**
 * The WebGPU path for real, on the software adapter (SwiftShader) that Chromium exposes with
 * `--enable-unsafe-webgpu`: the embedding runs on WebGPU and agrees with WASM, a check on WebGPU
 * passes against an enrollment and is verified, and a WebGPU path that fails to start falls back
 * to WASM with the reason. Timings here mean nothing: there is no GPU.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { createChallenge } from '../src/server/challenge.js';
import { MemoryNonceStore, verifyCheck, verifyEnrollment } from '../src/server/index.js';
import { CHROMIUM, CHROMIUM_ARGS, WEBGPU_ARG } from '../tools/chromium.js';
import { startOrigins, type Origins } from '../tools/origins.js';
import { DIST } from '../tools/paths.js';
import { serveStatic } from '../tools/staticServer.js';
import { publishedAssetName } from '../workers/runtime/assets.js';
import { ORT_BUILDS } from '../workers/runtime/onnx.js';
import { cosineSimilarity, DEFAULT_MATCH_THRESHOLD } from '../workers/stages/compareTemplates.js';
import { DEFAULT_EMBEDDING_OPTIONS } from '../workers/stages/embedFace.js';
import { describeImages, PERSON_A, PERSON_B } from './support/scenarios.js';
import { AUDIENCE, check, DAY, enroll, openSdk, type Globals } from './support/sdkPage.js';

test.use({ launchOptions: { executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, WEBGPU_ARG] } });

/**
 * The software adapter is very slow (several seconds per model run on this 2-core machine), so
 * these tests use few photos and frames, and long time limits.
 */
const SLOW_GPU_TIMEOUT_MS = 600_000;

/** Two LFW photos of different people (the same person's pair is the end-to-end check below). */
const [A1, A2] = PERSON_A;
const B = PERSON_B;

let origins: Origins;
test.beforeAll(async () => {
  origins = await startOrigins();
});
test.afterAll(async () => origins.close());

test('the embedding runs on WebGPU and agrees with WASM: cosine ≥ 0.999 per photo, the same decisions', async ({ page }) => {
  test.setTimeout(SLOW_GPU_TIMEOUT_MS);
  const files = [A1, B];
  const variant = { ...DEFAULT_EMBEDDING_OPTIONS, fuseMirror: false };
  const onGpu = await describeImages(page, origins, files, { backend: 'webgpu', variant });
  const onCpu = await describeImages(page, origins, files, { backend: 'wasm', variant });
  const embedding = (described: typeof onGpu, file: string) => described[files.indexOf(file)]!.embeddings[0]!;
  for (const file of files) {
    expect(embedding(onGpu, file), file).toHaveLength(512);
    expect(cosineSimilarity(embedding(onGpu, file), embedding(onCpu, file)), file).toBeGreaterThanOrEqual(0.999);
  }
  const onBoth = [onGpu, onCpu].map((d) => cosineSimilarity(embedding(d, A1), embedding(d, B)) >= DEFAULT_MATCH_THRESHOLD);
  expect(onBoth, 'two different people').toEqual([false, false]);
});

// The enrollment runs on WASM (five good frames would take minutes on the software adapter); the
// check's frames run on WebGPU, so its pass is the same-person decision of the WebGPU path.
test('a check on WebGPU passes against the enrollment and is verified by presenza/server', async ({ page }) => {
  test.setTimeout(SLOW_GPU_TIMEOUT_MS);
  const timeoutMs = SLOW_GPU_TIMEOUT_MS / 3;
  // The SDK's clock stands still at this time, and the verifier is told the same time: on the slow
  // software adapter the capture takes minutes, longer than an assertion lives.
  const clockMs = Date.now();
  await openSdk(page, origins, clockMs, 'wasm');
  const enrollNonce = createChallenge();
  const { assertion } = await enroll(page, { photo: A1, nonce: enrollNonce, retainUntil: Date.now() + 30 * DAY, timeoutMs });
  const { publicJwk } = await verifyEnrollment(assertion, { audience: AUDIENCE, expectedNonce: enrollNonce, now: clockMs });
  await openSdk(page, origins, clockMs, 'webgpu');
  expect(await page.evaluate(() => (window as unknown as Globals).sdk.runtime.backend)).toBe('webgpu');
  const checkNonce = createChallenge();
  const result = await check(page, { photo: A2, nonce: checkNonce, checkId: 'check-gpu', timeoutMs });
  expect(result.outcome).toBe('pass');
  const verified = await verifyCheck(result.assertion ?? '', {
    audience: AUDIENCE,
    publicJwk,
    expectedNonce: checkNonce,
    checkId: 'check-gpu',
    nonceStore: new MemoryNonceStore(),
    now: clockMs,
  });
  expect(verified.outcome).toBe('pass');
});

test('a WebGPU build that fails to start falls back to WASM and says why', async ({ page }) => {
  const file = ORT_BUILDS['webgpu-jspi'].binary;
  const corrupted = Uint8Array.from(readFileSync(join(DIST, 'models', publishedAssetName(file))));
  corrupted[corrupted.length >> 1]! ^= 0xff;
  const tampered = await serveStatic({ mounts: { '/': DIST }, files: { [`/models/${publishedAssetName(file)}`]: corrupted }, cors: true, isolated: true });
  try {
    await page.goto(`${origins.site.origin}/sdk.html`);
    const runtime = await page.evaluate(async (base) => {
      const presenza = await window.Presenza.create({ assetsBaseUrl: base, backend: 'webgpu' });
      await presenza.close();
      return presenza.runtime;
    }, `${tampered.origin}/`);
    expect(runtime).toMatchObject({ requestedBackend: 'webgpu', backend: 'wasm' });
    expect(runtime.fallbackReason).toMatch(/WebGPU path failed/);
    expect(runtime.fallbackReason).toContain(file);
  } finally {
    await tampered.close();
  }
});
