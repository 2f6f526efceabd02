import { describe, expect, it } from 'vitest';
import { applySimilarity } from './alignFace.js';
import {
  LIVENESS_WINDOW,
  LIVE_CLASS,
  LIVENESS_INPUT_SIZE,
  cropAroundFace,
  livenessScore,
  livenessTensor,
  livenessWindow,
  runLiveness,
  softmax,
  windowTransform,
} from './passiveLiveness.js';
import type { DetectedFace } from './detectFace.js';
import type { TensorRunner } from '../runtime/onnx.js';
import { createPixels, type Pixels, type Region } from './pixels.js';

/** A runner that records its input and returns fixed logits. */
function fakeRunner(logits: number[]) {
  const calls: { input: Float32Array; dims: readonly number[] }[] = [];
  const runner: TensorRunner = {
    async run(input, dims) {
      calls.push({ input: input.slice(), dims });
      return Float32Array.from(logits);
    },
  };
  return { runner, calls };
}

/** An image whose pixel (x, y) is (x, y, 7, 255), so a crop shows where it sampled. */
function coordinateImage(width: number, height: number): Pixels {
  const image = createPixels(width, height);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) image.data.set([x, y, 7, 255], (y * width + x) * 4);
  }
  return image;
}

function face(box: DetectedFace['box']): DetectedFace {
  return { box, fivePoints: [], pose: { yaw: 0, pitch: 0, roll: 0 }, blink: { left: 0, right: 0 }, mouth: { open: 0, smile: 0 }, points: [] };
}

/** Copies a region out of an image, as a frame reader does. */
function cropImage(image: Pixels, region: Region): Pixels {
  const out = createPixels(region.width, region.height);
  for (let y = 0; y < region.height; y += 1) {
    const from = ((region.y + y) * image.width + region.x) * 4;
    out.data.set(image.data.subarray(from, from + region.width * 4), y * region.width * 4);
  }
  return out;
}

/** A uniform crop of the model's size. */
function uniformCrop(r: number, g: number, b: number): Pixels {
  const crop = createPixels(LIVENESS_INPUT_SIZE, LIVENESS_INPUT_SIZE);
  for (let p = 0; p < crop.data.length; p += 4) crop.data.set([r, g, b, 255], p);
  return crop;
}

describe('livenessWindow and windowTransform', () => {
  const box = { x: 100, y: 50, width: 40, height: 60 };
  const padded = { boxScale: 2, keepInside: false };
  const inside = { boxScale: 2, keepInside: true };

  it('centres a square of boxScale × the longer box side on the box', () => {
    expect(livenessWindow(box, padded, 1000, 1000)).toEqual({ cx: 120, cy: 80, side: 120 });
    // Fits already: keeping it inside changes nothing.
    expect(livenessWindow(box, inside, 1000, 1000)).toEqual({ cx: 120, cy: 80, side: 120 });
  });

  it('padded windows may leave the image', () => {
    expect(livenessWindow(box, padded, 150, 100)).toEqual({ cx: 120, cy: 80, side: 120 });
  });

  it('keeps the window inside the image: shifted inward, shrunk to the shorter side', () => {
    // A face at the top: the 120-pixel window around cy 30 is shifted down to touch the top edge (−0.5).
    expect(livenessWindow({ ...box, y: 0 }, inside, 300, 200)).toEqual({ cx: 120, cy: 59.5, side: 120 });
    // A 150×100 image: side 100, the window spans the full height and sits at the right edge.
    expect(livenessWindow(box, inside, 150, 100)).toEqual({ cx: 99.5, cy: 49.5, side: 100 });
  });

  it('maps the window onto the crop, edges onto edges', () => {
    const t = windowTransform({ cx: 120, cy: 80, side: 120 }, 128);
    expect(t.b).toBe(0);
    expect(t.a).toBeCloseTo(128 / 120, 12);
    const centre = applySimilarity(t, { x: 120, y: 80 });
    expect(centre.x).toBeCloseTo(63.5, 10);
    expect(centre.y).toBeCloseTo(63.5, 10);
    const corner = applySimilarity(t, { x: 60, y: 20 });
    expect(corner.x).toBeCloseTo(-0.5, 10);
    expect(corner.y).toBeCloseTo(-0.5, 10);
  });

  it('rejects a non-positive scale or an empty box', () => {
    expect(() => livenessWindow(box, { boxScale: 0, keepInside: false }, 100, 100)).toThrow(TypeError);
    expect(() => livenessWindow({ x: 0, y: 0, width: 0, height: 0 }, padded, 100, 100)).toThrow(TypeError);
  });
});

describe('cropAroundFace', () => {
  it('samples the window around the face, and black outside the image', () => {
    const image = coordinateImage(200, 200);
    // Landmarks spanning pixel centres 50..65 cover 16 pixels: at scale 16/15 the window is
    // exactly those pixels, one image pixel per crop pixel.
    const crop = cropAroundFace(image, { x: 50, y: 60, width: 15, height: 15 }, { boxScale: 16 / 15, keepInside: false }, 16);
    expect(crop.width).toBe(16);
    expect(Array.from(crop.data.slice(0, 4))).toEqual([50, 60, 7, 255]);
    const last = (15 * 16 + 15) * 4;
    expect(Array.from(crop.data.slice(last, last + 2))).toEqual([65, 75]);
    const cornerBox = { x: -8, y: -8, width: 15, height: 15 };
    const paddedCrop = cropAroundFace(image, cornerBox, { boxScale: 16 / 15, keepInside: false }, 16);
    expect(Array.from(paddedCrop.data.slice(0, 3))).toEqual([0, 0, 0]);
    // Kept inside, the same window is shifted to start at image pixel (0, 0).
    const insideCrop = cropAroundFace(image, cornerBox, { boxScale: 16 / 15, keepInside: true }, 16);
    expect(Array.from(insideCrop.data.slice(0, 3))).toEqual([0, 0, 7]);
  });

  it('defaults to the model input size', () => {
    const crop = cropAroundFace(coordinateImage(64, 64), { x: 20, y: 20, width: 20, height: 24 }, { boxScale: 1.5, keepInside: true });
    expect([crop.width, crop.height]).toEqual([LIVENESS_INPUT_SIZE, LIVENESS_INPUT_SIZE]);
  });
});

describe('livenessTensor', () => {
  it('writes CHW planes in B, G, R order of raw values', () => {
    const plane = LIVENESS_INPUT_SIZE * LIVENESS_INPUT_SIZE;
    const tensor = livenessTensor(uniformCrop(255, 128, 0));
    expect(tensor).toHaveLength(3 * plane);
    expect([tensor[0], tensor[plane], tensor[2 * plane]]).toEqual([0, 128, 255]);
  });
});

describe('softmax', () => {
  it('sums to one, keeps the order and is shift invariant', () => {
    const p = softmax([1, 2, 3]);
    expect(p.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
    expect(p[2]!).toBeGreaterThan(p[1]!);
    expect(Array.from(softmax([1001, 1002, 1003]))).toEqual(Array.from(p));
    expect(Array.from(softmax([0, 0]))).toEqual([0.5, 0.5]);
  });

  it('does not overflow on large logits', () => {
    const p = softmax([1000, -1000, 0]);
    expect(p[0]).toBeCloseTo(1, 10);
    expect(Number.isFinite(p[1]!)).toBe(true);
  });
});

describe('runLiveness and livenessScore', () => {
  it('feeds a [1, 3, 128, 128] tensor and returns logits with their softmax', async () => {
    const { runner, calls } = fakeRunner([0.5, 2, -1]);
    const out = await runLiveness(runner, uniformCrop(10, 20, 30));
    expect(calls[0]!.dims).toEqual([1, 3, LIVENESS_INPUT_SIZE, LIVENESS_INPUT_SIZE]);
    expect(Array.from(out.logits)).toEqual([0.5, 2, -1]);
    expect(Array.from(out.probabilities)).toEqual(Array.from(softmax([0.5, 2, -1])));
  });

  it('rejects crops of the wrong size', async () => {
    const { runner } = fakeRunner([0, 0, 0]);
    await expect(runLiveness(runner, createPixels(112, 112))).rejects.toThrow(TypeError);
  });

  it('returns the probability of the live class for the face in an image', async () => {
    const logits = [0, 0, 0];
    logits[LIVE_CLASS] = 3;
    const { runner, calls } = fakeRunner(logits);
    const image = coordinateImage(160, 120);
    const box = { x: 60, y: 40, width: 30, height: 36 };
    const regions: Region[] = [];
    const read = (region: Region) => {
      regions.push(region);
      return cropImage(image, region);
    };
    const score = await livenessScore(runner, read, image, face(box));
    expect(score).toBeCloseTo(softmax(logits)[LIVE_CLASS]!, 6);
    expect(score).toBeGreaterThan(0.8);
    expect(calls).toHaveLength(1);
    // Only the window around the face is read, and the tensor is the one the full image gives.
    expect(regions[0]!.width * regions[0]!.height).toBeLessThan(image.width * image.height);
    const full = livenessTensor(cropAroundFace(image, box, LIVENESS_WINDOW));
    expect(calls[0]!.input).toEqual(full);
  });
});
