/**
 * Resolution-matched comparison for the identity-document match, scored offline: each card of
 * `bench:id-document` is run once through the testing worker, which also returns the live crop
 * brought to a grid of portrait resolutions (`degradeToEyeDistance`: eye distances and blurs) and
 * embedded. Every variant (which grid level a portrait's eye distance picks, blur, fusion with the
 * plain template) is then scored here without the browser: genuine pairs and cross impostors, the
 * template of card j brought to the level of portrait i's eye distance, as production does. The
 * threshold for FAR ≤ 1e-3 is chosen on `--limit 240`'s cards and tested on the others of
 * `--limit 480`, as the shipped card threshold was.
 *
 *   npx tsx bench/id-document-resolution.ts --pairs <pairs.json> --root <image dir> [--limit 480] [--calibrate 240] [--distance 25-35] [--camera 1280x720] [--side left] [--shard k/n] [--cached-only] [--cache <file>]
 *
 * Caches per card in bench/.cache (keyed like `bench:id-document`'s, plus the grid). Writes
 * bench/results/id-document-resolution-….json.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../tools/paths.js';
import { imageUrl, startBrowserPipeline } from '../tools/browserPipeline.js';
import { fromBase64, pipelineId, readJsonLines, toBase64 } from './lib/embeddingCache.js';
import { FAR_1E3, ratesAtThreshold, tarAtFar, thresholdForFar, type ScoredPair } from './lib/metrics.js';
import { seedOf } from '../testing/cardSynthesis.js';
import { identityOf } from './lib/crossImpostors.js';
import { cosineSimilarity, l2Normalize } from '../workers/stages/compareTemplates.js';
import { RESOLUTION_LEVELS_PX, DOCUMENT_BLUR_SIGMA, resolutionLevel } from '../workers/stages/matchResolution.js';

interface Pair {
  readonly a: string;
  readonly b: string;
  readonly same: boolean;
}

/** Blurs tried at each level (px at the portrait's resolution). */
const BLURS = [0, DOCUMENT_BLUR_SIGMA];

interface Card {
  key: string;
  eye: number | null;
  portrait: string | null;
  template: string | null;
  degraded: string[];
}

interface Run {
  pair: Pair;
  eye: number | null;
  portrait: Float32Array | null;
  template: Float32Array | null;
  /** degraded[level][blur] */
  degraded: Float32Array[][];
  /** With `--photos`: the card's source photo embedded as it is and at its portrait's level (one per blur), without the card. */
  photo?: { plain: Float32Array; degraded: Float32Array[] } | null;
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

const keyOf = (p: Pair) => `${p.a}|${p.b}|${seedOf(`${p.a}|${p.b}`)}`;

/** A way to compare portrait i with run j's live crop. */
type Variant = { name: string; score: (portrait: Float32Array, eye: number, target: Run) => number; probe?: (run: Run) => Float32Array | null };

function fuse(a: Float32Array, b: Float32Array, w: number): Float32Array {
  return l2Normalize(a.map((v, i) => w * v + (1 - w) * b[i]!));
}

const variants: Variant[] = [
  { name: 'plain', score: (p, _e, t) => cosineSimilarity(p, t.template!) },
  ...BLURS.flatMap((_, b) => [
    { name: `matched-blur${BLURS[b]}`, score: (p: Float32Array, e: number, t: Run) => cosineSimilarity(p, t.degraded[resolutionLevel(e)]![b]!) },
    { name: `fused50-blur${BLURS[b]}`, score: (p: Float32Array, e: number, t: Run) => cosineSimilarity(p, fuse(t.degraded[resolutionLevel(e)]![b]!, t.template!, 0.5)) },
    { name: `fused75-blur${BLURS[b]}`, score: (p: Float32Array, e: number, t: Run) => cosineSimilarity(p, fuse(t.degraded[resolutionLevel(e)]![b]!, t.template!, 0.75)) },
    {
      name: `levels3-blur${BLURS[b]}`,
      score: (p: Float32Array, e: number, t: Run) => {
        const l = resolutionLevel(e);
        const around = [l - 1, l, l + 1].filter((k) => k >= 0 && k < RESOLUTION_LEVELS_PX.length).map((k) => t.degraded[k]![b]!);
        return cosineSimilarity(p, l2Normalize(around.reduce((acc, v) => acc.map((x, i) => x + v[i]!))));
      },
    },
  ]),
  {
    name: 'matched-bothblurs',
    score: (p, e, t) => {
      const l = resolutionLevel(e);
      return cosineSimilarity(p, l2Normalize(t.degraded[l]![0]!.map((x, i) => x + t.degraded[l]![1]![i]!)));
    },
  },
];

function scoreSet(runs: readonly Run[], variant: Variant): ScoredPair[] {
  const out: ScoredPair[] = [];
  for (const r of runs) {
    const probe = variant.probe ? variant.probe(r) : r.portrait;
    if (r.pair.same) out.push({ score: probe && r.template ? variant.score(probe, r.eye!, r) : null, same: true });
  }
  for (const t of runs) {
    if (!t.template) continue;
    const live = identityOf(t.pair.b);
    for (const r of runs) {
      if (identityOf(r.pair.a) === live) continue;
      const probe = variant.probe ? variant.probe(r) : r.portrait;
      out.push({ score: probe ? variant.score(probe, r.eye!, t) : null, same: false });
    }
  }
  return out;
}

async function main() {
  const { values } = parseArgs({
    options: {
      pairs: { type: 'string' },
      root: { type: 'string' },
      limit: { type: 'string', default: '480' },
      calibrate: { type: 'string', default: '240' },
      distance: { type: 'string', default: '25-35' },
      camera: { type: 'string', default: '1280x720' },
      side: { type: 'string', default: 'left' },
      shard: { type: 'string' },
      photos: { type: 'boolean', default: false },
      'cached-only': { type: 'boolean', default: false },
      cache: { type: 'string' },
    },
  });
  if (!values.pairs || !values.root) throw new TypeError('--pairs and --root are required');
  const distance = values.distance!.split('-').map(Number) as [number, number];
  const [w, h] = values.camera!.split('x').map(Number) as [number, number];
  const side = values.side as 'left' | 'right';
  const root = resolve(values.root);
  const all = (JSON.parse(readFileSync(values.pairs, 'utf8')) as Pair[]).filter((p) => p.same);
  const spread = (n: number) => (n >= all.length ? all : Array.from({ length: n }, (_, i) => all[Math.floor((i * all.length) / n)]!));
  let pairs = spread(Number(values.limit));
  const calibration = new Set(spread(Number(values.calibrate)));
  const degradations = RESOLUTION_LEVELS_PX.flatMap((eyeDistancePx) => BLURS.map((blurSigma) => ({ eyeDistancePx, blurSigma })));

  const hash = createHash('sha256');
  for (const file of ['testing/cardSynthesis.ts', 'testing/harness.ts', 'testing/worker.ts', 'workers/pipeline.ts', 'workers/stages/findDocumentPortrait.ts', 'workers/stages/matchResolution.ts']) hash.update(readFileSync(join(ROOT, file)));
  hash.update(JSON.stringify(degradations));
  // --cache <file>: the cards scored by an earlier build of the same stages (sources edited since, e.g. comments).
  const cacheFile = values.cache ? resolve(values.cache) : join(ROOT, 'bench', '.cache', `id-document-resolution-${pipelineId()}-${hash.digest('hex').slice(0, 8)}-${values.distance}-${values.camera}-${side}.jsonl`);
  mkdirSync(dirname(cacheFile), { recursive: true });
  const cache = new Map<string, Card>(existsSync(cacheFile) ? readJsonLines<Card>(cacheFile).map((c) => [c.key, c]) : []);
  // --cached-only: a first look while a run is still scoring (only the cards already cached).
  if (values['cached-only']) pairs = pairs.filter((p) => cache.has(keyOf(p)));
  const [shardIndex, shardCount] = (values.shard ?? '0/1').split('/').map(Number) as [number, number];
  const todo = pairs.filter((p) => !cache.has(keyOf(p))).filter((_, i) => i % shardCount === shardIndex);
  console.error(`${pairs.length} cards, ${todo.length} to score (cache ${basename(cacheFile)})`);
  if (todo.length > 0) {
    const pipeline = await startBrowserPipeline({ imageRoot: root });
    const started = Date.now();
    try {
      for (let i = 0; i < todo.length; i += 12) {
        const batch = todo.slice(i, i + 12);
        const probes = await pipeline.page.evaluate(async ({ items, degradations }) => {
          const harness = (window as unknown as { harness: Awaited<ReturnType<typeof window.PresenzaHarness.start>> }).harness;
          const out = [];
          for (const item of items) out.push(await harness.documentProbe(item.photo, item.live, item.seed, item.distance, item.view, degradations));
          return out;
        }, { items: batch.map((p) => ({ photo: imageUrl(p.a), live: imageUrl(p.b), seed: seedOf(`${p.a}|${p.b}`), distance, view: { camera: { width: w, height: h }, side } })), degradations });
        const lines = probes.map((probe, j) => {
          const card: Card = {
            key: keyOf(batch[j]!),
            eye: probe.portraitEmbedding ? probe.eyeDistancePx : null,
            portrait: probe.portraitEmbedding && toBase64(probe.portraitEmbedding),
            template: probe.template && toBase64(probe.template),
            degraded: probe.degradedTemplates.map(toBase64),
          };
          cache.set(card.key, card);
          return JSON.stringify(card);
        });
        appendFileSync(cacheFile, lines.join('\n') + '\n');
        const done = Math.min(i + 12, todo.length);
        console.error(`  ${done}/${todo.length} (${(done / ((Date.now() - started) / 1000)).toFixed(2)} cards/s, load ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
      }
    } finally {
      await pipeline.close();
    }
  }
  if (shardCount > 1) {
    for (const c of readJsonLines<Card>(cacheFile)) cache.set(c.key, c);
    if (pairs.some((p) => !cache.has(keyOf(p)))) return console.error('other shards still running');
  }
  const runs: Run[] = pairs.map((pair) => {
    const c = cache.get(keyOf(pair))!;
    const degraded = c.degraded.map(fromBase64);
    return {
      pair,
      eye: c.eye,
      portrait: c.portrait === null ? null : fromBase64(c.portrait),
      template: c.template === null ? null : fromBase64(c.template),
      degraded: RESOLUTION_LEVELS_PX.map((_, l) => BLURS.map((_b, b) => degraded[l * BLURS.length + b]!)),
    };
  });
  if (values.photos) {
    // What resolution alone costs: each card's source photo (no card) embedded as it is and at each level.
    const photoCache = cacheFile.replace(/\.jsonl$/, '-photos.jsonl');
    const photos = new Map<string, { key: string; plain: string | null; degraded: string[] }>(existsSync(photoCache) ? readJsonLines<{ key: string; plain: string | null; degraded: string[] }>(photoCache).map((c) => [c.key, c]) : []);
    const missing = [...new Map(runs.filter((r) => r.portrait && !photos.has(r.pair.a)).map((r) => [r.pair.a, r])).values()];
    if (missing.length > 0) {
      const pipeline = await startBrowserPipeline({ imageRoot: root });
      try {
        for (let i = 0; i < missing.length; i += 24) {
          const batch = missing.slice(i, i + 24);
          // Each photo at its card's level only (the level its portrait is compared at), both blurs.
          const probes = await pipeline.page.evaluate(async (items) => {
            const harness = (window as unknown as { harness: Awaited<ReturnType<typeof window.PresenzaHarness.start>> }).harness;
            const out = [];
            for (const item of items) out.push(await harness.degradedProbe(item.url, item.degradations));
            return out;
          }, batch.map((r) => ({ url: imageUrl(r.pair.a), degradations: BLURS.map((blurSigma) => ({ eyeDistancePx: RESOLUTION_LEVELS_PX[resolutionLevel(r.eye!)]!, blurSigma })) })));
          const lines = probes.map((probe, j) => {
            const line = { key: batch[j]!.pair.a, plain: probe.plain && toBase64(probe.plain), degraded: probe.degraded.map(toBase64) };
            photos.set(line.key, line);
            return JSON.stringify(line);
          });
          appendFileSync(photoCache, lines.join('\n') + '\n');
          console.error(`  photos ${Math.min(i + 24, missing.length)}/${missing.length}`);
        }
      } finally {
        await pipeline.close();
      }
    }
    for (const r of runs) {
      const c = r.portrait ? photos.get(r.pair.a) : undefined;
      const degraded = c?.plain ? c.degraded.map(fromBase64) : [];
      r.photo = c?.plain ? { plain: fromBase64(c.plain), degraded } : null;
    }
    const at = (r: Run, b: number) => r.photo?.degraded[b] ?? null;
    variants.push(
      { name: 'photo-plain', probe: (r) => r.photo?.plain ?? null, score: (p, _e, t) => cosineSimilarity(p, t.template!) },
      { name: 'photo-at-portrait-res', probe: (r) => at(r, 0), score: (p, _e, t) => cosineSimilarity(p, t.template!) },
      { name: 'photo-at-res-blur', probe: (r) => at(r, 1), score: (p, _e, t) => cosineSimilarity(p, t.template!) },
      { name: 'photo-at-res-matched', probe: (r) => at(r, 0), score: (p, e, t) => cosineSimilarity(p, t.degraded[resolutionLevel(e)]![0]!) },
    );
  }
  const calib = runs.filter((r) => calibration.has(r.pair));
  const test = runs.filter((r) => !calibration.has(r.pair));
  const results = variants.map((variant) => {
    const onCalib = scoreSet(calib, variant);
    const onTest = scoreSet(test, variant);
    const threshold = thresholdForFar(onCalib, FAR_1E3);
    const held = ratesAtThreshold(onTest, threshold);
    return {
      variant: variant.name,
      calibration: { cards: calib.length, tar_at_far_1e3: tarAtFar(onCalib, FAR_1E3).tar, threshold },
      genuine_mean: mean(onCalib.concat(onTest).flatMap((x) => (x.same && x.score !== null ? [x.score] : []))),
      impostor_mean: mean(onCalib.concat(onTest).flatMap((x) => (!x.same && x.score !== null ? [x.score] : []))),
      test: { cards: test.length, tar: held.tar, far: held.far, false_accepts: held.fp, impostor_pairs: onTest.filter((s) => !s.same).length, tar_at_far_1e3: tarAtFar(onTest, FAR_1E3).tar },
    };
  });
  for (const r of results) {
    console.log(`${r.variant.padEnd(22)} genuine ${r.genuine_mean.toFixed(3)} impostor ${r.impostor_mean.toFixed(3)} calib TAR@1e-3 ${(100 * r.calibration.tar_at_far_1e3).toFixed(1)} % thr ${r.calibration.threshold.toFixed(4)} | test TAR ${(100 * r.test.tar).toFixed(1)} % FAR ${(100 * r.test.far).toFixed(3)} % (${r.test.false_accepts}/${r.test.impostor_pairs}) TAR@1e-3 ${(100 * r.test.tar_at_far_1e3).toFixed(1)} %`);
  }
  const out = join(ROOT, 'bench', 'results', `id-document-resolution-lfw-${values.distance}cm-${values.camera}-${side}-limit${values.limit}.json`);
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), pipeline: pipelineId(), levels_px: RESOLUTION_LEVELS_PX, blurs: BLURS, cards: pairs.length, load_average: loadavg(), results }, null, 1) + '\n');
  console.log(`saved ${out}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

await main();
