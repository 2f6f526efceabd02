/**
 * Passive liveness stage: crops a window around the selected face, resamples it to the input of
 * the anti-spoof model and turns the model's logits into the probability that the face is live.
 *
 * The window depends only on the face's landmark box, in the frame's own pixels: it is never
 * shrunk or shifted to fit inside the frame, and whatever of it falls outside the frame is black.
 * So the same face gets the same crop, and the same verdict, whatever frame surrounds it (a
 * larger frame, or black bars around a letterboxed picture). The model and its input were chosen
 * by `bench/pad-models.ts` on the development PAD set (README, Liveness).
 */
import type { DetectedFace } from './detectFace.js';
import type { TensorRunner } from '../runtime/onnx.js';
import { createPixels, type Pixels, type Region } from './pixels.js';

/** How the anti-spoof model takes a face: its window around the face box, its input side and its live class. */
export interface AntiSpoofInput {
  /** Side of the model's square input, pixels. */
  readonly size: number;
  /** The window's side(s) as a multiple of the face box's. */
  readonly boxScale: number;
  /** A square window on the box's longer side, or the box's own proportions on each axis. */
  readonly square: boolean;
  /** Index of the live class among the model's outputs. */
  readonly liveClass: number;
}

/**
 * `fr_liveness.onnx`: 128×128 input of a square window 2.7× the longer side of the face's landmark
 * box, BGR planes of raw 0..255 values, class 0 live. The input and class order are undocumented;
 * they were found by experiment (the former `bench/liveness.ts`, `bench/results/liveness.json`).
 * On the development PAD set, with every candidate cropped this frame-independent way, it scored a
 * higher ROC AUC than Silent-Face's MiniFASNetV2 and MiniFASNetV1SE (`bench/pad-models.ts`).
 */
export const ANTI_SPOOF_INPUT: AntiSpoofInput = { size: 128, boxScale: 2.7, square: true, liveClass: 0 };

/** A window in frame pixel coordinates (pixel centres at integers): centre, width and height. */
export interface CropWindow {
  readonly cx: number;
  readonly cy: number;
  readonly width: number;
  readonly height: number;
}

/** The model's logits for one crop and their softmax, in the model's class order. */
export interface LivenessOutput {
  readonly logits: Float32Array;
  readonly probabilities: Float32Array;
}

/**
 * The window `boxScale`× the face box (square on its longer side, or on each axis), centred on the
 * box, wherever it falls.
 */
export function livenessWindow(box: DetectedFace['box'], input: Pick<AntiSpoofInput, 'boxScale' | 'square'> = ANTI_SPOOF_INPUT): CropWindow {
  const { boxScale, square } = input;
  if (!(boxScale > 0) || !(box.width > 0 && box.height > 0)) {
    throw new TypeError(`a liveness crop needs a positive box scale and a non-empty box, got scale ${boxScale}, box ${box.width}×${box.height}`);
  }
  const side = Math.max(box.width, box.height);
  const [width, height] = square ? [side, side] : [box.width, box.height];
  return { cx: box.x + box.width / 2, cy: box.y + box.height / 2, width: boxScale * width, height: boxScale * height };
}

/** Largest number of samples per axis averaged into one crop pixel when the window shrinks. */
const MAX_SUPERSAMPLING = 4;

/**
 * Resamples `window` of `image` into a `size`×`size` crop: the window's edges land on the crop's
 * edges; bilinear, averaging up to 4×4 samples per crop pixel when the window shrinks (no
 * aliasing that depends on the frame's resolution); black outside the image. `origin` is where
 * `image` sits in the frame the window is given in (a region read out of it).
 */
export function cropWindow(image: Pixels, window: CropWindow, size: number, origin: { x: number; y: number } = { x: 0, y: 0 }): Pixels {
  const crop = createPixels(size, size);
  const out = crop.data;
  const { width, height, data } = image;
  const stepX = window.width / size;
  const stepY = window.height / size;
  const nx = Math.min(MAX_SUPERSAMPLING, Math.max(1, Math.ceil(stepX)));
  const ny = Math.min(MAX_SUPERSAMPLING, Math.max(1, Math.ceil(stepY)));
  // Image x of crop column u's sample i: the window's left edge (its centre − width/2, the
  // crop's edge −0.5 meeting it) plus (u + (i + 0.5)/nx) steps, in pixel-centre coordinates.
  const left = window.cx - window.width / 2 - origin.x;
  const top = window.cy - window.height / 2 - origin.y;
  const weight = 1 / (nx * ny);
  for (let v = 0; v < size; v += 1) {
    for (let u = 0; u < size; u += 1) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let j = 0; j < ny; j += 1) {
        const y = top + (v + (j + 0.5) / ny) * stepY;
        const y0 = Math.floor(y);
        const fy = y - y0;
        for (let i = 0; i < nx; i += 1) {
          const x = left + (u + (i + 0.5) / nx) * stepX;
          const x0 = Math.floor(x);
          const fx = x - x0;
          for (let k = 0; k < 4; k += 1) {
            const px = x0 + (k & 1);
            const py = y0 + (k >> 1);
            if (px < 0 || py < 0 || px >= width || py >= height) continue;
            const w = weight * ((k & 1) ? fx : 1 - fx) * ((k >> 1) ? fy : 1 - fy);
            const p = (py * width + px) * 4;
            r += w * data[p]!;
            g += w * data[p + 1]!;
            b += w * data[p + 2]!;
          }
        }
      }
      const o = (v * size + u) * 4;
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
      out[o + 3] = 255;
    }
  }
  return crop;
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

/** Runs the anti-spoof model on a crop of its input size. */
export async function runLiveness(runner: TensorRunner, crop: Pixels, input: AntiSpoofInput = ANTI_SPOOF_INPUT): Promise<LivenessOutput> {
  if (crop.width !== input.size || crop.height !== input.size) {
    throw new TypeError(`liveness crops must be ${input.size}×${input.size}, got ${crop.width}×${crop.height}`);
  }
  const logits = Float32Array.from(await runner.run(livenessTensor(crop), [1, 3, input.size, input.size]));
  return { logits, probabilities: softmax(logits) };
}

/**
 * The whole pixels of a `width`×`height` frame the window's crop samples: its bounding box plus
 * one pixel of margin for the bilinear samples, clipped to the frame.
 */
export function windowRegion(window: CropWindow, width: number, height: number): Region {
  const x0 = Math.max(0, Math.floor(window.cx - window.width / 2) - 1);
  const y0 = Math.max(0, Math.floor(window.cy - window.height / 2) - 1);
  const x1 = Math.min(width, Math.ceil(window.cx + window.width / 2) + 2);
  const y1 = Math.min(height, Math.ceil(window.cy + window.height / 2) + 2);
  return { x: x0, y: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0) };
}

/** The crop of `face` the model takes, reading only the part of the frame it needs through `read`. */
export function faceCrop(
  read: (region: Region) => Pixels,
  frame: { readonly width: number; readonly height: number },
  face: DetectedFace,
  input: AntiSpoofInput = ANTI_SPOOF_INPUT,
): Pixels {
  const window = livenessWindow(face.box, input);
  const region = windowRegion(window, frame.width, frame.height);
  return cropWindow(read(region), window, input.size, region);
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
  const { probabilities } = await runLiveness(runner, faceCrop(read, frame, face));
  return probabilities[ANTI_SPOOF_INPUT.liveClass]!;
}
