import { describe, expect, it } from 'vitest';
import {
  ANTI_SPOOF_INPUT,
  cropWindow,
  faceCrop,
  livenessScore,
  livenessTensor,
  livenessWindow,
  runLiveness,
  softmax,
  windowRegion,
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

/** A textured picture (a stand-in for a face photo): every pixel differs from its neighbours. */
function texturedImage(width: number, height: number): Pixels {
  const image = createPixels(width, height);
  for (let i = 0; i < width * height; i += 1) image.data.set([(i * 37) % 251, (i * 91) % 241, (i * 13) % 239, 255], i * 4);
  return image;
}

/** `image` placed at (dx, dy) in a black `width`×`height` frame: a picture padded, or letterboxed. */
function padded(image: Pixels, width: number, height: number, dx: number, dy: number): Pixels {
  const frame = createPixels(width, height);
  for (let p = 3; p < frame.data.length; p += 4) frame.data[p] = 255;
  for (let y = 0; y < image.height; y += 1) frame.data.set(image.data.subarray(y * image.width * 4, (y + 1) * image.width * 4), ((y + dy) * width + dx) * 4);
  return frame;
}

function face(box: DetectedFace['box']): DetectedFace {
  return { box, fivePoints: [], pose: { yaw: 0, pitch: 0, roll: 0 }, blink: { left: 0, right: 0 }, mouth: { open: 0, smile: 0 }, points: [] };
}

/** Copies a region out of an image, as a frame reader does. */
function reader(image: Pixels, regions: Region[] = []) {
  return (region: Region) => {
    regions.push(region);
    const out = createPixels(region.width, region.height);
    for (let y = 0; y < region.height; y += 1) {
      const from = ((region.y + y) * image.width + region.x) * 4;
      out.data.set(image.data.subarray(from, from + region.width * 4), y * region.width * 4);
    }
    return out;
  };
}

/** Largest difference between two equally sized arrays (fast, unlike a deep equality on typed arrays). */
function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i += 1) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/**
 * Whether two crops are the same up to rounding: a sample that falls on a pixel centre may land
 * on either side of it in floating point (its value is the same), which moves a byte by at most 1.
 */
const sameCrop = (a: Pixels, b: Pixels) => a.width === b.width && a.height === b.height && maxDifference(a.data, b.data) <= 1;

/** A uniform crop of the model's size. */
function uniformCrop(r: number, g: number, b: number): Pixels {
  const crop = createPixels(ANTI_SPOOF_INPUT.size, ANTI_SPOOF_INPUT.size);
  for (let p = 0; p < crop.data.length; p += 4) crop.data.set([r, g, b, 255], p);
  return crop;
}

describe('livenessWindow', () => {
  it('scales the box around its centre, square or on each axis, never clipped to any frame', () => {
    expect(livenessWindow({ x: 100, y: 50, width: 40, height: 60 }, { boxScale: 2, square: false })).toEqual({ cx: 120, cy: 80, width: 80, height: 120 });
    expect(livenessWindow({ x: 100, y: 50, width: 40, height: 60 }, { boxScale: 2, square: true })).toEqual({ cx: 120, cy: 80, width: 120, height: 120 });
    expect(livenessWindow({ x: -30, y: -30, width: 40, height: 60 }, { boxScale: 4, square: false })).toEqual({ cx: -10, cy: 0, width: 160, height: 240 });
  });

  it('rejects a non-positive scale or an empty box', () => {
    expect(() => livenessWindow({ x: 0, y: 0, width: 10, height: 10 }, { boxScale: 0, square: true })).toThrow(TypeError);
    expect(() => livenessWindow({ x: 0, y: 0, width: 0, height: 10 })).toThrow(TypeError);
  });
});

describe('cropWindow', () => {
  it('samples the window, edges onto edges, one image pixel per crop pixel at scale 1', () => {
    const crop = cropWindow(coordinateImage(200, 200), { cx: 57.5, cy: 67.5, width: 16, height: 16 }, 16);
    expect(Array.from(crop.data.slice(0, 4))).toEqual([50, 60, 7, 255]);
    const last = (15 * 16 + 15) * 4;
    expect(Array.from(crop.data.slice(last, last + 2))).toEqual([65, 75]);
  });

  it('is black outside the image, and reads a region placed at its origin like the whole image', () => {
    const image = coordinateImage(40, 40);
    const corner = cropWindow(image, { cx: -0.5, cy: -0.5, width: 16, height: 16 }, 16);
    expect(Array.from(corner.data.slice(0, 4))).toEqual([0, 0, 0, 255]);
    const last = (15 * 16 + 15) * 4;
    expect(Array.from(corner.data.slice(last, last + 3))).toEqual([7, 7, 7]);
    const region = { x: 10, y: 5, width: 20, height: 20 };
    const window = { cx: 19.5, cy: 14.5, width: 12, height: 10 };
    expect(cropWindow(reader(image)(region), window, 8, region)).toEqual(cropWindow(image, window, 8));
  });
});

describe('the crop does not depend on the frame around the face', () => {
  // A face photo whose 4× window leaves the photo on every side, as a tight crop's does.
  const photo = texturedImage(60, 80);
  const box = { x: 14, y: 16, width: 32, height: 44 };
  const shifted = (dx: number, dy: number) => ({ ...box, x: box.x + dx, y: box.y + dy });

  it('gives the same crop for the photo alone and padded into larger frames at any offset', () => {
    const alone = faceCrop(reader(photo), photo, face(box));
    for (const [width, height, dx, dy] of [
      [640, 480, 290, 200],
      [640, 480, 0, 0],
      [100, 300, 40, 7],
      [60, 480, 0, 200],
    ] as const) {
      const frame = padded(photo, width, height, dx, dy);
      expect(sameCrop(faceCrop(reader(frame), frame, face(shifted(dx, dy))), alone)).toBe(true);
    }
  });

  it('so the model gets the same input', async () => {
    const { runner, calls } = fakeRunner([0.2, 1.5, -0.3]);
    const frame = padded(photo, 640, 480, 301, 17);
    await livenessScore(runner, reader(photo), photo, face(box));
    await livenessScore(runner, reader(frame), frame, face(shifted(301, 17)));
    expect(maxDifference(calls[1]!.input, calls[0]!.input)).toBeLessThanOrEqual(1);
  });

  it('the former crop kept inside the frame did not: it shrank to the photo', () => {
    // The window the stage used to take (shrunk to fit the 60×80 photo) against the padded frame's.
    const inside = cropWindow(photo, { cx: 29.5, cy: 39.5, width: 60, height: 60 }, ANTI_SPOOF_INPUT.size);
    expect(livenessWindow(box).width).toBeGreaterThan(photo.width);
    expect(maxDifference(faceCrop(reader(photo), photo, face(box)).data, inside.data)).toBeGreaterThan(50);
  });
});

describe('windowRegion', () => {
  it('reads only the window (plus a pixel of margin), clipped to the frame', () => {
    expect(windowRegion({ cx: 100, cy: 100, width: 40, height: 20 }, 640, 480)).toEqual({ x: 79, y: 89, width: 43, height: 23 });
    expect(windowRegion({ cx: 10, cy: 10, width: 100, height: 100 }, 640, 480)).toEqual({ x: 0, y: 0, width: 62, height: 62 });
  });
});

describe('livenessTensor', () => {
  it('writes CHW planes in B, G, R order of raw values', () => {
    const plane = ANTI_SPOOF_INPUT.size * ANTI_SPOOF_INPUT.size;
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
  });

  it('does not overflow on large logits', () => {
    const p = softmax([1000, -1000, 0]);
    expect(p[0]).toBeCloseTo(1, 10);
    expect(Number.isFinite(p[1]!)).toBe(true);
  });
});

describe('runLiveness and livenessScore', () => {
  it('feeds a [1, 3, size, size] tensor and returns logits with their softmax', async () => {
    const { runner, calls } = fakeRunner([0.5, 2, -1]);
    const out = await runLiveness(runner, uniformCrop(10, 20, 30));
    expect(calls[0]!.dims).toEqual([1, 3, ANTI_SPOOF_INPUT.size, ANTI_SPOOF_INPUT.size]);
    expect(Array.from(out.probabilities)).toEqual(Array.from(softmax([0.5, 2, -1])));
  });

  it('rejects crops of the wrong size', async () => {
    const { runner } = fakeRunner([0, 0, 0]);
    await expect(runLiveness(runner, createPixels(112, 112))).rejects.toThrow(TypeError);
  });

  it('returns the probability of the live class, reading only the window around the face', async () => {
    const logits = [0, 0, 0];
    logits[ANTI_SPOOF_INPUT.liveClass] = 3;
    const { runner } = fakeRunner(logits);
    const image = coordinateImage(640, 480);
    const regions: Region[] = [];
    const score = await livenessScore(runner, reader(image, regions), image, face({ x: 300, y: 200, width: 30, height: 36 }));
    expect(score).toBeCloseTo(softmax(logits)[ANTI_SPOOF_INPUT.liveClass]!, 6);
    expect(regions[0]!.width * regions[0]!.height).toBeLessThan(image.width * image.height);
  });
});
