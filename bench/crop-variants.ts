/**
 * Issue 22, item 2: ideas that change what the embedding model sees, scored per group on LFW folds
 * 1–8 (women/men FNMR at the shipped threshold, their ratio, false accepts). Each idea is a crop
 * variant (testing/cropVariants.ts: template scale and shift, landmark masks over hair and
 * forehead, photometric normalisation) or a test-time fusion of several variants (the mean of
 * their fused embeddings). Runs the built testing worker in headless Chromium; embeddings are
 * cached per variant in bench/.cache/crop-variants/. Usage:
 *
 *   npx tsx bench/crop-variants.ts [--set border|full] [--variants base,s1.08,…] [--groups <file>] [--limit <pairs>] [--cached-only] [--thresholds 0.38,0.39]
 *
 * `border` (the screen, see {@link onBorder}): only the pairs near the shipped threshold are
 * re-embedded, all 4,800 are scored. `full`: every LFW pair plus the deepface pairs, with the
 * threshold re-chosen by the shipped rule (bench/choose-threshold.ts) besides the shipped 0.38.
 * The `base` variant is read from bench:accuracy's cache (run it first), not recomputed.
 * `--thresholds` scores each idea at these global thresholds instead (no re-choice).
 * `--cached-only` embeds nothing and screens only the pairs whose images are cached for every
 * variant asked (a partial screen; the other pairs keep their shipped score).
 * Never a per-group threshold. Results: bench/results/crop-variants-<set>.json.
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_MATCH_THRESHOLD, cosineSimilarity, meanTemplate } from '../workers/stages/compareTemplates.js';
import { DEFAULT_EMBEDDING_OPTIONS } from '../workers/stages/embedFace.js';
import type { CropVariant } from '../testing/cropVariants.js';
import { imageUrl, startBrowserPipeline } from '../tools/browserPipeline.js';
import { FACES, ROOT } from '../tools/paths.js';
import { seededRandom } from '../tools/seededRandom.js';
import { cacheFileFor, fromBase64, pipelineId, readJsonLines, toBase64, variantName, type CachedImage } from './lib/embeddingCache.js';
import { groupReport, parseGroupMap } from './lib/groups.js';

interface Pair { a: string; b: string; same: boolean; fold?: number }
type Vec = Float32Array;

/** The crop variants, by name. `base` is the shipped crop (a check that the cache agrees). */
const VARIANTS: Readonly<Record<string, CropVariant>> = {
  base: {},
  's0.92': { scale: 0.92 },
  's1.08': { scale: 1.08 },
  'dy-3': { dy: -3 },
  'dy+3': { dy: 3 },
  'mask-top': { mask: 'top' },
  'mask-oval-upper': { mask: 'oval-upper' },
  gray: { photometric: 'gray' },
  stretch: { photometric: 'stretch' },
};

/** Test-time fusions: the mean of the named variants' embeddings. */
const FUSIONS: Readonly<Record<string, readonly string[]>> = {
  'tta: shifts (base, dy±3)': ['base', 'dy-3', 'dy+3'],
  'tta: scales (base, 0.92, 1.08)': ['base', 's0.92', 's1.08'],
  'tta: shifts and scales (5 crops)': ['base', 'dy-3', 'dy+3', 's0.92', 's1.08'],
  'tta: base + gray': ['base', 'gray'],
  'tta: base + stretch': ['base', 'stretch'],
  'tta: base + oval-upper mask': ['base', 'mask-oval-upper'],
  'tta: base + top mask': ['base', 'mask-top'],
};

const { values } = parseArgs({
  options: {
    set: { type: 'string', default: 'border' },
    variants: { type: 'string', default: Object.keys(VARIANTS).join(',') },
    groups: { type: 'string', default: join(ROOT, 'bench', '.labels', 'lfw-gender.txt') },
    limit: { type: 'string' },
    'cached-only': { type: 'boolean', default: false },
    thresholds: { type: 'string' },
  },
});
if (values.set !== 'border' && values.set !== 'full') throw new TypeError('--set must be border or full');
const names = values.variants!.split(',');
for (const n of names) if (!VARIANTS[n]) throw new TypeError(`unknown variant ${n}; known: ${Object.keys(VARIANTS).join(', ')}`);
const groupOf = parseGroupMap(readFileSync(values.groups!, 'utf8'));
const identity = (file: string) => dirname(file);
const female = (file: string) => groupOf.get(identity(file)) === 'female';

const lfwRoot = join(FACES, 'lfw');
const dfRoot = join(FACES, 'deepface');
const lfwPairs = JSON.parse(readFileSync(join(lfwRoot, 'pairs.json'), 'utf8')) as Pair[];
const dfPairs = JSON.parse(readFileSync(join(dfRoot, 'pairs.json'), 'utf8')) as Pair[];

/** The shipped pipeline's fused embeddings (bench:accuracy's cache), the `base` variant. */
const shipped = (root: string) =>
  new Map(readJsonLines<CachedImage>(cacheFileFor(root)).map((r) => [r.file, r.embeddings[variantName(DEFAULT_EMBEDDING_OPTIONS)] ?? null]));
const shippedLfw = shipped(lfwRoot);
const shippedScore = (p: Pair) => {
  const [a, b] = [shippedLfw.get(p.a), shippedLfw.get(p.b)];
  return a && b ? cosineSimilarity(fromBase64(a), fromBase64(b)) : null;
};

/**
 * The pairs of the screen: those a crop change could move across the shipped threshold, i.e.
 * genuine pairs scoring below {@link BORDER_GENUINE} (or without a face) and impostors above
 * {@link BORDER_IMPOSTOR} with the shipped crop. Every other pair keeps its shipped score; the
 * largest change a variant makes on the screened pairs is reported to show the margins hold.
 */
const BORDER_GENUINE = 0.55;
const BORDER_IMPOSTOR = 0.15;
const onBorder = (p: Pair) => {
  const s = shippedScore(p);
  return p.same ? s === null || s < BORDER_GENUINE : s !== null && s > BORDER_IMPOSTOR;
};

interface Probe { file: string; faces: number; issues: string[]; embedding: string | null }

/** Embeddings of `files` under each variant, computing and caching those missing. */
async function embedAll(root: string, files: string[]): Promise<Map<string, Map<string, Vec | null>>> {
  const dir = join(ROOT, 'bench', '.cache', 'crop-variants', pipelineId());
  mkdirSync(dir, { recursive: true });
  const tag = cacheFileFor(root).split('/').pop()!.replace('.jsonl', '');
  const fileOf = (name: string) => join(dir, `${tag}-${name}.jsonl`);
  const out = new Map<string, Map<string, Vec | null>>();
  const todo = new Set<string>();
  for (const name of names) {
    if (name === 'base') {
      out.set(name, new Map([...shipped(root)].map(([f, e]) => [f, e ? fromBase64(e) : null])));
      continue;
    }
    const cached = new Map(readJsonLines<Probe>(fileOf(name)).map((p) => [p.file, p.embedding ? fromBase64(p.embedding) : null]));
    out.set(name, cached);
    for (const f of files) if (!cached.has(f)) todo.add(f);
  }
  if (todo.size === 0 || values['cached-only']) return out;
  const list = [...todo];
  console.error(`embedding ${list.length} images × ${names.length} variants in Chromium…`);
  const pipeline = await startBrowserPipeline({ imageRoot: root });
  try {
    const started = Date.now();
    for (let i = 0; i < list.length; i += 20) {
      const batch = list.slice(i, i + 20);
      const computed = names.filter((n) => n !== 'base');
      const variants = computed.map((n) => VARIANTS[n]!);
      const probes = await pipeline.page.evaluate(async ({ urls, variants }) => {
        const harness = (window as unknown as { harness: { cropVariantProbe(u: string, v: unknown[]): Promise<{ faces: number; issues: string[]; embeddings: (number[] | null)[] }> } }).harness;
        const results = [];
        for (const url of urls) results.push(await harness.cropVariantProbe(url, variants));
        return results;
      }, { urls: batch.map(imageUrl), variants });
      computed.forEach((name, v) => {
        const lines = probes.map((p, k) => {
          const e = p.embeddings[v] ?? null;
          out.get(name)!.set(batch[k]!, e ? Float32Array.from(e) : null);
          return JSON.stringify({ file: batch[k]!, faces: p.faces, issues: p.issues, embedding: e ? toBase64(e) : null } satisfies Probe);
        });
        appendFileSync(fileOf(name), lines.join('\n') + '\n');
      });
      if ((i / 20) % 10 === 0) console.error(`  ${Math.min(i + 20, list.length)}/${list.length} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
  } finally {
    await pipeline.close();
  }
  return out;
}

let embedded = (values.set === 'border' ? lfwPairs.filter(onBorder) : lfwPairs).slice(0, values.limit ? Number(values.limit) : undefined);
const pairs = values.limit ? embedded : lfwPairs;
const lfw = await embedAll(lfwRoot, [...new Set(embedded.flatMap((p) => [p.a, p.b]))]);
if (values['cached-only']) embedded = embedded.filter((p) => names.every((n) => lfw.get(n)!.has(p.a) && lfw.get(n)!.has(p.b)));
const lfwFiles = [...new Set(embedded.flatMap((p) => [p.a, p.b]))];
console.error(`${values.set}: ${embedded.length} LFW pairs re-embedded (${embedded.filter((p) => p.same).length} genuine), ${lfwFiles.length} images`);
const isEmbedded = new Set(embedded);
const df = values.set === 'full' ? await embedAll(dfRoot, [...new Set(dfPairs.flatMap((p) => [p.a, p.b]))]) : null;

/** The embedding of an idea: one variant, or the renormalised mean of several. */
function embeddingOf(store: Map<string, Map<string, Vec | null>>, idea: readonly string[], file: string): Vec | null {
  const vs = idea.map((n) => store.get(n)!.get(file) ?? null);
  if (vs.some((v) => v === null)) return null;
  return vs.length === 1 ? vs[0]! : meanTemplate(vs as Vec[]);
}

/** The shipped rule: the lowest threshold with at most 2 pooled impostors at or above it, rounded up. */
function chooseThreshold(impostorScores: number[]): number {
  const sorted = [...impostorScores].sort((x, y) => y - x);
  return Math.ceil((sorted[2]! + 1e-9) * 100) / 100;
}

const pctStr = (x: number) => `${(100 * x).toFixed(2)} %`;
const ideas: [string, readonly string[]][] = [
  ...names.map((n) => [n, [n]] as [string, string[]]),
  ...Object.entries(FUSIONS).filter(([, parts]) => parts.every((p) => names.includes(p))),
];
const rows = [];
console.log(`\n${'idea'.padEnd(36)} thresh  women              men                ratio (bootstrap 95 %)  mean F / M     LFW FA    max imp  max Δ  mean Δ F / M / imp    df FA`);
for (const [name, idea] of ideas) {
  let largestChange = 0;
  const changes: Record<'female' | 'male' | 'impostor', number[]> = { female: [], male: [], impostor: [] };
  const scored = pairs.map((p) => {
    if (!isEmbedded.has(p)) return { pair: p, score: shippedScore(p) };
    const [a, b] = [embeddingOf(lfw, idea, p.a), embeddingOf(lfw, idea, p.b)];
    const score = a && b ? cosineSimilarity(a, b) : null;
    const before = shippedScore(p);
    if (score !== null && before !== null) {
      largestChange = Math.max(largestChange, Math.abs(score - before));
      changes[!p.same ? 'impostor' : female(p.a) ? 'female' : 'male'].push(score - before);
    }
    return { pair: p, score };
  });
  const dfScored = df ? dfPairs.map((p) => {
    const [a, b] = [embeddingOf(df, idea, p.a), embeddingOf(df, idea, p.b)];
    return { pair: p, score: a && b ? cosineSimilarity(a, b) : null };
  }) : [];
  const impostorScores = [...scored, ...dfScored].filter((s) => !s.pair.same && s.score !== null).map((s) => s.score!);
  const thresholds = values.thresholds
    ? values.thresholds.split(',').map(Number)
    : values.set === 'full' ? [DEFAULT_MATCH_THRESHOLD, chooseThreshold(impostorScores)] : [DEFAULT_MATCH_THRESHOLD];
  const mean = (xs: number[]) => xs.reduce((sum, x) => sum + x, 0) / xs.length;
  const meanChange = { female: mean(changes.female), male: mean(changes.male), impostor: mean(changes.impostor) };
  for (const threshold of [...new Set(thresholds)]) {
    const { groups, fnmr_ratio } = groupReport(
      scored.map(({ pair, score }) => ({ score, same: pair.same, identityA: identity(pair.a), identityB: identity(pair.b) })),
      groupOf,
      { threshold, resamples: 2000 },
    );
    const f = groups.genuine.female;
    const m = groups.genuine.male;
    if (!f || !m) throw new Error('both groups need genuine pairs (a larger --limit)');
    const fa = (s: typeof scored) => s.filter(({ pair, score }) => !pair.same && score !== null && score >= threshold).length;
    const impostors = scored.filter((s) => !s.pair.same);
    const maxImpostor = Math.max(...impostors.map((s) => s.score ?? -1));
    const genuine = scored.filter((s) => s.pair.same);
    const accepted = genuine.filter((s) => s.score !== null && s.score >= threshold).length;
    const row = {
      idea: name,
      crops: idea,
      threshold,
      women: { false_non_matches: f.false_non_matches, pairs: f.genuine_pairs, fnmr: f.fnmr, mean: f.mean_genuine_score },
      men: { false_non_matches: m.false_non_matches, pairs: m.genuine_pairs, fnmr: m.fnmr, mean: m.mean_genuine_score },
      fnmr_ratio,
      tar: accepted / genuine.length,
      lfw_false_accepts: fa(scored),
      lfw_impostors: impostors.length,
      max_impostor: maxImpostor,
      largest_change_on_screened_pairs: largestChange,
      mean_change_on_screened_pairs: meanChange,
      ...(df ? { deepface_false_accepts: fa(dfScored), deepface_impostors: dfScored.filter((s) => !s.pair.same).length } : {}),
    };
    rows.push(row);
    console.log(
      `${name.padEnd(36)} ${threshold.toFixed(2).padStart(5)}  ${`${f.false_non_matches}/${f.genuine_pairs}`.padStart(7)} ${pctStr(f.fnmr).padStart(7)}  ` +
        `${`${m.false_non_matches}/${m.genuine_pairs}`.padStart(8)} ${pctStr(m.fnmr).padStart(7)}  ${fnmr_ratio.value.toFixed(2)} (${fnmr_ratio.low.toFixed(2)}–${fnmr_ratio.high.toFixed(2)})`.padEnd(30) +
        `  ${f.mean_genuine_score.toFixed(3)} / ${m.mean_genuine_score.toFixed(3)}  ${String(fa(scored)).padStart(3)} / ${impostors.length}  ${maxImpostor.toFixed(3)}  ${largestChange.toFixed(3)}  ${[meanChange.female, meanChange.male, meanChange.impostor].map((x) => x.toFixed(3)).join(' / ')}` +
        (df ? `   ${fa(dfScored)} / ${dfScored.filter((s) => !s.pair.same).length}` : ''),
    );
  }
}
const out = join(ROOT, 'bench', 'results', `crop-variants-${values.set}${values['cached-only'] ? '-partial' : ''}${values.thresholds ? `-${values.thresholds}` : ''}.json`);
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), pipeline: pipelineId(), set: values.set, pairs: pairs.length, embedded_pairs: embedded.length, images: lfwFiles.length,
  border: values.set === 'border' ? { genuine_below: BORDER_GENUINE, impostor_above: BORDER_IMPOSTOR } : null, variants: Object.fromEntries(names.map((n) => [n, VARIANTS[n]])), fusions: Object.fromEntries(ideas.filter(([, parts]) => parts.length > 1)), rows }, null, 1) + '\n');
console.log(`saved ${out}`);
