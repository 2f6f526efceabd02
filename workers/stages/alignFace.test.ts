import { describe, expect, it } from 'vitest';
import {
  ALIGNED_SIZE,
  ARCFACE_TEMPLATE,
  alignFace,
  alignmentRegion,
  applySimilarity,
  estimateSimilarity,
  invertSimilarity,
  warpSimilarity,
} from './alignFace.js';
import { createPixels, type Point } from './pixels.js';

/** Rotates by `angle`, scales by `scale`, then shifts: a known similarity to recover. */
function transformPoints(points: readonly Point[], angle: number, scale: number, dx: number, dy: number): Point[] {
  const c = Math.cos(angle) * scale;
  const s = Math.sin(angle) * scale;
  return points.map((p) => ({ x: c * p.x - s * p.y + dx, y: s * p.x + c * p.y + dy }));
}

describe('estimateSimilarity', () => {
  it('recovers an exact rotation, scale and translation', () => {
    const from = transformPoints(ARCFACE_TEMPLATE, 0.3, 2.5, 140, -20);
    const t = estimateSimilarity(from, ARCFACE_TEMPLATE);
    // The inverse of scaling by 2.5 and rotating by 0.3 rad.
    expect(Math.hypot(t.a, t.b)).toBeCloseTo(1 / 2.5, 10);
    expect(Math.atan2(t.b, t.a)).toBeCloseTo(-0.3, 10);
    from.forEach((p, i) => {
      const q = applySimilarity(t, p);
      expect(q.x).toBeCloseTo(ARCFACE_TEMPLATE[i]!.x, 8);
      expect(q.y).toBeCloseTo(ARCFACE_TEMPLATE[i]!.y, 8);
    });
  });

  it('is the least-squares fit when the points are noisy', () => {
    const from = transformPoints(ARCFACE_TEMPLATE, -0.1, 1.7, 30, 40);
    const noisy = from.map((p, i) => ({ x: p.x + (i % 2 ? 1.5 : -1.5), y: p.y + (i % 3 ? -1 : 1) }));
    const best = estimateSimilarity(noisy, ARCFACE_TEMPLATE);
    const cost = (t: typeof best) =>
      noisy.reduce((sum, p, i) => {
        const q = applySimilarity(t, p);
        return sum + (q.x - ARCFACE_TEMPLATE[i]!.x) ** 2 + (q.y - ARCFACE_TEMPLATE[i]!.y) ** 2;
      }, 0);
    const base = cost(best);
    for (const key of ['a', 'b', 'tx', 'ty'] as const) {
      for (const step of [1e-3, -1e-3]) expect(cost({ ...best, [key]: best[key] + step })).toBeGreaterThan(base);
    }
  });

  it('never reflects: a mirrored face is fitted by a rotation, not a flip', () => {
    const mirrored = ARCFACE_TEMPLATE.map((p) => ({ x: 112 - p.x, y: p.y }));
    const t = estimateSimilarity(mirrored, ARCFACE_TEMPLATE);
    // A similarity has a positive determinant a² + b²; a reflection would need a negative one.
    expect(t.a * t.a + t.b * t.b).toBeGreaterThan(0);
    const q = applySimilarity(t, mirrored[0]!);
    expect(Math.abs(q.x - ARCFACE_TEMPLATE[0]!.x)).toBeGreaterThan(5);
  });

  it('rejects degenerate input', () => {
    expect(() => estimateSimilarity([{ x: 1, y: 1 }], [{ x: 2, y: 2 }])).toThrow(TypeError);
    expect(() => estimateSimilarity([{ x: 1, y: 1 }, { x: 1, y: 1 }], ARCFACE_TEMPLATE.slice(0, 2))).toThrow(RangeError);
  });

  it('has an exact inverse', () => {
    const t = estimateSimilarity(transformPoints(ARCFACE_TEMPLATE, 0.7, 0.5, 3, 9), ARCFACE_TEMPLATE);
    const p = { x: 12.5, y: -7 };
    const back = applySimilarity(invertSimilarity(t), applySimilarity(t, p));
    expect(back.x).toBeCloseTo(p.x, 10);
    expect(back.y).toBeCloseTo(p.y, 10);
  });
});

describe('warpSimilarity and alignFace', () => {
  it('the identity transform copies the image', () => {
    const image = createPixels(4, 4);
    image.data.forEach((_, i) => (image.data[i] = (i * 37) % 256));
    const out = warpSimilarity(image, { a: 1, b: 0, tx: 0, ty: 0 }, 4);
    for (let p = 0; p < 16; p += 1) {
      expect([out.data[p * 4], out.data[p * 4 + 1], out.data[p * 4 + 2], out.data[p * 4 + 3]]).toEqual([
        image.data[p * 4],
        image.data[p * 4 + 1],
        image.data[p * 4 + 2],
        255,
      ]);
    }
  });

  it('interpolates bilinearly between pixels and fills outside with black', () => {
    const image = createPixels(2, 1);
    image.data.set([0, 0, 0, 255, 200, 100, 50, 255]);
    const half = warpSimilarity(image, { a: 1, b: 0, tx: -0.5, ty: 0 }, 2);
    expect(Array.from(half.data.slice(0, 3))).toEqual([100, 50, 25]);
    expect(Array.from(half.data.slice(4, 7))).toEqual([100, 50, 25]);
  });

  it('puts five marked points of a synthetic face exactly on the ArcFace template', () => {
    // Draw five bright dots at transformed template positions in a large image, align, and find them.
    const points = transformPoints(ARCFACE_TEMPLATE, 0.25, 3, 150, 60);
    const image = createPixels(600, 600);
    for (const p of points) {
      for (let dy = -4; dy <= 4; dy += 1) {
        for (let dx = -4; dx <= 4; dx += 1) {
          const i = (Math.round(p.y) + dy) * 600 + Math.round(p.x) + dx;
          image.data.set([255, 255, 255, 255], i * 4);
        }
      }
    }
    const crop = alignFace(image, points);
    expect([crop.width, crop.height]).toEqual([ALIGNED_SIZE, ALIGNED_SIZE]);
    for (const target of ARCFACE_TEMPLATE) {
      const value = crop.data[(Math.round(target.y) * ALIGNED_SIZE + Math.round(target.x)) * 4]!;
      expect(value).toBeGreaterThan(200);
    }
    // Far from every dot the crop is dark.
    expect(crop.data[(5 * ALIGNED_SIZE + 5) * 4]).toBe(0);
  });
});

describe('alignmentRegion', () => {
  /** A noisy 640×480 image, so any missing pixel would show in the crop. */
  function noise(): ReturnType<typeof createPixels> {
    const image = createPixels(640, 480);
    let seed = 7;
    for (let i = 0; i < image.data.length; i += 1) image.data[i] = (seed = (seed * 1103515245 + 12345) % 2 ** 31) >> 23;
    return image;
  }

  function cut(image: ReturnType<typeof createPixels>, r: { x: number; y: number; width: number; height: number }) {
    const out = createPixels(r.width, r.height);
    for (let y = 0; y < r.height; y += 1) {
      out.data.set(image.data.subarray(((r.y + y) * image.width + r.x) * 4, ((r.y + y) * image.width + r.x + r.width) * 4), y * r.width * 4);
    }
    return out;
  }

  for (const [name, angle, scale, dx, dy] of [
    ['a large face in the middle', 0.2, 2.5, 200, 100],
    ['a small face', -0.3, 0.9, 300, 200],
    ['a face cut by the frame edge', 0.1, 3, -60, 250],
  ] as const) {
    it(`reading only the region gives the same crop: ${name}`, () => {
      const image = noise();
      const points = transformPoints(ARCFACE_TEMPLATE, angle, scale, dx, dy);
      const region = alignmentRegion(points, image.width, image.height);
      expect(region.width * region.height).toBeLessThan(image.width * image.height);
      const full = alignFace(image, points);
      const partial = alignFace(cut(image, region), points.map((p) => ({ x: p.x - region.x, y: p.y - region.y })));
      let maxDiff = 0;
      for (let i = 0; i < full.data.length; i += 1) maxDiff = Math.max(maxDiff, Math.abs(full.data[i]! - partial.data[i]!));
      expect(maxDiff).toBeLessThanOrEqual(1);
    });
  }
});
