/**
 * Passive liveness benchmark: `fr_liveness.onnx` through the real testing worker in headless
 * Chromium, on every live clip and attack sample of `../shared/faces/videos`. Usage:
 *
 *   npx tsx bench/liveness.ts [--fps 2] [--threshold 0.5] [--json]
 *
 * 1. Extracts frames of each clip with ffmpeg (`--fps` per second) into a temp dir under /tmp;
 *    stills are copied there as they are (the browser applies their EXIF orientation). Nothing
 *    is written into the repository except the results file.
 * 2. Runs the worker's `livenessProbe` on every frame with every candidate input spec (crop size
 *    × channel order × normalisation), keeping the softmax of the three outputs.
 * 3. Candidates: for each spec and each output class, the ROC AUC of that class's probability
 *    between live and attack samples, per frame and per sample (mean over its frames). The class
 *    order and the spec shipped in `workers/checkLiveness.ts` are the ones this table supports.
 * 4. Shipped spec: the mean probabilities per sample kind (what the other two classes mean),
 *    APCER and BPCER per frame and per sample at `--threshold`, and a per-sample table.
 *
 * Frames without a detected face are not scored (the check would end `no_face` there); they
 * are counted per sample. Results are saved to bench/results/liveness.json.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { LIVE_CLASS } from '../workers/stages/passiveLiveness.js';
import { SHIPPED_LIVENESS_INPUT, type LivenessInputSpec } from '../testing/livenessInputs.js';
import type { ProbedLiveness } from '../testing/harness.js';
import { DIST, FACES, ROOT } from '../tools/paths.js';
import { startBrowserPipeline } from '../tools/browserPipeline.js';
import { equalErrorRate, rocAuc, type ScoredPair } from './lib/metrics.js';

/** A manifest entry of `../shared/faces/videos/manifest.json` (the fields this bench reads). */
interface ManifestEntry {
  readonly file: string;
  readonly kind: 'live' | 'print-attack' | 'replay-attack';
  readonly media: 'video' | 'image';
}

/** One sample (a clip or a still) and its frames, as paths relative to the temp dir. */
interface Sample extends ManifestEntry {
  readonly frames: readonly string[];
}

/** The probe of every frame of one sample. */
interface ProbedSample extends Sample {
  readonly probes: readonly ProbedLiveness[];
}

/** Window sides (× the longer side of MediaPipe's landmark box), channel orders and normalisations tried. */
const BOX_SCALES = [1.5, 2, 2.7, 4] as const;
const CHANNEL_ORDERS = ['rgb', 'bgr'] as const;
const NORMALIZATIONS = ['unit', 'centred', 'raw', 'imagenet'] as const;
/** Windows kept inside the image (shrunk and shifted) or padded with black where they leave it. */
const KEEP_INSIDE = [true, false] as const;
const CANDIDATES: readonly LivenessInputSpec[] = KEEP_INSIDE.flatMap((keepInside) =>
  BOX_SCALES.flatMap((boxScale) =>
    CHANNEL_ORDERS.flatMap((channelOrder) => NORMALIZATIONS.map((normalization) => ({ boxScale, keepInside, channelOrder, normalization }))),
  ),
);
const CLASSES = 3;
const VIDEOS = join(FACES, 'videos');

const specName = (s: LivenessInputSpec) => `${s.boxScale}× ${s.keepInside ? 'inside' : 'padded'} ${s.channelOrder} ${s.normalization}`;
const sameSpec = (a: LivenessInputSpec, b: LivenessInputSpec) =>
  a.boxScale === b.boxScale && a.keepInside === b.keepInside && a.channelOrder === b.channelOrder && a.normalization === b.normalization;
const isLive = (s: ManifestEntry) => s.kind === 'live';
const mean = (values: readonly number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : 'n/a');
const fmt = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

/** Extracts each clip's frames (PNG, no further compression) and copies each still into `dir`. */
function prepareSamples(entries: readonly ManifestEntry[], dir: string, fps: number): Sample[] {
  return entries.map((entry) => {
    const source = join(VIDEOS, entry.file);
    const target = join(dir, entry.file);
    if (entry.media === 'image') {
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(source, target);
      return { ...entry, frames: [entry.file] };
    }
    mkdirSync(target, { recursive: true });
    execFileSync('ffmpeg', ['-v', 'error', '-i', source, '-vf', `fps=${fps}`, join(target, 'f%04d.png')]);
    const frames = readdirSync(target).sort().map((f) => `${entry.file}/${f}`);
    return { ...entry, frames };
  });
}

/** Probability of `cls` under candidate `spec` for every frame of `sample` with a face. */
function frameScores(sample: ProbedSample, spec: number, cls: number): number[] {
  return sample.probes.flatMap((p) => (p.outputs ? [p.outputs[spec]!.probabilities[cls]!] : []));
}

/** Frame-level and sample-level scored sets ("same" = live) for one spec and class. */
function scoredSets(samples: readonly ProbedSample[], spec: number, cls: number) {
  const frames: ScoredPair[] = [];
  const clips: ScoredPair[] = [];
  for (const sample of samples) {
    const scores = frameScores(sample, spec, cls);
    for (const score of scores) frames.push({ score, same: isLive(sample) });
    if (scores.length > 0) clips.push({ score: mean(scores), same: isLive(sample) });
  }
  return { frames, clips };
}

/** APCER (attacks accepted as live) and BPCER (live rejected) at `threshold`: "live" means score ≥ threshold. */
function errorRates(scored: readonly ScoredPair[], threshold: number) {
  const attacks = scored.filter((s) => !s.same);
  const live = scored.filter((s) => s.same);
  const accepted = attacks.filter((s) => s.score! >= threshold).length;
  const rejected = live.filter((s) => s.score! < threshold).length;
  return { apcer: accepted / attacks.length, attacks: attacks.length, accepted, bpcer: rejected / live.length, live: live.length, rejected };
}

async function main() {
  const { values } = parseArgs({
    options: {
      fps: { type: 'string', default: '2' },
      threshold: { type: 'string', default: '0.5' },
      json: { type: 'boolean', default: false },
    },
  });
  const fps = Number(values.fps);
  const threshold = Number(values.threshold);
  if (!(fps > 0)) throw new TypeError('--fps must be a positive number');
  if (!(threshold >= 0 && threshold <= 1)) throw new TypeError('--threshold must be a probability (0..1)');
  if (!existsSync(join(DIST, 'testing', 'presenza-testing-worker.js'))) throw new Error('dist/testing is missing: run `node scripts/build.mjs` first');
  const shipped = CANDIDATES.findIndex((c) => sameSpec(c, SHIPPED_LIVENESS_INPUT));
  if (shipped < 0) throw new Error(`the shipped spec ${specName(SHIPPED_LIVENESS_INPUT)} is not among the candidates`);

  const entries = JSON.parse(readFileSync(join(VIDEOS, 'manifest.json'), 'utf8')) as ManifestEntry[];
  const dir = mkdtempSync(join(tmpdir(), 'presenza-liveness-'));
  let samples: ProbedSample[];
  try {
    const prepared = prepareSamples(entries, dir, fps);
    const frameCount = prepared.reduce((n, s) => n + s.frames.length, 0);
    console.error(`probing ${frameCount} frames of ${prepared.length} samples with ${CANDIDATES.length} input specs in Chromium…`);
    const pipeline = await startBrowserPipeline({ imageRoot: dir });
    try {
      samples = [];
      for (const sample of prepared) {
        samples.push({ ...sample, probes: await pipeline.livenessProbe(sample.frames, CANDIDATES) });
        console.error(`  ${sample.file}: ${sample.frames.length} frame(s)`);
      }
    } finally {
      await pipeline.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // Candidates: AUC of every class's probability, live vs attack, per frame and per sample.
  const candidates = CANDIDATES.map((spec, i) => {
    const perClass = Array.from({ length: CLASSES }, (_, cls) => {
      const { frames, clips } = scoredSets(samples, i, cls);
      return { frame_auc: rocAuc(frames), sample_auc: rocAuc(clips) };
    });
    const best = perClass.reduce((b, c, cls) => (c.sample_auc + c.frame_auc > perClass[b]!.sample_auc + perClass[b]!.frame_auc ? cls : b), 0);
    // Mean probabilities per class over the frames of live and of attack samples.
    const meanOf = (subset: readonly ProbedSample[]) =>
      Array.from({ length: CLASSES }, (_, cls) => mean(subset.flatMap((s) => frameScores(s, i, cls))));
    const sampleMeans = samples.map((s) => Array.from({ length: CLASSES }, (_, cls) => mean(frameScores(s, i, cls))));
    return {
      spec,
      name: specName(spec),
      best_class: best,
      classes: perClass,
      live_means: meanOf(samples.filter(isLive)),
      attack_means: meanOf(samples.filter((s) => !isLive(s))),
      sample_means: sampleMeans,
    };
  });
  const ranked = [...candidates].sort(
    (a, b) => b.classes[b.best_class]!.sample_auc - a.classes[a.best_class]!.sample_auc || b.classes[b.best_class]!.frame_auc - a.classes[a.best_class]!.frame_auc,
  );

  const scoredFrames = samples.reduce((n, s) => n + s.probes.filter((p) => p.outputs).length, 0);
  const liveSamples = samples.filter(isLive);
  const attackSamples = samples.filter((s) => !isLive(s));
  console.log(`\n${samples.length} samples (${liveSamples.length} live, ${attackSamples.length} attacks), ` +
    `${samples.reduce((n, s) => n + s.frames.length, 0)} frames at ${fps} fps (stills: 1 frame), ${scoredFrames} with a face`);
  console.log('\ncandidate input specs: ROC AUC of each class probability, live vs attack (frame / sample)');
  console.log('and mean probabilities [class 0, 1, 2] over live frames and over attack frames');
  console.log('spec                             class 0          class 1          class 2          live means          attack means');
  const means = (m: readonly number[]) => `[${m.map((p) => p.toFixed(2)).join(' ')}]`.padEnd(20);
  for (const c of ranked) {
    const cells = c.classes.map((k) => `${fmt(k.frame_auc)} / ${fmt(k.sample_auc)}`.padEnd(17));
    console.log(`${c.name.padEnd(33)}${cells.join('')}${means(c.live_means)}${means(c.attack_means)}` +
      `${c === ranked[0] ? ' ← best' : ''}${c.spec === CANDIDATES[shipped] ? ' ← shipped' : ''}`);
  }

  // The shipped spec: what each class means, and the error rates of the live class.
  const kinds = ['live', 'print-attack', 'replay-attack'] as const;
  const classMeans = Object.fromEntries(
    kinds.map((kind) => {
      const probes = samples.filter((s) => s.kind === kind).flatMap((s) => s.probes.flatMap((p) => (p.outputs ? [p.outputs[shipped]!.probabilities] : [])));
      const argmax = (p: readonly number[]) => p.indexOf(Math.max(...p));
      return [kind, {
        frames: probes.length,
        mean_probabilities: Array.from({ length: CLASSES }, (_, cls) => mean(probes.map((p) => p[cls]!))),
        argmax_counts: Array.from({ length: CLASSES }, (_, cls) => probes.filter((p) => argmax(p) === cls).length),
      }];
    }),
  );
  console.log(`\nshipped spec ${specName(SHIPPED_LIVENESS_INPUT)}, live class ${LIVE_CLASS}: mean probabilities per class [0, 1, 2] and argmax counts, per frame`);
  for (const kind of kinds) {
    const m = classMeans[kind]!;
    console.log(`  ${kind.padEnd(14)} ${String(m.frames).padStart(4)} frames  mean [${m.mean_probabilities.map((p) => fmt(p)).join(', ')}]  argmax [${m.argmax_counts.join(', ')}]`);
  }

  const { frames, clips } = scoredSets(samples, shipped, LIVE_CLASS);
  const perSpecies = (kind: ManifestEntry['kind']) => {
    const subset = samples.filter((s) => s.kind === kind || isLive(s));
    const sets = scoredSets(subset, shipped, LIVE_CLASS);
    return { frame: errorRates(sets.frames, threshold), sample: errorRates(sets.clips, threshold) };
  };
  const rates = {
    threshold,
    frame: errorRates(frames, threshold),
    sample: errorRates(clips, threshold),
    print: perSpecies('print-attack'),
    replay: perSpecies('replay-attack'),
    frame_eer: equalErrorRate(frames),
    sample_eer: equalErrorRate(clips),
  };
  const line = (label: string, r: ReturnType<typeof errorRates>) =>
    console.log(`  ${label.padEnd(22)} APCER ${pct(r.apcer)} (${r.accepted}/${r.attacks})   BPCER ${pct(r.bpcer)} (${r.rejected}/${r.live})`);
  console.log(`\nAPCER / BPCER at P(live) ≥ ${threshold} counts as live:`);
  line('per frame, all', rates.frame);
  line('per frame, print', rates.print.frame);
  line('per frame, replay', rates.replay.frame);
  line('per sample (mean), all', rates.sample);
  line('per sample, print', rates.print.sample);
  line('per sample, replay', rates.replay.sample);
  console.log(`  EER: per frame ${pct(rates.frame_eer.eer)} at ${fmt(rates.frame_eer.threshold)}, per sample ${pct(rates.sample_eer.eer)} at ${fmt(rates.sample_eer.threshold)}`);

  const perSample = samples.map((s) => {
    const scores = frameScores(s, shipped, LIVE_CLASS);
    return {
      file: s.file,
      kind: s.kind,
      frames: s.frames.length,
      with_face: scores.length,
      multi_face_frames: s.probes.filter((p) => p.faces > 1).length,
      mean_live: scores.length ? mean(scores) : null,
      min_live: scores.length ? Math.min(...scores) : null,
      max_live: scores.length ? Math.max(...scores) : null,
      frames_live: scores.filter((p) => p >= threshold).length,
    };
  });
  console.log('\nper sample (shipped spec): P(live) mean [min, max] over frames with a face; frames judged live');
  for (const s of perSample) {
    console.log(
      `  ${s.file.padEnd(46)} ${s.kind.padEnd(14)} ${String(s.with_face).padStart(3)}/${String(s.frames).padEnd(3)} face` +
        `${s.multi_face_frames ? ` (${s.multi_face_frames} multi)` : ''}`.padEnd(12) +
        (s.mean_live === null ? 'no face' : `${fmt(s.mean_live)} [${fmt(s.min_live!)}, ${fmt(s.max_live!)}]  live ${s.frames_live}/${s.with_face}`),
    );
  }

  const record = {
    date: new Date().toISOString(),
    fps,
    shipped_spec: SHIPPED_LIVENESS_INPUT,
    live_class: LIVE_CLASS,
    samples: { total: samples.length, live: liveSamples.length, attack: attackSamples.length, frames_with_face: scoredFrames },
    best_candidate: ranked[0]!.name,
    sample_files: samples.map((s) => s.file),
    candidates: ranked.map(({ spec: _spec, ...candidate }) => candidate),
    class_means: classMeans,
    rates,
    per_sample: perSample,
  };
  const out = join(ROOT, 'bench', 'results', 'liveness.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(record, null, 1) + '\n');
  console.log(`saved ${out}`);
  if (values.json) {
    const { candidates: _candidates, per_sample: _perSample, sample_files: _files, ...summary } = record;
    console.log(JSON.stringify(summary));
  }
}

await main();
