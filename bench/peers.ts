/**
 * Peer benchmark: the same LFW frames and pairs through Presenza and through two libraries that
 * ship their models on npm, `@vladmandic/human` and `@vladmandic/face-api`, in one headless
 * Chromium page, each library in its own module worker.
 *
 *   npm run bench:peers -- [--frames N] [--folds 1-8] [--backend wasm|webgl] [--latency-only] [--json]
 *
 * Latency: the whole per-frame path from a decoded frame to a descriptor (Presenza: landmarks,
 * quality, alignment and the shipped embedding; peers: detection, landmarks, descriptor), timed
 * inside each worker, over the first N distinct LFW images, in blocks of frames that rotate the
 * library order so load changes hit all of them alike. Accuracy: LFW folds 1–8 (or the `--folds`
 * range) with the k-fold protocol of bench/lib/metrics.ts; an image without a face makes its
 * pairs errors. Descriptors are cached in bench/.cache. Results: bench/results/peers.json
 * (peers-webgl.json with `--backend webgl`; a `-latency` suffix with --latency-only, so the last
 * full run keeps its accuracy figures). Presenza's per-frame time is given with the enrollment
 * embedding (mirror fusion, 2 runs) and with a check frame's (one run). Timings depend on the machine's load: the 1-minute
 * load average is recorded with them.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'vite';
import { FACES, ROOT } from '../tools/paths.js';
import { cosineSimilarity } from '../workers/stages/compareTemplates.js';
import { DEFAULT_EMBEDDING_OPTIONS } from '../workers/stages/embedFace.js';
import { startBrowserPipeline, imageUrl, type BrowserPipeline } from '../tools/browserPipeline.js';
import { describeAll, fromBase64, percentile, PLAIN_VIEW_OPTIONS, readJsonLines, toBase64, variantName } from './lib/embeddingCache.js';
import { summarize, type ScoredPair, type Summary } from './lib/metrics.js';
import type { PeerInit, PeerName, PeerRuntime } from './peers/api.js';
import type { DescribedByPeer } from './peers/page.js';

declare global {
  interface Window {
    PresenzaPeers: typeof import('./peers/page.js');
  }
}

interface Pair {
  readonly a: string;
  readonly b: string;
  readonly same: boolean;
  readonly fold: number;
}

/** A peer's cached result for one image. */
interface PeerImage {
  readonly file: string;
  readonly faces: number;
  readonly ms: number;
  /** Base64 Float32 descriptor, null when no face was found. */
  readonly descriptor: string | null;
}

type Library = 'presenza' | PeerName;
type LibraryAccuracy = Summary & {
  images_without_face: number;
  pairs_scored_by_all: Pick<Summary, 'pairs' | 'accuracy' | 'accuracy_std' | 'tar_at_far_1e3' | 'auc'>;
};

const PEERS: readonly PeerName[] = ['human', 'face-api'];
const PEER_PACKAGES: Record<PeerName, string> = { human: '@vladmandic/human', 'face-api': '@vladmandic/face-api' };
const PEER_MODELS: Record<PeerName, string> = {
  human: 'node_modules/@vladmandic/human/models',
  'face-api': 'node_modules/@vladmandic/face-api/model',
};
const WORKER_ENTRIES: Record<PeerName, string> = { human: 'bench/peers/humanWorker.ts', 'face-api': 'bench/peers/faceApiWorker.ts' };
const PEER_SOURCES = ['bench/peers/api.ts', 'bench/peers/tfjs.ts', 'bench/peers/page.ts'];
const BUILD = join(ROOT, 'bench', '.cache', 'peers-build');
const BATCH = 40;
const BLOCK = 10;
const WARM_UP = 5;

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '120' },
    backend: { type: 'string', default: 'wasm' },
    folds: { type: 'string', default: '1-8' },
    'latency-only': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const FRAMES = Number(values.frames);
if (values.backend !== 'wasm' && values.backend !== 'webgl') throw new TypeError('--backend must be wasm or webgl');
const backend: PeerInit['backend'] = values.backend;
if (!(FRAMES >= BLOCK)) throw new TypeError(`--frames must be a number >= ${BLOCK}`);
const foldRange = /^(\d+)-(\d+)$/.exec(values.folds);
if (!foldRange || Number(foldRange[1]) >= Number(foldRange[2])) throw new TypeError('--folds must be a range of at least 2 folds, e.g. 1-8');
const FOLDS = { first: Number(foldRange[1]), last: Number(foldRange[2]) };

const packageVersion = (name: string) =>
  (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
const stats = (xs: readonly number[]) => ({
  p50: Number(percentile(xs, 0.5).toFixed(2)),
  p95: Number(percentile(xs, 0.95).toFixed(2)),
  n: xs.length,
});
const euclidean = (a: Float32Array, b: Float32Array) => {
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) sum += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(sum);
};

/** Bundles the page script and the two peer workers (each with the TensorFlow.js its library bundles). */
async function buildBundles(): Promise<void> {
  const bundle = (entry: string, format: 'es' | 'iife', fileName: string) =>
    build({
      root: ROOT,
      configFile: false,
      logLevel: 'warn',
      build: {
        outDir: BUILD,
        emptyOutDir: false,
        minify: false,
        target: 'es2022',
        copyPublicDir: false,
        lib: { entry, formats: [format], fileName: () => fileName, name: 'PresenzaPeers' },
      },
    });
  await bundle('bench/peers/page.ts', 'iife', 'page.iife.js');
  for (const peer of PEERS) await bundle(WORKER_ENTRIES[peer], 'es', `${peer}.worker.js`);
}

/** The cache file of a peer: keyed by its sources, library version and backend. */
function peerCacheFile(peer: PeerName): string {
  const hash = createHash('sha256').update(`${packageVersion(PEER_PACKAGES[peer])}/${backend}`);
  for (const source of [WORKER_ENTRIES[peer], ...PEER_SOURCES]) hash.update(readFileSync(join(ROOT, source)));
  const dir = join(ROOT, 'bench', '.cache', 'peers');
  mkdirSync(dir, { recursive: true });
  return join(dir, `${peer}-${hash.digest('hex').slice(0, 12)}.jsonl`);
}

function readPeerCache(file: string): Map<string, PeerImage> {
  return new Map(readJsonLines<PeerImage>(file).map((entry) => [entry.file, entry]));
}

const describePeer = (pipeline: BrowserPipeline, peer: PeerName, files: readonly string[]): Promise<DescribedByPeer[]> =>
  pipeline.page.evaluate(({ peer, urls }) => window.PresenzaPeers.describe(peer, urls), { peer, urls: files.map(imageUrl) });

/**
 * Per-frame milliseconds of Presenza's whole path with the enrollment embedding (mirror fusion) and
 * with a check frame's (one run), and the parts, or null without a face.
 */
async function presenzaFrames(pipeline: BrowserPipeline, files: readonly string[]) {
  const described = await pipeline.describe(files, [DEFAULT_EMBEDDING_OPTIONS, PLAIN_VIEW_OPTIONS]);
  return described.map((d) => {
    if (d.faces === 0) return null;
    const [fusedMs, oneViewMs] = d.timings.embedMs as [number, number];
    const landmarksAlignMs = d.timings.landmarksAndAlignMs;
    return { ms: landmarksAlignMs + fusedMs, checkFrameMs: landmarksAlignMs + oneViewMs, landmarksAlignMs, embedMs: fusedMs, oneViewMs };
  });
}

/** Latency over the first FRAMES images: blocks of BLOCK frames, the library order rotating per block. */
async function latency(pipeline: BrowserPipeline, files: readonly string[]) {
  const libraries: Library[] = ['presenza', ...PEERS];
  const presenzaParts: { landmarksAlignMs: number; embedMs: number; oneViewMs: number }[] = [];
  const checkFrames: (number | null)[] = [];
  const run = async (library: Library, frames: readonly string[]) => {
    if (library !== 'presenza') return (await describePeer(pipeline, library, frames)).map((d) => (d.faces > 0 ? d.ms : null));
    const described = await presenzaFrames(pipeline, frames);
    presenzaParts.push(...described.filter((d) => d !== null));
    checkFrames.push(...described.map((d) => d?.checkFrameMs ?? null));
    return described.map((d) => d?.ms ?? null);
  };
  for (const library of libraries) await run(library, files.slice(0, WARM_UP));
  presenzaParts.length = 0;
  checkFrames.length = 0;
  const times: Record<Library, (number | null)[]> = { presenza: [], human: [], 'face-api': [] };
  const load: number[] = [];
  for (let start = 0, block = 0; start < files.length; start += BLOCK, block += 1) {
    const frames = files.slice(start, start + BLOCK);
    for (let k = 0; k < libraries.length; k += 1) {
      const library = libraries[(block + k) % libraries.length]!;
      times[library].push(...(await run(library, frames)));
    }
    load.push(loadavg()[0]!);
  }
  const everyoneFound = files.map((_, i) => libraries.every((library) => times[library][i] !== null));
  const perLibrary = Object.fromEntries(
    libraries.map((library) => [library, stats(times[library].filter((_, i) => everyoneFound[i]) as number[])]),
  ) as Record<Library, ReturnType<typeof stats>>;
  return {
    frames: files.length,
    frames_all_found: everyoneFound.filter(Boolean).length,
    per_library: perLibrary,
    presenza_check_frame: stats(checkFrames.filter((_, i) => everyoneFound[i]) as number[]),
    presenza_parts: {
      landmarks_quality_align_ms: stats(presenzaParts.map((p) => p.landmarksAlignMs)),
      embedding_mirror_fused_ms: stats(presenzaParts.map((p) => p.embedMs)),
      embedding_one_view_ms: stats(presenzaParts.map((p) => p.oneViewMs)),
    },
    load_average_1m: stats(load),
  };
}

/** Describes the images a peer has not cached yet and returns its cache. */
async function describeWithPeer(pipeline: BrowserPipeline, peer: PeerName, files: readonly string[]): Promise<Map<string, PeerImage>> {
  const file = peerCacheFile(peer);
  const cached = readPeerCache(file);
  const todo = files.filter((f) => !cached.has(f));
  if (todo.length > 0) console.error(`${peer}: describing ${todo.length} images (${files.length - todo.length} cached)…`);
  for (let i = 0; i < todo.length; i += BATCH) {
    const batch = todo.slice(i, i + BATCH);
    const described = await describePeer(pipeline, peer, batch);
    const lines = described.map((d, k) =>
      JSON.stringify({ file: batch[k]!, faces: d.faces, ms: d.ms, descriptor: d.descriptor ? toBase64(d.descriptor) : null } satisfies PeerImage),
    );
    appendFileSync(file, lines.join('\n') + '\n');
    if ((i / BATCH) % 10 === 0) console.error(`  ${Math.min(i + BATCH, todo.length)}/${todo.length}`);
  }
  return readPeerCache(file);
}

/**
 * Scores pairs from base64 descriptors (null: no face): Presenza by cosine similarity, the peers
 * by negated Euclidean distance, the metric both document.
 */
function score(pairs: readonly Pair[], descriptor: (file: string) => string | null, similarity: (a: Float32Array, b: Float32Array) => number): ScoredPair[] {
  return pairs.map((p) => {
    const a = descriptor(p.a);
    const b = descriptor(p.b);
    return { score: a && b ? similarity(fromBase64(a), fromBase64(b)) : null, same: p.same, fold: p.fold };
  });
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;

/** In one Chromium page: starts the peers, measures latency, then describes every image with each peer. */
async function runBrowser(root: string, files: readonly string[]) {
  const frames = files.slice(0, FRAMES);
  await buildBundles();
  const pipeline = await startBrowserPipeline({
    imageRoot: root,
    mounts: {
      '/peers/build/': BUILD,
      '/peers/models/human/': join(ROOT, PEER_MODELS.human),
      '/peers/models/face-api/': join(ROOT, PEER_MODELS['face-api']),
      '/peers/tfjs-wasm/': join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist'),
    },
    scripts: ['/peers/build/page.iife.js'],
  });
  try {
    const runtimes = {} as Record<PeerName, PeerRuntime>;
    for (const peer of PEERS) {
      const init: PeerInit = { backend, threads: pipeline.runtime.threads, assetsBaseUrl: `${pipeline.origin}/peers/` };
      runtimes[peer] = await pipeline.page.evaluate(
        ({ peer, url, init }) => window.PresenzaPeers.start(peer, url, init),
        { peer, url: `${pipeline.origin}/peers/build/${peer}.worker.js`, init },
      );
      console.error(`${peer}: ${JSON.stringify({ ...runtimes[peer], options: undefined })}`);
    }
    console.error(`latency over ${frames.length} frames…`);
    const timing = await latency(pipeline, frames);

    // The two peers describe concurrently (each in its own worker): their timings are not used here.
    const peerCaches = values['latency-only'] ? null : await Promise.all(PEERS.map((peer) => describeWithPeer(pipeline, peer, files)));
    return { runtimes, timing, peerCaches, threads: pipeline.runtime.threads };
  } finally {
    await pipeline.close();
  }
}

/**
 * Accuracy of every library on the pairs, and again on the pairs that every library could score
 * (both faces found by all), which separates recognition from detection. Presenza's descriptions
 * come from (and go to) bench:accuracy's cache.
 */
async function measureAccuracy(root: string, pairs: readonly Pair[], files: readonly string[], peerCaches: readonly Map<string, PeerImage>[]) {
  const presenzaCache = await describeAll(root, files, [DEFAULT_EMBEDDING_OPTIONS]);
  const shipped = variantName(DEFAULT_EMBEDDING_OPTIONS);
  const libraries: { library: Library; scored: ScoredPair[]; withoutFace: number }[] = [
    {
      library: 'presenza',
      scored: score(pairs, (f) => presenzaCache.get(f)!.embeddings[shipped] ?? null, cosineSimilarity),
      withoutFace: files.filter((f) => presenzaCache.get(f)!.faces === 0).length,
    },
    ...PEERS.map((peer, i) => ({
      library: peer,
      scored: score(pairs, (f) => peerCaches[i]!.get(f)!.descriptor, (a, b) => -euclidean(a, b)),
      withoutFace: files.filter((f) => peerCaches[i]!.get(f)!.faces === 0).length,
    })),
  ];
  const scoredByAll = pairs.map((_, k) => libraries.every(({ scored }) => scored[k]!.score !== null));
  const common = scoredByAll.filter(Boolean).length;
  return Object.fromEntries(
    libraries.map(({ library, scored, withoutFace }) => {
      const onCommon = summarize(scored.filter((_, k) => scoredByAll[k]));
      return [
        library,
        {
          ...summarize(scored),
          images_without_face: withoutFace,
          pairs_scored_by_all: { pairs: common, accuracy: onCommon.accuracy, accuracy_std: onCommon.accuracy_std, tar_at_far_1e3: onCommon.tar_at_far_1e3, auc: onCommon.auc },
        },
      ];
    }),
  ) as Record<Library, LibraryAccuracy>;
}

async function main() {
  const loadStart = loadavg();
  const root = join(FACES, 'lfw');
  const pairs = (JSON.parse(readFileSync(join(root, 'pairs.json'), 'utf8')) as Pair[]).filter((p) => p.fold >= FOLDS.first && p.fold <= FOLDS.last);
  const files = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];
  const { runtimes, timing, peerCaches, threads } = await runBrowser(root, files);
  const accuracy = peerCaches && (await measureAccuracy(root, pairs, files, peerCaches));
  report({ runtimes, threads, timing, accuracy, images: files.length, loadStart });
}

function report(r: {
  runtimes: Record<PeerName, PeerRuntime>;
  /** WASM threads of Presenza, also requested from the peers. */
  threads: number;
  timing: Awaited<ReturnType<typeof latency>>;
  accuracy: Record<Library, LibraryAccuracy> | null;
  images: number;
  loadStart: number[];
}) {
  const libraries: Library[] = ['presenza', ...PEERS];
  const t = r.timing.per_library;
  const ratios = Object.fromEntries(
    PEERS.map((peer) => [
      peer,
      {
        latency_p50: Number((t.presenza.p50 / t[peer].p50).toFixed(3)),
        latency_p95: Number((t.presenza.p95 / t[peer].p95).toFixed(3)),
        check_frame_latency_p50: Number((r.timing.presenza_check_frame.p50 / t[peer].p50).toFixed(3)),
        check_frame_latency_p95: Number((r.timing.presenza_check_frame.p95 / t[peer].p95).toFixed(3)),
        ...(r.accuracy
          ? {
              accuracy_points: Number((100 * (r.accuracy.presenza.accuracy - r.accuracy[peer].accuracy)).toFixed(2)),
              error_rate: Number(((1 - r.accuracy.presenza.accuracy) / (1 - r.accuracy[peer].accuracy)).toFixed(3)),
            }
          : {}),
      },
    ]),
  );
  console.log(`\nper frame (ms, p50 / p95) over ${r.timing.frames_all_found} of ${r.timing.frames} LFW frames where every library found a face; ` +
    `1-min load average during it: median ${r.timing.load_average_1m.p50}, p95 ${r.timing.load_average_1m.p95}`);
  if (r.accuracy) console.log(`accuracy: LFW folds ${FOLDS.first}–${FOLDS.last}, ${r.accuracy.presenza.pairs} pairs, ${r.images} images, k-fold threshold\n`);
  console.log('library     per frame p50 / p95   accuracy          TAR@1e-3   AUC      EER      no-face images  no-face pairs');
  for (const library of libraries) {
    const a = r.accuracy?.[library];
    console.log(
      `${library.padEnd(11)} ${`${t[library].p50} / ${t[library].p95}`.padEnd(21)} ` +
        (a
          ? `${pct(a.accuracy)} ± ${(100 * a.accuracy_std).toFixed(2)}  ${pct(a.tar_at_far_1e3).padEnd(9)}  ${a.auc.toFixed(4)}   ${pct(a.eer).padEnd(7)}  ${String(a.images_without_face).padEnd(15)} ${a.detect_failures}`
          : ''),
    );
  }
  console.log(`presenza, check frame (one embedding run): ${r.timing.presenza_check_frame.p50} / ${r.timing.presenza_check_frame.p95}`);
  if (r.accuracy) {
    const common = (library: Library) => r.accuracy![library].pairs_scored_by_all;
    console.log(`\non the ${common('presenza').pairs} pairs every library scored (both faces found by all): ` +
      libraries.map((l) => `${l} ${pct(common(l).accuracy)} ± ${(100 * common(l).accuracy_std).toFixed(2)}, TAR@1e-3 ${pct(common(l).tar_at_far_1e3)}, AUC ${common(l).auc.toFixed(4)}`).join('; '));
  }
  console.log(`\nPresenza / peer: ${PEERS.map((p) => `${p}: latency p50 ×${ratios[p]!.latency_p50}, p95 ×${ratios[p]!.latency_p95}` +
    (r.accuracy ? `, accuracy ${ratios[p]!.accuracy_points! >= 0 ? '+' : ''}${ratios[p]!.accuracy_points} points, error rate ×${ratios[p]!.error_rate}` : '')).join('; ')}`);
  for (const peer of PEERS) {
    const rt = r.runtimes[peer];
    console.log(`${peer}: ${rt.library} ${rt.version}, tfjs ${rt.tfjs} on ${rt.backend}` +
      `${rt.wasm ? ` (SIMD ${rt.wasm.simd}, ${r.threads} threads requested, ${rt.wasm.threads} running)` : ''}`);
  }
  const record = {
    date: new Date().toISOString(),
    load_average_1m: { start: Number(r.loadStart[0]!.toFixed(2)), end: Number(loadavg()[0]!.toFixed(2)), during_latency: r.timing.load_average_1m },
    backend,
    presenza: {
      variant: variantName(DEFAULT_EMBEDDING_OPTIONS),
      wasm_threads: r.threads,
      per_frame: 'landmarks + quality + align + embedding (2 runs: mirror fusion, as for an enrollment frame)',
      check_frame: 'landmarks + quality + align + embedding (1 run: one view, as for a check frame)',
    },
    peer_wasm_threads_requested: r.threads,
    peers: r.runtimes,
    latency: r.timing,
    accuracy: r.accuracy && { protocol: `LFW View 2 folds ${FOLDS.first}-${FOLDS.last}, threshold chosen on the other folds`, images: r.images, ...r.accuracy },
    ratios_presenza_over_peer: ratios,
  };
  // A latency-only run keeps the last full run's accuracy figures in peers.json.
  const out = join(ROOT, 'bench', 'results', `peers${backend === 'wasm' ? '' : `-${backend}`}${r.accuracy ? '' : '-latency'}.json`);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(out, JSON.stringify(record, null, 1) + '\n');
  console.log(`saved ${out}`);
  if (values.json) console.log(JSON.stringify(record));
}

await main();
