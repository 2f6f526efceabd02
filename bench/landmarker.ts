/**
 * What the landmark stage costs under each MediaPipe option, in a module worker of headless
 * Chromium on this machine: faces tracked (1 vs 3), blendshapes and matrices, IMAGE vs VIDEO mode,
 * a crop around the previous face, the per-call cost on a blank frame, the face detector alone,
 * the first calls after creation (what the warm-up takes off the first capture), and the GPU
 * delegate (software WebGL here). It settles which options the pipeline uses; see README,
 * Performance.
 *
 *   npm run bench:landmarker -- [--only <regexp>] [--json]
 *
 * Results: bench/results/landmarker.json, with the load average of each variant.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../tools/chromium.js';
import { FACES, ROOT } from '../tools/paths.js';
import { serveStatic } from '../tools/staticServer.js';
import { imageUrl } from '../tools/browserPipeline.js';
import { lfwImages, LIVE_CLIP, liveClipFrames, stats } from '../tools/samples.js';

const { values } = parseArgs({ options: { only: { type: 'string' }, json: { type: 'boolean', default: false } } });
const MODELS = join(ROOT, 'dist', 'models');
/** MediaPipe's face detector alone is not a pipeline model: it comes from the models mirror, when there. */
const DETECTOR_MODEL = join(process.env.PRESENZA_MODELS_MIRROR ?? join(ROOT, '..', 'shared', 'models'), 'face_detector.tflite');
/** Frames timed per variant (after 3 untimed ones), and for the slow GPU delegate. */
const FRAMES = 80;
const GPU_FRAMES = 12;

interface TaskOptions {
  readonly mode: 'IMAGE' | 'VIDEO';
  readonly numFaces?: number;
  readonly blendshapes?: boolean;
  readonly delegate?: 'CPU' | 'GPU';
  readonly detectorOnly?: boolean;
  readonly cropScale?: number;
}
interface Variant {
  readonly name: string;
  readonly frames: 'stills' | 'clip' | 'blank';
  readonly options: TaskOptions;
  readonly count?: number;
}

const SHIPPED = { numFaces: 3, blendshapes: true, delegate: 'CPU' } as const;
const VARIANTS: readonly Variant[] = [
  { name: 'stills IMAGE, 3 faces (shipped options)', frames: 'stills', options: { mode: 'IMAGE', ...SHIPPED } },
  { name: 'stills IMAGE, 1 face', frames: 'stills', options: { mode: 'IMAGE', ...SHIPPED, numFaces: 1 } },
  { name: 'stills IMAGE, 3 faces, no blendshapes or matrices', frames: 'stills', options: { mode: 'IMAGE', ...SHIPPED, blendshapes: false } },
  { name: 'clip IMAGE, 3 faces', frames: 'clip', options: { mode: 'IMAGE', ...SHIPPED } },
  { name: 'clip VIDEO, 3 faces (shipped)', frames: 'clip', options: { mode: 'VIDEO', ...SHIPPED } },
  { name: 'clip VIDEO, 1 face (tracking skips the detector)', frames: 'clip', options: { mode: 'VIDEO', ...SHIPPED, numFaces: 1 } },
  { name: 'clip VIDEO, 1 face, no blendshapes or matrices', frames: 'clip', options: { mode: 'VIDEO', ...SHIPPED, numFaces: 1, blendshapes: false } },
  { name: 'clip VIDEO, 1 face, crop 2× the previous face', frames: 'clip', options: { mode: 'VIDEO', ...SHIPPED, numFaces: 1, cropScale: 2 } },
  { name: 'clip IMAGE, 3 faces, crop 2× the previous face', frames: 'clip', options: { mode: 'IMAGE', ...SHIPPED, cropScale: 2 } },
  { name: 'blank 64×64 IMAGE (no face: detector + per-call cost)', frames: 'blank', options: { mode: 'IMAGE', ...SHIPPED } },
  { name: 'face detector task alone, stills', frames: 'stills', options: { mode: 'IMAGE', detectorOnly: true, delegate: 'CPU' } },
  { name: 'face detector task alone, clip', frames: 'clip', options: { mode: 'IMAGE', detectorOnly: true, delegate: 'CPU' } },
  { name: 'clip VIDEO, 3 faces, GPU delegate (software WebGL)', frames: 'clip', options: { mode: 'VIDEO', ...SHIPPED, delegate: 'GPU' }, count: GPU_FRAMES },
];

const clip = liveClipFrames(FRAMES + 3);
const urls = {
  stills: lfwImages(FRAMES + 3).map(imageUrl),
  clip: clip.files.map((file) => `/clip/${file}`),
};
const server = await serveStatic({
  mounts: {
    '/tasks-vision/': join(ROOT, 'node_modules', '@mediapipe', 'tasks-vision'),
    '/models/': MODELS,
    '/detector/': dirname(DETECTOR_MODEL),
    '/images/': FACES,
    '/clip/': clip.dir,
    '/bench/': join(ROOT, 'bench', 'landmarker'),
  },
  pages: { '/landmarker.html': '<!doctype html><title>landmarker bench</title>' },
  isolated: true,
});
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
type Reply = { ok: boolean; error?: string; times?: number[]; faces?: number };
try {
  const page = await browser.newPage();
  await page.goto(`${server.origin}/landmarker.html`);
  /** Posts one message to the page's worker (a fresh one for `create`: MediaPipe loads once per worker). */
  const ask = (message: { kind: string } & Record<string, unknown>) =>
    page.evaluate(async (message: { kind: string }) => {
      const holder = window as unknown as { benchWorker?: Worker };
      if (message.kind === 'create') {
        holder.benchWorker?.terminate();
        holder.benchWorker = new Worker('/bench/worker.mjs', { type: 'module' });
      }
      const worker = holder.benchWorker!;
      return new Promise<Reply>((resolve) => {
        worker.onmessage = (event) => resolve(event.data as Reply);
        worker.onerror = (event) => resolve({ ok: false, error: `worker failed to load: ${event.message}` });
        worker.postMessage(message);
      });
    }, message);
  const results = [];
  for (const variant of VARIANTS) {
    if (values.only && !new RegExp(values.only).test(variant.name)) continue;
    if (variant.options.detectorOnly && !existsSync(DETECTOR_MODEL)) {
      console.log(`${variant.name}: skipped, ${DETECTOR_MODEL} is missing`);
      continue;
    }
    const created = await ask({ kind: 'create', options: variant.options });
    if (!created.ok) throw new Error(`${variant.name}: ${created.error}`);
    const count = variant.count ?? FRAMES;
    const frameUrls = variant.frames === 'blank' ? urls.stills : urls[variant.frames];
    const blankSize = variant.frames === 'blank' ? 64 : 0;
    const first = await ask({ kind: 'time', urls: frameUrls.slice(0, 3), blankSize });
    const timed = await ask({ kind: 'time', urls: frameUrls.slice(3, 3 + count), blankSize });
    if (!first.ok || !timed.ok) throw new Error(`${variant.name}: ${first.error ?? timed.error}`);
    const result = {
      name: variant.name,
      options: variant.options,
      ms: stats(timed.times!),
      first_calls_ms: first.times!.map((t) => Math.round(t)),
      faces: timed.faces,
      load_average_1m: Number(loadavg()[0]!.toFixed(2)),
    };
    results.push(result);
    console.log(`${variant.name.padEnd(58)} p50 ${result.ms.p50} ms, p95 ${result.ms.p95} ms (n ${result.ms.n}, faces ${result.faces}); first calls ${result.first_calls_ms.join(' / ')} ms; load ${result.load_average_1m}`);
  }
  const record = { date: new Date().toISOString(), frames: FRAMES, clip: LIVE_CLIP, results };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  if (!values.only) writeFileSync(join(ROOT, 'bench', 'results', 'landmarker.json'), JSON.stringify(record, null, 1) + '\n');
  if (values.json) console.log(JSON.stringify(record));
} finally {
  await browser.close();
  await server.close();
  rmSync(clip.dir, { recursive: true, force: true });
}
