/**
 * Identity-document benchmark: for each pair, an identity card is synthesised from image `a`
 * (testing/cardSynthesis.ts, seeded by the pair: ID-1 card, portrait at the size a card held
 * 25–40 cm from a 640×480 webcam prints it, colour cast, print and camera blur, noise, tilt up to
 * ±20°, glare, JPEG) and held beside image `b`, the live student; the template is enrolled from
 * `b`'s frame without the card. The card's camera frames (`--frames`) then go through the
 * production document stages (findDocumentPortrait, alignment, embedding, DocumentMatch) in the
 * built testing worker in headless Chromium. Cards whose portrait is not found count as non-matches, never dropped.
 *
 *   npm run bench:id-document -- --pairs <pairs.json> --root <image dir> [--frames N] [--limit N] [--exclude N] [--genuine-only] [--threshold <n>] [--distance lo-hi] [--camera WxH] [--side left|right] [--background-person] [--synthesis-off <list>|all] [--shard k/n] [--json]
 *
 * `--frames N` (default DOCUMENT_CANDIDATE_FRAMES, the usable portraits production gathers) films
 * each held card in N consecutive camera frames (`cardFrame` in testing/cardSynthesis.ts: the card
 * fixed, hand jitter, glare, camera blur, noise and JPEG per frame) and submits them in order to the
 * production `DocumentMatch`, which gathers up to DOCUMENT_CANDIDATE_FRAMES usable portraits and
 * compares the mean embedding of the DOCUMENT_FRAMES sharpest; the cross impostors use that same
 * mean portrait embedding. Production keeps asking for frames until it has its portraits; the bench
 * stops at N (a card with an unusable frame among N is compared on fewer portraits: a little
 * pessimistic). `--frames 1` is the single-frame benchmark of before (frame 0 is the card as drawn
 * then, the same pixels). `frame_selection` in the result scores the same cards with other choices
 * among the N frames: frame 0 alone, the first DOCUMENT_FRAMES usable portraits (the rule before
 * the sharpest were chosen), the DOCUMENT_FRAMES sharpest usable portraits, all usable portraits.
 * N ≠ 1 is named in the cache's and the result's file name (`-framesN`), so the single-frame names
 * mean what they meant.
 *
 * `--distance lo-hi` draws the card's distance (cm) from that range instead of the unguided 25–40
 * cm (e.g. `15-25`, where the guidance asks for the card).
 * `--camera WxH` films the card in that webcam mode (default 640x480, the SDK's enrollment
 * resolution; e.g. `1280x720`, what the SDK asks for during the document step), with the same
 * horizontal field of view; the enrollment frame stays 640×480.
 * `--side left|right` holds every card on that side of the raw frame (`left`: where the element's
 * card frame is, on the right of the mirrored preview) instead of either side.
 * `--background-person` is the attack the card check stops: no card, image `a`'s person blended
 * softly into the frame where the card would be, its face as small as the portrait (a real face
 * 2–3 m behind the student). With `--genuine-only` (the same person as the live face, so the face
 * would match), `tar` is then the share of attacks that pass; `background_person` says so.
 * `--synthesis-off cast,print-blur,…|all` switches those degradations of the card off (an ablation:
 * which of them costs the score; DEGRADATIONS in testing/cardSynthesis.ts); the enrollment frame is
 * unchanged. They are named in the result's `synthesis` (and `synthesis_off`), its cache and its file name.
 * `--limit N` scores an evenly spread subset of N pairs (development runs); `--exclude N` leaves out
 * the pairs of `--limit N`'s subset (a threshold chosen on them is then tested on other cards).
 * `--genuine-only` runs only the genuine pairs' cards. Impostors are cross comparisons: every card's
 * portrait against the live template of every card of another identity. Per-pair results are
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
import { fromBase64, pipelineId, percentile, readJsonLines, toBase64 } from './lib/embeddingCache.js';
import { FAR_1E2, FAR_1E3, ratesAtThreshold, summarize, tarAtFar, thresholdForFar, wilsonInterval, type ScoredPair } from './lib/metrics.js';
import { CARD_RANGES, DEGRADATIONS, seedOf, type Degradation } from '../testing/cardSynthesis.js';
import type { DocumentScore } from '../testing/harness.js';
import { DOCUMENT_CANDIDATE_FRAMES, DOCUMENT_FRAMES } from '../src/protocol/capture.js';
import { cosineSimilarity, meanTemplate } from '../workers/stages/compareTemplates.js';
import { crossImpostors, identityOf, type CardRun } from './lib/crossImpostors.js';

interface Pair {
  readonly a: string;
  readonly b: string;
  readonly same: boolean;
  readonly fold?: number;
}

type FrameScore = DocumentScore['frames'][number];

/** One card frame, as kept in memory: its embedding decoded. */
type FrameProbe = Omit<FrameScore, 'embedding'> & { embedding: Float32Array | null };

/** One scored card, as kept in memory: the embeddings decoded (they are cached, never saved in results). */
type Probe = Omit<DocumentScore, 'template' | 'portraitEmbedding' | 'frames'> & { template: Float32Array | null; portraitEmbedding: Float32Array | null; frames: FrameProbe[] };

/** One scored card as a line of the cache (bench/.cache, not committed): embeddings in base64. */
type CachedProbe = Omit<DocumentScore, 'template' | 'portraitEmbedding' | 'frames'> & {
  key: string;
  template: string | null;
  portraitEmbedding: string | null;
  frames: (Omit<FrameScore, 'embedding'> & { embedding: string | null })[];
};

const decodeProbe = ({ key: _key, template, portraitEmbedding, frames, ...rest }: CachedProbe): Probe => ({
  ...rest,
  template: template === null ? null : fromBase64(template),
  portraitEmbedding: portraitEmbedding === null ? null : fromBase64(portraitEmbedding),
  frames: frames.map((f) => ({ ...f, embedding: f.embedding === null ? null : fromBase64(f.embedding) })),
});

/** Pairs scored per page evaluation (progress is printed and cached after each batch). */
const BATCH = 24;

function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

/** The cache key of a pair: its images and the seed of its card. */
const keyOf = (p: Pair) => `${p.a}|${p.b}|${seedOf(`${p.a}|${p.b}`)}`;

/** The card runs of `pairs` for the cross impostors, with `drop(probe)` portraits left out (not found). */
function cardRuns(pairs: readonly Pair[], probes: readonly Probe[], drop: (probe: Probe) => boolean = () => false): CardRun[] {
  return pairs.map((p, i) => ({
    portraitIdentity: identityOf(p.a),
    liveIdentity: identityOf(p.b),
    portrait: drop(probes[i]!) ? null : probes[i]!.portraitEmbedding,
    template: probes[i]!.template,
  }));
}

/** The genuine pairs' scores (with `drop(probe)` portraits not found) and the cross impostors of `runs`. */
function scoredCards(pairs: readonly Pair[], probes: readonly Probe[], runs: readonly CardRun[], drop: (probe: Probe) => boolean = () => false): ScoredPair[] {
  const genuine = pairs.flatMap((p, i) => (p.same ? [{ score: drop(probes[i]!) ? null : probes[i]!.similarity, same: true }] : []));
  return [...genuine, ...crossImpostors(runs)];
}

/** What the second search (larger windows) adds: the same cards scored as if it had not run. */
function variantReport(pairs: readonly Pair[], probes: readonly Probe[]) {
  const drop = (probe: Probe) => probe.foundInLargeWindows;
  const scored = scoredCards(pairs, probes, cardRuns(pairs, probes, drop), drop);
  const genuine = scored.filter((s) => s.same && s.score !== null).map((s) => s.score!);
  return {
    first_search_only: {
      tar_at_far_1e2: tarAtFar(scored, FAR_1E2).tar,
      tar_at_far_1e3: tarAtFar(scored, FAR_1E3).tar,
      auc: summarize(scored, { threshold: 0.5 }).auc,
      genuine_mean: genuine.reduce((a, b) => a + b, 0) / Math.max(1, genuine.length),
      not_found: probes.filter((p) => p.similarity === null || drop(p)).length,
    },
  };
}

/**
 * The same cards scored with other choices among their N frames (each card's portrait embedding is
 * the normalised mean of the chosen usable portraits, as `DocumentMatch` makes it; the cross
 * impostors use it too): frame 0 alone (the single-frame benchmark), the first DOCUMENT_FRAMES
 * usable portraits, the DOCUMENT_FRAMES sharpest usable portraits of the N (`DocumentMatch`'s
 * choice when N ≤ DOCUMENT_CANDIDATE_FRAMES), every usable portrait of the N.
 */
function frameSelectionReport(pairs: readonly Pair[], probes: readonly Probe[], threshold: number) {
  const choices: Record<string, (frames: readonly FrameProbe[]) => readonly FrameProbe[]> = {
    first_frame: (frames) => frames.slice(0, 1),
    [`first_${DOCUMENT_FRAMES}_usable`]: (frames) => frames.filter((f) => f.usable).slice(0, DOCUMENT_FRAMES),
    [`sharpest_${DOCUMENT_FRAMES}_usable`]: (frames) => frames.filter((f) => f.usable).sort((x, y) => y.sharpness! - x.sharpness!).slice(0, DOCUMENT_FRAMES),
    all_usable: (frames) => frames,
  };
  return Object.fromEntries(
    Object.entries(choices).map(([name, choose]) => {
      const fused = probes.map((probe) => {
        const chosen = choose(probe.frames).flatMap((f) => (f.usable && f.embedding ? [f.embedding] : []));
        return chosen.length === 0 ? null : chosen.length === 1 ? chosen[0]! : meanTemplate(chosen);
      });
      const similarity = (i: number) => (fused[i] && probes[i]!.template ? cosineSimilarity(fused[i]!, probes[i]!.template!) : null);
      const runs = pairs.map((p, i) => ({ portraitIdentity: identityOf(p.a), liveIdentity: identityOf(p.b), portrait: fused[i]!, template: probes[i]!.template }));
      const scored: ScoredPair[] = [...pairs.flatMap((p, i) => (p.same ? [{ score: similarity(i), same: true }] : [])), ...crossImpostors(runs)];
      const at = ratesAtThreshold(scored, threshold);
      const genuine = pairs.flatMap((p, i) => (p.same && similarity(i) !== null ? [similarity(i)!] : []));
      return [
        name,
        {
          tar: at.tar,
          far: at.far,
          false_accepts: at.fp,
          tar_at_far_1e2: tarAtFar(scored, FAR_1E2).tar,
          tar_at_far_1e3: tarAtFar(scored, FAR_1E3).tar,
          threshold_at_far_1e3: tarAtFar(scored, FAR_1E3).threshold,
          auc: summarize(scored, { threshold }).auc,
          genuine_mean: genuine.reduce((a, b) => a + b, 0) / Math.max(1, genuine.length),
          not_found: fused.filter((f) => f === null).length,
          portraits_p50: percentile(probes.map((probe) => choose(probe.frames).filter((f) => f.usable).length), 0.5),
        },
      ];
    }),
  );
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
      'synthesis-off': { type: 'string' },
      shard: { type: 'string' },
      frames: { type: 'string' },
      json: { type: 'boolean', default: false },
      'genuine-only': { type: 'boolean', default: false },
      exclude: { type: 'string' },
      'background-person': { type: 'boolean', default: false },
    },
  });
  if (!values.pairs || !values.root) {
    console.error('usage: npm run bench:id-document -- --pairs <pairs.json> --root <image dir> [--frames N] [--limit N] [--exclude N] [--genuine-only] [--threshold <n>] [--distance lo-hi] [--camera WxH] [--side left|right] [--background-person] [--synthesis-off <list>|all] [--shard k/n] [--json]');
    process.exit(2);
  }
  const frames = values.frames === undefined ? DOCUMENT_CANDIDATE_FRAMES : Number(values.frames);
  if (!(Number.isInteger(frames) && frames >= 1)) throw new TypeError('--frames must be a positive integer');
  // The single-frame benchmark's file names stay as they were; more frames are named.
  const framesTag = frames === 1 ? '' : `-frames${frames}`;
  const threshold = values.threshold === undefined ? DEFAULT_DOCUMENT_MATCH_THRESHOLD : Number(values.threshold);
  if (!Number.isFinite(threshold)) throw new TypeError('--threshold must be a number');
  const distance = (values.distance ?? CARD_RANGES.distanceCm.join('-')).split('-').map(Number) as [number, number];
  if (distance.length !== 2 || !distance.every((d) => Number.isFinite(d) && d > 0) || distance[0] > distance[1]) throw new TypeError('--distance must be lo-hi in cm, e.g. 15-25');
  const camera = /^(\d+)x(\d+)$/.exec(values.camera ?? '640x480');
  if (!camera) throw new TypeError('--camera must be WxH in px, e.g. 1280x720');
  const cameraMode = { width: Number(camera[1]), height: Number(camera[2]) };
  if (values.side !== undefined && values.side !== 'left' && values.side !== 'right') throw new TypeError('--side must be left or right (of the raw frame)');
  const side = values.side as 'left' | 'right' | undefined;
  const offList = values['synthesis-off'] === undefined ? [] : values['synthesis-off'] === 'all' ? [...DEGRADATIONS] : values['synthesis-off'].split(',');
  if (!offList.every((d): d is Degradation => (DEGRADATIONS as readonly string[]).includes(d))) throw new TypeError(`--synthesis-off must be all or a list of ${DEGRADATIONS.join(', ')}`);
  const synthesisOff = DEGRADATIONS.filter((d) => offList.includes(d));
  const offTag = synthesisOff.length === 0 ? '' : `-without-${synthesisOff.length === DEGRADATIONS.length ? 'all' : synthesisOff.join('+')}`;
  const distanceTag = `${values.distance === undefined ? '' : `-${distance.join('-')}cm`}${values.camera === undefined ? '' : `-${values.camera}`}${side === undefined ? '' : `-${side}`}${values['background-person'] ? '-background-person' : ''}`;
  const root = resolve(values.root);
  // --genuine-only: run only the genuine pairs' cards (the impostors are cross comparisons anyway).
  const all = (JSON.parse(readFileSync(values.pairs, 'utf8')) as Pair[]).filter((p) => p.same || !values['genuine-only']);
  const limit = values.limit === undefined ? all.length : Number(values.limit);
  if (!(Number.isInteger(limit) && limit > 0)) throw new TypeError('--limit must be a positive integer');
  // An even spread keeps genuine and impostor pairs and every fold in a subset.
  const spread = (n: number) => (n >= all.length ? all : Array.from({ length: n }, (_, i) => all[Math.floor((i * all.length) / n)]!));
  // --exclude N leaves out the cards of `--limit N`'s subset (e.g. those a threshold was chosen on).
  const excluded = values.exclude === undefined ? new Set<Pair>() : new Set(spread(Number(values.exclude)));
  if (values.exclude !== undefined && !(Number.isInteger(Number(values.exclude)) && Number(values.exclude) > 0)) throw new TypeError('--exclude must be a positive integer');
  const pairs = spread(limit).filter((p) => !excluded.has(p));

  const synthesisHash = createHash('sha256');
  for (const file of ['testing/cardSynthesis.ts', 'testing/harness.ts', 'testing/worker.ts', 'workers/pipeline.ts', 'workers/stages/findDocumentPortrait.ts', 'workers/stages/cardAroundPortrait.ts', 'workers/session/documentMatch.ts']) {
    synthesisHash.update(readFileSync(join(ROOT, file)));
  }
  const synthesis = `${synthesisHash.digest('hex').slice(0, 8)}${offTag}`;
  const cacheFile = join(ROOT, 'bench', '.cache', `id-document-${pipelineId()}-${synthesis}${framesTag}${distanceTag}-${basename(dirname(root))}-${basename(root)}.jsonl`);
  mkdirSync(dirname(cacheFile), { recursive: true });
  const cache = new Map<string, Probe>(existsSync(cacheFile) ? readJsonLines<CachedProbe>(cacheFile).map((c) => [c.key, decodeProbe(c)]) : []);
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
        }, batch.map((p) => ({ photo: imageUrl(p.a), live: imageUrl(p.b), seed: seedOf(`${p.a}|${p.b}`), distance, view: { camera: cameraMode, frames, ...(side ? { side } : {}), ...(values['background-person'] ? { backgroundPerson: true } : {}), ...(synthesisOff.length ? { synthesisOff } : {}) } })));
        const lines = probes.map((probe, j) => {
          const key = keyOf(batch[j]!);
          const line: CachedProbe = {
            ...probe,
            key,
            template: probe.template && toBase64(probe.template),
            portraitEmbedding: probe.portraitEmbedding && toBase64(probe.portraitEmbedding),
            frames: probe.frames.map((f) => ({ ...f, embedding: f.embedding && toBase64(f.embedding) })),
          };
          cache.set(key, decodeProbe(line));
          return JSON.stringify(line);
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
    for (const c of readJsonLines<CachedProbe>(cacheFile)) cache.set(c.key, decodeProbe(c));
    const missing = pairs.filter((p) => !cache.has(keyOf(p))).length;
    if (missing > 0) {
      console.error(`shard ${shardIndex}/${shardCount} done; ${missing} pairs still missing: run again without --shard once every shard is done`);
      return;
    }
  }
  const probes = pairs.map((p) => cache.get(keyOf(p))!);
  const runs = cardRuns(pairs, probes);
  // Genuine: the pairs' own cards. Impostors: every portrait against every other person's template.
  const genuineScored = (keep: (i: number) => boolean): ScoredPair[] =>
    pairs.flatMap((p, i) => (p.same && keep(i) ? [{ score: probes[i]!.similarity, same: true }] : []));
  const scored = scoredCards(pairs, probes, runs);
  const direct: ScoredPair[] = pairs.map((p, i) => ({ score: probes[i]!.similarity, same: p.same }));
  const impostorCount = scored.length - genuineScored(() => true).length;
  const summary = summarize(scored, { threshold });
  const at = ratesAtThreshold(scored, threshold);
  const curve = [1e-1, 3e-2, 1e-2, 3e-3, 1e-3].map((far) => ({ max_far: far, ...tarAtFar(scored, far) }));
  const genuine = pairs.map((p, i) => ({ p, probe: probes[i]! })).filter(({ p }) => p.same);
  const notFound = probes.filter((p) => p.similarity === null);
  const guidanceCounts: Record<string, number> = {};
  for (const probe of notFound) for (const g of probe.guidance) guidanceCounts[g] = (guidanceCounts[g] ?? 0) + 1;
  const falseRejects = genuine.filter(({ probe }) => probe.similarity !== null && probe.similarity < threshold);
  const impostorScores = scored.flatMap((s) => (!s.same && s.score !== null ? [s.score] : [])).sort((x, y) => y - x);
  const directFalseAccepts = pairs.flatMap((p, i) => (!p.same && probes[i]!.similarity !== null && probes[i]!.similarity! >= threshold ? [{ a: p.a, b: p.b, similarity: probes[i]!.similarity }] : []));
  const widths = probes.map((p) => p.portraitWidthPx);
  const eyes = probes.flatMap((p) => (p.eyeDistancePx === null || p.eyeDistancePx === undefined ? [] : [p.eyeDistancePx]));
  const docMs = probes.filter((p) => p.liveFound).map((p) => p.documentMs);
  const found = probes.filter((p) => p.similarity !== null);
  const heldOut = heldOutThreshold(pairs, probes, runs, genuineScored);
  const record = {
    pairs_file: basename(values.pairs),
    date: new Date().toISOString(),
    pipeline: pipelineId(),
    synthesis,
    synthesis_off: synthesisOff,
    // Camera frames per card submitted to DocumentMatch (which averages the DOCUMENT_FRAMES sharpest usable portraits it gathers).
    frames,
    limit: limit >= all.length ? null : limit,
    excluded_limit: values.exclude === undefined ? null : Number(values.exclude),
    genuine_only: values['genuine-only'],
    distance_cm: distance,
    camera: `${cameraMode.width}x${cameraMode.height}`,
    side: side ?? 'both',
    // No card: image a's person small in the background (the attack); `tar` is then the share that passes.
    background_person: values['background-person'],
    threshold,
    tar: at.tar,
    far: at.far,
    far_interval_95: wilsonInterval(at.fp, impostorCount),
    false_accepts: at.fp,
    // Comparisons scored: the genuine pairs and the impostor comparisons (cards run: `cards`).
    pairs: scored.length,
    genuine_pairs: scored.length - impostorCount,
    impostor_pairs: impostorCount,
    impostors: 'cross: each card portrait against the live template of every run of another identity (correlated: each portrait and template recurs)',
    cards: pairs.length,
    identities: new Set(runs.flatMap((r) => [r.portraitIdentity, r.liveIdentity])).size,
    detect_failures: notFound.length,
    live_without_face: probes.filter((p) => !p.liveFound).length,
    found_in_full_frame: found.filter((p) => p.foundInFullFrame).length,
    found_in_windows: found.filter((p) => !p.foundInFullFrame).length,
    tar_at_far_1e2: tarAtFar(scored, FAR_1E2).tar,
    tar_at_far_1e3: tarAtFar(scored, FAR_1E3).tar,
    threshold_at_far_1e3: tarAtFar(scored, FAR_1E3).threshold,
    held_out: heldOut,
    auc: summary.auc,
    eer: summary.eer,
    curve,
    impostor_highest: impostorScores.slice(0, 10),
    direct_impostor_pairs: direct.some((s) => !s.same) ? { pairs: direct.filter((s) => !s.same).length, false_accepts: directFalseAccepts.length, far: ratesAtThreshold(direct, threshold).far } : null,
    variants: variantReport(pairs, probes),
    frame_selection: frameSelectionReport(pairs, probes, threshold),
    usable_frames_per_card: { p50: percentile(probes.map((p) => p.frames.filter((f) => f.usable).length), 0.5), mean: probes.reduce((sum, p) => sum + p.frames.filter((f) => f.usable).length, 0) / probes.length },
    not_found_guidance: guidanceCounts,
    genuine_not_found: genuine.filter(({ probe }) => probe.similarity === null).length,
    genuine_below_threshold: falseRejects.length,
    portrait_eye_distance_px: { min: Math.min(...eyes), p05: percentile(eyes, 0.05), p50: percentile(eyes, 0.5), max: Math.max(...eyes) },
    portrait_face_width_px: { min: Math.min(...widths), p50: percentile(widths, 0.5), max: Math.max(...widths) },
    document_ms: { p50: percentile(docMs, 0.5), p95: percentile(docMs, 0.95) },
    windows_searched_p50: percentile(probes.map((p) => p.windowsSearched), 0.5),
    load_average: loadavg(),
    worst_genuine: falseRejects.sort((x, y) => x.probe.similarity! - y.probe.similarity!).slice(0, 10).map(({ p, probe }) => ({ a: p.a, b: p.b, similarity: probe.similarity })),
    genuine_not_found_pairs: genuine.filter(({ probe }) => probe.similarity === null).map(({ p, probe }) => ({ a: p.a, b: p.b, guidance: probe.guidance })),
    direct_false_accept_pairs: directFalseAccepts,
    genuine_scores: genuine.map(({ probe }) => probe.similarity),
  };
  const percent = (x: number, digits = 2) => `${fmt(100 * x, digits)} %`;
  console.log(`\n${basename(values.pairs)}: ${pairs.length} cards of ${frames} frame${frames === 1 ? '' : 's'}, ${record.genuine_pairs} genuine pairs, ${impostorCount} cross impostor comparisons (${record.identities} identities), card threshold ${threshold}`);
  console.log(`TAR ${percent(at.tar)}  FAR ${percent(at.far, 4)} (${at.fp} false accepts; 95 % ${percent(record.far_interval_95.low, 4)}–${percent(record.far_interval_95.high, 4)})  portrait not found: ${notFound.length} (genuine ${record.genuine_not_found}) ${JSON.stringify(guidanceCounts)}`);
  console.log(`found in the whole frame ${record.found_in_full_frame}, in windows ${record.found_in_windows}; AUC ${fmt(summary.auc, 4)}, EER ${percent(summary.eer)}; highest impostors ${impostorScores.slice(0, 5).map((s) => fmt(s, 3)).join(' ')}`);
  for (const [name, v] of Object.entries(record.variants)) console.log(`  ${name}: TAR ${percent(v.tar_at_far_1e2)} at FAR 1e-2, ${percent(v.tar_at_far_1e3)} at 1e-3, AUC ${fmt(v.auc, 4)}, genuine mean ${fmt(v.genuine_mean, 3)}, not found ${v.not_found}`);
  for (const [name, v] of Object.entries(record.frame_selection)) console.log(`  frames ${name}: TAR ${percent(v.tar)} at ${threshold} (FAR ${percent(v.far, 4)}, ${v.false_accepts} false accepts); ${percent(v.tar_at_far_1e3)} at FAR 1e-3 (threshold ${fmt(v.threshold_at_far_1e3, 4)}), ${percent(v.tar_at_far_1e2)} at 1e-2; AUC ${fmt(v.auc, 4)}, not found ${v.not_found}`);
  for (const point of curve) console.log(`  FAR ≤ ${point.max_far}: TAR ${percent(point.tar)} at threshold ${fmt(point.threshold, 4)} (FAR reached ${percent(point.far, 4)})`);
  for (const h of heldOut) console.log(`  held out: threshold ${fmt(h.threshold, 4)} (FAR ≤ 1e-3 on folds ${h.calibration_folds.join(',')}) → on folds ${h.test_folds.join(',')}: TAR ${percent(h.tar)} (${h.genuine_pairs} genuine), FAR ${percent(h.far, 4)} (${h.false_accepts} of ${h.impostor_pairs}; 95 % up to ${percent(h.far_interval_95.high, 4)})`);
  console.log(`portrait face width ${fmt(record.portrait_face_width_px.min, 1)}–${fmt(record.portrait_face_width_px.max, 1)} px; document frame ${fmt(record.document_ms.p50, 0)} / ${fmt(record.document_ms.p95, 0)} ms (p50 / p95); load ${loadavg().map((l) => fmt(l, 2)).join(' ')}`);
  const out = join(ROOT, 'bench', 'results', `id-document-${basename(dirname(resolve(values.pairs)))}${distanceTag}${offTag}${framesTag}${values['genuine-only'] ? '-genuine' : ''}${record.limit ? `-limit${record.limit}` : ''}${values.exclude ? `-without${values.exclude}` : ''}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(record, null, 1) + '\n');
  console.log(`saved ${out}`);
  if (values.json) {
    const { genuine_scores: _scores, ...line } = record;
    console.log(JSON.stringify(line));
  }
}

/**
 * The threshold chosen where it is not reported: the folds are split in two halves (LFW's folds
 * share no identity); the threshold for FAR ≤ 1e-3 on one half's cards (their genuine pairs and
 * cross impostors) is applied to the other half's, both ways. Empty without at least two folds.
 */
function heldOutThreshold(pairs: readonly Pair[], probes: readonly Probe[], runs: readonly CardRun[], genuineScored: (keep: (i: number) => boolean) => ScoredPair[]) {
  const folds = [...new Set(pairs.flatMap((p) => (p.fold === undefined ? [] : [p.fold])))].sort((a, b) => a - b);
  if (folds.length < 2 || pairs.some((p) => p.fold === undefined)) return [];
  const halves = [folds.slice(0, Math.ceil(folds.length / 2)), folds.slice(Math.ceil(folds.length / 2))];
  const inHalf = (half: readonly number[]) => (i: number) => half.includes(pairs[i]!.fold!);
  const scoredIn = (half: readonly number[]) => {
    const keep = inHalf(half);
    return [...genuineScored(keep), ...crossImpostors(runs, (i, j) => keep(i) && keep(j))];
  };
  return halves.map((calibration, h) => {
    const test = halves[1 - h]!;
    const chosen = thresholdForFar(scoredIn(calibration), FAR_1E3);
    const tested = scoredIn(test);
    const rates = ratesAtThreshold(tested, chosen);
    const impostors = tested.filter((s) => !s.same).length;
    return {
      calibration_folds: calibration,
      test_folds: test,
      threshold: chosen,
      tar: rates.tar,
      far: rates.far,
      false_accepts: rates.fp,
      genuine_pairs: tested.length - impostors,
      impostor_pairs: impostors,
      far_interval_95: wilsonInterval(rates.fp, impostors),
      portraits_not_found: probes.filter((p, i) => inHalf(test)(i) && p.similarity === null).length,
    };
  });
}

await main();
