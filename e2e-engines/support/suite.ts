/**
 * The Firefox and WebKit suites: the same scenarios as the Chromium specs (e2e/support/scenarios.ts),
 * with the SDK loaded from another origin, in an engine configured to run the face check, plus the
 * engine's stock configuration where it cannot (no WebGL in workers).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosineSimilarity, DEFAULT_MATCH_THRESHOLD } from '../../workers/stages/compareTemplates.js';
import { startOrigins, type Origins } from '../../tools/origins.js';
import {
  auditVault,
  cameraCheckProblems,
  checkWithCamera,
  describeImages,
  enrollPassFail,
  enrollPassFailProblems,
  PERSON_A,
  PERSON_B,
  unsupportedFlow,
  vaultViolations,
} from '../../e2e/support/scenarios.js';
import type { ScriptedPage } from '../../tools/scriptedPage.js';
import { DAY, enroll, openSdk } from '../../e2e/support/sdkPage.js';
import { createChallenge } from '../../src/server/challenge.js';
import { stats } from '../../tools/samples.js';

/** A started browser. */
export interface EngineBrowser {
  readonly version: string;
  /** A page to drive (a fresh one where the driver has tabs). */
  page(): Promise<ScriptedPage>;
  close(): Promise<void>;
}

/** One engine under test. */
export interface Engine {
  readonly name: string;
  /** The engine set up so the face check can run (WebGL in workers), with its fake camera if it has one. */
  start(): Promise<EngineBrowser>;
  /** The engine as it ships where the face check cannot run (no WebGL in workers). */
  startWithoutWebgl(): Promise<EngineBrowser>;
  /** WASM threads the engine can give ONNX Runtime on a cross-origin-isolated page. */
  readonly threads: number;
  /** Whether the engine has a fake camera to drive the camera path with. */
  readonly camera: boolean;
}

/** More LFW photos, for a median of the embedding time. */
const TIMING_PHOTOS = ['lfw/Aaron_Eckhart/Aaron_Eckhart_0001.jpg', 'lfw/Aaron_Sorkin/Aaron_Sorkin_0001.jpg', 'lfw/Abdullah/Abdullah_0001.jpg'];

/** Registers the engine's tests. */
export function engineSuite(engine: Engine): void {
  describe(`${engine.name}, able to run the face check`, () => {
    let origins: Origins;
    let browser: EngineBrowser;
    beforeAll(async () => {
      origins = await startOrigins();
      browser = await engine.start();
      console.info(`${engine.name}: ${browser.version}`);
    });
    afterAll(async () => {
      await browser?.close();
      await origins?.close();
    });

    it('loads the script-tag SDK from another origin; WebGPU, not exposed in its workers, falls back to WASM with the reason', async () => {
      const page = await browser.page();
      await page.goto(`${origins.site.origin}/sdk.html`);
      const runtime = await page.evaluate(async () => {
        const presenza = await window.Presenza.create({ backend: 'webgpu' });
        await presenza.close();
        return presenza.runtime;
      }, undefined);
      expect(runtime).toMatchObject({ backend: 'wasm', requestedBackend: 'webgpu', threads: engine.threads, crossOriginIsolated: true });
      expect(runtime.fallbackReason).toMatch(/WebGPU|gpu/i);
      expect(runtime.models).toHaveLength(3);
    });

    it('scores one person above the shipped threshold and two people below it', async () => {
      const images = await describeImages(await browser.page(), origins, [...PERSON_A, PERSON_B, ...TIMING_PHOTOS]);
      for (const image of images) expect(image.embeddings[0]).toHaveLength(512);
      const [a1, a2, b] = images.map((image) => image.embeddings[0]!);
      expect(cosineSimilarity(a1!, a2!)).toBeGreaterThanOrEqual(DEFAULT_MATCH_THRESHOLD);
      expect(cosineSimilarity(a1!, b!)).toBeLessThan(DEFAULT_MATCH_THRESHOLD);
      const embedMs = images.map((image) => image.timings.embedMs[0]!);
      console.info(`${engine.name}: median embedding (mirror fusion) ${stats(embedMs).p50} ms over ${embedMs.length} photos`);
    });

    it('enrolls and checks from injected frames; presenza/server verifies every assertion and refuses a replay', async () => {
      expect(enrollPassFailProblems(await enrollPassFail(await browser.page(), origins))).toEqual([]);
    });

    it('keeps only ciphertext and non-extractable keys in IndexedDB', async () => {
      const page = await browser.page();
      await openSdk(page, origins);
      await enroll(page, { photo: PERSON_A[0], nonce: createChallenge(), retainUntil: Date.now() + DAY });
      expect(vaultViolations(await auditVault(page))).toEqual([]);
    });

    it.runIf(engine.camera)("checks through the engine's fake camera: inconclusive (no face in the pattern), signed, tracks stopped", async () => {
      expect(cameraCheckProblems(await checkWithCamera(await browser.page(), origins))).toEqual([]);
    });
  });

  describe(`${engine.name} without WebGL in workers`, () => {
    let origins: Origins;
    let browser: EngineBrowser;
    const fetched: string[] = [];
    beforeAll(async () => {
      origins = await startOrigins({ onRequest: (request) => fetched.push(request.url ?? '') });
      browser = await engine.startWithoutWebgl();
    });
    afterAll(async () => {
      await browser?.close();
      await origins?.close();
    });

    it('says so with ERR_UNSUPPORTED_BROWSER before downloading any model, and the UI offers only the alternative', async () => {
      const flow = await unsupportedFlow(await browser.page(), origins);
      expect(flow.error).toMatchObject({ code: 'ERR_UNSUPPORTED_BROWSER', coded: true, message: expect.stringContaining('WebGL in workers') });
      expect(fetched.filter((url) => url.startsWith('/models/'))).toEqual([]);
      expect(flow.state).toBe('error');
      expect(flow.offered).toEqual(['alternative']);
      expect(flow.outcome).toEqual({ outcome: 'alternative' });
      console.info(`${engine.name} without WebGL in workers: create() rejected after ${flow.createMs.toFixed(0)} ms`);
    });
  });
}
