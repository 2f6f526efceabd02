import { describe, expect, it } from 'vitest';
import { checkProbeOf, checkScore, enrollmentTemplate, fusedOf, scoreIdea, shippedThresholdRule, type ScoredPair, type Views } from './checkProtocol';

/** A unit vector along axis `i` of a 4-d space, plus an optional second component. */
const unit = (i: number, j?: number): Float32Array => {
  const v = new Float32Array(4);
  v[i] = 1;
  if (j !== undefined) v[j] = 1;
  return v.map((x) => x / Math.hypot(...v));
};
const views = (plain: Float32Array, mirrored: Float32Array): Views => ({ plain, mirrored });

describe('the check protocol', () => {
  it('fuses both views of an enrollment frame and averages frames by weight', () => {
    expect([...fusedOf(views(unit(0), unit(1)))].map((x) => +x.toFixed(4))).toEqual([0.7071, 0.7071, 0, 0]);
    const a = views(unit(0), unit(0));
    const b = views(unit(2), unit(2));
    expect([...enrollmentTemplate([a, b], [1, 0])]).toEqual([1, 0, 0, 0]);
    expect([...enrollmentTemplate([a, b], [1, 1])].map((x) => +x.toFixed(4))).toEqual([0.7071, 0, 0.7071, 0]);
  });

  it('builds the probe from one view per check frame, plain first', () => {
    // Three frames: plain, mirrored, plain → (2·plain + mirrored) / |…|.
    const probe = checkProbeOf(views(unit(0), unit(1)));
    expect(probe[0]! / probe[1]!).toBeCloseTo(2, 5);
  });

  it('has no score when either side has no face', () => {
    expect(checkScore(null, views(unit(0), unit(0)))).toBeNull();
    expect(checkScore([views(unit(0), unit(0))], null)).toBeNull();
    expect(checkScore([views(unit(0), unit(0))], views(unit(0), unit(0)))).toBeCloseTo(1, 6);
  });

  it('chooses the lowest threshold with at most 2 impostors at or above it, rounded up', () => {
    expect(shippedThresholdRule([0.1, 0.5, 0.3702, 0.41, null, 0.2])).toBe(0.38);
  });
});

describe('scoreIdea', () => {
  const pair = (a: string, b: string, score: number | null, fold: number): ScoredPair => ({ pair: { a: `${a}/1.jpg`, b: `${b}/2.jpg`, same: a === b, fold }, score });
  const groups = new Map([['Ann', 'female'], ['Bea', 'female'], ['Carl', 'male'], ['Dan', 'male']]);
  const lfw = [
    pair('Ann', 'Ann', 0.2, 1), pair('Bea', 'Bea', 0.7, 2), pair('Carl', 'Carl', 0.8, 1), pair('Dan', 'Dan', 0.6, 2),
    pair('Ann', 'Carl', 0.4, 1), pair('Bea', 'Dan', 0.1, 2), pair('Carl', 'Dan', null, 1), pair('Ann', 'Bea', 0.0, 2),
  ];

  it('counts false rejects per group and false accepts at the threshold', () => {
    const { record, line } = scoreIdea('idea', lfw, [pair('x', 'y', 0.5, 1)], 0.38, groups);
    expect(record.women).toMatchObject({ false_non_matches: 1, pairs: 2 });
    expect(record.men).toMatchObject({ false_non_matches: 0, pairs: 2 });
    expect(record.lfw_false_accepts).toBe(1);
    expect(record.deepface_false_accepts).toBe(1);
    expect(record.highest_lfw_impostor).toBe(0.4);
    expect(line).toContain('1/2');
    const stricter = scoreIdea('idea', lfw, null, 0.45, groups).record;
    expect(stricter.lfw_false_accepts).toBe(0);
    expect(stricter.deepface_false_accepts).toBeNull();
  });
});
