/**
 * Passive liveness stage: crops a square window around the selected face, resamples it to the
 * 128×128 input of `fr_liveness.onnx` (a 3-class anti-spoof model) and turns the model's logits
 * into the probability that the face is live.
 *
 * The model's input normalisation and class order are undocumented. The window, the tensor
 * layout and the live class below were established by `bench/liveness.ts` on the live clips and
 * attack samples of `../shared/faces/videos` (results in `bench/results/liveness.json`), which
 * compares candidate inputs through the testing worker (`testing/livenessInputs.ts`).
 */
import { warpSimilarity, type Similarity } from './alignFace.js';
import type { DetectedFace } from './detectFace.js';
import type { TensorRunner } from '../runtime/onnx.js';
import type { Pixels, Region } from './pixels.js';

/** Side of the square crop the anti-spoof model takes. */
export const LIVENESS_INPUT_SIZE = 128;

/** Where the model's square input window sits around a face. */
export interface LivenessWindowSpec {
  /** Side of the square window as a multiple of the longer side of the face's landmark box. */
  readonly boxScale: number;
  /**
   * Keep the window inside the image: shrink it to the image's shorter side and shift it
   * inward when needed (the face is then off-centre). Otherwise the part outside is black.
   */
  readonly keepInside: boolean;
}

/** A square window in image pixel coordinates: centre and side. */
export interface CropWindow {
  readonly cx: number;
  readonly cy: number;
  readonly side: number;
}

/** The model's logits for one crop and their softmax, in the model's class order. */
export interface LivenessOutput {
  readonly logits: Float32Array;
  readonly probabilities: Float32Array;
}

/**
 * The window settled by `bench/liveness.ts`: 2.7× the landmark box, kept inside the frame (black
 * padding where the window leaves the frame pushes close-up live faces toward the attack class).
 * The tensor is BGR planes of raw 0..255 values ({@link livenessTensor}): every normalised input
 * (0..1, ±1, ImageNet) saturates the model at class 1 for live and attack faces alike, and RGB
 * separates far worse than BGR.
 */
export const LIVENESS_WINDOW: LivenessWindowSpec = { boxScale: 2.7, keepInside: true };

/**
 * Index of the "live" class among the model's three outputs, settled by `bench/liveness.ts`:
 * class 0 wins on 279 of 283 live frames; class 1 is what print and screen attacks score; class 2
 * stayed near 0 on every sample (its meaning is unknown: no sample here elicits it).
 */
export const LIVE_CLASS = 0;

/**
 * The square window of side `boxScale × max(width, height)` centred on the face's box, in an
 * image of `width`×`height` pixels. With `keepInside` it never leaves the image (pixel centres
 * sit at integer positions, so the image spans −0.5 … width − 0.5).
 */
export function livenessWindow(
  box: DetectedFace['box'],
  spec: LivenessWindowSpec,
  width: number,
  height: number,
): CropWindow {
  if (!(spec.boxScale > 0) || !(box.width > 0 || box.height > 0)) {
    throw new TypeError(`a liveness crop needs a positive box scale and a non-empty box, got scale ${spec.boxScale}`);
  }
  const wanted = spec.boxScale * Math.max(box.width, box.height);
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  if (!spec.keepInside) return { cx, cy, side: wanted };
  const side = Math.min(wanted, width, height);
  const clamp = (c: number, extent: number) => Math.min(Math.max(c, side / 2 - 0.5), extent - 0.5 - side / 2);
  return { cx: clamp(cx, width), cy: clamp(cy, height), side };
}

/**
 * The similarity (a pure scale and shift) taking `window` onto a `size`×`size` crop: the
 * window's edges land on the crop's edges (−0.5 and size − 0.5).
 */
export function windowTransform(window: CropWindow, size = LIVENESS_INPUT_SIZE): Similarity {
  const scale = size / window.side;
  // Crop coordinate u = scale·(x − cx) + (size − 1) / 2, likewise for v.
  return { a: scale, b: 0, tx: (size - 1) / 2 - scale * window.cx, ty: (size - 1) / 2 - scale * window.cy };
}

/** The window around the face (see {@link livenessWindow}) resampled to `size`×`size`; outside the image is black. */
export function cropAroundFace(
  image: Pixels,
  box: DetectedFace['box'],
  spec: LivenessWindowSpec,
  size = LIVENESS_INPUT_SIZE,
): Pixels {
  return warpSimilarity(image, windowTransform(livenessWindow(box, spec, image.width, image.height), size), size);
}

/** Writes a crop as the model's input: CHW planes in B, G, R order of raw 0..255 values. */
export function livenessTensor(crop: Pixels): Float32Array {
  const { width, height, data } = crop;
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i += 1) {
    out[i] = data[i * 4 + 2]!;
    out[plane + i] = data[i * 4 + 1]!;
    out[2 * plane + i] = data[i * 4]!;
  }
  return out;
}

/** Numerically stable softmax. */
export function softmax(logits: ArrayLike<number>): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i += 1) max = Math.max(max, logits[i]!);
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i += 1) {
    out[i] = Math.exp(logits[i]! - max);
    sum += out[i]!;
  }
  for (let i = 0; i < out.length; i += 1) out[i] = out[i]! / sum;
  return out;
}

/** Runs the anti-spoof model on a 128×128 crop written by `tensor`. */
export async function runLiveness(
  runner: TensorRunner,
  crop: Pixels,
  tensor: (crop: Pixels) => Float32Array = livenessTensor,
): Promise<LivenessOutput> {
  if (crop.width !== LIVENESS_INPUT_SIZE || crop.height !== LIVENESS_INPUT_SIZE) {
    throw new TypeError(`liveness crops must be ${LIVENESS_INPUT_SIZE}×${LIVENESS_INPUT_SIZE}, got ${crop.width}×${crop.height}`);
  }
  const logits = Float32Array.from(await runner.run(tensor(crop), [1, 3, LIVENESS_INPUT_SIZE, LIVENESS_INPUT_SIZE]));
  return { logits, probabilities: softmax(logits) };
}

/**
 * The whole pixels an image must supply for the window's crop: the window's bounding square
 * plus one pixel of margin for the bilinear samples, clipped to the image.
 */
export function windowRegion(window: CropWindow, width: number, height: number): Region {
  const x0 = Math.max(0, Math.floor(window.cx - window.side / 2) - 1);
  const y0 = Math.max(0, Math.floor(window.cy - window.side / 2) - 1);
  const x1 = Math.min(width, Math.ceil(window.cx + window.side / 2) + 2);
  const y1 = Math.min(height, Math.ceil(window.cy + window.side / 2) + 2);
  return { x: x0, y: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0) };
}

/**
 * Probability (0..1) that `face` is a live person rather than a photo or a screen. `read`
 * supplies pixels of a `width`×`height` frame; only the region around the face is read.
 */
export async function livenessScore(
  runner: TensorRunner,
  read: (region: Region) => Pixels,
  frame: { readonly width: number; readonly height: number },
  face: DetectedFace,
): Promise<number> {
  const window = livenessWindow(face.box, LIVENESS_WINDOW, frame.width, frame.height);
  const region = windowRegion(window, frame.width, frame.height);
  const local = { ...window, cx: window.cx - region.x, cy: window.cy - region.y };
  const crop = warpSimilarity(read(region), windowTransform(local), LIVENESS_INPUT_SIZE);
  const { probabilities } = await runLiveness(runner, crop);
  return probabilities[LIVE_CLASS]!;
}
