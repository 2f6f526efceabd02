/**
 * Runs the real face worker in headless Chromium for Node scripts (benchmarks, `npm run try`):
 * serves dist/ and an image folder on loopback, opens the testing harness and describes images.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import type { LivenessInputSpec } from '../testing/livenessInputs.js';
import type { EmbeddingOptions } from '../workers/stages/embedFace.js';
import type { DescribedImage, ProbedLiveness } from '../testing/harness.js';
import { CHROMIUM, CHROMIUM_ARGS, WEBGPU_ARG } from './chromium.js';
import { DIST } from './paths.js';
import { serveStatic, type StaticServer } from './staticServer.js';
import type { OnnxBackend, RuntimeReport } from '../src/protocol/capture.js';

/** The page's global where the started harness is kept between evaluations. */
type HarnessWindow = { harness: Awaited<ReturnType<typeof window.PresenzaHarness.start>> };

/** The page's URL of an image given by its path relative to the image root. */
export const imageUrl = (file: string) => `/images/${file.split('/').map(encodeURIComponent).join('/')}`;

/** A running browser pipeline. */
export interface BrowserPipeline {
  readonly runtime: RuntimeReport;
  /** The page the harness runs in, for scripts loaded next to it (`scripts`). */
  readonly page: Page;
  /** The page's origin. */
  readonly origin: string;
  /** Describes images given by paths relative to the image root, in order. */
  /** With `video`, the images are frames of one stream (VIDEO mode: the landmarker tracks between them). */
  /** With `liveness`, the passive anti-spoof score is timed too. */
  describe(files: readonly string[], variants: readonly EmbeddingOptions[], options?: { video?: boolean; liveness?: boolean }): Promise<DescribedImage[]>;
  /** Runs the anti-spoof model on the selected face of each image (paths relative to the image root) with each spec. */
  livenessProbe(files: readonly string[], specs: readonly LivenessInputSpec[]): Promise<ProbedLiveness[]>;
  /** Signs check assertions in the worker for `seconds`. */
  signing(seconds: number): Promise<{ signatures: number; seconds: number }>;
  close(): Promise<void>;
}

/** Options of {@link startBrowserPipeline}. */
export interface BrowserPipelineOptions {
  readonly imageRoot: string;
  readonly threads?: number;
  /** The embedding backend; `webgpu` starts Chromium with its (software, here) WebGPU adapter. */
  readonly backend?: OnnxBackend;
  readonly isolated?: boolean;
  /** More folders to serve: URL prefix → directory. */
  readonly mounts?: Readonly<Record<string, string>>;
  /** More classic scripts for the page, by URL path, loaded after the harness. */
  readonly scripts?: readonly string[];
}

/** Starts Chromium on a cross-origin-isolated page (2 WASM threads unless `threads` says otherwise). */
export async function startBrowserPipeline(options: BrowserPipelineOptions): Promise<BrowserPipeline> {
  const isolated = options.isolated ?? true;
  const scripts = ['/dist/testing/harness.iife.js', ...(options.scripts ?? [])].map((src) => `<script src="${src}"></script>`);
  const page_ = `<!doctype html><title>bench</title>${scripts.join('')}`;
  const server: StaticServer = await serveStatic({
    mounts: { ...options.mounts, '/dist/': DIST, '/images/': options.imageRoot },
    pages: { '/bench.html': page_ },
    isolated,
  });
  let browser: Browser | undefined;
  try {
    const args = options.backend === 'webgpu' ? [...CHROMIUM_ARGS, WEBGPU_ARG] : CHROMIUM_ARGS;
    browser = await chromium.launch({ executablePath: CHROMIUM, args, headless: true });
    const page: Page = await browser.newPage();
    await page.goto(`${server.origin}/bench.html`);
    const runtime = await page.evaluate(async ({ base, threads, backend }) => {
      const harness = await window.PresenzaHarness.start({ assetsBaseUrl: base, backend, ...(threads ? { threads } : {}) });
      (window as unknown as HarnessWindow).harness = harness;
      return harness.runtime;
    }, { base: `${server.origin}/dist/`, threads: options.threads, backend: options.backend ?? 'wasm' });
    const opened = browser;
    return {
      runtime,
      page,
      origin: server.origin,
      describe: (files, variants, options) =>
        page.evaluate(async ({ urls, variants, video, liveness }) => {
          const harness = (window as unknown as HarnessWindow).harness;
          const out = [];
          for (const url of urls) {
            out.push(await harness.describe(url, [...variants], video ? { mode: 'video', timestampMs: performance.now() } : undefined, liveness));
          }
          return out;
        }, { urls: files.map(imageUrl), variants, video: options?.video ?? false, liveness: options?.liveness ?? false }),
      livenessProbe: (files, specs) =>
        page.evaluate(async ({ urls, specs }) => {
          const harness = (window as unknown as HarnessWindow).harness;
          const out = [];
          for (const url of urls) out.push(await harness.livenessProbe(url, [...specs]));
          return out;
        }, { urls: files.map(imageUrl), specs }),
      signing: (seconds) =>
        page.evaluate((seconds) => (window as unknown as HarnessWindow).harness.measureSigning(seconds), seconds),
      async close() {
        await opened.close();
        await server.close();
      },
    };
  } catch (error) {
    await browser?.close();
    await server.close();
    throw error;
  }
}
