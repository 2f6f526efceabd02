import { describe, expect, it } from 'vitest';
import { compareTemplates, cosineSimilarity, DEFAULT_MATCH_THRESHOLD, l2Normalize, meanTemplate } from './compareTemplates.js';

describe('l2Normalize', () => {
  it('scales to unit length and keeps the direction', () => {
    const v = l2Normalize([3, 4]);
    expect(Array.from(v)).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6)]);
  });
  it('leaves a zero vector at zero', () => {
    expect(Array.from(l2Normalize([0, 0, 0]))).toEqual([0, 0, 0]);
  });
});

describe('cosineSimilarity', () => {
  it('is 1 for parallel, 0 for orthogonal and -1 for opposite vectors, whatever their length', () => {
    expect(cosineSimilarity([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 10);
    expect(cosineSimilarity([1, 0], [0, 5])).toBeCloseTo(0, 10);
    expect(cosineSimilarity([1, -1], [-3, 3])).toBeCloseTo(-1, 10);
    expect(cosineSimilarity([1, 0], [1, 1])).toBeCloseTo(Math.SQRT1_2, 10);
  });
  it('refuses vectors of different length', () => {
    expect(() => cosineSimilarity([1, 2], [1, 2, 3])).toThrow(TypeError);
  });
});

describe('meanTemplate', () => {
  it('averages unit vectors, so a long embedding does not dominate', () => {
    const t = meanTemplate([[10, 0], [0, 1]]);
    expect(t[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(t[1]).toBeCloseTo(Math.SQRT1_2, 6);
  });
  it('needs at least one embedding', () => {
    expect(() => meanTemplate([])).toThrow(TypeError);
  });
});

describe('compareTemplates', () => {
  it('matches at and above the threshold, not below', () => {
    const angle = Math.acos(DEFAULT_MATCH_THRESHOLD);
    const at = [Math.cos(angle - 1e-6), Math.sin(angle - 1e-6)];
    const below = [Math.cos(angle + 1e-3), Math.sin(angle + 1e-3)];
    expect(compareTemplates([1, 0], at).match).toBe(true);
    expect(compareTemplates([1, 0], below).match).toBe(false);
    expect(compareTemplates([1, 0], below, 0).match).toBe(true);
  });
});
