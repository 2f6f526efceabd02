/**
 * Accuracy benchmark: the whole pipeline (the built worker, in headless Chromium) on labelled
 * pairs. Usage:
 *
 *   npm run bench:accuracy -- --pairs <pairs.json> --root <image dir> [--threshold shipped|<number>]
 *                             [--variants shipped|all] [--groups <file>] [--json]
 *
 * Pairs are `{a, b, same, fold?}` with paths relative to the root. With folds: the k-fold
 * protocol (threshold chosen on the other folds). Images with no detected face count as errors.
 * Embeddings are cached in bench/.cache, keyed by the hash of the pipeline's sources and models,
 * so a re-run is fast and any change to a stage recomputes them.
 * Besides each embedding variant, it scores check probes: a fused template against the mean of one
 * view per check frame (plain and mirrored in turn), as `check()` computes them.
 * With `--groups` (a map from identity to group, JSON or text, see bench/lib/groups.ts; a pair's
 * identity is the folder of its image), it reports per group at the shipped threshold (or the
 * `--threshold` given): genuine pairs, people, FNMR with a Wilson and a bootstrap-over-people
 * interval, mean genuine score, FMR per impostor group with its exact upper bound, and the
 * worst/best FNMR ratio (`groups` and `fnmr_ratio` in the record, for the shipped variant on single
 * photos; the same for check probes in `check_probes_groups`). `npx tsx bench/make-groups.ts`
 * builds the maps from ../shared/faces (they are derived from third-party data: never committed).
 * Results are saved to bench/results/accuracy-<pairs name>.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CHECK_FRAMES } from '../src/protocol/capture.js';
import { checkFrameView } from '../workers/session/check.js';
import { DEFAULT_MATCH_THRESHOLD, cosineSimilarity, meanTemplate } from '../workers/stages/compareTemplates.js';
import { DEFAULT_EMBEDDING_OPTIONS, type EmbeddingOptions } from '../workers/stages/embedFace.js';
import { ROOT } from '../tools/paths.js';
import { describeAll, fromBase64, percentile, pipelineId, PLAIN_VIEW_OPTIONS, variantName } from './lib/embeddingCache.js';
import { summarize, type ScoredPair, type Summary } from './lib/metrics.js';
import { groupReport, keepNonFinite, parseGroupMap, type GroupsReport, type RatioReport } from './lib/groups.js';

interface Pair {
  readonly a: string;
  readonly b: string;
  readonly same: boolean;
  readonly fold?: number;
}

const ALL_VARIANTS: readonly EmbeddingOptions[] = [
  { channelOrder: 'bgr', fuseMirror: false },
  { channelOrder: 'bgr', fuseMirror: true },
  { channelOrder: 'rgb', fuseMirror: false },
  { channelOrder: 'rgb', fuseMirror: true },
];

/**
 * The probe a check computes from one photo shown as its frames: the mean of one view per frame
 * (plain and mirrored in turn, `checkFrameView`). The mirrored view is recovered from the cached
 * plain view p and fused embedding f = (p + m) / |p + m|: with |p| = |m| = 1, m = 2(f·p)·f − p.
 */
function checkProbe(plain: Float32Array, fused: Float32Array): Float32Array {
  const scale = 2 * plain.reduce((sum, v, i) => sum + v * fused[i]!, 0);
  const mirrored = fused.map((v, i) => scale * v - plain[i]!);
  return meanTemplate(Array.from({ length: CHECK_FRAMES }, (_, i) => (checkFrameView(i) === 'plain' ? plain : mirrored)));
}

function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

const pct = (x: number, digits = 2) => `${fmt(100 * x, digits)} %`;

/** The per-group table of one way of scoring the pairs (`what`). */
function printGroups({ groups, fnmr_ratio }: { groups: GroupsReport; fnmr_ratio: RatioReport }, file: string, what: string) {
  console.log(
    `\nper group (${file}; ${what}, threshold ${groups.threshold}; bootstrap over people: ` +
      `${groups.bootstrap_resamples} resamples, seed ${groups.bootstrap_seed})`,
  );
  console.log('group        genuine  people  false rejects  FNMR      Wilson 95 %        bootstrap 95 %     mean genuine score');
  for (const [name, g] of Object.entries(groups.genuine)) {
    console.log(
      `${name.padEnd(12)} ${String(g.genuine_pairs).padStart(7)}  ${String(g.people).padStart(6)}  ${String(g.false_non_matches).padStart(13)}  ` +
        `${pct(g.fnmr).padEnd(8)}  ${pct(g.fnmr_wilson.low)}–${pct(g.fnmr_wilson.high).padEnd(9)}  ` +
        `${pct(g.fnmr_bootstrap.low)}–${pct(g.fnmr_bootstrap.high).padEnd(9)}  ${fmt(g.mean_genuine_score, 3)}`,
    );
  }
  console.log('impostors      pairs  false accepts  FMR       95 % upper bound (Clopper–Pearson)');
  for (const [name, i] of Object.entries(groups.impostor)) {
    console.log(`${name.padEnd(14)} ${String(i.impostor_pairs).padStart(5)}  ${String(i.false_matches).padStart(13)}  ${pct(i.fmr, 3).padEnd(8)}  ${pct(i.fmr_upper, 3)}`);
  }
  if (groups.worst !== null) {
    console.log(`FNMR ratio ${groups.worst}/${groups.best}: ${fmt(fnmr_ratio.value)} (bootstrap 95 %: ${fmt(fnmr_ratio.low)}–${fmt(fnmr_ratio.high)})`);
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      pairs: { type: 'string' },
      root: { type: 'string' },
      threshold: { type: 'string' },
      variants: { type: 'string', default: 'shipped' },
      groups: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (!values.pairs || !values.root) {
    console.error('usage: npm run bench:accuracy -- --pairs <pairs.json> --root <image dir> [--threshold shipped|<number>] [--variants shipped|all] [--groups <file>] [--json]');
    process.exit(2);
  }
  const threshold =
    values.threshold === undefined ? undefined : values.threshold === 'shipped' ? DEFAULT_MATCH_THRESHOLD : Number(values.threshold);
  if (threshold !== undefined && !Number.isFinite(threshold)) throw new TypeError(`--threshold must be "shipped" or a number`);
  // The plain view is needed besides the shipped fusion to score check probes (see checkProbe).
  const variants = values.variants === 'all' ? ALL_VARIANTS : [DEFAULT_EMBEDDING_OPTIONS, PLAIN_VIEW_OPTIONS];
  const root = resolve(values.root);
  const pairs = JSON.parse(readFileSync(values.pairs, 'utf8')) as Pair[];
  const files = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];

  const cache = await describeAll(root, files, variants);

  const images = files.map((f) => cache.get(f)!);
  const failedImages = images.filter((i) => i.faces === 0).map((i) => i.file);
  const results: Record<string, Summary & { detect_failure_pairs: number }> = {};
  let shippedScores: ScoredPair[] = [];
  variants.forEach((variant) => {
    const name = variantName(variant);
    const scored: ScoredPair[] = pairs.map((p) => {
      const a = cache.get(p.a)!.embeddings[name];
      const b = cache.get(p.b)!.embeddings[name];
      const score = a && b ? cosineSimilarity(fromBase64(a), fromBase64(b)) : null;
      return { score, same: p.same, ...(p.fold !== undefined ? { fold: p.fold } : {}) };
    });
    const summary = summarize(scored, threshold === undefined ? {} : { threshold });
    results[variantName(variant)] = { ...summary, detect_failures: failedImages.length, detect_failure_pairs: summary.detect_failures };
    if (variantName(variant) === variantName(DEFAULT_EMBEDDING_OPTIONS)) shippedScores = scored;
  });

  // Enrollment templates are fused; a check probe holds one view per frame (workers/capture.ts).
  const fusedName = variantName(DEFAULT_EMBEDDING_OPTIONS);
  const plainName = variantName(PLAIN_VIEW_OPTIONS);
  const embeddingOf = (file: string, name: string) => {
    const encoded = cache.get(file)!.embeddings[name];
    return encoded ? fromBase64(encoded) : null;
  };
  const checkScores: ScoredPair[] = pairs.map((p) => {
    const template = embeddingOf(p.a, fusedName);
    const [plain, fused] = [embeddingOf(p.b, plainName), embeddingOf(p.b, fusedName)];
    const score = template && plain && fused ? cosineSimilarity(template, checkProbe(plain, fused)) : null;
    return { score, same: p.same, ...(p.fold !== undefined ? { fold: p.fold } : {}) };
  });
  const checkProbes = summarize(checkScores, threshold === undefined ? {} : { threshold });
  const checkFalseAccepts = checkScores.filter((p) => !p.same && p.score !== null && p.score >= DEFAULT_MATCH_THRESHOLD).length;

  const issueCounts: Record<string, number> = {};
  for (const image of images) for (const issue of image.issues) issueCounts[issue] = (issueCounts[issue] ?? 0) + 1;
  const landmarks = images.map((i) => i.landmarksMs);
  const shippedName = variantName(DEFAULT_EMBEDDING_OPTIONS);
  const embed = images.filter((i) => i.faces > 0 && i.embedMs[shippedName] !== undefined).map((i) => i.embedMs[shippedName]!);
  const timing = {
    landmarks_align_ms_p50: percentile(landmarks, 0.5),
    landmarks_align_ms_p95: percentile(landmarks, 0.95),
    embed_ms_p50: percentile(embed, 0.5),
    embed_ms_p95: percentile(embed, 0.95),
  };

  console.log(`\n${basename(values.pairs)}: ${pairs.length} pairs, ${files.length} images, ${failedImages.length} without a face` +
    `${failedImages.length ? ` (${failedImages.slice(0, 5).join(', ')}${failedImages.length > 5 ? ', …' : ''})` : ''}`);
  const hasFolds = pairs.every((p) => p.fold !== undefined);
  const mode = hasFolds ? 'k-fold (each fold scored at the threshold chosen on the others)' : 'best accuracy on all pairs (optimistic: no held-out folds)';
  console.log(`threshold: ${threshold === undefined ? mode : threshold}\n`);
  console.log('variant        accuracy        AUC      EER     TAR@1e-2  TAR@1e-3  threshold  TAR     FAR');
  for (const [name, r] of Object.entries(results)) {
    console.log(
      `${name.padEnd(14)} ${fmt(100 * r.accuracy)} ± ${fmt(100 * r.accuracy_std)} %  ${fmt(r.auc, 4)}  ${fmt(100 * r.eer)} %  ` +
        `${fmt(100 * r.tar_at_far_1e2)} %   ${fmt(100 * r.tar_at_far_1e3)} %   ${fmt(r.threshold, 3)}      ${fmt(100 * r.tar)} %  ${fmt(100 * r.far, 3)} %`,
    );
  }
  console.log(
    `${'check probes'.padEnd(14)} ${fmt(100 * checkProbes.accuracy)} ± ${fmt(100 * checkProbes.accuracy_std)} %  ${fmt(checkProbes.auc, 4)}  ` +
      `${fmt(100 * checkProbes.eer)} %  ${fmt(100 * checkProbes.tar_at_far_1e2)} %   ${fmt(100 * checkProbes.tar_at_far_1e3)} %   ` +
      `${fmt(checkProbes.threshold, 3)}      ${fmt(100 * checkProbes.tar)} %  ${fmt(100 * checkProbes.far, 3)} %  ` +
      `(fused template of a vs one view per check frame of b; ${checkFalseAccepts} false accepts at the shipped ${DEFAULT_MATCH_THRESHOLD})`,
  );
  console.log(`\nimages failing a quality gate (informational; the bench embeds them anyway): ${JSON.stringify(issueCounts)}`);
  console.log(`images with a background face: ${images.filter((i) => i.backgroundFaces > 0).length}, with a comparable second face: ${images.filter((i) => i.comparableFaces > 0).length}`);
  console.log(`per image (median / p95, ms, as run with the cache's worker): landmarks+align ${fmt(timing.landmarks_align_ms_p50, 1)} / ${fmt(timing.landmarks_align_ms_p95, 1)}, embedding ${fmt(timing.embed_ms_p50, 1)} / ${fmt(timing.embed_ms_p95, 1)}`);

  let grouped: { groups: GroupsReport; fnmr_ratio: RatioReport } | undefined;
  let checkGrouped: { groups: GroupsReport; fnmr_ratio: RatioReport } | undefined;
  if (values.groups) {
    const groupOf = parseGroupMap(readFileSync(values.groups, 'utf8'));
    const identity = (file: string) => dirname(file);
    const byGroup = (scores: readonly ScoredPair[]) =>
      groupReport(
        pairs.map((p, k) => ({ score: scores[k]!.score, same: p.same, identityA: identity(p.a), identityB: identity(p.b) })),
        groupOf,
        { threshold: threshold ?? DEFAULT_MATCH_THRESHOLD },
      );
    grouped = byGroup(shippedScores);
    printGroups(grouped, basename(values.groups), 'shipped variant, single photos');
    checkGrouped = byGroup(checkScores);
    printGroups(checkGrouped, basename(values.groups), 'check probes: fused template vs one view per check frame');
  }

  const shipped = results[variantName(DEFAULT_EMBEDDING_OPTIONS)]!;
  const record = {
    pairs_file: basename(values.pairs),
    date: new Date().toISOString(),
    pipeline: pipelineId(),
    threshold_mode: values.threshold ?? 'kfold',
    shipped_variant: variantName(DEFAULT_EMBEDDING_OPTIONS),
    ...shipped,
    variants: results,
    check_probes: { ...checkProbes, false_accepts_at_shipped_threshold: checkFalseAccepts },
    quality_issue_counts: issueCounts,
    failed_images: failedImages,
    timing,
    ...(grouped ?? {}),
    ...(checkGrouped ? { check_probes_groups: checkGrouped } : {}),
    scores: shippedScores,
  };
  const out = join(ROOT, 'bench', 'results', `accuracy-${basename(dirname(resolve(values.pairs)))}${values.threshold ? `-${values.threshold}` : ''}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(record, keepNonFinite, 1) + '\n');
  console.log(`saved ${out}`);
  if (values.json) {
    const { scores: _scores, variants: _variants, ...line } = record;
    console.log(JSON.stringify(line, keepNonFinite));
  }
}

await main();
