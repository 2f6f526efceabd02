import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../tools/seededRandom.js';
import {
  bestAccuracyThreshold,
  equalErrorRate,
  FAR_1E2,
  FAR_1E3,
  kFoldAccuracy,
  nextUp,
  ratesAtThreshold,
  rocAuc,
  summarize,
  tarAtFar,
  thresholdForFar,
  wilsonInterval,
  type ScoredPair,
} from './metrics';

const g = (score: number | null, fold?: number): ScoredPair =>
  fold === undefined ? { score, same: true } : { score, same: true, fold };
const i = (score: number | null, fold?: number): ScoredPair =>
  fold === undefined ? { score, same: false } : { score, same: false, fold };

/** Random pairs; `decimals` rounds scores to force ties; `failRate` makes null scores. */
function randomPairs(n: number, seed: number, decimals = 3, failRate = 0.05, folds = 0) {
  const r = seededRandom(seed);
  const pairs: ScoredPair[] = [];
  const scale = 10 ** decimals;
  for (let k = 0; k < n; k++) {
    const same = r() < 0.5;
    const raw = same ? 0.45 + 0.35 * (r() - 0.3) : 0.1 + 0.35 * (r() - 0.5);
    const score = r() < failRate ? null : Math.round(raw * scale) / scale;
    const p: ScoredPair = { score, same };
    if (folds > 0) p.fold = (k % folds) + 1;
    pairs.push(p);
  }
  return pairs;
}

/** O(n²) Mann–Whitney reference, failed = −Infinity. */
function bruteAuc(pairs: ScoredPair[]): number {
  const gs = pairs.filter((p) => p.same).map((p) => p.score ?? -Infinity);
  const is = pairs.filter((p) => !p.same).map((p) => p.score ?? -Infinity);
  let sum = 0;
  for (const a of gs) for (const b of is) sum += a > b ? 1 : a === b ? 0.5 : 0;
  return sum / (gs.length * is.length);
}

/** Accuracy at every threshold that can matter (each score, just above it, ±Infinity). */
function bruteBestAccuracy(pairs: ScoredPair[]): number {
  const cands = [-Infinity, Infinity];
  for (const p of pairs) if (p.score !== null) cands.push(p.score, nextUp(p.score));
  return Math.max(...cands.map((t) => ratesAtThreshold(pairs, t).accuracy));
}

/*
 * Example A (8 pairs, no ties):
 *   genuine  0.9 0.8 0.6 0.3
 *   impostor 0.7 0.4 0.2 0.1
 * At t = 0.5: tp = 3 (0.9 0.8 0.6), fn = 1 (0.3), fp = 1 (0.7), tn = 3.
 *   TAR = 3/4, FAR = 1/4, accuracy = 6/8.
 * AUC: impostors below each genuine: 0.9→4, 0.8→4, 0.6→3, 0.3→2 ⇒ 13/16 = 0.8125.
 * EER, walking thresholds down: 0.9 (FAR 0, FRR 3/4), 0.8 (0, 1/2), 0.7 (1/4, 1/2),
 *   0.6 (1/4, 1/4) ⇒ FAR = FRR exactly for t in (0.4, 0.6] ⇒ EER 1/4 at the midpoint 0.5.
 * Best accuracy (correct decisions per threshold range): (0.2, 0.3] ⇒ 4 + 2 = 6,
 *   (0.4, 0.6] ⇒ 3 + 3 = 6, (0.7, 0.8] ⇒ 2 + 4 = 6, every other range ⇒ 4 or 5.
 *   Three separate best ranges; the lowest wins ⇒ midpoint 0.25.
 */
const A: ScoredPair[] = [g(0.9), g(0.8), g(0.6), g(0.3), i(0.7), i(0.4), i(0.2), i(0.1)];

describe('nextUp', () => {
  it('steps to the adjacent double', () => {
    expect(nextUp(1)).toBe(1 + Number.EPSILON);
    expect(nextUp(0)).toBe(Number.MIN_VALUE);
    expect(nextUp(-0)).toBe(Number.MIN_VALUE);
    expect(nextUp(-1)).toBe(-1 + Number.EPSILON / 2);
    expect(nextUp(-Infinity)).toBe(-Number.MAX_VALUE);
    expect(nextUp(Infinity)).toBe(Infinity);
    expect(nextUp(0.4)).toBeGreaterThan(0.4);
    expect((0.4 + nextUp(0.4)) / 2 === 0.4 || (0.4 + nextUp(0.4)) / 2 === nextUp(0.4)).toBe(true);
  });
});

describe('ratesAtThreshold', () => {
  it('counts example A by hand', () => {
    expect(ratesAtThreshold(A, 0.5)).toEqual({
      tar: 0.75,
      far: 0.25,
      accuracy: 0.75,
      tp: 3,
      fp: 1,
      tn: 3,
      fn: 1,
    });
  });

  it('matches on score >= threshold (boundary is a match)', () => {
    const r = ratesAtThreshold(A, 0.7);
    expect(r.fp).toBe(1); // the 0.7 impostor passes
    expect(r.tp).toBe(2);
    expect(ratesAtThreshold(A, nextUp(0.7)).fp).toBe(0);
  });

  it('a failed genuine pair is a false reject and an accuracy error', () => {
    // A + failed genuine: G = 5. At 0.5: tp 3, fn 2 ⇒ TAR 3/5; FAR 1/4; accuracy (3+3)/9.
    const r = ratesAtThreshold([...A, g(null)], 0.5);
    expect(r).toMatchObject({ tp: 3, fn: 2, fp: 1, tn: 3 });
    expect(r.tar).toBeCloseTo(0.6, 12);
    expect(r.far).toBe(0.25);
    expect(r.accuracy).toBeCloseTo(6 / 9, 12);
  });

  it('a failed impostor pair never raises FAR but is an accuracy error', () => {
    // A + failed impostor: I = 5, fp 1, tn 4 ⇒ FAR 1/5 (lower than 1/4);
    // accuracy = (3 + 4 − 1) / 9 = 6/9, not 7/9.
    const r = ratesAtThreshold([...A, i(null)], 0.5);
    expect(r).toMatchObject({ tp: 3, fn: 1, fp: 1, tn: 4 });
    expect(r.far).toBeCloseTo(0.2, 12);
    expect(r.accuracy).toBeCloseTo(6 / 9, 12);
    // Even at −Infinity (everything with a score passes), the failed impostor does not.
    const all = ratesAtThreshold([...A, i(null)], -Infinity);
    expect(all.fp).toBe(4);
    expect(all.far).toBeCloseTo(0.8, 12);
    // And it is wrong at every threshold: with only failed pairs accuracy is 0 everywhere.
    for (const t of [-Infinity, -1, 0, 1, Infinity]) {
      expect(ratesAtThreshold([g(null), i(null)], t).accuracy).toBe(0);
    }
  });

  it('gives NaN for empty denominators', () => {
    const r = ratesAtThreshold([g(0.5)], 0);
    expect(r.tar).toBe(1);
    expect(r.far).toBeNaN();
    expect(ratesAtThreshold([], 0).accuracy).toBeNaN();
  });

  it('rejects malformed input', () => {
    expect(() => ratesAtThreshold(A, Number.NaN)).toThrow(TypeError);
    expect(() => ratesAtThreshold([{ score: Number.NaN, same: true }], 0)).toThrow(TypeError);
    expect(() => ratesAtThreshold([{ score: Infinity, same: true }], 0)).toThrow(TypeError);
    const noSame = [{ score: 0.5 }] as unknown as ScoredPair[];
    expect(() => ratesAtThreshold(noSame, 0)).toThrow(TypeError);
    const undefScore = [{ score: undefined, same: true }] as unknown as ScoredPair[];
    expect(() => ratesAtThreshold(undefScore, 0)).toThrow(TypeError);
    expect(() => ratesAtThreshold([{ score: 0.5, same: true, fold: 1.5 }], 0)).toThrow(TypeError);
  });
});

describe('thresholdForFar / tarAtFar', () => {
  it('example A by hand', () => {
    // I = 4, maxFar 1/4 ⇒ one impostor may pass; must reject 0.4 and below ⇒ t = nextUp(0.4).
    expect(thresholdForFar(A, 0.25)).toBe(nextUp(0.4));
    expect(tarAtFar(A, 0.25)).toEqual({ threshold: nextUp(0.4), tar: 0.75, far: 0.25 });
    // maxFar 0.2 ⇒ 0.8 impostors ⇒ none may pass ⇒ just above 0.7; TAR 2/4.
    expect(tarAtFar(A, 0.2)).toEqual({ threshold: nextUp(0.7), tar: 0.5, far: 0 });
    expect(tarAtFar(A, 0)).toEqual({ threshold: nextUp(0.7), tar: 0.5, far: 0 });
    // maxFar 1 ⇒ every impostor may pass ⇒ −Infinity.
    expect(tarAtFar(A, 1)).toEqual({ threshold: -Infinity, tar: 1, far: 1 });
  });

  it('is exact with tied impostor scores', () => {
    // Impostors 0.5 0.5 0.5 0.1, maxFar 1/2 ⇒ two may pass, but the three tied at 0.5 pass or
    // fail together, so all three must be rejected: t = nextUp(0.5), FAR 0, TAR 1/2.
    const pairs = [g(0.5), g(0.6), i(0.5), i(0.5), i(0.5), i(0.1)];
    const t = thresholdForFar(pairs, 0.5);
    expect(t).toBe(nextUp(0.5));
    expect(ratesAtThreshold(pairs, 0.5).far).toBe(0.75); // 0.5 itself is too low
    expect(tarAtFar(pairs, 0.5)).toEqual({ threshold: t, tar: 0.5, far: 0 });
  });

  it('counts failed impostors in the denominator (FAR can only go down)', () => {
    // A + 4 failed impostors: I = 8, maxFar 1/4 ⇒ two may pass (0.7 0.4) ⇒ t = nextUp(0.2),
    // which now also admits the 0.3 genuine ⇒ TAR 4/4 (vs 3/4 without the failed impostors).
    const pairs = [...A, i(null), i(null), i(null), i(null)];
    expect(tarAtFar(pairs, 0.25)).toEqual({ threshold: nextUp(0.2), tar: 1, far: 0.25 });
  });

  it('a failed genuine pair lowers TAR at FAR', () => {
    // A + failed genuine: same threshold, TAR 3/5 instead of 3/4.
    const r = tarAtFar([...A, g(null)], 0.25);
    expect(r.threshold).toBe(nextUp(0.4));
    expect(r.tar).toBeCloseTo(0.6, 12);
  });

  it('does not admit one impostor too many through float rounding', () => {
    // 3000 impostors at maxFar 1e-3 ⇒ exactly 3 may pass.
    const pairs: ScoredPair[] = [g(1)];
    for (let k = 0; k < 3000; k++) pairs.push(i(k / 3000));
    const r = tarAtFar(pairs, FAR_1E3);
    expect(r.far).toBeLessThanOrEqual(FAR_1E3);
    expect(r.far * 3000).toBeCloseTo(3, 9);
    expect(r.threshold).toBe(nextUp(2996 / 3000));
  });

  it('returns the lowest valid threshold on random data with ties', () => {
    for (const seed of [1, 2, 3]) {
      const pairs = randomPairs(2000, seed, 2);
      for (const maxFar of [0, 0.001, 0.01, 0.05, 0.1, 0.3]) {
        const t = thresholdForFar(pairs, maxFar);
        expect(ratesAtThreshold(pairs, t).far).toBeLessThanOrEqual(maxFar);
        // The highest impostor score below t must be too permissive.
        const below = pairs
          .filter((p) => !p.same && p.score !== null && p.score < t)
          .map((p) => p.score as number);
        if (below.length > 0) {
          expect(ratesAtThreshold(pairs, Math.max(...below)).far).toBeGreaterThan(maxFar);
        }
      }
    }
  });

  it('throws on bad maxFar or missing impostors', () => {
    expect(() => thresholdForFar(A, -0.1)).toThrow(RangeError);
    expect(() => thresholdForFar(A, 1.5)).toThrow(RangeError);
    expect(() => thresholdForFar(A, Number.NaN)).toThrow(RangeError);
    expect(() => thresholdForFar([g(0.5)], 0.1)).toThrow(RangeError);
  });
});

describe('rocAuc', () => {
  it('example A by hand: 13/16', () => {
    expect(rocAuc(A)).toBe(13 / 16);
  });

  it('counts ties as one half', () => {
    // genuine 0.9 0.5, impostor 0.5 0.1: 0.9 beats both (2); 0.5 beats 0.1 and ties 0.5 (1.5)
    // ⇒ 3.5 / 4.
    expect(rocAuc([g(0.9), g(0.5), i(0.5), i(0.1)])).toBe(0.875);
    // All tied ⇒ 0.5.
    expect(rocAuc([g(0.3), g(0.3), i(0.3)])).toBe(0.5);
  });

  it('perfect separation ⇒ 1, fully inverted ⇒ 0', () => {
    expect(rocAuc([g(0.9), g(0.8), i(0.2), i(0.1)])).toBe(1);
    expect(rocAuc([g(0.1), g(0.2), i(0.8), i(0.9)])).toBe(0);
  });

  it('applies the failed-pair rules', () => {
    // A + failed genuine: it beats no impostor ⇒ 13 / (5·4) = 0.65.
    expect(rocAuc([...A, g(null)])).toBeCloseTo(0.65, 12);
    // A + failed impostor: every scored genuine beats it ⇒ (13 + 4) / (4·5) = 0.85.
    expect(rocAuc([...A, i(null)])).toBeCloseTo(0.85, 12);
    // Both: 13 + 4 + ½ (failed vs failed tie) = 17.5 / 25 = 0.7.
    expect(rocAuc([...A, g(null), i(null)])).toBeCloseTo(0.7, 12);
  });

  it('equals the O(n²) reference on random data with ties and failures', () => {
    for (const seed of [11, 12, 13]) {
      const pairs = randomPairs(600, seed, 2, 0.1);
      expect(rocAuc(pairs)).toBeCloseTo(bruteAuc(pairs), 12);
    }
  });

  it('needs both classes', () => {
    expect(() => rocAuc([g(0.5)])).toThrow(RangeError);
    expect(() => rocAuc([i(0.5)])).toThrow(RangeError);
    expect(() => rocAuc([])).toThrow(RangeError);
  });
});

describe('equalErrorRate', () => {
  it('example A by hand: FAR = FRR = 1/4 on (0.4, 0.6] ⇒ midpoint 0.5', () => {
    const r = equalErrorRate(A);
    expect(r.eer).toBe(0.25);
    expect(r.threshold).toBeCloseTo(0.5, 12);
  });

  it('interpolates along a vertical ROC segment', () => {
    // genuine 0.9 0.5, impostor 0.7 0.3 0.1 (G 2, I 3). Thresholds down:
    //   0.9: FAR 0,   FRR 1/2
    //   0.7: FAR 1/3, FRR 1/2   (FRR > FAR)
    //   0.5: FAR 1/3, FRR 0     (FRR < FAR)
    // Between them FAR stays 1/3 while FRR falls from 1/2 to 0 ⇒ EER 1/3, jump at 0.5.
    const r = equalErrorRate([g(0.9), g(0.5), i(0.7), i(0.3), i(0.1)]);
    expect(r.eer).toBeCloseTo(1 / 3, 12);
    expect(r.threshold).toBe(0.5);
  });

  it('interpolates along a diagonal segment made by a tie', () => {
    // genuine 0.9 0.5, impostor 0.5 0.1: 0.9 → (FAR 0, FRR 1/2); 0.5 → (FAR 1/2, FRR 0).
    // The segment crosses FAR = FRR halfway ⇒ EER 1/4.
    const r = equalErrorRate([g(0.9), g(0.5), i(0.5), i(0.1)]);
    expect(r.eer).toBeCloseTo(0.25, 12);
    expect(r.threshold).toBe(0.5);
  });

  it('perfect separation ⇒ 0 in the gap; fully inverted ⇒ 1', () => {
    const sep = equalErrorRate([g(0.9), g(0.8), i(0.2), i(0.1)]);
    expect(sep.eer).toBe(0);
    expect(sep.threshold).toBeCloseTo(0.5, 12);
    const inv = equalErrorRate([g(0.1), g(0.2), i(0.8), i(0.9)]);
    expect(inv.eer).toBe(1);
  });

  it('applies the failed-pair rules', () => {
    // Perfect separation + 1 failed genuine (G 3): thresholds down
    //   0.9: FAR 0, FRR 2/3; 0.8: FAR 0, FRR 1/3; 0.2: FAR 1/2, FRR 1/3 ⇒ cross on the
    //   horizontal segment FRR = 1/3 ⇒ EER 1/3, jump at 0.2.
    const r = equalErrorRate([g(0.9), g(0.8), g(null), i(0.2), i(0.1)]);
    expect(r.eer).toBeCloseTo(1 / 3, 12);
    expect(r.threshold).toBe(0.2);
    // A failed impostor is a true reject: perfect separation stays perfect.
    expect(equalErrorRate([g(0.9), g(0.8), i(0.2), i(null)]).eer).toBe(0);
  });

  it('degenerate: only failed pairs ⇒ 0.5 on the closing segment', () => {
    expect(equalErrorRate([g(null), i(null)])).toEqual({ eer: 0.5, threshold: -Infinity });
  });

  it('brackets the EER on random data', () => {
    for (const seed of [21, 22, 23]) {
      const pairs = randomPairs(1500, seed, 2);
      const { eer, threshold } = equalErrorRate(pairs);
      const at = ratesAtThreshold(pairs, threshold);
      // At the threshold: FAR >= EER >= FRR.
      expect(at.far).toBeGreaterThanOrEqual(eer - 1e-12);
      expect(1 - at.tar).toBeLessThanOrEqual(eer + 1e-12);
      // Just above it: FAR <= EER <= FRR.
      const above = ratesAtThreshold(pairs, nextUp(threshold));
      expect(above.far).toBeLessThanOrEqual(eer + 1e-12);
      expect(1 - above.tar).toBeGreaterThanOrEqual(eer - 1e-12);
    }
  });

  it('needs both classes', () => {
    expect(() => equalErrorRate([g(0.5), g(0.4)])).toThrow(RangeError);
  });
});

describe('bestAccuracyThreshold', () => {
  it('takes the middle of the gap for separable data', () => {
    expect(bestAccuracyThreshold([g(0.9), g(0.6), i(0.4), i(0.1)])).toBeCloseTo(0.5, 12);
  });

  it('takes the lowest of several separate best ranges (example A)', () => {
    // A: (0.2, 0.3], (0.4, 0.6] and (0.7, 0.8] all give 6/8; the lowest wins ⇒ 0.25.
    const t = bestAccuracyThreshold(A);
    expect(t).toBeCloseTo(0.25, 12);
    expect(ratesAtThreshold(A, t).accuracy).toBe(0.75);
    expect(ratesAtThreshold(A, 0.5).accuracy).toBe(0.75);
    expect(ratesAtThreshold(A, 0.75).accuracy).toBe(0.75);
    expect(ratesAtThreshold(A, 0.35).accuracy).toBe(0.625);
  });

  it('takes the middle of a plateau spanning a tied score', () => {
    // 0.1 (imp), 0.5 (gen + imp), 0.9 (gen). Rejecting 0.1 ⇒ 3 correct; rejecting 0.1 and 0.5
    // ⇒ still 3 (lose a genuine, gain an impostor). Plateau (0.1, 0.9] ⇒ 0.5.
    const pairs = [i(0.1), g(0.5), i(0.5), g(0.9)];
    const t = bestAccuracyThreshold(pairs);
    expect(t).toBeCloseTo(0.5, 12);
    expect(ratesAtThreshold(pairs, t).accuracy).toBe(0.75);
  });

  it('handles plateaus unbounded on one side', () => {
    // Only impostors: reject everything ⇒ just above the highest score.
    expect(bestAccuracyThreshold([i(0.3), i(0.7)])).toBe(nextUp(0.7));
    // Only genuine: accept everything ⇒ the lowest score.
    expect(bestAccuracyThreshold([g(0.3), g(0.7)])).toBe(0.3);
  });

  it('ignores failed pairs (wrong everywhere)', () => {
    const base = [g(0.9), g(0.6), i(0.4), i(0.1)];
    expect(bestAccuracyThreshold([...base, g(null), i(null)])).toBe(bestAccuracyThreshold(base));
    expect(ratesAtThreshold([...base, g(null), i(null)], 0.5).accuracy).toBeCloseTo(4 / 6, 12);
    expect(bestAccuracyThreshold([g(null), i(null)])).toBe(0);
  });

  it('reaches the brute-force maximum on random data', () => {
    for (const seed of [31, 32, 33, 34]) {
      const pairs = randomPairs(800, seed, 2, 0.05);
      const t = bestAccuracyThreshold(pairs);
      expect(ratesAtThreshold(pairs, t).accuracy).toBe(bruteBestAccuracy(pairs));
    }
  });

  it('throws on an empty list', () => {
    expect(() => bestAccuracyThreshold([])).toThrow(RangeError);
  });
});

/*
 * Synthetic folds (each separable on its own):
 *   fold 1: genuine 0.80 0.90, impostor 0.10 0.20
 *   fold 2: genuine 0.70 0.85, impostor 0.52 0.15
 *   fold 3: genuine 0.60 0.95, impostor 0.40 0.05
 * Test fold 1: train {2,3}: min genuine 0.60, max impostor 0.52 ⇒ t = 0.56 ⇒ fold 1 all right: 1.
 * Test fold 2: train {1,3}: min genuine 0.60, max impostor 0.40 ⇒ t = 0.50 ⇒ the 0.52 impostor
 *   passes: 3/4.
 * Test fold 3: train {1,2}: min genuine 0.70, max impostor 0.52 ⇒ t = 0.61 ⇒ the 0.60 genuine is
 *   rejected: 3/4.
 * Mean 2.5/3 = 5/6; deviations 1/6, −1/12, −1/12 ⇒ population variance (6/144)/3 = 1/72.
 * Mean threshold (0.56 + 0.50 + 0.61)/3 = 0.5566…
 * Pooled, the data is perfectly separable (0.52 < 0.60), so the optimistic accuracy is 1.
 */
const FOLDS: ScoredPair[] = [
  // deliberately out of fold order
  g(0.7, 2), g(0.85, 2), i(0.52, 2), i(0.15, 2),
  g(0.6, 3), g(0.95, 3), i(0.4, 3), i(0.05, 3),
  g(0.8, 1), g(0.9, 1), i(0.1, 1), i(0.2, 1),
];

describe('kFoldAccuracy', () => {
  it('chooses each threshold on the other folds', () => {
    const r = kFoldAccuracy(FOLDS);
    expect(r.perFold.map((f) => f.fold)).toEqual([1, 2, 3]);
    const [f1, f2, f3] = r.perFold;
    expect(f1?.threshold).toBeCloseTo(0.56, 12);
    expect(f2?.threshold).toBeCloseTo(0.5, 12);
    expect(f3?.threshold).toBeCloseTo(0.61, 12);
    expect(r.perFold.map((f) => f.accuracy)).toEqual([1, 0.75, 0.75]);
    expect(r.accuracy).toBeCloseTo(5 / 6, 12);
    expect(r.accuracyStd).toBeCloseTo(Math.sqrt(1 / 72), 12);
    expect(r.threshold).toBeCloseTo((0.56 + 0.5 + 0.61) / 3, 12);
  });

  it('counts failed pairs in the held-out fold as errors', () => {
    const r = kFoldAccuracy([...FOLDS, i(null, 1)]);
    expect(r.perFold[0]?.accuracy).toBeCloseTo(4 / 5, 12);
  });

  it('throws TypeError without folds, with partial folds or with one fold', () => {
    expect(() => kFoldAccuracy(A)).toThrow(TypeError);
    expect(() => kFoldAccuracy([...FOLDS, g(0.5)])).toThrow(TypeError);
    expect(() => kFoldAccuracy([g(0.9, 1), i(0.1, 1)])).toThrow(TypeError);
    expect(() => kFoldAccuracy([])).toThrow(TypeError);
  });
});

describe('summarize', () => {
  const KEYS = [
    'accuracy',
    'accuracy_std',
    'auc',
    'eer',
    'tar_at_far_1e2',
    'tar_at_far_1e3',
    'threshold',
    'tar',
    'far',
    'pairs',
    'detect_failures',
  ];

  it('with folds: k-fold accuracy and mean threshold', () => {
    const s = summarize(FOLDS);
    for (const k of KEYS) expect(s).toHaveProperty(k);
    expect(s.accuracy).toBeCloseTo(5 / 6, 12);
    expect(s.accuracy_std).toBeCloseTo(Math.sqrt(1 / 72), 12);
    expect(s.kfold_accuracy).toBe(s.accuracy);
    expect(s.threshold).toBeCloseTo((0.56 + 0.5 + 0.61) / 3, 12);
    // At 0.5567 on all pairs: every genuine passes (min 0.6), no impostor (max 0.52).
    expect(s.tar).toBe(1);
    expect(s.far).toBe(0);
    expect(s.auc).toBe(1);
    expect(s.eer).toBe(0);
    expect(s.tar_at_far_1e2).toBe(1);
    expect(s.tar_at_far_1e3).toBe(1);
    expect(s.pairs).toBe(12);
    expect(s.detect_failures).toBe(0);
    expect(s.folds).toBe(3);
  });

  it('with folds and a fixed threshold: tar/far/accuracy at it, k-fold kept aside', () => {
    const s = summarize(FOLDS, { threshold: 0.8 });
    // At 0.8: genuine passing 0.85 0.95 0.8 0.9 (4 of 6), no impostor ⇒ accuracy 10/12.
    expect(s.threshold).toBe(0.8);
    expect(s.tar).toBeCloseTo(4 / 6, 12);
    expect(s.far).toBe(0);
    expect(s.accuracy).toBeCloseTo(10 / 12, 12);
    expect(s.accuracy_std).toBe(0);
    expect(s.kfold_accuracy).toBeCloseTo(5 / 6, 12);
    expect(s.kfold_accuracy_std).toBeCloseTo(Math.sqrt(1 / 72), 12);
  });

  it('without folds: accuracy at the best-accuracy threshold, std 0', () => {
    const s = summarize(A);
    for (const k of KEYS) expect(s).toHaveProperty(k);
    // Best-accuracy threshold 0.25: TAR 4/4, FAR 2/4 (0.7 0.4), accuracy 6/8.
    expect(s.threshold).toBeCloseTo(0.25, 12);
    expect(s.accuracy).toBe(0.75);
    expect(s.accuracy_std).toBe(0);
    expect(s.tar).toBe(1);
    expect(s.far).toBe(0.5);
    expect(s.auc).toBe(13 / 16);
    expect(s.eer).toBe(0.25);
    // 4 impostors: FAR 1e-2 and 1e-3 both allow none ⇒ t just above 0.7 ⇒ TAR 1/2.
    expect(s.tar_at_far_1e2).toBe(0.5);
    expect(s.tar_at_far_1e3).toBe(0.5);
    expect(s).not.toHaveProperty('kfold_accuracy');
    expect(s.folds).toBe(0);
  });

  it('without folds and a fixed threshold', () => {
    const s = summarize([...A, g(null), i(null)], { threshold: 0.75 });
    // At 0.75: tp 2 (0.9 0.8), fp 0; G 5, I 5; accuracy (2 + 5 − 1)/10.
    expect(s.tar).toBeCloseTo(0.4, 12);
    expect(s.far).toBe(0);
    expect(s.accuracy).toBeCloseTo(0.6, 12);
    expect(s.pairs).toBe(10);
    expect(s.detect_failures).toBe(2);
  });

  it('serialises to a JSON line with the contract keys', () => {
    const parsed = JSON.parse(JSON.stringify(summarize(A))) as Record<string, unknown>;
    for (const k of KEYS) expect(typeof parsed[k]).toBe('number');
  });

  it('throws on mixed folds, one fold, bad threshold or a missing class', () => {
    expect(() => summarize([...FOLDS, g(0.5)])).toThrow(TypeError);
    expect(() => summarize([g(0.9, 1), i(0.1, 1)])).toThrow(TypeError);
    expect(() => summarize(A, { threshold: Number.NaN })).toThrow(TypeError);
    expect(() => summarize([g(0.9), g(0.8)])).toThrow(RangeError);
  });

  it('uses the named FAR constants', () => {
    expect(FAR_1E2).toBe(0.01);
    expect(FAR_1E3).toBe(0.001);
  });

  it('handles 10,000 pairs (10 folds, ties, failures) well under a second', () => {
    const pairs = randomPairs(10_000, 99, 3, 0.02, 10);
    const start = performance.now();
    const s = summarize(pairs);
    const ms = performance.now() - start;
    expect(ms).toBeLessThan(1000);
    expect(s.pairs).toBe(10_000);
    expect(s.folds).toBe(10);
    expect(s.auc).toBeGreaterThan(0.5);
    expect(s.accuracy).toBeGreaterThan(0.5);
  });
});

describe('wilsonInterval', () => {
  it('brackets the proportion and stays inside [0, 1]', () => {
    const { low, high } = wilsonInterval(12, 14_280);
    expect(low).toBeLessThan(12 / 14_280);
    expect(high).toBeGreaterThan(12 / 14_280);
    expect(wilsonInterval(5, 5).high).toBe(1);
  });

  it('is not empty when nothing happened: about 3.8 / n above zero', () => {
    const { low, high } = wilsonInterval(0, 57_360);
    expect(low).toBe(0);
    expect(high * 57_360).toBeCloseTo(3.84, 1);
  });

  it('refuses counts that are not a proportion', () => {
    expect(() => wilsonInterval(3, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(0, 0)).toThrow(RangeError);
    expect(() => wilsonInterval(0.5, 10)).toThrow(RangeError);
  });
});
