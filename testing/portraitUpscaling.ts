/**
 * Alternative upscalings of a small printed portrait to the 112 px aligned crop, measured by the
 * identity-document benchmark against the production bilinear alignment (testing only; promoted
 * to workers/stages/ only if they help).
 */
import { ALIGNED_SIZE, ARCFACE_TEMPLATE, estimateSimilarity, invertSimilarity } from '../workers/stages/alignFace.js';
import { createPixels, type Pixels, type Point } from '../workers/stages/pixels.js';

/** Catmull-Rom weight of a sample `t` px away (Keys' cubic, a = −0.5). */
function cubic(t: number): number {
  const x = Math.abs(t);
  if (x < 1) return 1.5 * x * x * x - 2.5 * x * x + 1;
  if (x < 2) return -0.5 * x * x * x + 2.5 * x * x - 4 * x + 2;
  return 0;
}

/** The 5-point aligned crop of `image` sampled with bicubic (Catmull-Rom) interpolation instead of bilinear. */
export function alignFaceBicubic(image: Pixels, fivePoints: readonly Point[]): Pixels {
  const inverse = invertSimilarity(estimateSimilarity(fivePoints, ARCFACE_TEMPLATE));
  const crop = createPixels(ALIGNED_SIZE, ALIGNED_SIZE);
  const { width, height, data } = image;
  for (let v = 0; v < ALIGNED_SIZE; v += 1) {
    for (let u = 0; u < ALIGNED_SIZE; u += 1) {
      const x = inverse.a * u - inverse.b * v + inverse.tx;
      const y = inverse.b * u + inverse.a * v + inverse.ty;
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      let r = 0;
      let g = 0;
      let b = 0;
      for (let j = -1; j <= 2; j += 1) {
        const wy = cubic(y - (y0 + j));
        const yy = Math.min(Math.max(y0 + j, 0), height - 1);
        for (let i = -1; i <= 2; i += 1) {
          const w = wy * cubic(x - (x0 + i));
          const xx = Math.min(Math.max(x0 + i, 0), width - 1);
          const at = (yy * width + xx) * 4;
          r += w * data[at]!;
          g += w * data[at + 1]!;
          b += w * data[at + 2]!;
        }
      }
      const out = (v * ALIGNED_SIZE + u) * 4;
      crop.data[out] = r;
      crop.data[out + 1] = g;
      crop.data[out + 2] = b;
      crop.data[out + 3] = 255;
    }
  }
  return crop;
}

/** Unsharp mask: `image + amount·(image − blur3×3(image))`, restoring some of the edges an upscale softens. */
export function sharpen(image: Pixels, amount = 0.8): Pixels {
  const { width, height, data } = image;
  const out = createPixels(width, height);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const at = (y * width + x) * 4;
      for (let c = 0; c < 3; c += 1) {
        let sum = 0;
        for (let dy = -1; dy <= 1; dy += 1) {
          for (let dx = -1; dx <= 1; dx += 1) {
            const xx = Math.min(Math.max(x + dx, 0), width - 1);
            const yy = Math.min(Math.max(y + dy, 0), height - 1);
            sum += data[(yy * width + xx) * 4 + c]!;
          }
        }
        out.data[at + c] = data[at + c]! + amount * (data[at + c]! - sum / 9);
      }
      out.data[at + 3] = 255;
    }
  }
  return out;
}
