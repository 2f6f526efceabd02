/**
 * Issue 22, item 2: scores ideas for closing the female/male false non-match gap from the cached
 * LFW and deepface embeddings alone (no model run). Run `bench:accuracy` on both pair sets once so
 * the cache is filled, and `npx tsx bench/make-groups.ts` for the group map. Usage:
 *
 *   npx tsx bench/fairness-ideas.ts [--groups bench/.labels/lfw-gender.txt]
 *
 * Every idea is one global rule (no per-group threshold, no inferred attribute). For each: the
 * threshold (the shipped 0.38, or re-chosen by the shipped rule: the lowest with at most 2 of the
 * pooled LFW + deepface impostors above it), women's and men's FNMR, their ratio and absolute
 * gap, and false accepts on LFW and deepface. LFW folds 1–8 only; seeds are fixed.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { CHECK_FRAMES } from '../src/protocol/capture.js';
import { checkFrameView } from '../workers/session/check.js';
import { DEFAULT_MATCH_THRESHOLD, cosineSimilarity, meanTemplate } from '../workers/stages/compareTemplates.js';
import { DEFAULT_EMBEDDING_OPTIONS } from '../workers/stages/embedFace.js';
import { FACES, ROOT } from '../tools/paths.js';
import { cacheFileFor, fromBase64, PLAIN_VIEW_OPTIONS, readJsonLines, variantName, type CachedImage } from './lib/embeddingCache.js';
import { groupReport, parseGroupMap } from './lib/groups.js';
import { seededRandom } from '../tools/seededRandom.js';

interface Pair { a: string; b: string; same: boolean; fold?: number }
type Vec = Float32Array;

const { values } = parseArgs({ options: { groups: { type: 'string', default: join(ROOT, 'bench', '.labels', 'lfw-gender.txt') } } });
const groupOf = parseGroupMap(readFileSync(values.groups!, 'utf8'));
const FUSED = variantName(DEFAULT_EMBEDDING_OPTIONS);
const PLAIN = variantName(PLAIN_VIEW_OPTIONS);

function load(set: string) {
  const root = join(FACES, set);
  const records = new Map(readJsonLines<CachedImage>(cacheFileFor(root)).map((r) => [r.file, r]));
  const pairs = JSON.parse(readFileSync(join(root, 'pairs.json'), 'utf8')) as Pair[];
  const vec = (file: string, name = FUSED): Vec | null => {
    const r = records.get(file);
    if (!r) throw new Error(`${set}/${file} is not cached: run bench:accuracy on ${set} first`);
    const e = r.embeddings[name];
    return e ? fromBase64(e) : null;
  };
  return { records, pairs, vec };
}
const lfw = load('lfw');
const deepface = load('deepface');
const identity = (file: string) => dirname(file);
const cos = (a: Vec | null, b: Vec | null) => (a && b ? cosineSimilarity(a, b) : null);

/** The probe a check computes from one photo shown as its frames (as in bench/accuracy.ts). */
function checkProbe(file: string): Vec | null {
  const [plain, fused] = [lfw.vec(file, PLAIN), lfw.vec(file)];
  if (!plain || !fused) return null;
  const scale = 2 * plain.reduce((s, v, i) => s + v * fused[i]!, 0);
  const mirrored = fused.map((v, i) => scale * v - plain[i]!);
  return meanTemplate(Array.from({ length: CHECK_FRAMES }, (_, i) => (checkFrameView(i) === 'plain' ? plain : mirrored)));
}

/** The shipped rule: the lowest threshold with at most 2 pooled impostors at or above it, rounded up to 2 decimals when `round`. */
function chooseThreshold(impostorScores: (number | null)[], round: boolean): number {
  const sorted = impostorScores.filter((s): s is number => s !== null).sort((x, y) => y - x);
  const t = sorted[2]! + 1e-9;
  return round ? Math.ceil(t * 100) / 100 : t;
}

interface Scored { pair: Pair; score: number | null }
function row(name: string, lfwScores: Scored[], dfScores: Scored[], threshold: number | 'rechoose' | 'rechoose-raw') {
  const t =
    typeof threshold === 'number'
      ? threshold
      : chooseThreshold([...lfwScores, ...dfScores].filter((s) => !s.pair.same).map((s) => s.score), threshold === 'rechoose');
  const { groups, fnmr_ratio } = groupReport(
    lfwScores.map(({ pair, score }) => ({ score, same: pair.same, identityA: identity(pair.a), identityB: identity(pair.b) })),
    groupOf,
    { threshold: t, resamples: 2000 },
  );
  const fa = (s: Scored[]) => s.filter(({ pair, score }) => !pair.same && score !== null && score >= t).length;
  const f = groups.genuine.female!;
  const m = groups.genuine.male!;
  const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
  console.log(
    `${name.padEnd(52)} ${t.toFixed(3).padStart(6)}  ${`${f.false_non_matches}/${f.genuine_pairs}`.padStart(7)} ${pct(f.fnmr).padStart(7)}  ` +
      `${`${m.false_non_matches}/${m.genuine_pairs}`.padStart(8)} ${pct(m.fnmr).padStart(7)}  ${fnmr_ratio.value.toFixed(2)} (${fnmr_ratio.low.toFixed(2)}–${fnmr_ratio.high.toFixed(2)})  ` +
      `${(100 * (f.fnmr - m.fnmr)).toFixed(2).padStart(5)} pp  ${String(fa(lfwScores)).padStart(3)} / ${lfwScores.filter((s) => !s.pair.same).length}  ${fa(dfScores)} / 380`,
  );
}

console.log(`${'idea'.padEnd(52)} thresh  women            men               ratio (bootstrap 95 %)  gap       LFW FA      deepface FA`);
const base = lfw.pairs.map((pair) => ({ pair, score: cos(lfw.vec(pair.a), lfw.vec(pair.b)) }));
const dfBase = deepface.pairs.map((pair) => ({ pair, score: cos(deepface.vec(pair.a), deepface.vec(pair.b)) }));
row('baseline: single photos, shipped 0.38', base, dfBase, DEFAULT_MATCH_THRESHOLD);
for (const t of [0.36, 0.34, 0.3, 0.26]) row(`threshold ${t} (global)`, base, dfBase, t);
for (const t of [0.4, 0.42]) row(`threshold ${t} (global)`, base, dfBase, t);

// One view per photo, without mirror fusion (the plain BGR run).
row('one view per photo (no mirror fusion)', lfw.pairs.map((pair) => ({ pair, score: cos(lfw.vec(pair.a, PLAIN), lfw.vec(pair.b, PLAIN)) })),
  deepface.pairs.map((pair) => ({ pair, score: cos(deepface.vec(pair.a, PLAIN), deepface.vec(pair.b, PLAIN)) })), DEFAULT_MATCH_THRESHOLD);

// Check protocol: fused template of a against the 3-frame probe of b.
const checks = lfw.pairs.map((pair) => ({ pair, score: cos(lfw.vec(pair.a), checkProbe(pair.b)) }));
row('check protocol: fused template vs 3-frame probe', checks, dfBase, DEFAULT_MATCH_THRESHOLD);

// Quality gates: a real capture never uses a frame that fails a gate (it asks again), so keep
// only pairs whose two photos pass every gate.
const passes = (file: string) => { const r = lfw.records.get(file)!; return r.faces > 0 && r.issues.length === 0; };
row('only pairs whose photos pass every quality gate', base.filter(({ pair }) => passes(pair.a) && passes(pair.b)), dfBase, DEFAULT_MATCH_THRESHOLD);

// Template from more photos: enrollment fuses several frames. For people with ≥ 3 photos, the
// template is a plus 2 other photos of the same person (never b), seeded; the same subset with a
// single-photo template is the reference.
const photos = new Map<string, string[]>();
for (const file of lfw.records.keys()) photos.set(identity(file), [...(photos.get(identity(file)) ?? []), file]);
const subset = lfw.pairs.filter((p) => photos.get(identity(p.a))!.length >= 3);
const random = seededRandom(7);
const template = (p: Pair) => {
  const others = photos.get(identity(p.a))!.filter((f) => f !== p.a && f !== p.b);
  const picked = [p.a];
  while (picked.length < 3 && others.length > 0) picked.push(others.splice(Math.floor(random() * others.length), 1)[0]!);
  const vs = picked.map((f) => lfw.vec(f)).filter((v): v is Vec => v !== null);
  return vs.length ? meanTemplate(vs) : null;
};
const subsetBase = base.filter(({ pair }) => photos.get(identity(pair.a))!.length >= 3);
row('people with ≥ 3 photos: single-photo template', subsetBase, dfBase, DEFAULT_MATCH_THRESHOLD);
const multi = subset.map((pair) => ({ pair, template: template(pair) }));
row('people with ≥ 3 photos: template of 3 photos', multi.map(({ pair, template: t }) => ({ pair, score: cos(t, lfw.vec(pair.b)) })), dfBase, DEFAULT_MATCH_THRESHOLD);
row('people with ≥ 3 photos: 3 photos vs 3-frame probe', multi.map(({ pair, template: t }) => ({ pair, score: cos(t, checkProbe(pair.b)) })), dfBase, DEFAULT_MATCH_THRESHOLD);

// Score normalisation with a cohort of other people (images of the other folds, 800 seeded):
// mean-centring, and symmetric S-norm; the threshold is re-chosen by the shipped rule.
const folds = [...new Set(lfw.pairs.map((p) => p.fold!))];
const filesOfFold = new Map(folds.map((k) => [k, new Set(lfw.pairs.filter((p) => p.fold === k).flatMap((p) => [p.a, p.b]))]));
const cohortRandom = seededRandom(22);
const sample = (files: string[], n: number) => {
  const pool = files.filter((f) => lfw.vec(f) !== null);
  const out: Vec[] = [];
  while (out.length < n && pool.length) out.push(lfw.vec(pool.splice(Math.floor(cohortRandom() * pool.length), 1)[0]!)!);
  return out;
};
const cohortOf = new Map(folds.map((k) => [k, sample(folds.filter((j) => j !== k).flatMap((j) => [...filesOfFold.get(j)!]), 800)]));
const dfCohort = sample([...lfw.records.keys()], 800);
const mean = (vs: Vec[]) => vs.reduce((s, v) => s.map((x, i) => x + v[i]!), new Float32Array(vs[0]!.length)).map((x) => x / vs.length);
const meanOf = new Map([...cohortOf].map(([k, c]) => [k, mean(c)]));
const dfMean = mean(dfCohort);
const centred = (a: Vec | null, b: Vec | null, mu: Float32Array) => (a && b ? cosineSimilarity(a.map((x, i) => x - mu[i]!), b.map((x, i) => x - mu[i]!)) : null);
row('mean-centred embeddings (threshold re-chosen)', base.map(({ pair }) => ({ pair, score: centred(lfw.vec(pair.a), lfw.vec(pair.b), meanOf.get(pair.fold!)!) })),
  dfBase.map(({ pair }) => ({ pair, score: centred(deepface.vec(pair.a), deepface.vec(pair.b), dfMean) })), 'rechoose');
const stats = (v: Vec, cohort: Vec[]) => {
  const s = cohort.map((c) => c.reduce((acc, x, i) => acc + x * v[i]!, 0));
  const m = s.reduce((a, x) => a + x, 0) / s.length;
  return { m, sd: Math.sqrt(s.reduce((a, x) => a + (x - m) ** 2, 0) / s.length) };
};
const statsCache = new Map<string, { m: number; sd: number }>();
const cachedStats = (key: string, v: Vec, cohort: Vec[]) => statsCache.get(key) ?? statsCache.set(key, stats(v, cohort)).get(key)!;
const snorm = (a: Vec | null, b: Vec | null, cohort: Vec[], keyA: string, keyB: string) => {
  if (!a || !b) return null;
  const s = cosineSimilarity(a, b);
  const [sa, sb] = [cachedStats(keyA, a, cohort), cachedStats(keyB, b, cohort)];
  return 0.5 * ((s - sa.m) / sa.sd + (s - sb.m) / sb.sd);
};
row('S-norm, 800-image cohort (threshold re-chosen)', base.map(({ pair }) => ({ pair, score: snorm(lfw.vec(pair.a), lfw.vec(pair.b), cohortOf.get(pair.fold!)!, `${pair.fold}:${pair.a}`, `${pair.fold}:${pair.b}`) })),
  dfBase.map(({ pair }) => ({ pair, score: snorm(deepface.vec(pair.a), deepface.vec(pair.b), dfCohort, `df:${pair.a}`, `df:${pair.b}`) })), 'rechoose-raw');
