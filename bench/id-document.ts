/**
 * Identity-document benchmark: for each pair, an identity card is synthesised from image `a`
 * (testing/cardSynthesis.ts, seeded by the pair: ID-1 card, portrait at the size a card held
 * 25–40 cm from a 640×480 webcam prints it, colour cast, print and camera blur, noise, tilt up to
 * ±20°, glare, JPEG) and held beside image `b`, the live student; the template is enrolled from
 * `b`'s frame without the card. The card frame then goes through the production document stages
 * (findDocumentPortrait, alignment, embedding, DocumentMatch) in the built testing worker in
 * headless Chromium. Cards whose portrait is not found count as non-matches, never dropped.
 *
 *   npm run bench:id-document -- --pairs <pairs.json> --root <image dir> [--limit N] [--threshold <n>] [--distance lo-hi] [--camera WxH] [--side left|right] [--shard k/n] [--json]
 *
 * `--distance lo-hi` draws the card's distance (cm) from that range instead of the unguided 25–40
 * cm (e.g. `15-25`, where the guidance asks for the card).
 * `--camera WxH` films the card in that webcam mode (default 640x480, the SDK's enrollment
 * resolution; e.g. `1280x720`, what the SDK asks for during the document step), with the same
 * horizontal field of view; the enrollment frame stays 640×480.
 * `--side left|right` holds every card on that side of the raw frame (`left`: where the element's
 * card frame is, on the right of the mirrored preview) instead of either side.
 * `--limit N` scores an evenly spread subset of N pairs (development runs). Per-pair results are
 * cached in bench/.cache (keyed by the pipeline's sources and the synthesis), so a run resumes.
 * Results are saved to bench/results/id-document-<pairs folder>[-limitN].json; with `--json` the
 * last line holds the summary (`tar`, `far`, `threshold`, `pairs`, `detect_failures`, …).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../tools/paths.js';
import { imageUrl, startBrowserPipeline } from '../tools/browserPipeline.js';
import { DEFAULT_DOCUMENT_MATCH_THRESHOLD } from '../workers/session/documentMatch.js';
import { pipelineId, percentile, readJsonLines } from './lib/embeddingCache.js';
import { FAR_1E2, FAR_1E3, ratesAtThreshold, summarize, tarAtFar, type ScoredPair } from './lib/metrics.js';
import { CARD_RANGES, seedOf } from '../testing/cardSynthesis.js';
import type { DocumentProbe } from '../testing/worker.js';

interface Pair {
  readonly a: string;
  readonly b: string;
  readonly same: boolean;
  readonly fold?: number;
}

type Probe = DocumentProbe & { portraitWidthPx: number };

interface CachedProbe extends Probe {
  readonly key: string;
}

/** Pairs scored per page evaluation (progress is printed and cached after each batch). */
const BATCH = 24;

function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

/** The cache key of a pair: its images and the seed of its card. */
const keyOf = (p: Pair) => `${p.a}|${p.b}|${seedOf(`${p.a}|${p.b}`)}`;

/** TAR at FAR ≤ 1e-2 / 1e-3 and AUC of one way of scoring every pair (null: not found, a non-match). */
function variantRates(pairs: readonly Pair[], scores: readonly (number | null)[]) {
  const scored: ScoredPair[] = pairs.map((p, i) => ({ score: scores[i] ?? null, same: p.same }));
  const genuine = scored.filter((s) => s.same && s.score !== null).map((s) => s.score!);
  return {
    tar_at_far_1e2: tarAtFar(scored, FAR_1E2).tar,
    tar_at_far_1e3: tarAtFar(scored, FAR_1E3).tar,
    auc: summarize(scored, { threshold: 0.5 }).auc,
    genuine_mean: genuine.reduce((a, b) => a + b, 0) / Math.max(1, genuine.length),
    not_found: scored.filter((s) => s.score === null).length,
  };
}

/** What the second search (larger windows) adds: the same cards scored as if it had not run. */
function variantReport(pairs: readonly Pair[], probes: readonly Probe[]) {
  return {
    first_search_only: variantRates(pairs, probes.map((p) => (p.foundInLargeWindows ? null : p.similarity))),
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      pairs: { type: 'string' },
      root: { type: 'string' },
      limit: { type: 'string' },
      threshold: { type: 'string' },
      distance: { type: 'string' },
      camera: { type: 'string' },
      side: { type: 'string' },
      shard: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (!values.pairs || !values.root) {
    console.error('usage: npm run bench:id-document -- --pairs <pairs.json> --root <image dir> [--limit N] [--threshold <n>] [--distance lo-hi] [--camera WxH] [--side left|right] [--shard k/n] [--json]');
    process.exit(2);
  }
  const threshold = values.threshold === undefined ? DEFAULT_DOCUMENT_MATCH_THRESHOLD : Number(values.threshold);
  if (!Number.isFinite(threshold)) throw new TypeError('--threshold must be a number');
  const distance = (values.distance ?? CARD_RANGES.distanceCm.join('-')).split('-').map(Number) as [number, number];
  if (distance.length !== 2 || !distance.every((d) => Number.isFinite(d) && d > 0) || distance[0] > distance[1]) throw new TypeError('--distance must be lo-hi in cm, e.g. 15-25');
  const camera = /^(\d+)x(\d+)$/.exec(values.camera ?? '640x480');
  if (!camera) throw new TypeError('--camera must be WxH in px, e.g. 1280x720');
  const cameraMode = { width: Number(camera[1]), height: Number(camera[2]) };
  if (values.side !== undefined && values.side !== 'left' && values.side !== 'right') throw new TypeError('--side must be left or right (of the raw frame)');
  const side = values.side as 'left' | 'right' | undefined;
  const distanceTag = `${values.distance === undefined ? '' : `-${distance.join('-')}cm`}${values.camera === undefined ? '' : `-${values.camera}`}${side === undefined ? '' : `-${side}`}`;
  const root = resolve(values.root);
  const all = JSON.parse(readFileSync(values.pairs, 'utf8')) as Pair[];
  const limit = values.limit === undefined ? all.length : Number(values.limit);
  if (!(Number.isInteger(limit) && limit > 0)) throw new TypeError('--limit must be a positive integer');
  // An even spread keeps genuine and impostor pairs and every fold in a subset.
  const pairs = limit >= all.length ? all : Array.from({ length: limit }, (_, i) => all[Math.floor((i * all.length) / limit)]!);

  const synthesisHash = createHash('sha256');
  for (const file of ['testing/cardSynthesis.ts', 'testing/harness.ts', 'testing/worker.ts', 'workers/pipeline.ts', 'workers/stages/findDocumentPortrait.ts', 'workers/session/documentMatch.ts']) {
    synthesisHash.update(readFileSync(join(ROOT, file)));
  }
  const synthesis = synthesisHash.digest('hex').slice(0, 8);
  const cacheFile = join(ROOT, 'bench', '.cache', `id-document-${pipelineId()}-${synthesis}${distanceTag}-${basename(dirname(root))}-${basename(root)}.jsonl`);
  mkdirSync(dirname(cacheFile), { recursive: true });
  const cache = new Map<string, Probe>(existsSync(cacheFile) ? readJsonLines<CachedProbe>(cacheFile).map((c) => [c.key, c]) : []);
  // --shard k/n: this process scores every n-th pair to do (several processes share one cache file).
  const [shardIndex, shardCount] = (values.shard ?? '0/1').split('/').map(Number) as [number, number];
  const todo = [...new Map(pairs.filter((p) => !cache.has(keyOf(p))).map((p) => [keyOf(p), p])).values()].filter((_, i) => i % shardCount === shardIndex);
  console.error(`${pairs.length} pairs, ${todo.length} to synthesise and score (cache ${basename(cacheFile)})`);

  if (todo.length > 0) {
    const pipeline = await startBrowserPipeline({ imageRoot: root });
    const started = Date.now();
    try {
      for (let i = 0; i < todo.length; i += BATCH) {
        const batch = todo.slice(i, i + BATCH);
        const probes = await pipeline.page.evaluate(async (items) => {
          const harness = (window as unknown as { harness: Awaited<ReturnType<typeof window.PresenzaHarness.start>> }).harness;
          const out = [];
          for (const item of items) out.push(await harness.documentProbe(item.photo, item.live, item.seed, item.distance, item.view));
          return out;
        }, batch.map((p) => ({ photo: imageUrl(p.a), live: imageUrl(p.b), seed: seedOf(`${p.a}|${p.b}`), distance, view: { camera: cameraMode, ...(side ? { side } : {}) } })));
        const lines = probes.map((probe, j) => {
          const key = keyOf(batch[j]!);
          cache.set(key, probe);
          return JSON.stringify({ key, ...probe });
        });
        appendFileSync(cacheFile, lines.join('\n') + '\n');
        const done = Math.min(i + BATCH, todo.length);
        const rate = done / ((Date.now() - started) / 1000);
        console.error(`  ${done}/${todo.length} (${fmt(rate, 2)} pairs/s, load ${loadavg().map((l) => fmt(l, 2)).join(' ')})`);
      }
    } finally {
      await pipeline.close();
    }
  }

  if (shardCount > 1) {
    // The other shards may still run: read back what every shard has written.
    for (const c of readJsonLines<CachedProbe>(cacheFile)) cache.set(c.key, c);
    const missing = pairs.filter((p) => !cache.has(keyOf(p))).length;
    if (missing > 0) {
      console.error(`shard ${shardIndex}/${shardCount} done; ${missing} pairs still missing: run again without --shard once every shard is done`);
      return;
    }
  }
  const probes = pairs.map((p) => cache.get(keyOf(p))!);
  const scored: ScoredPair[] = pairs.map((p, i) => ({ score: probes[i]!.similarity, same: p.same, ...(p.fold !== undefined ? { fold: p.fold } : {}) }));
  const summary = summarize(scored, { threshold });
  const at = ratesAtThreshold(scored, threshold);
  const curve = [1e-1, 3e-2, 1e-2, 3e-3, 1e-3].map((far) => ({ max_far: far, ...tarAtFar(scored, far) }));
  const genuine = pairs.map((p, i) => ({ p, probe: probes[i]! })).filter(({ p }) => p.same);
  const impostors = pairs.map((p, i) => ({ p, probe: probes[i]! })).filter(({ p }) => !p.same);
  const notFound = probes.filter((p) => p.similarity === null);
  const guidanceCounts: Record<string, number> = {};
  for (const probe of notFound) for (const g of probe.guidance) guidanceCounts[g] = (guidanceCounts[g] ?? 0) + 1;
  const falseRejects = genuine.filter(({ probe }) => probe.similarity !== null && probe.similarity < threshold);
  const falseAccepts = impostors.filter(({ probe }) => probe.similarity !== null && probe.similarity >= threshold);
  const widths = probes.map((p) => p.portraitWidthPx);
  const eyes = probes.flatMap((p) => (p.eyeDistancePx === null || p.eyeDistancePx === undefined ? [] : [p.eyeDistancePx]));
  const docMs = probes.filter((p) => p.liveFound).map((p) => p.documentMs);
  const found = probes.filter((p) => p.similarity !== null);
  const record = {
    pairs_file: basename(values.pairs),
    date: new Date().toISOString(),
    pipeline: pipelineId(),
    synthesis,
    limit: limit >= all.length ? null : limit,
    distance_cm: distance,
    camera: `${cameraMode.width}x${cameraMode.height}`,
    side: side ?? 'both',
    threshold,
    tar: at.tar,
    far: at.far,
    false_accepts: at.fp,
    pairs: pairs.length,
    detect_failures: notFound.length,
    live_without_face: probes.filter((p) => !p.liveFound).length,
    found_in_full_frame: found.filter((p) => p.foundInFullFrame).length,
    found_in_windows: found.filter((p) => !p.foundInFullFrame).length,
    tar_at_far_1e2: tarAtFar(scored, FAR_1E2).tar,
    variants: variantReport(pairs, probes),
    tar_at_far_1e3: tarAtFar(scored, FAR_1E3).tar,
    threshold_at_far_1e3: tarAtFar(scored, FAR_1E3).threshold,
    auc: summary.auc,
    eer: summary.eer,
    curve,
    not_found_guidance: guidanceCounts,
    genuine_not_found: genuine.filter(({ probe }) => probe.similarity === null).length,
    genuine_below_threshold: falseRejects.length,
    portrait_eye_distance_px: { min: Math.min(...eyes), p05: percentile(eyes, 0.05), p50: percentile(eyes, 0.5), max: Math.max(...eyes) },
    portrait_face_width_px: { min: Math.min(...widths), p50: percentile(widths, 0.5), max: Math.max(...widths) },
    document_ms: { p50: percentile(docMs, 0.5), p95: percentile(docMs, 0.95) },
    windows_searched_p50: percentile(probes.map((p) => p.windowsSearched), 0.5),
    load_average: loadavg(),
    worst_genuine: falseRejects.sort((x, y) => x.probe.similarity! - y.probe.similarity!).slice(0, 10).map(({ p, probe }) => ({ a: p.a, b: p.b, similarity: probe.similarity })),
    false_accept_pairs: falseAccepts.map(({ p, probe }) => ({ a: p.a, b: p.b, similarity: probe.similarity })),
    scores: scored.map((s) => s.score),
  };
  console.log(`\n${basename(values.pairs)}: ${pairs.length} pairs (${genuine.length} genuine), card threshold ${threshold}`);
  console.log(`TAR ${fmt(100 * at.tar)} %  FAR ${fmt(100 * at.far, 3)} % (${at.fp} false accepts)  portrait not found: ${notFound.length} (genuine ${record.genuine_not_found}) ${JSON.stringify(guidanceCounts)}`);
  console.log(`found in the whole frame ${record.found_in_full_frame}, in windows ${record.found_in_windows}; AUC ${fmt(summary.auc, 4)}, EER ${fmt(100 * summary.eer)} %`);
  for (const [name, v] of Object.entries(record.variants)) console.log(`  ${name}: TAR ${fmt(100 * v.tar_at_far_1e2)} % at FAR 1e-2, ${fmt(100 * v.tar_at_far_1e3)} % at 1e-3, AUC ${fmt(v.auc, 4)}, genuine mean ${fmt(v.genuine_mean, 3)}, not found ${v.not_found}`);
  for (const point of curve) console.log(`  FAR ≤ ${point.max_far}: TAR ${fmt(100 * point.tar)} % at threshold ${fmt(point.threshold, 4)} (FAR reached ${fmt(100 * point.far, 3)} %)`);
  console.log(`portrait face width ${fmt(record.portrait_face_width_px.min, 1)}–${fmt(record.portrait_face_width_px.max, 1)} px; document frame ${fmt(record.document_ms.p50, 0)} / ${fmt(record.document_ms.p95, 0)} ms (p50 / p95); load ${loadavg().map((l) => fmt(l, 2)).join(' ')}`);
  const out = join(ROOT, 'bench', 'results', `id-document-${basename(dirname(resolve(values.pairs)))}${distanceTag}${record.limit ? `-limit${record.limit}` : ''}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(record, null, 1) + '\n');
  console.log(`saved ${out}`);
  if (values.json) {
    const { scores: _scores, ...line } = record;
    console.log(JSON.stringify(line));
  }
}

await main();
