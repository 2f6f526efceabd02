/**
 * The face pipeline in a real Chromium: the SDK and its assets are served from one origin, the
 * page from another, as when a platform loads Presenza from a CDN.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { cosineSimilarity, DEFAULT_MATCH_THRESHOLD } from '../workers/stages/compareTemplates.js';
import { startOrigins, type Origins } from '../tools/origins.js';
import { describeImages, PERSON_A, PERSON_B } from './support/scenarios.js';
import { DIST } from '../tools/paths.js';
import { serveStatic, type StaticServer } from '../tools/staticServer.js';
import { publishedAssetName } from '../workers/runtime/assets.js';

let origins: Origins;
let plain: Origins;
let cdn: StaticServer;
let site: StaticServer;

test.beforeAll(async () => {
  origins = await startOrigins();
  plain = await startOrigins({ isolated: false });
  ({ cdn, site } = origins);
});

test.afterAll(async () => {
  await Promise.all([origins.close(), plain.close()]);
});

test('scores one LFW person above the shipped threshold and two people below it, loaded from another origin', async ({ page }) => {
  const [a1, a2, b] = await describeImages(page, origins, [...PERSON_A, PERSON_B]);
  for (const image of [a1, a2, b]) expect(image!.embeddings[0]).toHaveLength(512);
  const same = cosineSimilarity(a1!.embeddings[0]!, a2!.embeddings[0]!);
  const different = cosineSimilarity(a1!.embeddings[0]!, b!.embeddings[0]!);
  expect(same).toBeGreaterThanOrEqual(DEFAULT_MATCH_THRESHOLD);
  expect(different).toBeLessThan(DEFAULT_MATCH_THRESHOLD);
});

test('the script-tag build works from another origin: threads, no_face, multiple_faces, a good face', async ({ page }) => {
  await page.goto(`${site.origin}/sdk.html`);
  const result = await page.evaluate(async () => {
    const presenza = await window.Presenza.create();
    const noFace = document.createElement('canvas');
    noFace.width = 320;
    noFace.height = 240;
    const g = noFace.getContext('2d')!;
    const sky = g.createLinearGradient(0, 0, 0, 240);
    sky.addColorStop(0, '#7aa6d8');
    sky.addColorStop(1, '#d9c9a3');
    g.fillStyle = sky;
    g.fillRect(0, 0, 320, 240);
    g.fillStyle = '#4b6b3a';
    g.fillRect(0, 170, 320, 70);
    g.fillStyle = '#8a5a3c';
    g.fillRect(200, 90, 60, 80);
    const image = async (url: string) => createImageBitmap(await (await fetch(url)).blob());
    const verdicts = {
      noFace: await presenza.assessFrame(noFace),
      group: await presenza.assessFrame(await image('/faces/face_recognition/_multi_face/two_people.jpg')),
      single: await presenza.assessFrame(await image('/faces/face_recognition/obama/obama.jpg')),
      // LFW: a second person of comparable size beside the subject, and a small face far behind.
      neighbour: await presenza.assessFrame(await image('/faces/lfw/Jimmy_Carter/Jimmy_Carter_0001.jpg')),
      background: await presenza.assessFrame(await image('/faces/lfw/Gordon_Brown/Gordon_Brown_0006.jpg')),
    };
    const runtime = presenza.runtime;
    await presenza.close();
    return { verdicts, runtime };
  });
  expect(result.runtime).toMatchObject({ backend: 'wasm', threads: 2, crossOriginIsolated: true });
  // Landmarks, embedding and anti-spoof models.
  expect(result.runtime.models).toHaveLength(3);
  expect(result.verdicts.noFace).toEqual({ ok: false, issues: ['no_face'], hints: [] });
  expect(result.verdicts.group.issues).toContain('multiple_faces');
  expect(result.verdicts.single.issues).not.toContain('no_face');
  expect(result.verdicts.single.issues).not.toContain('multiple_faces');
  expect(result.verdicts.neighbour.issues).toContain('multiple_faces');
  expect(result.verdicts.background.issues).not.toContain('multiple_faces');
  expect(result.verdicts.background.hints).toEqual(['background_face']);
});

test('VIDEO mode tracks a face across frames; a timestamp that goes back or repeats is still analysed', async ({ page }) => {
  await page.goto(`${site.origin}/sdk.html`);
  const verdicts = await page.evaluate(async () => {
    const presenza = await window.Presenza.create();
    const blob = await (await fetch('/faces/face_recognition/obama/obama.jpg')).blob();
    const out = [];
    for (let i = 0; i < 4; i += 1) {
      out.push(await presenza.assessFrame(await createImageBitmap(blob), { mode: 'video', timestampMs: 1000 + 66 * i }));
    }
    // E.g. frames stamped by two clocks (MediaPipe itself rejects a timestamp that does not increase).
    for (const timestampMs of [500, 500]) out.push(await presenza.assessFrame(await createImageBitmap(blob), { mode: 'video', timestampMs }));
    out.push(await presenza.assessFrame(await createImageBitmap(blob)));
    await presenza.close();
    return out;
  });
  expect(verdicts).toHaveLength(7);
  for (const verdict of verdicts) expect(verdict.issues).not.toContain('no_face');
});

test('without COOP/COEP the worker runs single-threaded and still works', async ({ page }) => {
  await page.goto(`${plain.site.origin}/sdk.html`);
  const runtime = await page.evaluate(async () => {
    const presenza = await window.Presenza.create();
    await presenza.close();
    return presenza.runtime;
  });
  expect(runtime).toMatchObject({ backend: 'wasm', threads: 1, crossOriginIsolated: false });
});

test('webgpu requested on a machine without a GPU falls back to wasm and says why', async ({ page }) => {
  await page.goto(`${site.origin}/sdk.html`);
  const runtime = await page.evaluate(async () => {
    const presenza = await window.Presenza.create({ backend: 'webgpu' });
    await presenza.close();
    return presenza.runtime;
  });
  expect(runtime.requestedBackend).toBe('webgpu');
  expect(runtime.backend).toBe('wasm');
  expect(runtime.fallbackReason).toMatch(/WebGPU|gpu/i);
});

for (const file of ['fr_feature.onnx', 'fr_liveness.onnx', 'face_landmarker.task', 'ort-wasm-simd-threaded.wasm', 'vision_wasm_module_internal.wasm']) {
  test(`a corrupted ${file} is refused with ERR_MODEL_INTEGRITY`, async ({ page }) => {
    const corrupted = Uint8Array.from(readFileSync(join(DIST, 'models', publishedAssetName(file))));
    const middle = corrupted.length >> 1;
    corrupted[middle] = corrupted[middle]! ^ 0xff;
    const tampered = await serveStatic({ mounts: { '/': DIST }, files: { [`/models/${publishedAssetName(file)}`]: corrupted }, cors: true, isolated: true });
    try {
      await page.goto(`${site.origin}/sdk.html`);
      const error = await page.evaluate(
        async ({ base, lazy, photo }) => {
          try {
            const presenza = await window.Presenza.create({ assetsBaseUrl: base });
            // The anti-spoof model is fetched by the first capture that scores passive liveness.
            if (lazy) {
              const frames = async function* () {
                const blob = await (await fetch(photo)).blob();
                for (;;) yield blob;
              };
              await presenza.enroll({ enrollmentId: 'tampered', nonce: 'n'.repeat(43), retainUntil: Date.now() + 86_400_000, liveness: 'passive', camera: { frames } });
            }
            return null;
          } catch (e) {
            return { code: (e as { code?: string }).code, message: String((e as Error).message), coded: window.Presenza.isPresenzaError(e) };
          }
        },
        { base: `${tampered.origin}/`, lazy: file === 'fr_liveness.onnx', photo: `/faces/${PERSON_A[0]}` },
      );
      expect(error).toMatchObject({ code: 'ERR_MODEL_INTEGRITY', coded: true });
      expect(error!.message).toContain(file);
    } finally {
      await tampered.close();
    }
  });
}

test('load progress covers the models create() waits for and both wasm binaries, each up to its full size', async ({ page }) => {
  await page.goto(`${site.origin}/sdk.html`);
  const last = await page.evaluate(async () => {
    const seen: Record<string, { loaded: number; total: number | null }> = {};
    const presenza = await window.Presenza.create({ onProgress: ({ file, loaded, total }) => void (seen[file] = { loaded, total }) });
    await presenza.close();
    return seen;
  });
  // Not the anti-spoof model: the first capture that scores passive liveness fetches it.
  expect(Object.keys(last).sort()).toEqual(['face_landmarker.task', 'fr_feature.onnx', 'ort-wasm-simd-threaded.wasm', 'vision_wasm_module_internal.wasm']);
  for (const [file, { loaded, total }] of Object.entries(last)) {
    expect(total, file).toBeGreaterThan(100_000);
    expect(loaded, file).toBe(total);
  }
});

test('a missing worker script fails fast with ERR_WORKER_START instead of hanging', async ({ page }) => {
  await page.goto(`${site.origin}/sdk.html`);
  const code = await page.evaluate(async (base) => {
    try {
      await window.Presenza.create({ assetsBaseUrl: base });
      return 'created';
    } catch (e) {
      return (e as { code?: string }).code;
    }
  }, `${cdn.origin}/nowhere/`);
  expect(code).toBe('ERR_WORKER_START');
});
