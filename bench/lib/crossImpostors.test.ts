import { describe, expect, it } from 'vitest';
import { crossImpostors, identityOf, type CardRun } from './crossImpostors';

const unit = (x: number, y: number) => {
  const n = Math.hypot(x, y);
  return [x / n, y / n];
};

describe('identityOf', () => {
  it('is the folder of an LFW-style path', () => {
    expect(identityOf('Abel_Pacheco/Abel_Pacheco_0001.jpg')).toBe('Abel_Pacheco');
    expect(identityOf('lfw/Abel_Pacheco/Abel_Pacheco_0001.jpg')).toBe('Abel_Pacheco');
    expect(() => identityOf('Abel_Pacheco_0001.jpg')).toThrow(TypeError);
  });
});

describe('crossImpostors', () => {
  const runs: CardRun[] = [
    { portraitIdentity: 'A', liveIdentity: 'A', portrait: unit(1, 0), template: unit(1, 0.1) },
    { portraitIdentity: 'B', liveIdentity: 'B', portrait: unit(0, 1), template: unit(0.1, 1) },
    { portraitIdentity: 'C', liveIdentity: 'C', portrait: null, template: unit(1, 1) },
    { portraitIdentity: 'A', liveIdentity: 'D', portrait: unit(1, 1), template: null },
  ];

  it('scores every portrait against every template of another identity, never the same person', () => {
    const scored = crossImpostors(runs);
    // Templates of A, B and C (D has none); portraits A, B, C, A: A's template meets B, C; B's meets A, C, A; C's meets A, B, A.
    expect(scored).toHaveLength(2 + 3 + 3);
    expect(scored.every((s) => !s.same)).toBe(true);
    // C's missing portrait is a non-match in the denominator, once per template it meets.
    expect(scored.filter((s) => s.score === null)).toHaveLength(2);
    // A's portrait against B's template: orthogonal-ish, low; A's second card (1,1) against C's template (1,1): 1.
    expect(Math.max(...scored.map((s) => s.score ?? -1))).toBeCloseTo(1, 6);
  });

  it('keeps only the pairs `within` allows', () => {
    const scored = crossImpostors(runs, (i, j) => i < 2 && j < 2);
    expect(scored).toHaveLength(2);
    expect(scored.map((s) => s.score)).toEqual([expect.closeTo(unit(0, 1)[0]! * unit(1, 0.1)[0]! + unit(0, 1)[1]! * unit(1, 0.1)[1]!, 6), expect.any(Number)]);
  });
});
