/**
 * Micro-benchmark of the embedding model alone: variants (ORT session options, model
 * file, single / two runs / batch of 2) in module workers of a cross-origin-isolated headless
 * Chromium page, on 112×112 crops of real LFW photos, fed exactly as workers/embedFace.ts feeds
 * the model. Variants with the same thread count share one worker and run in turn, run by run, so
 * that load from elsewhere on the machine (another engineer's runs) hits all of them alike. Usage:
 *
 *   npx tsx bench/embed-variants.ts --group <name> [--variants a,b,c] [--runs 120] [--rounds 3]
 *                                   [--warmup 15] [--images 24]
 *
 * Each round starts fresh workers (the thread-count groups in alternating order). Wrap timing runs in `flock /tmp/presenza-bench.lock` on a shared machine.
 * Results are merged into bench/results/embed-variants.json under the group's name, with the
 * load average before and after, and each variant's largest output difference from the first
 * variant (1 − cosine similarity) on the first images, so a variant that changes the model's
 * output shows it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { CHROMIUM, CHROMIUM_ARGS } from '../tools/chromium.js';
import { FACES, ROOT } from '../tools/paths.js';
import { serveStatic } from '../tools/staticServer.js';
import { lfwImages, stats } from '../tools/samples.js';
// @ts-expect-error: plain ES module without type declarations (it must run before any build).
import { fetchVerifiedSource } from '../scripts/provision-models.mjs';
import type { VariantReply, VariantSpec, WorkerReply, WorkerRequest } from './embed-variants/worker.js';
import { cosineSimilarity } from '../workers/stages/compareTemplates.js';

/** Models made by bench tooling (not shipped) are served from here as /variants/. */
export const VARIANT_MODELS = join(ROOT, 'bench', '.cache', 'embed-variants', 'models');
const BUNDLE_DIR = join(ROOT, 'bench', '.cache', 'embed-variants', 'bundle');

/** The embedding model as provisioned (what the SDK ships). */
const SHIPPED = '/models/fr_feature.onnx';
/** The published float model it is built from (written by {@link writeSourceModel}). */
const FLOAT = '/variants/fr_feature.source.onnx';

/** Every variant the script knows, by name. */
const VARIANTS: Record<string, Omit<VariantSpec, 'name'>> = {
  // As shipped (workers/runtime/onnx.ts): 2 threads, optimisation 'all', ORT's defaults otherwise.
  base: { threads: 2, model: SHIPPED, mode: 'single' },
  'base-1t': { threads: 1, model: SHIPPED, mode: 'single' },
  'base-fused2': { threads: 2, model: SHIPPED, mode: 'fused2' },
  'base-fused2-1t': { threads: 1, model: SHIPPED, mode: 'fused2' },
  // The published float model (before scripts/onnx-int8.mjs).
  float: { threads: 2, model: FLOAT, mode: 'single' },
  'float-1t': { threads: 1, model: FLOAT, mode: 'single' },
  'float-fused2': { threads: 2, model: FLOAT, mode: 'fused2' },
  'float-fused2-1t': { threads: 1, model: FLOAT, mode: 'fused2' },
  // ORT environment and session options, on the float model.
  'opt-basic': { threads: 2, model: FLOAT, mode: 'single', session: { graphOptimizationLevel: 'basic' } },
  'opt-extended': { threads: 2, model: FLOAT, mode: 'single', session: { graphOptimizationLevel: 'extended' } },
  'opt-disabled': { threads: 2, model: FLOAT, mode: 'single', session: { graphOptimizationLevel: 'disabled' } },
  arena: { threads: 2, model: FLOAT, mode: 'single', session: { enableCpuMemArena: true } },
  mempattern: { threads: 2, model: FLOAT, mode: 'single', session: { enableMemPattern: true } },
  'arena+mempattern': { threads: 2, model: FLOAT, mode: 'single', session: { enableCpuMemArena: true, enableMemPattern: true } },
  parallel: { threads: 2, model: FLOAT, mode: 'single', session: { executionMode: 'parallel' } },
  reuse: { threads: 2, model: FLOAT, mode: 'single', reuseInput: true, preallocOutput: true },
  'reuse-input': { threads: 2, model: FLOAT, mode: 'single', reuseInput: true },
  'no-spin': { threads: 2, model: FLOAT, mode: 'single', session: { extra: { session: { intra_op: { allow_spinning: '0' } } } } },
  'force-spin-stop': { threads: 2, model: FLOAT, mode: 'single', session: { extra: { session: { force_spinning_stop: '1' } } } },
  'no-prepack': { threads: 2, model: FLOAT, mode: 'single', session: { extra: { session: { disable_prepacking: '1' } } } },
  'no-simd': { threads: 2, model: FLOAT, mode: 'single', simd: false },
  // Mirror fusion in one run of a model whose batch dimension was made 2 or symbolic (files made
  // outside this script: the input's and output's first dimension edited, the final Reshape's
  // shape [1, -1] made [-1, 512]).
  batch2: { threads: 2, model: '/variants/fr_feature.batch2.onnx', mode: 'batch2' },
  batchN: { threads: 2, model: '/variants/fr_feature.batchN.onnx', mode: 'batch2' },
  'batch2-1t': { threads: 1, model: '/variants/fr_feature.batch2.onnx', mode: 'batch2' },
};

/**
 * Any other `/variants/<file>.onnx` can be named as `file:<file>` (single), `fused:<file>` (crop and
 * mirror, two runs) or `file2:<file>` (batch of 2); `-1t` after the prefix runs it on 1 thread.
 */
function variantSpec(name: string): VariantSpec {
  const known = VARIANTS[name];
  if (known) return { name, ...known };
  if (name.startsWith('profile:')) return { ...variantSpec(name.slice(8)), name, profile: true };
  const match = /^(file2?|fused)(-1t)?:(.+)$/.exec(name);
  if (match) {
    const mode = match[1] === 'file2' ? 'batch2' : match[1] === 'fused' ? 'fused2' : 'single';
    return { name, threads: match[2] ? 1 : 2, model: `/variants/${match[3]}`, mode };
  }
  throw new Error(`unknown variant ${name}; known: ${Object.keys(VARIANTS).join(', ')}, file:<name>, file2:<name>`);
}

/** Writes the embedding model's published (float) source next to the variant models. */
async function writeSourceModel(): Promise<void> {
  const target = join(VARIANT_MODELS, 'fr_feature.source.onnx');
  if (existsSync(target)) return;
  const manifest = JSON.parse(readFileSync(join(ROOT, 'models', 'manifest.json'), 'utf8')) as { files: { file: string; source: { sha256?: string } }[] };
  const entry = manifest.files.find((f) => f.file === 'fr_feature.onnx')!;
  const mirror = process.env.PRESENZA_MODELS_MIRROR;
  writeFileSync(target, await fetchVerifiedSource(entry, mirror ? { mirror } : {}));
}

async function bundleWorker(): Promise<void> {
  await build({
    root: ROOT,
    configFile: false,
    logLevel: 'warn',
    resolve: { conditions: ['onnxruntime-web-use-extern-wasm', 'browser', 'import', 'module', 'default'] },
    build: {
      outDir: BUNDLE_DIR,
      emptyOutDir: true,
      minify: false,
      target: 'es2022',
      copyPublicDir: false,
      lib: { entry: 'bench/embed-variants/worker.ts', formats: ['es'], fileName: () => 'worker.js' },
      rollupOptions: { output: { chunkFileNames: '[name]-[hash].js' } },
    },
  });
}

const cosineGap = (a: readonly number[], b: readonly number[]) => 1 - cosineSimilarity(a, b);

/** Mean ms per run by operator and for the slowest nodes, from ORT's profiling events. */
function summarizeProfile(lines: readonly string[], runs: number) {
  const byOp: Record<string, number> = {};
  const byNode: Record<string, number> = {};
  for (const line of lines) {
    const event = JSON.parse(line) as { name: string; dur: number; args: { op_name?: string; input_type_shape?: Record<string, number[]>[] } };
    let op = event.args.op_name ?? '?';
    const weight = event.args.input_type_shape?.[1] ? Object.values(event.args.input_type_shape[1])[0] : undefined;
    if (/Conv/.test(op) && weight?.length === 4) op += weight[1] === 1 && weight[2]! > 1 ? ' depthwise' : weight[2] === 1 ? ' 1x1' : ` ${weight[2]}x${weight[3]}`;
    byOp[op] = (byOp[op] ?? 0) + event.dur / 1000 / runs;
    const node = `${event.name.replace(/_kernel_time$/, '')} (${op})`;
    byNode[node] = (byNode[node] ?? 0) + event.dur / 1000 / runs;
  }
  const round = (entries: [string, number][]) => Object.fromEntries(entries.map(([k, v]) => [k, Number(v.toFixed(3))]));
  const total = Object.values(byOp).reduce((a, b) => a + b, 0);
  return {
    total_ms: Number(total.toFixed(2)),
    by_op_ms: round(Object.entries(byOp).sort((a, b) => b[1] - a[1])),
    slowest_nodes_ms: round(Object.entries(byNode).sort((a, b) => b[1] - a[1]).slice(0, 15)),
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      group: { type: 'string' },
      variants: { type: 'string', default: 'base,base-1t' },
      runs: { type: 'string', default: '120' },
      rounds: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '15' },
      images: { type: 'string', default: '24' },
      keep: { type: 'string', default: '8' },
    },
  });
  const group = values.group ?? values.variants;
  const variants = values.variants.split(',').map(variantSpec);
  const rounds = Number(values.rounds);
  const runsPerRound = Math.ceil(Number(values.runs) / rounds);
  await bundleWorker();
  mkdirSync(VARIANT_MODELS, { recursive: true });
  await writeSourceModel();
  const server = await serveStatic({
    mounts: { '/bundle/': BUNDLE_DIR, '/models/': join(ROOT, 'models'), '/variants/': VARIANT_MODELS, '/images/': FACES },
    pages: { '/bench.html': '<!doctype html><title>embed variants</title>' },
    isolated: true,
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  const loadBefore = loadavg();
  const started = new Date().toISOString();
  const replies = new Map<string, (VariantReply & { threads: number })[]>(variants.map((v) => [v.name, []]));
  // Variants sharing a thread count (and SIMD flag) share a worker and run in turn; a profiled one runs alone.
  const groups = new Map<string, VariantSpec[]>();
  for (const v of variants) {
    const key = v.profile ? `profile:${v.name}` : `${v.threads}:${v.simd ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), v]);
  }
  /** ORT's profiling events of the current variant (printed to the worker's console). */
  const profileLines: string[] = [];
  const profiles: Record<string, unknown> = {};
  try {
    const page = await browser.newPage();
    await page.addInitScript(() => void ((window as unknown as { __name: (f: unknown) => unknown }).__name = (f) => f));
    page.on('console', (message) => {
      const text = message.text();
      if (text.startsWith('{"cat" : "Node"')) profileLines.push(text.replace(/,\s*$/, ''));
    });
    await page.goto(`${server.origin}/bench.html`);
    const images = lfwImages(Number(values.images)).map((f) => `/images/${f.split('/').map(encodeURIComponent).join('/')}`);
    for (let round = 0; round < rounds; round += 1) {
      const ordered = [...groups.values()];
      for (const group of round % 2 === 0 ? ordered : ordered.reverse()) {
        const request: WorkerRequest = {
          variants: group,
          wasmBase: `${server.origin}/models/`,
          images,
          warmup: Number(values.warmup),
          runs: runsPerRound,
          keep: Number(values.keep),
        };
        const reply = await page.evaluate(
          (request) =>
            new Promise<WorkerReply>((resolve) => {
              const worker = new Worker('/bundle/worker.js', { type: 'module' });
              worker.onmessage = (event) => {
                worker.terminate();
                resolve(event.data as WorkerReply);
              };
              worker.onerror = (event) => {
                worker.terminate();
                resolve({ variants: [], threads: 0, crossOriginIsolated: false, error: event.message });
              };
              worker.postMessage(request);
            }),
          request,
        );
        const names = group.map((v) => v.name).join(', ');
        if (reply.error) throw new Error(`${names}: ${reply.error}`);
        if (!reply.crossOriginIsolated) throw new Error('the worker is not cross-origin isolated');
        group.forEach((variant, k) => {
          const result = reply.variants[k]!;
          replies.get(variant.name)!.push({ ...result, threads: reply.threads });
          if (variant.profile) profiles[variant.name] = summarizeProfile(profileLines.splice(0), request.runs + request.warmup + request.keep);
          const s = stats(result.times);
          console.error(`round ${round + 1} ${variant.name.padEnd(20)} p50 ${s.p50} ms  p95 ${s.p95} ms  (load ${loadavg()[0]!.toFixed(2)})`);
        });
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const loadAfter = loadavg();
  const reference = replies.get(variants[0]!.name)![0]!.embeddings;
  const results = variants.map((variant) => {
    const all = replies.get(variant.name)!;
    const times = all.flatMap((r) => r.times);
    const embeddings = all[0]!.embeddings;
    const gaps = embeddings.map((e, i) => (reference[i] && reference[i]!.length === e.length ? cosineGap(e, reference[i]!) : Number.NaN));
    return {
      ...variant,
      ms: stats(times),
      round_p50: all.map((r) => stats(r.times).p50),
      session_create_ms: Number((all.reduce((sum, r) => sum + r.createMs, 0) / all.length).toFixed(1)),
      threads_reported: all[0]!.threads,
      max_cosine_gap_vs_first: Number(Math.max(...gaps).toExponential(3)),
      mean_cosine_gap_vs_first: Number((gaps.reduce((a, b) => a + b, 0) / gaps.length).toExponential(3)),
    };
  });
  const record = {
    date: started,
    chromium: CHROMIUM,
    load_before: loadBefore.map((x) => Number(x.toFixed(2))),
    load_after: loadAfter.map((x) => Number(x.toFixed(2))),
    runs_per_variant: runsPerRound * rounds,
    rounds,
    images: Number(values.images),
    results,
    ...(Object.keys(profiles).length ? { profiles } : {}),
  };
  for (const [name, profile] of Object.entries(profiles)) console.log(name, JSON.stringify(profile, null, 1));
  console.log(`\n${group}: load ${record.load_before.join(' ')} → ${record.load_after.join(' ')}`);
  console.log('variant               threads  mode     p50 ms   p95 ms   round p50s           1-cos vs first');
  for (const r of results) {
    console.log(
      `${r.name.padEnd(21)} ${String(r.threads).padEnd(8)} ${r.mode.padEnd(8)} ${String(r.ms.p50).padEnd(8)} ${String(r.ms.p95).padEnd(8)} ${r.round_p50.join(' / ').padEnd(20)} ${r.max_cosine_gap_vs_first} (mean ${r.mean_cosine_gap_vs_first})`,
    );
  }
  const out = join(ROOT, 'bench', 'results', 'embed-variants.json');
  const saved = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>) : {};
  saved[group] = record;
  writeFileSync(out, JSON.stringify(saved, null, 1) + '\n');
  console.log(`saved ${out} [${group}]`);
}

await main();
