/**
 * Alignment stage: maps five facial points onto the standard ArcFace 112×112 template with a
 * least-squares similarity transform (rotation, uniform scale, translation; no reflection),
 * then resamples the crop.
 */
import { createPixels, type Pixels, type Point, type Region } from './pixels.js';

/** Side of the aligned crop the embedding model expects. */
export const ALIGNED_SIZE = 112;

/**
 * Where the five points land in a 112×112 ArcFace crop (insightface's reference points, in the
 * integer-pixel-centre convention): image-left eye, image-right eye, nose tip, image-left and
 * image-right mouth corner.
 */
export const ARCFACE_TEMPLATE: readonly Point[] = [
  { x: 38.2946, y: 51.6963 },
  { x: 73.5318, y: 51.5014 },
  { x: 56.0252, y: 71.7366 },
  { x: 41.5493, y: 92.3655 },
  { x: 70.7299, y: 92.2041 },
];

/** A similarity transform `x' = a·x − b·y + tx`, `y' = b·x + a·y + ty`. */
export interface Similarity {
  readonly a: number;
  readonly b: number;
  readonly tx: number;
  readonly ty: number;
}

/** Largest number of samples per axis used to average a pixel when the crop shrinks the face. */
const MAX_SUPERSAMPLING = 4;

/**
 * Least-squares similarity transform taking `from[i]` to `to[i]` (Umeyama's method restricted to
 * 2-D rotations, written with complex numbers: `a + ib = Σ conj(p)·q / Σ |p|²` on centred points).
 */
export function estimateSimilarity(from: readonly Point[], to: readonly Point[]): Similarity {
  if (from.length !== to.length || from.length < 2) {
    throw new TypeError(`estimateSimilarity needs two point lists of equal length ≥ 2, got ${from.length} and ${to.length}`);
  }
  const n = from.length;
  const mean = (points: readonly Point[]) => ({
    x: points.reduce((sum, p) => sum + p.x, 0) / n,
    y: points.reduce((sum, p) => sum + p.y, 0) / n,
  });
  const mf = mean(from);
  const mt = mean(to);
  let re = 0;
  let im = 0;
  let norm = 0;
  for (let i = 0; i < n; i += 1) {
    const px = from[i]!.x - mf.x;
    const py = from[i]!.y - mf.y;
    const qx = to[i]!.x - mt.x;
    const qy = to[i]!.y - mt.y;
    re += px * qx + py * qy;
    im += px * qy - py * qx;
    norm += px * px + py * py;
  }
  if (norm === 0) throw new RangeError('estimateSimilarity: all source points coincide');
  const a = re / norm;
  const b = im / norm;
  return { a, b, tx: mt.x - (a * mf.x - b * mf.y), ty: mt.y - (b * mf.x + a * mf.y) };
}

/** Applies a similarity transform to a point. */
export function applySimilarity(t: Similarity, p: Point): Point {
  return { x: t.a * p.x - t.b * p.y + t.tx, y: t.b * p.x + t.a * p.y + t.ty };
}

/** The inverse transform. */
export function invertSimilarity(t: Similarity): Similarity {
  const det = t.a * t.a + t.b * t.b;
  const a = t.a / det;
  const b = -t.b / det;
  return { a, b, tx: -(a * t.tx - b * t.ty), ty: -(b * t.tx + a * t.ty) };
}

/**
 * Resamples `image` through `transform` (source → crop coordinates) into a `size`×`size` crop,
 * bilinearly; outside the image counts as black. When the crop shrinks the face, each output pixel
 * averages up to 4×4 bilinear samples so that large, high-resolution faces do not alias.
 * Written as one flat loop with local accumulators: it runs for every analysed frame.
 */
export function warpSimilarity(image: Pixels, transform: Similarity, size: number): Pixels {
  const inverse = invertSimilarity(transform);
  const scale = Math.hypot(transform.a, transform.b);
  const samples = Math.min(MAX_SUPERSAMPLING, Math.max(1, Math.ceil(1 / scale)));
  const crop = createPixels(size, size);
  const out = crop.data;
  const { width, height, data } = image;
  const weight = 1 / (samples * samples);
  for (let v = 0; v < size; v += 1) {
    for (let u = 0; u < size; u += 1) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sv = 0; sv < samples; sv += 1) {
        for (let su = 0; su < samples; su += 1) {
          const cu = u + (su + 0.5) / samples - 0.5;
          const cv = v + (sv + 0.5) / samples - 0.5;
          const x = inverse.a * cu - inverse.b * cv + inverse.tx;
          const y = inverse.b * cu + inverse.a * cv + inverse.ty;
          const x0 = Math.floor(x);
          const y0 = Math.floor(y);
          const fx = x - x0;
          const fy = y - y0;
          if (x0 >= 0 && y0 >= 0 && x0 + 1 < width && y0 + 1 < height) {
            // All four neighbours inside: the common case, without bounds checks (same sums, same order).
            const top = (y0 * width + x0) * 4;
            const bottom = top + width * 4;
            const w00 = (1 - fy) * (1 - fx);
            const w01 = (1 - fy) * fx;
            const w10 = fy * (1 - fx);
            const w11 = fy * fx;
            r += w00 * data[top]!;
            g += w00 * data[top + 1]!;
            b += w00 * data[top + 2]!;
            r += w01 * data[top + 4]!;
            g += w01 * data[top + 5]!;
            b += w01 * data[top + 6]!;
            r += w10 * data[bottom]!;
            g += w10 * data[bottom + 1]!;
            b += w10 * data[bottom + 2]!;
            r += w11 * data[bottom + 4]!;
            g += w11 * data[bottom + 5]!;
            b += w11 * data[bottom + 6]!;
            continue;
          }
          for (let dy = 0; dy <= 1; dy += 1) {
            const yy = y0 + dy;
            const wy = dy === 0 ? 1 - fy : fy;
            if (yy < 0 || yy >= height || wy === 0) continue;
            for (let dx = 0; dx <= 1; dx += 1) {
              const xx = x0 + dx;
              const w = wy * (dx === 0 ? 1 - fx : fx);
              if (xx < 0 || xx >= width || w === 0) continue;
              const p = (yy * width + xx) * 4;
              r += w * data[p]!;
              g += w * data[p + 1]!;
              b += w * data[p + 2]!;
            }
          }
        }
      }
      const p = (v * size + u) * 4;
      out[p] = r * weight;
      out[p + 1] = g * weight;
      out[p + 2] = b * weight;
      out[p + 3] = 255;
    }
  }
  return crop;
}

/** Aligns a face given its five points (same order as {@link ARCFACE_TEMPLATE}) into a 112×112 crop. */
export function alignFace(image: Pixels, fivePoints: readonly Point[]): Pixels {
  return warpSimilarity(image, estimateSimilarity(fivePoints, ARCFACE_TEMPLATE), ALIGNED_SIZE);
}

/**
 * The part of a `width`×`height` frame that the aligned crop of `fivePoints` samples from, with a
 * margin for the bilinear neighbours: reading only this region (instead of the whole frame) gives
 * the same crop. Clamped to the frame (at least one pixel).
 */
export function alignmentRegion(fivePoints: readonly Point[], width: number, height: number): Region {
  const inverse = invertSimilarity(estimateSimilarity(fivePoints, ARCFACE_TEMPLATE));
  const corners = [
    [-0.5, -0.5],
    [ALIGNED_SIZE - 0.5, -0.5],
    [-0.5, ALIGNED_SIZE - 0.5],
    [ALIGNED_SIZE - 0.5, ALIGNED_SIZE - 0.5],
  ].map(([u, v]) => applySimilarity(inverse, { x: u!, y: v! }));
  const clamp = (value: number, max: number) => Math.min(max, Math.max(0, value));
  const x0 = clamp(Math.floor(Math.min(...corners.map((c) => c.x))) - 1, width - 1);
  const y0 = clamp(Math.floor(Math.min(...corners.map((c) => c.y))) - 1, height - 1);
  const x1 = clamp(Math.ceil(Math.max(...corners.map((c) => c.x))) + 2, width);
  const y1 = clamp(Math.ceil(Math.max(...corners.map((c) => c.y))) + 2, height);
  return { x: x0, y: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0) };
}
