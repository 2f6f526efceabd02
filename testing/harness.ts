/**
 * Page-side harness for tests and benchmarks (built to dist/testing/harness.iife.js, never
 * published). Boots the testing worker through the SDK's own Blob bootstrap and exposes
 * `window.PresenzaHarness` to Playwright.
 */
import * as Comlink from 'comlink';
import type { LivenessInputSpec } from './livenessInputs.js';
import type { EmbeddingOptions } from '../workers/stages/embedFace.js';
import type { FaceWorkerTestingApi, ImageDescription, LivenessProbe } from './worker.js';
import type { FrameTiming, RuntimeReport } from '../src/protocol/capture.js';
import { startWorker } from '../src/sdk/workerClient.js';

/** Plain-JSON image description (embeddings as number arrays) for `page.evaluate`. */
export type DescribedImage = Omit<ImageDescription, 'embeddings'> & { embeddings: (number[] | null)[] };

/** Plain-JSON liveness probe (logits and probabilities as number arrays) for `page.evaluate`. */
export type ProbedLiveness = Omit<LivenessProbe, 'outputs'> & { outputs: { logits: number[]; probabilities: number[] }[] | null };

async function decode(url: string): Promise<ImageBitmap> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return createImageBitmap(await response.blob());
}

/** Starts the testing worker from `assetsBaseUrl` (the dist/ folder, possibly on another origin). */
export async function start(options: { assetsBaseUrl: string; backend?: 'wasm' | 'webgpu'; threads?: number }) {
  const worker = startWorker<FaceWorkerTestingApi>(new URL('testing/presenza-testing-worker.js', options.assetsBaseUrl).href);
  const runtime: RuntimeReport = await worker.call('init', {
    nowMs: Date.now(),
    assetsBaseUrl: options.assetsBaseUrl,
    backend: options.backend ?? 'wasm',
    ...(options.threads ? { threads: options.threads } : {}),
  });
  return {
    runtime,
    async describe(url: string, variants: EmbeddingOptions[], timing?: FrameTiming, timeLiveness = false): Promise<DescribedImage> {
      const frame = await decode(url);
      const result = await worker.call('describeImage', Comlink.transfer(frame, [frame]), variants, timing, timeLiveness);
      return { ...result, embeddings: result.embeddings.map((e) => (e ? Array.from(e) : null)) };
    },
    /** The anti-spoof model's outputs for the selected face of an image, once per candidate input spec. */
    async livenessProbe(url: string, specs: LivenessInputSpec[]): Promise<ProbedLiveness> {
      const frame = await decode(url);
      const result = await worker.call('livenessProbe', Comlink.transfer(frame, [frame]), specs);
      const outputs = result.outputs?.map((o) => ({ logits: Array.from(o.logits), probabilities: Array.from(o.probabilities) })) ?? null;
      return { ...result, outputs };
    },
    /** Check-assertion signatures per second in the worker. */
    measureSigning: (seconds: number) => worker.call('measureSigning', seconds),
    async close() {
      await worker.call('close');
      worker.terminate();
    },
  };
}
