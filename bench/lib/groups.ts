import { seededRandom } from '../../tools/seededRandom.js';
/**
 * Per-group error rates of a verification benchmark (issue 22): false non-match rate (FNMR) per
 * group of people with a Wilson interval and a bootstrap over people, mean genuine score, false
 * match rate (FMR) per impostor group with an exact upper bound, and the ratio of the worst to the
 * best group's FNMR with its bootstrap interval.
 *
 * Conventions (the same as {@link ./metrics}): "match" is `score >= threshold`; a pair with no
 * score (no face detected) never matches, so a failed genuine pair is a false non-match and a failed
 * impostor pair a true non-match. A genuine pair belongs to its person's group; an impostor pair to
 * the unordered pair of its two people's groups (`female-female`, `male-male`, all cross-group
 * pairs together as `mixed`). People not in the group map are `unlabeled`: reported, never in the ratio.
 *
 * @module
 */

/** One scored pair with the identities of its two images. */
export interface GroupedPair {
  readonly score: number | null;
  readonly same: boolean;
  readonly identityA: string;
  readonly identityB: string;
}

/** A two-sided interval. */
export interface Interval {
  readonly low: number;
  readonly high: number;
}

/** The genuine-pair report of one group. */
export interface GenuineGroupReport {
  readonly genuine_pairs: number;
  readonly people: number;
  readonly false_non_matches: number;
  readonly fnmr: number;
  /** 95 % Wilson score interval of the FNMR (pairs treated as independent). */
  readonly fnmr_wilson: Interval;
  /** 95 % percentile interval of the FNMR, resampling people with replacement. */
  readonly fnmr_bootstrap: Interval;
  /** Mean similarity of the genuine pairs that have a score (failed pairs left out of the mean only). */
  readonly mean_genuine_score: number;
}

/** The impostor-pair report of one group pair. */
export interface ImpostorGroupReport {
  readonly impostor_pairs: number;
  readonly false_matches: number;
  readonly fmr: number;
  /** Exact (Clopper–Pearson) two-sided 95 % upper bound of the FMR; 1 − 0.025^(1/n) ≈ 3.7/n with no error. */
  readonly fmr_upper: number;
}

/** The whole per-group report. */
export interface GroupsReport {
  readonly threshold: number;
  readonly bootstrap_resamples: number;
  readonly bootstrap_seed: number;
  readonly genuine: Readonly<Record<string, GenuineGroupReport>>;
  readonly impostor: Readonly<Record<string, ImpostorGroupReport>>;
  /** Groups of the ratio, by point FNMR (labelled groups only). */
  readonly worst: string | null;
  readonly best: string | null;
}

/** {@link fnmrRatio}'s result: worst / best FNMR and its bootstrap percentile interval. */
export interface RatioReport {
  readonly value: number;
  readonly low: number;
  readonly high: number;
}

/**
 * A `JSON.stringify` replacer that keeps what JSON cannot hold: an unbounded ratio (a best group with
 * no error, in the point estimate or in a bootstrap draw) is written as `"Infinity"` and an
 * undefined one (fewer than two labelled groups) as `"NaN"`, instead of the `null` JSON would write
 * for both.
 */
export function keepNonFinite(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

/** The group of people missing from the map. */
export const UNLABELED = 'unlabeled';
/** Bootstrap resamples used by default. */
export const DEFAULT_RESAMPLES = 10_000;
/** Default bootstrap seed (the number): the same input gives the same intervals. */
export const DEFAULT_SEED = 22;
const Z95 = 1.959963984540054;

/**
 * Parses a group map: a JSON object `{identity: group}`, or text with one `identity group` per
 * line (whitespace or a comma between them; `#` starts a comment).
 */
export function parseGroupMap(text: string): Map<string, string> {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    const parsed = JSON.parse(trimmed) as Record<string, unknown>;
    const map = new Map<string, string>();
    for (const [identity, group] of Object.entries(parsed)) {
      if (typeof group !== 'string' || group === '') throw new TypeError(`group of ${identity} must be a non-empty string`);
      map.set(identity, group);
    }
    return map;
  }
  const map = new Map<string, string>();
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    const fields = line.split(/[\s,]+/);
    if (fields.length !== 2) throw new TypeError(`line ${index + 1}: expected "identity group", got "${raw}"`);
    map.set(fields[0]!, fields[1]!);
  }
  return map;
}

/** 95 % (by default) Wilson score interval of `k` successes in `n` trials. */
export function wilsonInterval(k: number, n: number, z = Z95): Interval {
  if (!(n > 0) || k < 0 || k > n) throw new RangeError(`wilsonInterval needs 0 <= k <= n and n > 0 (k=${k}, n=${n})`);
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // Exact at the ends (the formula gives 0 and 1 there up to rounding).
  return { low: k === 0 ? 0 : Math.max(0, centre - half), high: k === n ? 1 : Math.min(1, centre + half) };
}

/** P(X <= k) for X ~ Binomial(n, p), summed in log space. */
function binomialCdf(k: number, n: number, p: number): number {
  if (p <= 0) return 1;
  if (p >= 1) return k >= n ? 1 : 0;
  let logTerm = n * Math.log1p(-p); // log P(X = 0)
  let sum = Math.exp(logTerm);
  for (let i = 1; i <= k; i++) {
    logTerm += Math.log((n - i + 1) / i) + Math.log(p) - Math.log1p(-p);
    sum += Math.exp(logTerm);
  }
  return Math.min(1, sum);
}

/**
 * Exact Clopper–Pearson upper bound of a binomial rate: the `p` with P(X <= k) = `alpha` / 2
 * (two-sided 1 − alpha). With k = 0 it is 1 − (alpha/2)^(1/n); the one-sided "rule of three" 3/n
 * is the alpha = 0.1 case, approximately.
 */
export function clopperPearsonUpper(k: number, n: number, alpha = 0.05): number {
  if (!(n > 0) || k < 0 || k > n) throw new RangeError(`clopperPearsonUpper needs 0 <= k <= n and n > 0 (k=${k}, n=${n})`);
  if (k === n) return 1;
  if (k === 0) return 1 - (alpha / 2) ** (1 / n);
  let lo = k / n;
  let hi = 1;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (binomialCdf(k, n, mid) > alpha / 2) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The `q` quantile (0–1) of sorted `values`, linear between ranks (R's type 7). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return lo === hi || a === b ? a : a + (h - lo) * (b - a);
}

/** Per person of a group: genuine pairs and false non-matches. */
interface PersonCounts {
  pairs: number;
  errors: number;
}

/** One bootstrap resample of a group's people: the FNMR of the resampled pairs. */
function resampleFnmr(people: readonly PersonCounts[], random: () => number): number {
  let pairs = 0;
  let errors = 0;
  for (let i = 0; i < people.length; i++) {
    const person = people[Math.floor(random() * people.length)]!;
    pairs += person.pairs;
    errors += person.errors;
  }
  return errors / pairs;
}

const interval95 = (values: number[]): Interval => {
  const sorted = values.sort((x, y) => x - y);
  return { low: quantileSorted(sorted, 0.025), high: quantileSorted(sorted, 0.975) };
};

/** worst / best, with 0 / 0 = 1 (no error in either group: no difference) and x / 0 = Infinity. */
const ratio = (worst: number, best: number) => (worst === 0 && best === 0 ? 1 : worst / best);

/** Options of {@link groupReport}. */
export interface GroupReportOptions {
  readonly threshold: number;
  readonly resamples?: number;
  readonly seed?: number;
}

/**
 * The per-group report and the worst/best FNMR ratio. Genuine pairs of a person with several
 * pairs are resampled together (people, not pairs, are the independent units). The ratio's
 * interval resamples people within each group independently, in the same draws as the per-group
 * intervals, and keeps the worst and best groups of the point estimate fixed.
 */
export function groupReport(
  pairs: readonly GroupedPair[],
  groupOf: ReadonlyMap<string, string>,
  options: GroupReportOptions,
): { groups: GroupsReport; fnmr_ratio: RatioReport } {
  const { threshold, resamples = DEFAULT_RESAMPLES, seed = DEFAULT_SEED } = options;
  if (!Number.isFinite(threshold)) throw new TypeError('threshold must be a finite number');
  if (!(Number.isInteger(resamples) && resamples > 0)) throw new TypeError('resamples must be a positive integer');
  const group = (identity: string) => groupOf.get(identity) ?? UNLABELED;
  const matches = (p: GroupedPair) => p.score !== null && p.score >= threshold;

  const people = new Map<string, Map<string, PersonCounts>>();
  const scores = new Map<string, number[]>();
  const impostors = new Map<string, { n: number; fp: number }>();
  for (const p of pairs) {
    if (p.same) {
      if (p.identityA !== p.identityB) throw new TypeError(`genuine pair of two identities: ${p.identityA}, ${p.identityB}`);
      const g = group(p.identityA);
      const byPerson = people.get(g) ?? new Map<string, PersonCounts>();
      people.set(g, byPerson);
      const counts = byPerson.get(p.identityA) ?? { pairs: 0, errors: 0 };
      byPerson.set(p.identityA, counts);
      counts.pairs++;
      if (!matches(p)) counts.errors++;
      if (p.score !== null) {
        const list = scores.get(g) ?? [];
        scores.set(g, list);
        list.push(p.score);
      }
    } else {
      const [ga, gb] = [group(p.identityA), group(p.identityB)].sort() as [string, string];
      const key = ga === gb ? `${ga}-${gb}` : ga === UNLABELED || gb === UNLABELED ? `${ga}-${gb}` : 'mixed';
      const counts = impostors.get(key) ?? { n: 0, fp: 0 };
      impostors.set(key, counts);
      counts.n++;
      if (matches(p)) counts.fp++;
    }
  }

  const names = [...people.keys()].sort();
  const random = seededRandom(seed);
  const draws = new Map<string, number[]>(names.map((g) => [g, []]));
  const lists = new Map(names.map((g) => [g, [...people.get(g)!.values()]]));
  for (let r = 0; r < resamples; r++) for (const g of names) draws.get(g)!.push(resampleFnmr(lists.get(g)!, random));

  const genuine: Record<string, GenuineGroupReport> = {};
  for (const g of names) {
    const list = lists.get(g)!;
    const n = list.reduce((s, c) => s + c.pairs, 0);
    const k = list.reduce((s, c) => s + c.errors, 0);
    const groupScores = scores.get(g) ?? [];
    genuine[g] = {
      genuine_pairs: n,
      people: list.length,
      false_non_matches: k,
      fnmr: k / n,
      fnmr_wilson: wilsonInterval(k, n),
      fnmr_bootstrap: interval95([...draws.get(g)!]),
      mean_genuine_score: groupScores.reduce((s, x) => s + x, 0) / groupScores.length,
    };
  }
  const impostor: Record<string, ImpostorGroupReport> = {};
  for (const [key, { n, fp }] of [...impostors.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    impostor[key] = { impostor_pairs: n, false_matches: fp, fmr: fp / n, fmr_upper: clopperPearsonUpper(fp, n) };
  }

  const labelled = names.filter((g) => g !== UNLABELED);
  const byRate = [...labelled].sort((a, b) => genuine[b]!.fnmr - genuine[a]!.fnmr);
  const worst = byRate.length >= 2 ? byRate[0]! : null;
  const best = byRate.length >= 2 ? byRate[byRate.length - 1]! : null;
  let fnmr_ratio: RatioReport = { value: Number.NaN, low: Number.NaN, high: Number.NaN };
  if (worst !== null && best !== null) {
    const w = draws.get(worst)!;
    const b = draws.get(best)!;
    const ratios = w.map((x, i) => ratio(x, b[i]!));
    const ci = interval95(ratios);
    fnmr_ratio = { value: ratio(genuine[worst]!.fnmr, genuine[best]!.fnmr), ...ci };
  }
  return {
    groups: { threshold, bootstrap_resamples: resamples, bootstrap_seed: seed, genuine, impostor, worst, best },
    fnmr_ratio,
  };
}
