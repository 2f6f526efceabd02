/**
 * Resolution matching for the identity-document comparison: the printed portrait of a card held to
 * the camera has its eyes 15–40 px apart in the frame, and its aligned 112×112 crop is that little
 * detail enlarged; the enrollment crops come from a face three times as big. An enrollment crop
 * brought down to the portrait's resolution and enlarged back the same way loses the same detail,
 * so the two embeddings compare like with like. Pure functions on pixels.
 */
import { ALIGNED_SIZE, ARCFACE_TEMPLATE } from './alignFace.js';
import { createPixels, type Pixels } from './pixels.js';

/** Distance between the eye centres of an aligned 112×112 crop, px (ArcFace's template: 35.2 px). */
export const ALIGNED_EYE_DISTANCE = Math.hypot(ARCFACE_TEMPLATE[1]!.x - ARCFACE_TEMPLATE[0]!.x, ARCFACE_TEMPLATE[1]!.y - ARCFACE_TEMPLATE[0]!.y);

/**
 * `image` scaled by `scale` into a `size`×`size` image (pixel centres at integer positions, the
 * top-left corners kept together), bilinearly with the edges clamped; when shrinking, each pixel
 * averages `ceil(1 / scale)`² samples over the area it covers.
 */
function resample(image: Pixels, scale: number, size: number): Pixels {
  const { width, height, data } = image;
  const out = createPixels(size, size);
  const samples = Math.max(1, Math.ceil(1 / scale));
  const weight = 1 / (samples * samples);
  const clamp = (v: number, max: number) => Math.min(Math.max(v, 0), max);
  for (let v = 0; v < size; v += 1) {
    for (let u = 0; u < size; u += 1) {
      const sum = [0, 0, 0];
      for (let sv = 0; sv < samples; sv += 1) {
        for (let su = 0; su < samples; su += 1) {
          const x = clamp((u + (su + 0.5) / samples) / scale - 0.5, width - 1);
          const y = clamp((v + (sv + 0.5) / samples) / scale - 0.5, height - 1);
          const x0 = Math.floor(x);
          const y0 = Math.floor(y);
          const x1 = Math.min(x0 + 1, width - 1);
          const y1 = Math.min(y0 + 1, height - 1);
          const fx = x - x0;
          const fy = y - y0;
          for (let c = 0; c < 3; c += 1) {
            const at = (px: number, py: number) => data[(py * width + px) * 4 + c]!;
            sum[c]! += weight * ((at(x0, y0) * (1 - fx) + at(x1, y0) * fx) * (1 - fy) + (at(x0, y1) * (1 - fx) + at(x1, y1) * fx) * fy);
          }
        }
      }
      const p = (v * size + u) * 4;
      out.data[p] = sum[0]!;
      out.data[p + 1] = sum[1]!;
      out.data[p + 2] = sum[2]!;
      out.data[p + 3] = 255;
    }
  }
  return out;
}

/** Gaussian blur of `image` (RGB; alpha kept), standard deviation `sigma` px, edges clamped. */
function gaussianBlur(image: Pixels, sigma: number): Pixels {
  const radius = Math.ceil(3 * sigma);
  const kernel = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const total = kernel.reduce((a, b) => a + b, 0);
  const weights = kernel.map((k) => k / total);
  const { width, height } = image;
  const pass = (input: Float32Array, horizontal: boolean): Float32Array => {
    const out = new Float32Array(input.length);
    for (let y = 0; y < height; y += 1) {
      for (let x = 0; x < width; x += 1) {
        for (let c = 0; c < 3; c += 1) {
          let sum = 0;
          for (let k = -radius; k <= radius; k += 1) {
            const xx = horizontal ? Math.min(Math.max(x + k, 0), width - 1) : x;
            const yy = horizontal ? y : Math.min(Math.max(y + k, 0), height - 1);
            sum += weights[k + radius]! * input[(yy * width + xx) * 4 + c]!;
          }
          out[(y * width + x) * 4 + c] = sum;
        }
        out[(y * width + x) * 4 + 3] = input[(y * width + x) * 4 + 3]!;
      }
    }
    return out;
  };
  const blurred = pass(pass(Float32Array.from(image.data), true), false);
  return { width, height, data: Uint8ClampedArray.from(blurred, (v) => Math.round(v)) };
}

/**
 * An aligned 112×112 crop as it would look had its face been filmed with its eyes `eyeDistancePx`
 * apart: shrunk until its eyes are that far apart (each pixel averaging the area it covers, as a
 * camera's sensor does), blurred by `blurSigma` px at that size if asked (print and lens), and
 * enlarged back to 112×112 bilinearly, as the alignment enlarges a small portrait. A distance at or
 * beyond the crop's own ({@link ALIGNED_EYE_DISTANCE}) loses nothing: the crop is only blurred (or
 * copied). Always a new buffer; the caller overwrites it once embedded.
 */
export function degradeToEyeDistance(crop: Pixels, eyeDistancePx: number, blurSigma = 0): Pixels {
  if (crop.width !== ALIGNED_SIZE || crop.height !== ALIGNED_SIZE) {
    throw new TypeError(`degradeToEyeDistance takes ${ALIGNED_SIZE}×${ALIGNED_SIZE} aligned crops, got ${crop.width}×${crop.height}`);
  }
  if (!(eyeDistancePx > 0) || !(blurSigma >= 0)) throw new RangeError(`degradeToEyeDistance: eye distance ${eyeDistancePx} and blur ${blurSigma} must be positive`);
  const scale = eyeDistancePx / ALIGNED_EYE_DISTANCE;
  if (scale >= 1) return blurSigma > 0 ? gaussianBlur(crop, blurSigma) : { width: crop.width, height: crop.height, data: crop.data.slice() };
  let small = resample(crop, scale, Math.max(1, Math.round(ALIGNED_SIZE * scale)));
  if (blurSigma > 0) {
    const sharp = small;
    small = gaussianBlur(sharp, blurSigma);
    sharp.data.fill(0);
  }
  const restored = resample(small, 1 / scale, ALIGNED_SIZE);
  small.data.fill(0);
  return restored;
}

/**
 * The portrait resolutions an enrollment crop is brought to: eye distances, px of the document
 * frame, from the closest the portrait search accepts to about the aligned crop's own. A portrait
 * is compared at the level nearest its eye distance, so the same few degraded templates serve
 * every portrait (and the benchmark can score every portrait against every template).
 */
export const RESOLUTION_LEVELS_PX: readonly number[] = [14, 17, 20, 23, 26, 29, 32, 35];

/** Blur, px at the portrait's resolution, of the printed and filmed portrait. */
export const DOCUMENT_BLUR_SIGMA = 0.6;

/** Index in {@link RESOLUTION_LEVELS_PX} of the level nearest `eyeDistancePx`. */
export function resolutionLevel(eyeDistancePx: number): number {
  let best = 0;
  for (let i = 1; i < RESOLUTION_LEVELS_PX.length; i += 1) {
    if (Math.abs(RESOLUTION_LEVELS_PX[i]! - eyeDistancePx) < Math.abs(RESOLUTION_LEVELS_PX[best]! - eyeDistancePx)) best = i;
  }
  return best;
}
