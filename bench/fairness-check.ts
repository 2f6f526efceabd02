/**
 * Issue 22, item 2: ideas for the female/male false non-match gap scored by the check protocol —
 * an enrollment template (the mean of fused embeddings, one per enrollment photo) against the
 * probe a check computes from a photo shown as its 3 frames (one view per frame, plain and
 * mirrored in turn) — on LFW folds 1–8, at the shipped threshold unless the row says otherwise.
 * Every idea is one global rule: no per-group threshold, nothing inferred about the person.
 *
 * Inputs: bench:accuracy's embedding cache of the LFW pairs (`--embeddings <pipeline id>`, the
 * current pipeline by default; an older id is accepted when the shipped views described again by
 * bench/fairness-embed.ts agree with it, which is checked and printed), and bench/fairness-embed.ts's
 * descriptions (alignment choices, quality signals). Usage:
 *
 *   npx tsx bench/fairness-check.ts [--embeddings <pipeline id>] [--groups bench/.labels/lfw-gender.txt]
 *
 * Rows:
 * - thresholds: the check protocol at other global thresholds, and re-chosen by the shipped rule
 *   (the lowest with at most 2 of the pooled LFW + deepface check-protocol impostors at or above it).
 * - alignment points: a screen like bench/crop-variants.ts's (the pairs a change could move across
 *   the threshold are re-scored, the rest keep the shipped score: counts are bounds, see README).
 * - enrollment from more or better photos, with and without quality weights: people with at least
 *   3 photos in the set; the template of a pair (a, b) is built from a and the person's other photos
 *   (never b); impostor pairs likewise from a's person. Deepface identities the same way.
 * Results: bench/results/fairness-check.json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_MATCH_THRESHOLD, cosineSimilarity, meanTemplate } from '../workers/stages/compareTemplates.js';
import { DEFAULT_EMBEDDING_OPTIONS } from '../workers/stages/embedFace.js';
import { FACES, ROOT } from '../tools/paths.js';
import { seededRandom } from '../tools/seededRandom.js';
import { cacheFileFor, fromBase64, pipelineId, PLAIN_VIEW_OPTIONS, readJsonLines, variantName, type CachedImage } from './lib/embeddingCache.js';
import { groupReport, keepNonFinite, parseGroupMap } from './lib/groups.js';
import { checkProbeOf, enrollmentTemplate, fusedOf, IDEA_HEADER, scoreIdea, shippedThresholdRule, viewsOf, type Views } from './lib/checkProtocol.js';
import { describedFile, type DescribedFace } from './lib/describedFaces.js';

interface Pair { a: string; b: string; same: boolean; fold?: number }
type Vec = Float32Array;

const { values } = parseArgs({
  options: {
    embeddings: { type: 'string', default: pipelineId() },
    groups: { type: 'string', default: join(ROOT, 'bench', '.labels', 'lfw-gender.txt') },
  },
});
const groupOf = parseGroupMap(readFileSync(values.groups!, 'utf8'));
const identity = (file: string) => dirname(file);
const T = DEFAULT_MATCH_THRESHOLD;

// --- inputs ---------------------------------------------------------------------------------

const lfwRoot = join(FACES, 'lfw');
const lfwPairs = JSON.parse(readFileSync(join(lfwRoot, 'pairs.json'), 'utf8')) as Pair[];
const dfPairs = JSON.parse(readFileSync(join(FACES, 'deepface', 'pairs.json'), 'utf8')) as Pair[];
const lfwManifest = JSON.parse(readFileSync(join(lfwRoot, 'manifest.json'), 'utf8')) as { file: string; identity: string | null }[];
const dfManifest = JSON.parse(readFileSync(join(FACES, 'deepface', 'manifest.json'), 'utf8')) as { file: string; identity: string | null }[];

/** The mirrored view from the plain view p and the fused f = (p + m)/|p + m|: m = 2(f·p)f − p. */
function mirroredFrom(plain: Vec, fused: Vec): Vec {
  const scale = 2 * plain.reduce((s, v, i) => s + v * fused[i]!, 0);
  return fused.map((v, i) => scale * v - plain[i]!);
}

const cacheFile = cacheFileFor(lfwRoot).replace(pipelineId(), values.embeddings!);
const cached = new Map<string, Views | null>();
for (const r of readJsonLines<CachedImage>(cacheFile)) {
  const [p, f] = [r.embeddings[variantName(PLAIN_VIEW_OPTIONS)], r.embeddings[variantName(DEFAULT_EMBEDDING_OPTIONS)]];
  if (p === undefined || f === undefined) continue;
  cached.set(r.file, p && f ? { plain: fromBase64(p), mirrored: mirroredFrom(fromBase64(p), fromBase64(f)) } : null);
}
if (cached.size === 0) throw new Error(`no cached LFW embeddings in ${cacheFile}: run bench:accuracy, or pass --embeddings <pipeline id>`);

const described = (file: string) => new Map(readJsonLines<DescribedFace>(describedFile(file)).map((d) => [d.file, d]));
const lfwDescribed = new Map([...described('lfw-quality'), ...described('lfw')]);
const dfDescribed = described('deepface');

// The cache must be the shipped pipeline's: compare it with the shipped views described now.
let compared = 0;
let largestGap = 0;
for (const [file, d] of lfwDescribed) {
  const now = viewsOf(d, 'shipped');
  const before = cached.get(file);
  if (now === undefined || before === undefined) continue;
  if ((now === null) !== (before === null)) throw new Error(`${file}: a face in one run only`);
  if (now && before) largestGap = Math.max(largestGap, 1 - cosineSimilarity(now.plain, before.plain), 1 - cosineSimilarity(now.mirrored, before.mirrored));
  compared++;
}
console.log(`embeddings of pipeline ${values.embeddings} (current ${pipelineId()}): ${cached.size} LFW photos; ` +
  `${compared} described again now, largest 1 − cos between the two runs ${largestGap.toExponential(2)}`);
if (compared > 0 && largestGap > 1e-4) throw new Error('the cached embeddings are not the shipped pipeline\'s');

// --- the check protocol ---------------------------------------------------------------------

interface Scored { pair: Pair; score: number | null }
const dfShipped = (file: string) => viewsOf(dfDescribed.get(file), 'shipped') ?? null;
const checkScore = (a: Views | null | undefined, b: Views | null | undefined) => (a && b ? cosineSimilarity(enrollmentTemplate([a]), checkProbeOf(b)) : null);
const baseLfw: Scored[] = lfwPairs.map((pair) => ({ pair, score: checkScore(cached.get(pair.a), cached.get(pair.b)) }));
const baseDf: Scored[] = dfPairs.map((pair) => ({ pair, score: checkScore(dfShipped(pair.a), dfShipped(pair.b)) }));
const dfComplete = dfPairs.every((p) => dfDescribed.has(p.a) && dfDescribed.has(p.b));

const rows: Record<string, unknown>[] = [];
const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
console.log(`\n${IDEA_HEADER}`);

/** Scores one idea at `threshold` (bench/lib/checkProtocol.ts `scoreIdea`) and keeps its row. */
function row(name: string, lfw: readonly Scored[], df: readonly Scored[] | null, threshold: number, extra: Record<string, unknown> = {}) {
  const { record, line } = scoreIdea(name, lfw, df, threshold, groupOf);
  const r = { ...record, ...extra };
  rows.push(r);
  console.log(line);
  return r;
}

// --- thresholds (global) --------------------------------------------------------------------

const dfOrNull = (s: Scored[]) => (dfComplete ? s : null);
row('check protocol, shipped (1 photo each side)', baseLfw, dfOrNull(baseDf), T);
for (const t of [0.3, 0.34, 0.36, 0.4, 0.42, 0.45, 0.5, 0.55, 0.6]) row(`  global threshold ${t}`, baseLfw, dfOrNull(baseDf), t);
if (dfComplete) {
  const t = shippedThresholdRule([...baseLfw, ...baseDf].filter((s) => !s.pair.same).map((s) => s.score));
  row('  threshold re-chosen by the shipped rule (check protocol)', baseLfw, baseDf, t);
}

// The deepface pairs have no group labels (anonymous identities): their rates for everybody together.
if (dfComplete) {
  const deepfaceSingle = dfPairs.map((pair) => {
    const [a, b] = [dfShipped(pair.a), dfShipped(pair.b)];
    return { pair, score: a && b ? cosineSimilarity(fusedOf(a), fusedOf(b)) : null };
  });
  for (const [name, scored] of [['single photos', deepfaceSingle], ['check protocol', baseDf]] as const) {
    const { groups } = groupReport(scored.map(({ pair, score }) => ({ score, same: pair.same, identityA: identity(pair.a), identityB: identity(pair.b) })), new Map(), { threshold: T, resamples: 2000 });
    const g = groups.genuine.unlabeled!;
    const i = groups.impostor['unlabeled-unlabeled']!;
    console.log(`deepface, ${name}, no labels: ${g.false_non_matches}/${g.genuine_pairs} genuine pairs rejected (${g.people} people; Wilson ${pct(g.fnmr_wilson.low)}–${pct(g.fnmr_wilson.high)}, ` +
      `bootstrap ${pct(g.fnmr_bootstrap.low)}–${pct(g.fnmr_bootstrap.high)}), mean genuine ${g.mean_genuine_score.toFixed(3)}; ${i.false_matches}/${i.impostor_pairs} impostors accepted (upper ${pct(i.fmr_upper)})`);
    rows.push({ idea: `deepface, ${name}, everybody (no group labels)`, threshold: T, deepface: groups });
  }
}

// --- alignment points (screen) --------------------------------------------------------------

/** Pairs a change could move across the threshold (as bench/crop-variants.ts screens them). */
const onBorder = ({ pair, score }: Scored) => (pair.same ? score === null || score < 0.55 : score !== null && score > 0.15);
const border = baseLfw.filter(onBorder);
const screened = border.filter(({ pair }) => [pair.a, pair.b].every((f) => lfwDescribed.get(f)?.views.iris !== undefined));
console.log(`\nalignment screen: ${screened.length} of ${border.length} border pairs described with every alignment ` +
  `(${screened.filter((s) => s.pair.same).length} genuine); the other ${baseLfw.length - screened.length} pairs keep the shipped score`);
const screenedSet = new Set(screened.map((s) => s.pair));
const alignmentViews = (file: string, alignments: readonly string[]): Views | null => {
  const vs = alignments.map((a) => viewsOf(lfwDescribed.get(file), a));
  if (vs.some((v) => !v)) return null;
  if (vs.length === 1) return vs[0]!;
  // Test-time fusion of several crops: each view is the mean of that view over the crops.
  return { plain: meanTemplate(vs.map((v) => v!.plain)), mirrored: meanTemplate(vs.map((v) => v!.mirrored)) };
};
const dfAlignment = (file: string, alignments: readonly string[]): Views | null => {
  const vs = alignments.map((a) => viewsOf(dfDescribed.get(file), a));
  if (vs.some((v) => !v)) return null;
  return vs.length === 1 ? vs[0]! : { plain: meanTemplate(vs.map((v) => v!.plain)), mirrored: meanTemplate(vs.map((v) => v!.mirrored)) };
};
const ALIGNMENT_IDEAS: Readonly<Record<string, readonly string[]>> = {
  'shipped points (re-described: a check)': ['shipped'],
  'eye points = iris centres': ['iris'],
  'eye points = midpoints of the eye corners': ['corners'],
  'test-time fusion: shipped + iris + corners': ['shipped', 'iris', 'corners'],
};
if (screened.length > 0) {
  for (const [name, alignments] of Object.entries(ALIGNMENT_IDEAS)) {
    const changes: Record<string, number[]> = { female: [], male: [], impostor: [] };
    const lfw = baseLfw.map((s) => {
      if (!screenedSet.has(s.pair)) return s;
      const score = checkScore(alignmentViews(s.pair.a, alignments), alignmentViews(s.pair.b, alignments));
      if (score !== null && s.score !== null) changes[!s.pair.same ? 'impostor' : groupOf.get(identity(s.pair.a)) === 'female' ? 'female' : 'male']!.push(score - s.score);
      return { pair: s.pair, score };
    });
    const dfDescribedAll = dfComplete && dfPairs.every((p) => alignments.every((a) => [p.a, p.b].every((f) => dfDescribed.get(f)?.views[a] !== undefined)));
    const df = dfDescribedAll ? dfPairs.map((pair) => ({ pair, score: checkScore(dfAlignment(pair.a, alignments), dfAlignment(pair.b, alignments)) })) : null;
    const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / Math.max(1, xs.length);
    const moved = Object.fromEntries(Object.entries(changes).map(([k, xs]) => [k, Number(mean(xs).toFixed(4))]));
    // Genuine decisions that flipped at the shipped threshold, per group: rescued and newly lost pairs.
    const flips = { female: { rescued: 0, lost: 0 }, male: { rescued: 0, lost: 0 } };
    lfw.forEach((s, k) => {
      if (!s.pair.same) return;
      const [before, after] = [baseLfw[k]!.score, s.score].map((x) => x !== null && x >= T);
      if (before === after) return;
      flips[groupOf.get(identity(s.pair.a)) === 'female' ? 'female' : 'male'][after ? 'rescued' : 'lost']++;
    });
    row(`align: ${name}`, lfw, df, T, { screen: true, mean_change_on_screened_pairs: moved, genuine_flips: flips });
    console.log(`${''.padEnd(52)}mean change on screened pairs: women ${moved.female}, men ${moved.male}, impostors ${moved.impostor}; ` +
      `genuine pairs rescued / lost: women ${flips.female.rescued} / ${flips.female.lost}, men ${flips.male.rescued} / ${flips.male.lost}`);
  }
}

// --- enrollment from more or better photos, quality weights ---------------------------------

/** Quality signals of a photo: from its description (null when not described) and its cached views. */
function quality(d: DescribedFace | undefined, views: Views | null) {
  if (!d || !d.pose || !d.measures || d.rawNorms.shipped == null || !views) return null;
  const cos = (deg: number) => Math.cos((Math.min(Math.abs(deg), 60) * Math.PI) / 180);
  const frontal = cos(d.pose.yaw) * cos(d.pose.pitch);
  return { frontal: Number.isFinite(frontal) ? frontal : 1, norm: d.rawNorms.shipped, sharpness: d.measures.sharpness, issues: d.issues.length };
}
type Quality = NonNullable<ReturnType<typeof quality>>;
const normMedian = (() => {
  const norms = [...lfwDescribed.values()].map((d) => d.rawNorms.shipped).filter((n): n is number => typeof n === 'number').sort((a, b) => a - b);
  return norms[norms.length >> 1] ?? 1;
})();
/** Agreement of a photo's plain and mirrored views: low for turned or one-sidedly occluded faces. Needs no description. */
const symmetry = (v: Views) => Math.max(0, cosineSimilarity(v.plain, v.mirrored));
/** Weights of a quality-weighted template: one global rule each. */
const WEIGHTS: Readonly<Record<string, (q: Quality) => number>> = {
  'frontality cos(yaw)·cos(pitch), squared': (q) => q.frontal ** 2,
  'raw embedding norm, squared': (q) => (q.norm / normMedian) ** 2,
  'sharpness (log)': (q) => Math.log1p(q.sharpness),
  'frontality × norm, squared': (q) => q.frontal ** 2 * (q.norm / normMedian) ** 2,
};
/** A single quality score to pick the best photos with: frontal, a long raw embedding, no failed gate. */
const bestScore = (q: Quality) => q.frontal * (q.norm / normMedian) - 0.5 * q.issues;

/**
 * The enrollment rules scored on pairs whose first person has ≥ 3 photos. Rules that need the
 * description of every photo (pose, norm, sharpness) re-score the pairs a weight could move across
 * the threshold (genuine below 0.6 or impostors above 0.15 with the unweighted template, whose
 * photos are all described); the other pairs keep the unweighted template's score.
 */
function enrollmentRows(name: string, pairs: readonly Pair[], photosOf: (person: string) => string[], viewsFor: (file: string) => Views | null,
  describedFor: (file: string) => DescribedFace | undefined, df: { pairs: readonly Pair[]; photosOf: (person: string) => string[]; viewsFor: (file: string) => Views | null; describedFor: (file: string) => DescribedFace | undefined } | null) {
  type Rule = { name: string; files: (p: Pair, others: string[]) => string[] | null; weights?: (file: string) => number | null; described?: boolean };
  const qualityOf = (describedFor_: (f: string) => DescribedFace | undefined, viewsFor_: (f: string) => Views | null) => (f: string) => quality(describedFor_(f), viewsFor_(f));
  const rules = (qualityFor: (f: string) => Quality | null, viewsFor_: (f: string) => Views | null): Rule[] => [
    { name: '1 photo (the pair\'s a)', files: (p) => [p.a] },
    { name: 'a + up to 2 other photos (random)', files: (p, others) => [p.a, ...others.slice(0, 2)] },
    { name: 'a + every other photo', files: (p, others) => [p.a, ...others] },
    { name: 'a + every other photo, weights: plain/mirror agreement, squared', files: (p, others) => [p.a, ...others], weights: (f) => { const v = viewsFor_(f); return v ? symmetry(v) ** 2 : null; } },
    ...Object.entries(WEIGHTS).map(([n, w]) => ({ name: `a + every other photo, weights: ${n}`, files: (p: Pair, others: string[]) => [p.a, ...others], weights: (f: string) => { const q = qualityFor(f); return q ? w(q) : null; }, described: true })),
    { name: 'best 3 photos of a + others by quality (frontal × norm)', described: true, files: (p, others) => {
      const list = [p.a, ...others];
      const qs = list.map(qualityFor);
      if (qs.some((q) => q === null)) return null;
      return list.map((f, k) => ({ f, s: bestScore(qs[k]!) })).sort((x, y) => y.s - x.s).slice(0, 3).map((x) => x.f);
    } },
  ];
  const score = (p: Pair, files: string[], viewsFor_: (f: string) => Views | null, weights?: (file: string) => number | null): number | null | undefined => {
    const kept = files.filter((f) => viewsFor_(f) !== null);
    const b = viewsFor_(p.b);
    if (kept.length === 0 || !b) return null;
    const w = weights ? kept.map(weights) : undefined;
    if (w?.some((x) => x === null)) return undefined;
    return cosineSimilarity(enrollmentTemplate(kept.map((f) => viewsFor_(f)!), w as number[] | undefined), checkProbeOf(b));
  };
  const prepare = (pairs_: readonly Pair[], photosOf_: (person: string) => string[], viewsFor_: (f: string) => Views | null, seed: number) => {
    const random = seededRandom(seed);
    const eligible = pairs_.filter((p) => photosOf_(identity(p.a)).length >= 3);
    // Other photos in a seeded random order, drawn once: rules differ by their rule only.
    const others = new Map(eligible.map((p) => {
      const pool = photosOf_(identity(p.a)).filter((f) => f !== p.a && f !== p.b && viewsFor_(f) !== null);
      const order: string[] = [];
      while (pool.length) order.push(pool.splice(Math.floor(random() * pool.length), 1)[0]!);
      return [p, order];
    }));
    const unweighted = new Map(eligible.map((p) => [p, score(p, [p.a, ...others.get(p)!], viewsFor_)]));
    return { eligible, others, unweighted };
  };
  const lfwSet = prepare(pairs, photosOf, viewsFor, 7);
  const dfSet = df ? prepare(df.pairs, df.photosOf, df.viewsFor, 7) : null;
  const lfwRules = rules(qualityOf(describedFor, viewsFor), viewsFor);
  const dfRules = df ? rules(qualityOf(df.describedFor, df.viewsFor), df.viewsFor) : null;
  const near = (p: Pair, s: number | null | undefined) => (p.same ? s == null || s < 0.6 : s != null && s > 0.15);
  console.log(`\nenrollment from several photos (${name}): ${lfwSet.eligible.length} pairs whose first person has ≥ 3 photos (${lfwSet.eligible.filter((p) => p.same).length} genuine)`);
  lfwRules.forEach((rule, k) => {
    let rescored = 0;
    let missing = 0;
    const scoreAll = (set: NonNullable<typeof dfSet>, r: Rule, viewsFor_: (f: string) => Views | null): Scored[] => set.eligible.map((pair) => {
      const fallback = set.unweighted.get(pair) ?? null;
      if (r.described && !near(pair, fallback)) return { pair, score: fallback };
      const files = r.files(pair, set.others.get(pair)!);
      const s = files === null ? undefined : score(pair, files, viewsFor_, r.weights);
      if (s === undefined) {
        if (set === lfwSet) missing++;
        return { pair, score: fallback };
      }
      if (set === lfwSet && r.described) rescored++;
      return { pair, score: s };
    });
    const lfw = scoreAll(lfwSet, rule, viewsFor);
    const dfScores = dfSet && dfRules ? scoreAll(dfSet, dfRules[k]!, df!.viewsFor) : null;
    row(`≥3 photos: ${rule.name}`, lfw, dfScores, T, { subset: 'people with ≥ 3 photos', ...(rule.described ? { rescored_pairs: rescored, not_described_pairs: missing } : {}) });
    if (rule.described) console.log(`${''.padEnd(52)}${rescored} pairs near the threshold re-scored, ${missing} not described yet (unweighted score kept)`);
  });
}

const lfwPhotos = new Map<string, string[]>();
for (const m of lfwManifest) if (m.identity && cached.get(m.file) !== undefined) lfwPhotos.set(m.identity, [...(lfwPhotos.get(m.identity) ?? []), m.file]);
const dfPhotos = new Map<string, string[]>();
for (const m of dfManifest) if (m.identity) dfPhotos.set(m.identity, [...(dfPhotos.get(m.identity) ?? []), m.file]);
enrollmentRows('LFW folds 1–8', lfwPairs, (person) => lfwPhotos.get(person) ?? [], (f) => cached.get(f) ?? null, (f) => lfwDescribed.get(f),
  dfComplete ? { pairs: dfPairs, photosOf: (person) => dfPhotos.get(person) ?? [], viewsFor: dfShipped, describedFor: (f) => dfDescribed.get(f) } : null);

const out = join(ROOT, 'bench', 'results', 'fairness-check.json');
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), pipeline: pipelineId(), embeddings_pipeline: values.embeddings, compared_images: compared, largest_gap: largestGap, rows }, keepNonFinite, 1) + '\n');
console.log(`saved ${out}`);
