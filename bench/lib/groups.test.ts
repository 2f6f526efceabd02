import { describe, expect, it } from 'vitest';
import { clopperPearsonUpper, groupReport, keepNonFinite, parseGroupMap, quantileSorted, UNLABELED, wilsonInterval, type GroupedPair } from './groups';
import { seededRandom } from '../../tools/seededRandom.js';

const genuine = (identity: string, score: number | null): GroupedPair => ({ score, same: true, identityA: identity, identityB: identity });
const impostor = (a: string, b: string, score: number | null): GroupedPair => ({ score, same: false, identityA: a, identityB: b });

/** `people` people of prefix `name`, one genuine pair each, the first `errors` of them rejected. */
function groupPairs(name: string, people: number, errors: number): GroupedPair[] {
  return Array.from({ length: people }, (_, i) => genuine(`${name}${i}`, i < errors ? 0.1 : 0.9));
}

describe('wilsonInterval', () => {
  it('matches known values', () => {
    const zero = wilsonInterval(0, 10);
    expect(zero.low).toBe(0);
    expect(zero.high).toBeCloseTo(0.27753, 5); // z² / (n + z²)
    const half = wilsonInterval(5, 10);
    expect(half.low).toBeCloseTo(0.23659, 4);
    expect(half.high).toBeCloseTo(0.76341, 4);
    const one = wilsonInterval(1, 10);
    expect(one.low).toBeCloseTo(0.01787, 4);
    expect(one.high).toBeCloseTo(0.40415, 4);
    expect(wilsonInterval(10, 10).high).toBe(1);
  });

  it('gives the issue 22 intervals (26 of 624, 32 of 1,776)', () => {
    const women = wilsonInterval(26, 624);
    expect([women.low, women.high].map((x) => +(100 * x).toFixed(2))).toEqual([2.86, 6.04]);
    const men = wilsonInterval(32, 1776);
    expect([men.low, men.high].map((x) => +(100 * x).toFixed(2))).toEqual([1.28, 2.53]);
  });

  it('refuses impossible counts', () => {
    expect(() => wilsonInterval(1, 0)).toThrow(RangeError);
    expect(() => wilsonInterval(11, 10)).toThrow(RangeError);
  });
});

describe('clopperPearsonUpper', () => {
  it('is 1 − (α/2)^(1/n) with no error, about 3.7/n', () => {
    expect(clopperPearsonUpper(0, 10)).toBeCloseTo(1 - 0.025 ** 0.1, 12);
    expect(clopperPearsonUpper(0, 2400) * 2400).toBeCloseTo(3.69, 2);
  });

  it('matches tabulated exact bounds', () => {
    expect(clopperPearsonUpper(1, 10)).toBeCloseTo(0.445, 3);
    expect(clopperPearsonUpper(5, 10)).toBeCloseTo(0.8129, 3);
    expect(clopperPearsonUpper(10, 10)).toBe(1);
  });
});

describe('quantileSorted', () => {
  it('interpolates between ranks', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4], 0)).toBe(1);
    expect(quantileSorted([1, 2, 3, 4], 1)).toBe(4);
  });
});

describe('parseGroupMap', () => {
  it('reads JSON and text', () => {
    expect([...parseGroupMap('{"Ann_A": "female", "Bob_B": "male"}')]).toEqual([['Ann_A', 'female'], ['Bob_B', 'male']]);
    expect([...parseGroupMap('# comment\nAnn_A female\n\nBob_B,male\n')]).toEqual([['Ann_A', 'female'], ['Bob_B', 'male']]);
    expect(() => parseGroupMap('Ann_A\n')).toThrow(TypeError);
  });
});

describe('groupReport', () => {
  const groups = new Map<string, string>();
  for (let i = 0; i < 40; i++) groups.set(`f${i}`, 'female');
  for (let i = 0; i < 100; i++) groups.set(`m${i}`, 'male');
  const pairs = [
    ...groupPairs('f', 40, 4), // 10 %
    ...groupPairs('m', 100, 5), // 5 %
    impostor('f0', 'f1', 0.5),
    impostor('f0', 'm1', 0.1),
    impostor('m2', 'm1', 0.2),
    impostor('m2', 'x9', 0.2),
    genuine('x9', null),
  ];

  it('counts pairs, people, errors, scores and impostor groups', () => {
    const { groups: report, fnmr_ratio } = groupReport(pairs, groups, { threshold: 0.38, resamples: 500 });
    expect(report.genuine.female).toMatchObject({ genuine_pairs: 40, people: 40, false_non_matches: 4, fnmr: 0.1 });
    expect(report.genuine.female!.mean_genuine_score).toBeCloseTo((4 * 0.1 + 36 * 0.9) / 40, 12);
    expect(report.genuine.male).toMatchObject({ genuine_pairs: 100, people: 100, false_non_matches: 5, fnmr: 0.05 });
    // A failed pair is a false non-match; unlabelled people are reported but never in the ratio.
    expect(report.genuine[UNLABELED]).toMatchObject({ genuine_pairs: 1, false_non_matches: 1, fnmr: 1 });
    expect(report.impostor['female-female']).toMatchObject({ impostor_pairs: 1, false_matches: 1, fmr: 1 });
    expect(report.impostor.mixed).toMatchObject({ impostor_pairs: 1, false_matches: 0 });
    expect(report.impostor['male-male']!.fmr_upper).toBeCloseTo(clopperPearsonUpper(0, 1), 12);
    expect(report.impostor[`male-${UNLABELED}`]).toMatchObject({ impostor_pairs: 1 });
    expect([report.worst, report.best]).toEqual(['female', 'male']);
    expect(fnmr_ratio.value).toBeCloseTo(2, 12);
    expect(fnmr_ratio.low).toBeLessThan(2);
    expect(fnmr_ratio.high).toBeGreaterThan(2);
  });

  it('is deterministic for a seed and changes with it', () => {
    const a = groupReport(pairs, groups, { threshold: 0.38, resamples: 300, seed: 7 });
    const b = groupReport(pairs, groups, { threshold: 0.38, resamples: 300, seed: 7 });
    const c = groupReport(pairs, groups, { threshold: 0.38, resamples: 300, seed: 8 });
    expect(b).toEqual(a);
    expect(c.fnmr_ratio).not.toEqual(a.fnmr_ratio);
    expect(a.groups.bootstrap_seed).toBe(7);
  });

  it('resamples people, not pairs: one person with all errors widens the interval', () => {
    const map = new Map([...Array.from({ length: 20 }, (_, i) => [`p${i}`, 'a'] as const)]);
    const spread = Array.from({ length: 20 }, (_, i) => [genuine(`p${i}`, i < 2 ? 0 : 1), ...Array.from({ length: 4 }, () => genuine(`p${i}`, 1))]).flat();
    const clustered = Array.from({ length: 20 }, (_, i) => Array.from({ length: 5 }, (_, k) => genuine(`p${i}`, i === 0 && k < 2 ? 0 : 1))).flat();
    const width = (ps: GroupedPair[]) => {
      const g = groupReport(ps, map, { threshold: 0.5, resamples: 2000 }).groups.genuine.a!;
      expect(g.fnmr).toBeCloseTo(0.02, 12);
      return g.fnmr_bootstrap.high - g.fnmr_bootstrap.low;
    };
    expect(width(clustered)).toBeGreaterThan(width(spread));
  });

  it('the ratio is exactly the worst over the best group, and its interval covers it on a symmetric case', () => {
    const map = new Map<string, string>([
      ...Array.from({ length: 200 }, (_, i) => [`a${i}`, 'a'] as const),
      ...Array.from({ length: 200 }, (_, i) => [`b${i}`, 'b'] as const),
    ]);
    const equal = groupReport([...groupPairs('a', 200, 10), ...groupPairs('b', 200, 10)], map, { threshold: 0.5, resamples: 2000 });
    expect(equal.fnmr_ratio.value).toBe(1);
    expect(equal.fnmr_ratio.low).toBeLessThan(1);
    expect(equal.fnmr_ratio.high).toBeGreaterThan(1);
    const triple = groupReport([...groupPairs('a', 200, 30), ...groupPairs('b', 200, 10)], map, { threshold: 0.5, resamples: 2000 });
    expect(triple.fnmr_ratio.value).toBeCloseTo(3, 12);
    expect([triple.groups.worst, triple.groups.best]).toEqual(['a', 'b']);
  });

  it('counts no error in either group as a ratio of 1, and errors against none as Infinity', () => {
    const map = new Map<string, string>([...['a0', 'a1'].map((k) => [k, 'a'] as const), ...['b0', 'b1'].map((k) => [k, 'b'] as const)]);
    expect(groupReport([...groupPairs('a', 2, 0), ...groupPairs('b', 2, 0)], map, { threshold: 0.5, resamples: 50 }).fnmr_ratio).toEqual({ value: 1, low: 1, high: 1 });
    expect(groupReport([...groupPairs('a', 2, 1), ...groupPairs('b', 2, 0)], map, { threshold: 0.5, resamples: 50 }).fnmr_ratio.value).toBe(Infinity);
  });

  it('writes unbounded and undefined ratios into JSON as strings, not as null', () => {
    const map = new Map<string, string>([...['a0', 'a1'].map((k) => [k, 'a'] as const), ...['b0', 'b1'].map((k) => [k, 'b'] as const)]);
    const { fnmr_ratio } = groupReport([...groupPairs('a', 2, 1), ...groupPairs('b', 2, 0)], map, { threshold: 0.5, resamples: 50 });
    const parsed = JSON.parse(JSON.stringify({ fnmr_ratio, other: 0.5 }, keepNonFinite)) as { fnmr_ratio: Record<string, unknown>; other: number };
    expect(parsed.fnmr_ratio.value).toBe('Infinity');
    expect(parsed.other).toBe(0.5);
    expect(JSON.parse(JSON.stringify({ x: Number.NaN }, keepNonFinite))).toEqual({ x: 'NaN' });
  });

  it('has no ratio with fewer than two labelled groups', () => {
    const one = groupReport(groupPairs('a', 5, 1), new Map(), { threshold: 0.5, resamples: 10 });
    expect(one.groups.worst).toBeNull();
    expect(one.fnmr_ratio.value).toBeNaN();
  });
});

describe('seededRandom', () => {
  it('repeats its sequence for a seed', () => {
    const a = seededRandom(22);
    const b = seededRandom(22);
    expect(Array.from({ length: 5 }, a)).toEqual(Array.from({ length: 5 }, b));
  });
});
