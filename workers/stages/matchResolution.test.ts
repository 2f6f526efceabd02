import { describe, expect, it } from 'vitest';
import { ALIGNED_SIZE } from './alignFace.js';
import { ALIGNED_EYE_DISTANCE, degradeToEyeDistance, RESOLUTION_LEVELS_PX, resolutionLevel } from './matchResolution.js';
import { createPixels, toGray, type Pixels } from './pixels.js';

/** A 112×112 crop of vertical stripes `period` px wide (fine detail) on opaque pixels. */
function stripes(period: number): Pixels {
  const crop = createPixels(ALIGNED_SIZE, ALIGNED_SIZE);
  for (let y = 0; y < ALIGNED_SIZE; y += 1) {
    for (let x = 0; x < ALIGNED_SIZE; x += 1) {
      const v = Math.floor(x / period) % 2 ? 220 : 30;
      crop.data.set([v, v, v, 255], (y * ALIGNED_SIZE + x) * 4);
    }
  }
  return crop;
}

/** Mean absolute difference between horizontal neighbours: how much fine detail is left. */
function detail(crop: Pixels): number {
  const gray = toGray(crop);
  let sum = 0;
  for (let y = 0; y < ALIGNED_SIZE; y += 1) for (let x = 1; x < ALIGNED_SIZE; x += 1) sum += Math.abs(gray[y * ALIGNED_SIZE + x]! - gray[y * ALIGNED_SIZE + x - 1]!);
  return sum / (ALIGNED_SIZE * (ALIGNED_SIZE - 1));
}

const mean = (crop: Pixels) => toGray(crop).reduce((a, b) => a + b, 0) / (ALIGNED_SIZE * ALIGNED_SIZE);

describe('degradeToEyeDistance', () => {
  it('the aligned crop has its eyes about 35 px apart', () => {
    expect(ALIGNED_EYE_DISTANCE).toBeCloseTo(35.24, 1);
  });

  it('removes detail finer than the target resolution keeps, and keeps the size and the mean brightness', () => {
    const crop = stripes(1);
    const small = degradeToEyeDistance(crop, 15);
    expect([small.width, small.height]).toEqual([ALIGNED_SIZE, ALIGNED_SIZE]);
    expect(detail(small)).toBeLessThan(0.2 * detail(crop));
    expect(Math.abs(mean(small) - mean(crop))).toBeLessThan(3);
    expect(small.data.every((v, i) => i % 4 !== 3 || v === 255)).toBe(true);
  });

  it('loses more the smaller the portrait, and keeps coarse detail a bigger portrait resolves', () => {
    const crop = stripes(6);
    expect(detail(degradeToEyeDistance(crop, 14))).toBeLessThan(detail(degradeToEyeDistance(crop, 30)));
    expect(detail(degradeToEyeDistance(crop, 30))).toBeGreaterThan(0.5 * detail(crop));
  });

  it('leaves a crop as it is at or above its own resolution, unless asked to blur, and never writes to it', () => {
    const crop = stripes(3);
    const before = crop.data.slice();
    const same = degradeToEyeDistance(crop, 40);
    expect(same.data).toEqual(crop.data);
    expect(same.data).not.toBe(crop.data);
    expect(detail(degradeToEyeDistance(crop, 40, 1))).toBeLessThan(detail(crop));
    expect(detail(degradeToEyeDistance(crop, 25, 0.6))).toBeLessThan(detail(degradeToEyeDistance(crop, 25)));
    expect(crop.data).toEqual(before);
  });

  it('refuses crops of another size and meaningless distances', () => {
    expect(() => degradeToEyeDistance(createPixels(64, 64), 20)).toThrow(TypeError);
    expect(() => degradeToEyeDistance(stripes(2), 0)).toThrow(RangeError);
    expect(() => degradeToEyeDistance(stripes(2), 20, -1)).toThrow(RangeError);
  });
});

describe('resolutionLevel', () => {
  it('picks the nearest level, clamped to the grid', () => {
    expect(RESOLUTION_LEVELS_PX[resolutionLevel(2)]).toBe(RESOLUTION_LEVELS_PX[0]);
    expect(RESOLUTION_LEVELS_PX[resolutionLevel(24)]).toBe(23);
    expect(RESOLUTION_LEVELS_PX[resolutionLevel(25)]).toBe(26);
    expect(RESOLUTION_LEVELS_PX[resolutionLevel(90)]).toBe(RESOLUTION_LEVELS_PX.at(-1));
  });
});
