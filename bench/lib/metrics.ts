/**
 * Pure maths of the LFW-style face verification benchmark: rates at a threshold, TAR at a fixed
 * FAR, best-accuracy threshold, the LFW k-fold protocol, ROC AUC and EER.
 *
 * Input is a list of {@link ScoredPair}s. A pair's `score` is the cosine similarity of its two
 * embeddings (any finite number is accepted; only the order of scores matters), and `null` when
 * one of the two images had no detected face. **Failed pairs are never dropped:**
 *
 * - **Accuracy** (in {@link ratesAtThreshold}, {@link bestAccuracyThreshold},
 *   {@link kFoldAccuracy}, {@link summarize}): a failed pair is always an error, genuine or
 *   impostor, at every threshold. The product cannot verify a pair it cannot see.
 * - **TAR / FAR, ROC AUC, EER, TAR at FAR**: a failed pair behaves as the product does: it never
 *   passes, as if its score were −Infinity. A failed genuine pair is a false reject (it lowers
 *   TAR); a failed impostor pair is a true reject (it stays in the FAR denominator, so it can
 *   only lower FAR, never raise it).
 *
 * "Match" always means `score >= threshold`.
 *
 * Undefined ratios (0/0, e.g. TAR of a set with no genuine pair) are `NaN` in
 * {@link ratesAtThreshold}; the functions that need both classes (or any pair at all) throw a
 * `RangeError` instead. Malformed pairs throw a `TypeError`.
 *
 * @module
 */

/** One scored verification pair. */
export interface ScoredPair {
  /** Cosine similarity of the two faces, or `null` when a face was not detected in either image. */
  score: number | null;
  /** True for a genuine (same identity) pair, false for an impostor pair. */
  same: boolean;
  /** LFW fold label (an integer, e.g. 1–10). Either every pair has one or none has. */
  fold?: number;
}

/** Confusion counts and rates at one threshold. */
export interface Rates {
  /** True accept rate, `tp / genuine pairs` (failed genuine pairs count in the denominator). */
  tar: number;
  /** False accept rate, `fp / impostor pairs` (failed impostor pairs count in the denominator). */
  far: number;
  /** `(tp + tn − failed impostor pairs) / pairs`: every failed pair is an error. */
  accuracy: number;
  /** Genuine pairs with `score >= threshold`. */
  tp: number;
  /** Impostor pairs with `score >= threshold`. */
  fp: number;
  /** Impostor pairs rejected, failed impostor pairs included. */
  tn: number;
  /** Genuine pairs rejected, failed genuine pairs included. */
  fn: number;
}

/** Result of {@link tarAtFar}. */
export interface TarAtFarResult {
  /** The threshold from {@link thresholdForFar}. */
  threshold: number;
  /** TAR at that threshold. */
  tar: number;
  /** FAR actually reached at that threshold (<= the requested maximum). */
  far: number;
}

/** One fold of {@link kFoldAccuracy}. */
export interface FoldResult {
  /** The fold label. */
  fold: number;
  /** Best-accuracy threshold chosen on the other folds. */
  threshold: number;
  /** Accuracy of this fold at that threshold. */
  accuracy: number;
}

/** Result of {@link kFoldAccuracy}. */
export interface KFoldResult {
  /** Unweighted mean of the per-fold accuracies. */
  accuracy: number;
  /** Population standard deviation (divide by K) of the per-fold accuracies. */
  accuracyStd: number;
  /** Per-fold results, by ascending fold label. */
  perFold: FoldResult[];
  /** Mean of the per-fold thresholds. */
  threshold: number;
}

/** Result of {@link equalErrorRate}. */
export interface EerResult {
  /** The equal error rate, in [0, 1]. */
  eer: number;
  /** The threshold where FAR and FRR cross (see {@link equalErrorRate}). */
  threshold: number;
}

/** Options of {@link summarize}. */
export interface SummarizeOptions {
  /** A fixed operating threshold; `tar`, `far` and `accuracy` are then measured at it. */
  threshold?: number;
}

/**
 * The bench's JSON line: snake_case keys are part of the output contract.
 * See {@link summarize} for what each accuracy field means.
 */
export interface Summary {
  accuracy: number;
  accuracy_std: number;
  auc: number;
  eer: number;
  eer_threshold: number;
  tar_at_far_1e2: number;
  tar_at_far_1e3: number;
  threshold: number;
  tar: number;
  far: number;
  /** Number of pairs, failed pairs included. */
  pairs: number;
  /** Number of pairs with a `null` score. */
  detect_failures: number;
  /** Only when the pairs have folds: the k-fold accuracy, whatever `threshold` was. */
  kfold_accuracy?: number;
  /** Only when the pairs have folds: population std of the per-fold accuracies. */
  kfold_accuracy_std?: number;
  /** Number of folds (0 when the pairs have none). */
  folds: number;
}

/** The FAR of the `tar_at_far_1e2` summary field. */
export const FAR_1E2 = 1e-2;

/** The FAR of the `tar_at_far_1e3` summary field. */
export const FAR_1E3 = 1e-3;

/**
 * Threshold returned by {@link bestAccuracyThreshold} when no pair has a score: every threshold
 * is then equally (totally) wrong, so a neutral cosine value is returned.
 */
export const NO_SCORE_THRESHOLD = 0;

// ---------------------------------------------------------------------------------------------
// Internals
// ---------------------------------------------------------------------------------------------

/** Pairs split by class, scores sorted ascending once. */
interface Prepared {
  n: number;
  /** Non-failed genuine scores, ascending. */
  genuine: Float64Array;
  /** Non-failed impostor scores, ascending. */
  impostor: Float64Array;
  /** Genuine pairs, failed ones included. */
  genuineTotal: number;
  /** Impostor pairs, failed ones included. */
  impostorTotal: number;
  failedGenuine: number;
  failedImpostor: number;
}

function validate(pairs: readonly ScoredPair[]): void {
  if (!Array.isArray(pairs)) throw new TypeError('pairs must be an array');
  for (let i = 0; i < pairs.length; i++) {
    const p = pairs[i] as ScoredPair | undefined;
    if (typeof p !== 'object' || p === null) throw new TypeError(`pairs[${i}] is not an object`);
    if (typeof p.same !== 'boolean') throw new TypeError(`pairs[${i}].same must be a boolean`);
    if (p.score !== null && !(typeof p.score === 'number' && Number.isFinite(p.score))) {
      throw new TypeError(`pairs[${i}].score must be a finite number or null`);
    }
    if (p.fold !== undefined && !Number.isInteger(p.fold)) {
      throw new TypeError(`pairs[${i}].fold must be an integer when present`);
    }
  }
}

function prepare(pairs: readonly ScoredPair[]): Prepared {
  validate(pairs);
  let genuineTotal = 0;
  let failedGenuine = 0;
  let failedImpostor = 0;
  for (const p of pairs) {
    if (p.same) {
      genuineTotal++;
      if (p.score === null) failedGenuine++;
    } else if (p.score === null) {
      failedImpostor++;
    }
  }
  const impostorTotal = pairs.length - genuineTotal;
  const genuine = new Float64Array(genuineTotal - failedGenuine);
  const impostor = new Float64Array(impostorTotal - failedImpostor);
  let gi = 0;
  let ii = 0;
  for (const p of pairs) {
    if (p.score === null) continue;
    if (p.same) genuine[gi++] = p.score;
    else impostor[ii++] = p.score;
  }
  genuine.sort();
  impostor.sort();
  return {
    n: pairs.length,
    genuine,
    impostor,
    genuineTotal,
    impostorTotal,
    failedGenuine,
    failedImpostor,
  };
}

/** First index `i` with `sorted[i] >= x` (sorted ascending). */
function lowerBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of scores `>= threshold`. */
function countAtOrAbove(sorted: Float64Array, threshold: number): number {
  return sorted.length - lowerBound(sorted, threshold);
}

function checkThreshold(threshold: number): void {
  if (typeof threshold !== 'number' || Number.isNaN(threshold)) {
    throw new TypeError('threshold must be a number (±Infinity allowed, NaN not)');
  }
}

function checkMaxFar(maxFar: number): void {
  if (typeof maxFar !== 'number' || !(maxFar >= 0 && maxFar <= 1)) {
    throw new RangeError('maxFar must be a number in [0, 1]');
  }
}

function requireBothClasses(prep: Prepared, what: string): void {
  if (prep.genuineTotal === 0 || prep.impostorTotal === 0) {
    throw new RangeError(`${what} needs at least one genuine and one impostor pair`);
  }
}

/** Midpoint of `(lo, hi]` that lies strictly above `lo` (falls back to `hi` at float limits). */
function midAbove(lo: number, hi: number): number {
  let mid = (lo + hi) / 2;
  if (!Number.isFinite(mid)) mid = lo / 2 + hi / 2;
  return mid > lo && mid <= hi ? mid : hi;
}

function ratesFromPrepared(prep: Prepared, threshold: number): Rates {
  const tp = countAtOrAbove(prep.genuine, threshold);
  const fp = countAtOrAbove(prep.impostor, threshold);
  const fn = prep.genuineTotal - tp;
  const tn = prep.impostorTotal - fp;
  return {
    tar: tp / prep.genuineTotal,
    far: fp / prep.impostorTotal,
    accuracy: (tp + tn - prep.failedImpostor) / prep.n,
    tp,
    fp,
    tn,
    fn,
  };
}

function thresholdForFarPrepared(prep: Prepared, maxFar: number): number {
  checkMaxFar(maxFar);
  const total = prep.impostorTotal;
  if (total === 0) throw new RangeError('thresholdForFar needs at least one impostor pair');
  // Largest number of accepted impostors k with k / total <= maxFar, evaluated exactly as
  // ratesAtThreshold reports FAR (so 0.001 * 3000 rounding cannot admit one too many).
  let allowed = Math.floor(maxFar * total);
  while (allowed > 0 && allowed / total > maxFar) allowed--;
  while (allowed < total && (allowed + 1) / total <= maxFar) allowed++;
  const scores = prep.impostor;
  const m = scores.length;
  if (m <= allowed) return -Infinity;
  // Every impostor score <= scores[m - allowed - 1] must be rejected; the lowest threshold
  // doing so is the next double above it. Ties with that score are rejected with it.
  return nextUp(scores[m - allowed - 1] as number);
}

function rocAucPrepared(prep: Prepared): number {
  requireBothClasses(prep, 'rocAuc');
  const g = prep.genuine;
  const s = prep.impostor;
  // Sum, in half units, of 2·[genuine > impostor] + [genuine == impostor]. Failed pairs are
  // −Infinity: a failed genuine pair ties with each failed impostor pair and beats nothing.
  let twice = prep.failedGenuine * prep.failedImpostor;
  let below = 0; // impostor scores < x
  let atOrBelow = 0; // impostor scores <= x
  for (let i = 0; i < g.length; i++) {
    const x = g[i] as number;
    while (below < s.length && (s[below] as number) < x) below++;
    if (atOrBelow < below) atOrBelow = below;
    while (atOrBelow < s.length && (s[atOrBelow] as number) <= x) atOrBelow++;
    twice += 2 * (prep.failedImpostor + below) + (atOrBelow - below);
  }
  return twice / (2 * prep.genuineTotal * prep.impostorTotal);
}

function eerPrepared(prep: Prepared): EerResult {
  requireBothClasses(prep, 'equalErrorRate');
  const g = prep.genuine;
  const s = prep.impostor;
  const G = prep.genuineTotal;
  const I = prep.impostorTotal;
  // Walk the ROC vertices from threshold +Infinity (nothing passes: FAR 0, FRR 1) downwards.
  // FRR − FAR strictly decreases from vertex to vertex, so it changes sign exactly once.
  let gi = g.length - 1;
  let si = s.length - 1;
  let tp = 0;
  let fp = 0;
  let prevFar = 0;
  let prevFrr = 1;
  for (;;) {
    let u: number;
    if (gi >= 0 || si >= 0) {
      const gv = gi >= 0 ? (g[gi] as number) : -Infinity;
      const sv = si >= 0 ? (s[si] as number) : -Infinity;
      u = Math.max(gv, sv);
      while (gi >= 0 && g[gi] === u) {
        gi--;
        tp++;
      }
      while (si >= 0 && s[si] === u) {
        si--;
        fp++;
      }
    } else {
      // Closing vertex: failed pairs (score −Infinity) pass too, i.e. the ROC point (1, 1).
      u = -Infinity;
      tp = G;
      fp = I;
    }
    const fn = G - tp;
    const far = fp / I;
    const frr = fn / G;
    const sign = fn * I - fp * G; // exact sign of FRR − FAR
    if (sign === 0) {
      // FAR == FRR on the whole threshold range (next lower score, u]: use its middle.
      const lower = Math.max(
        gi >= 0 ? (g[gi] as number) : -Infinity,
        si >= 0 ? (s[si] as number) : -Infinity,
      );
      const threshold = Number.isFinite(lower) && Number.isFinite(u) ? midAbove(lower, u) : u;
      return { eer: far, threshold };
    }
    if (sign < 0) {
      // FRR − FAR went from > 0 (previous vertex) to < 0 (this one): interpolate linearly on
      // the ROC segment between the two vertices.
      const dPrev = prevFrr - prevFar;
      const dHere = frr - far;
      const lambda = dPrev / (dPrev - dHere);
      return { eer: prevFar + lambda * (far - prevFar), threshold: u };
    }
    prevFar = far;
    prevFrr = frr;
  }
}

function bestAccuracyPrepared(prep: Prepared): number {
  if (prep.n === 0) throw new RangeError('bestAccuracyThreshold needs at least one pair');
  const g = prep.genuine;
  const s = prep.impostor;
  // Distinct scores ascending v[0..d-1]; correct[c] = correct decisions (failed pairs excluded,
  // they are wrong everywhere) when the c lowest distinct scores are rejected.
  const values: number[] = [];
  const correct: number[] = [g.length];
  let gi = 0;
  let si = 0;
  let cur = g.length;
  while (gi < g.length || si < s.length) {
    const v = Math.min(
      gi < g.length ? (g[gi] as number) : Infinity,
      si < s.length ? (s[si] as number) : Infinity,
    );
    while (gi < g.length && g[gi] === v) {
      gi++;
      cur--; // genuine now rejected
    }
    while (si < s.length && s[si] === v) {
      si++;
      cur++; // impostor now rejected
    }
    values.push(v);
    correct.push(cur);
  }
  const d = values.length;
  if (d === 0) return NO_SCORE_THRESHOLD;
  let best = -1;
  let first = 0;
  for (let c = 0; c <= d; c++) {
    const v = correct[c] as number;
    if (v > best) {
      best = v;
      first = c;
    }
  }
  let last = first;
  while (last + 1 <= d && correct[last + 1] === best) last++;
  // Candidate c is the threshold range (v[c-1], v[c]] with v[-1] = −∞ and v[d] = +∞; the
  // plateau first..last is (v[first-1], v[last]].
  const lo = first === 0 ? -Infinity : (values[first - 1] as number);
  const hi = last === d ? Infinity : (values[last] as number);
  if (Number.isFinite(lo) && Number.isFinite(hi)) return midAbove(lo, hi);
  if (Number.isFinite(hi)) return hi; // unbounded below: the top of the plateau
  if (Number.isFinite(lo)) return nextUp(lo); // unbounded above: just above the last rejected
  // Every threshold is equally good: the middle of the score range.
  return midAbove(values[0] as number, values[d - 1] as number);
}

/** Fold labels of `pairs`: the sorted distinct labels, `null` when no pair has one. */
function foldLabels(pairs: readonly ScoredPair[], what: string): number[] | null {
  let withFold = 0;
  const labels = new Set<number>();
  for (const p of pairs) {
    if (p.fold !== undefined) {
      withFold++;
      labels.add(p.fold);
    }
  }
  if (withFold === 0) return null;
  if (withFold !== pairs.length) {
    throw new TypeError(`${what}: either every pair has a fold or none has`);
  }
  return [...labels].sort((a, b) => a - b);
}

function kFoldValidated(pairs: readonly ScoredPair[], labels: number[]): KFoldResult {
  if (labels.length < 2) throw new TypeError('kFoldAccuracy needs at least 2 folds');
  const perFold: FoldResult[] = labels.map((fold) => {
    const train: ScoredPair[] = [];
    const test: ScoredPair[] = [];
    for (const p of pairs) (p.fold === fold ? test : train).push(p);
    const threshold = bestAccuracyPrepared(prepare(train));
    const { accuracy } = ratesFromPrepared(prepare(test), threshold);
    return { fold, threshold, accuracy };
  });
  const k = perFold.length;
  const accuracy = perFold.reduce((a, f) => a + f.accuracy, 0) / k;
  const variance = perFold.reduce((a, f) => a + (f.accuracy - accuracy) ** 2, 0) / k;
  const threshold = perFold.reduce((a, f) => a + f.threshold, 0) / k;
  return { accuracy, accuracyStd: Math.sqrt(variance), perFold, threshold };
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/**
 * The next double above `x` (`Math.nextUp`): `nextUp(0) === Number.MIN_VALUE`,
 * `nextUp(-Infinity) === -Number.MAX_VALUE`; `NaN` and `+Infinity` are returned unchanged.
 */
export function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === 0) return Number.MIN_VALUE;
  const f = new Float64Array([x]);
  const bits = new BigInt64Array(f.buffer);
  // For IEEE 754 doubles, stepping the bit pattern by one moves to the adjacent value; the
  // magnitude grows for positives and shrinks for negatives.
  bits[0] = (bits[0] as bigint) + (x > 0 ? 1n : -1n);
  return f[0] as number;
}

/**
 * Confusion counts, TAR, FAR and accuracy at `threshold` ("match" = `score >= threshold`).
 *
 * A failed pair (`score: null`) never matches: a failed genuine pair is in `fn` (lowers TAR), a
 * failed impostor pair is in `tn` (stays in the FAR denominator). For `accuracy` every failed
 * pair is an error: `accuracy = (tp + tn − failed impostor pairs) / pairs`.
 * Ratios with an empty denominator are `NaN`. `threshold` may be ±Infinity, not NaN.
 */
export function ratesAtThreshold(pairs: readonly ScoredPair[], threshold: number): Rates {
  checkThreshold(threshold);
  return ratesFromPrepared(prepare(pairs), threshold);
}

/**
 * The lowest threshold `t` at which the impostor pass rate `#(impostor score >= t) / impostor
 * pairs` is `<= maxFar` (failed impostor pairs count in the denominator and never pass).
 *
 * Exact with ties: when impostor scores must be excluded, `t` is {@link nextUp} of the highest
 * impostor score that has to be rejected, i.e. the next representable double above it (not a
 * midpoint to the next distinct score), so every impostor sharing that score is rejected and no
 * lower threshold satisfies the bound. Returns `-Infinity` when every impostor may pass (e.g.
 * `maxFar = 1`). Throws `RangeError` if `maxFar` is not in [0, 1] or there is no impostor pair.
 */
export function thresholdForFar(pairs: readonly ScoredPair[], maxFar: number): number {
  return thresholdForFarPrepared(prepare(pairs), maxFar);
}

/**
 * TAR at the {@link thresholdForFar} threshold, with the FAR actually reached there (failed
 * genuine pairs are false rejects). `tar` is `NaN` if there is no genuine pair.
 */
export function tarAtFar(pairs: readonly ScoredPair[], maxFar: number): TarAtFarResult {
  const prep = prepare(pairs);
  const threshold = thresholdForFarPrepared(prep, maxFar);
  const { tar, far } = ratesFromPrepared(prep, threshold);
  return { threshold, tar, far };
}

/**
 * The threshold maximising accuracy (failed pairs are errors at every threshold, so they do not
 * move it).
 *
 * Candidate thresholds are the ranges between consecutive distinct scores. Ties are broken
 * toward the middle of the best plateau: among the maximal runs of consecutive ranges that reach
 * the best accuracy the lowest run is taken, and the midpoint of its two bounding scores is
 * returned (a score shared by a genuine and an impostor pair can lie inside a plateau). If the
 * plateau is unbounded below (accept everything that has a score) the lowest score is returned;
 * if unbounded above (reject everything), {@link nextUp} of the highest score; if every
 * threshold is equally good, the middle of the score range; with no score at all,
 * {@link NO_SCORE_THRESHOLD}. Throws `RangeError` for an empty list.
 */
export function bestAccuracyThreshold(pairs: readonly ScoredPair[]): number {
  return bestAccuracyPrepared(prepare(pairs));
}

/**
 * The LFW protocol: for each fold k, the {@link bestAccuracyThreshold} of the other folds is
 * applied to fold k and its accuracy measured (failed pairs are errors).
 *
 * `accuracy` is the unweighted mean over folds; `accuracyStd` is the **population** standard
 * deviation (divide by K), as most LFW result tables (and common evaluation code) report it, not
 * the standard error of the mean; `threshold` is the mean of the per-fold thresholds; `perFold`
 * is sorted by fold label. Throws `TypeError` if any pair lacks a fold or there are fewer than
 * 2 distinct folds.
 */
export function kFoldAccuracy(pairs: readonly ScoredPair[]): KFoldResult {
  validate(pairs);
  const labels = foldLabels(pairs, 'kFoldAccuracy');
  if (labels === null) throw new TypeError('kFoldAccuracy: pairs have no fold labels');
  return kFoldValidated(pairs, labels);
}

/**
 * Area under the ROC curve, by Mann–Whitney: the probability that a random genuine pair scores
 * above a random impostor pair, ties counting one half. Failed pairs score −Infinity, so a failed
 * genuine pair loses to every scored impostor pair and ties with failed impostor pairs (the same
 * as closing the ROC curve with a straight line to (1, 1)). Throws `RangeError` unless both
 * classes are present. O(n log n).
 */
export function rocAuc(pairs: readonly ScoredPair[]): number {
  return rocAucPrepared(prepare(pairs));
}

/**
 * Equal error rate: where FAR equals FRR (= 1 − TAR) on the ROC curve, with linear interpolation
 * between the ROC vertices (one vertex per distinct score, failed pairs scoring −Infinity).
 *
 * `threshold`: if a whole range of thresholds gives FAR == FRR exactly, the midpoint of that
 * range (as in {@link bestAccuracyThreshold}); otherwise the score at which the operating point
 * jumps across FAR = FRR, so `ratesAtThreshold(pairs, threshold)` is the side with FAR > FRR.
 * In the degenerate case where the crossing is on the closing segment reached only by the
 * failed pairs, the threshold is `-Infinity`. Throws `RangeError` unless both classes are present.
 */
export function equalErrorRate(pairs: readonly ScoredPair[]): EerResult {
  return eerPrepared(prepare(pairs));
}

/**
 * Everything the bench reports, as one object with snake_case keys (the JSON line contract).
 *
 * - `auc`, `eer`, `eer_threshold`: {@link rocAuc}, {@link equalErrorRate}.
 * - `tar_at_far_1e2`, `tar_at_far_1e3`: the `tar` of {@link tarAtFar} at {@link FAR_1E2} and
 *   {@link FAR_1E3}.
 * - `pairs`: all pairs; `detect_failures`: pairs with a `null` score; `folds`: distinct folds.
 * - `threshold`, `tar`, `far`, `accuracy`, `accuracy_std`:
 *   - pairs with folds, no `threshold` option: `accuracy`/`accuracy_std` are the k-fold mean and
 *     population std ({@link kFoldAccuracy}); `threshold` is the k-fold mean threshold and
 *     `tar`/`far` are measured on all pairs at it.
 *   - pairs without folds, no `threshold` option: `threshold` is {@link bestAccuracyThreshold}
 *     of all pairs and `accuracy` is measured at it (optimistic: threshold chosen on the test
 *     data), `accuracy_std` is 0.
 *   - `threshold` option given: `tar`, `far` and `accuracy` are measured on all pairs at that
 *     threshold and `accuracy_std` is 0 (a single measurement).
 * - `kfold_accuracy`, `kfold_accuracy_std`: present exactly when the pairs have folds, whatever
 *   the `threshold` option.
 *
 * Throws `TypeError` for malformed pairs, for a mix of pairs with and without folds, or for a
 * single fold; `RangeError` unless both genuine and impostor pairs are present.
 */
export function summarize(pairs: readonly ScoredPair[], options: SummarizeOptions = {}): Summary {
  const prep = prepare(pairs);
  requireBothClasses(prep, 'summarize');
  if (options.threshold !== undefined) checkThreshold(options.threshold);
  const labels = foldLabels(pairs, 'summarize');
  const kfold = labels === null ? null : kFoldValidated(pairs, labels);

  let threshold: number;
  let accuracyStd = 0;
  if (options.threshold !== undefined) threshold = options.threshold;
  else if (kfold !== null) threshold = kfold.threshold;
  else threshold = bestAccuracyPrepared(prep);
  const at = ratesFromPrepared(prep, threshold);
  let accuracy = at.accuracy;
  if (options.threshold === undefined && kfold !== null) {
    accuracy = kfold.accuracy;
    accuracyStd = kfold.accuracyStd;
  }
  const eer = eerPrepared(prep);

  const summary: Summary = {
    accuracy,
    accuracy_std: accuracyStd,
    auc: rocAucPrepared(prep),
    eer: eer.eer,
    eer_threshold: eer.threshold,
    tar_at_far_1e2: ratesFromPrepared(prep, thresholdForFarPrepared(prep, FAR_1E2)).tar,
    tar_at_far_1e3: ratesFromPrepared(prep, thresholdForFarPrepared(prep, FAR_1E3)).tar,
    threshold,
    tar: at.tar,
    far: at.far,
    pairs: prep.n,
    detect_failures: prep.failedGenuine + prep.failedImpostor,
    folds: labels === null ? 0 : labels.length,
  };
  if (kfold !== null) {
    summary.kfold_accuracy = kfold.accuracy;
    summary.kfold_accuracy_std = kfold.accuracyStd;
  }
  return summary;
}

/** A two-sided confidence interval of a proportion. */
export interface ProportionInterval {
  readonly low: number;
  readonly high: number;
}

/**
 * Wilson score interval of a proportion `k / n` (95 % with the default `z`): unlike the normal
 * approximation it stays inside [0, 1] and is not empty for `k = 0` (its upper bound is then about
 * `z² / n`, 3.8 / n). Throws `RangeError` unless `0 <= k <= n` and `n > 0` are integers.
 */
export function wilsonInterval(k: number, n: number, z = 1.959964): ProportionInterval {
  if (!Number.isInteger(k) || !Number.isInteger(n) || n <= 0 || k < 0 || k > n) throw new RangeError(`wilsonInterval needs integers 0 <= k <= n, n > 0; got ${k} / ${n}`);
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}
