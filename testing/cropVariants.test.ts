import { describe, expect, it } from 'vitest';
import { ALIGNED_SIZE, alignFace, ARCFACE_TEMPLATE } from '../workers/stages/alignFace.js';
import { createPixels, type Pixels, type Point } from '../workers/stages/pixels.js';
import { alignmentPoints, CROP_REGIONS, FACE_OVAL, insidePolygon, measureRegions, TOP_MASK_ROWS, variantCrop, variantTemplate } from './cropVariants.js';

/** A 200×200 image with a colour gradient, so every crop pixel tells where it came from. */
function gradient(): Pixels {
  const image = createPixels(200, 200);
  for (let y = 0; y < 200; y++) {
    for (let x = 0; x < 200; x++) image.data.set([x, y, (x + y) >> 1, 255], (y * 200 + x) * 4);
  }
  return image;
}

/** The ArcFace points scaled ×1.5 and moved into the 200×200 image; landmarks: a ring around them. */
const fivePoints: Point[] = ARCFACE_TEMPLATE.map((p) => ({ x: 20 + 1.5 * p.x, y: 10 + 1.5 * p.y }));
const landmarks: Point[] = Array.from({ length: 478 }, () => ({ x: 100, y: 100 }));
FACE_OVAL.forEach((index, k) => {
  const angle = (2 * Math.PI * k) / FACE_OVAL.length - Math.PI / 2;
  landmarks[index] = { x: 104 + 60 * Math.cos(angle), y: 110 + 75 * Math.sin(angle) };
});
const pixel = (crop: Pixels, x: number, y: number) => Array.from(crop.data.slice((y * ALIGNED_SIZE + x) * 4, (y * ALIGNED_SIZE + x) * 4 + 4));

describe('crop variants', () => {
  it('without a change, is the shipped alignment', () => {
    expect(variantTemplate({})).toEqual(ARCFACE_TEMPLATE.map((p) => ({ x: p.x, y: p.y })));
    expect(variantCrop(gradient(), fivePoints, landmarks, {}).data).toEqual(alignFace(gradient(), fivePoints).data);
  });

  it('scales the template about the crop centre and shifts it', () => {
    const [eye] = variantTemplate({ scale: 2, dx: 1, dy: -3 });
    expect(eye!.x).toBeCloseTo(55.5 + 2 * (ARCFACE_TEMPLATE[0]!.x - 55.5) + 1, 9);
    expect(eye!.y).toBeCloseTo(55.5 + 2 * (ARCFACE_TEMPLATE[0]!.y - 55.5) - 3, 9);
    // A face moved down shows what was above it: the top row now samples higher in the image.
    const plain = variantCrop(gradient(), fivePoints, landmarks, {});
    const down = variantCrop(gradient(), fivePoints, landmarks, { dy: 6 });
    expect(pixel(down, 56, 0)[1]!).toBeLessThan(pixel(plain, 56, 0)[1]!);
  });

  it('takes other landmarks as the five points, each eye on its own side of the image', () => {
    const marks = landmarks.map((p) => ({ ...p }));
    // MediaPipe's 468 is the iris nearest the image-right eye here, 473 the image-left one.
    marks[468] = { x: fivePoints[1]!.x + 1, y: fivePoints[1]!.y };
    marks[473] = { x: fivePoints[0]!.x - 1, y: fivePoints[0]!.y };
    const iris = alignmentPoints(fivePoints, marks, 'iris');
    expect(iris.slice(0, 2)).toEqual([marks[473], marks[468]]);
    expect(iris.slice(2)).toEqual(fivePoints.slice(2));
    marks[33] = { x: 40, y: 80 };
    marks[133] = { x: 60, y: 82 };
    marks[263] = { x: 140, y: 80 };
    marks[362] = { x: 120, y: 82 };
    expect(alignmentPoints(fivePoints, marks, 'corners').slice(0, 2)).toEqual([{ x: 50, y: 81 }, { x: 130, y: 81 }]);
    marks[4] = { x: 99, y: 95 };
    expect(alignmentPoints(fivePoints, marks, 'nose4')[2]).toEqual(marks[4]);
    expect(alignmentPoints(fivePoints, marks, undefined)).toEqual(fivePoints);
    // Other points give another crop.
    expect(variantCrop(gradient(), fivePoints, marks, { points: 'corners' }).data).not.toEqual(variantCrop(gradient(), fivePoints, marks, {}).data);
  });

  it('tells points inside a polygon from points outside', () => {
    const square = [{ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 10, y: 10 }, { x: 0, y: 10 }];
    expect(insidePolygon({ x: 5, y: 5 }, square)).toBe(true);
    expect(insidePolygon({ x: 11, y: 5 }, square)).toBe(false);
    expect(insidePolygon({ x: 5, y: -1 }, square)).toBe(false);
  });

  it('greys the rows above the brows with the top mask, and nothing below', () => {
    const crop = variantCrop(gradient(), fivePoints, landmarks, { mask: 'top' });
    const plain = alignFace(gradient(), fivePoints);
    expect(pixel(crop, 56, TOP_MASK_ROWS - 1)).toEqual([128, 128, 128, 255]);
    expect(pixel(crop, 56, TOP_MASK_ROWS)).toEqual(pixel(plain, 56, TOP_MASK_ROWS));
  });

  it('greys outside the face oval (the upper variant only above the nose tip)', () => {
    const oval = variantCrop(gradient(), fivePoints, landmarks, { mask: 'oval' });
    const upper = variantCrop(gradient(), fivePoints, landmarks, { mask: 'oval-upper' });
    const plain = alignFace(gradient(), fivePoints);
    // The corners are outside the oval; the eyes are inside.
    expect(pixel(oval, 0, 0)).toEqual([128, 128, 128, 255]);
    expect(pixel(oval, 0, 111)).toEqual([128, 128, 128, 255]);
    expect(pixel(oval, 38, 52)).toEqual(pixel(plain, 38, 52));
    expect(pixel(upper, 0, 0)).toEqual([128, 128, 128, 255]);
    expect(pixel(upper, 0, 111)).toEqual(pixel(plain, 0, 111));
  });

  it('puts the luminance in all planes (gray) and standardises its spread (stretch)', () => {
    const gray = variantCrop(gradient(), fivePoints, landmarks, { photometric: 'gray' });
    const [r, g, b] = pixel(gray, 40, 70);
    expect(r).toBe(g);
    expect(g).toBe(b);
    const stretched = variantCrop(gradient(), fivePoints, landmarks, { photometric: 'stretch' });
    const lum: number[] = [];
    for (let i = 0; i < stretched.data.length; i += 4) lum.push(0.299 * stretched.data[i]! + 0.587 * stretched.data[i + 1]! + 0.114 * stretched.data[i + 2]!);
    const mean = lum.reduce((s, x) => s + x, 0) / lum.length;
    const spread = Math.sqrt(lum.reduce((s, x) => s + (x - mean) ** 2, 0) / lum.length);
    expect(mean).toBeCloseTo(128, 0);
    expect(spread).toBeGreaterThan(45);
    expect(spread).toBeLessThan(56);
  });
});

describe('measureRegions', () => {
  it('measures each region of the crop: dark, flat eyes behind sunglasses', () => {
    const crop = createPixels(ALIGNED_SIZE, ALIGNED_SIZE);
    for (let y = 0; y < ALIGNED_SIZE; y++) {
      // Grey skin with a fine vertical stripe texture (luma 150 ± 10).
      for (let x = 0; x < ALIGNED_SIZE; x++) crop.data.set([150 + (x % 2 ? 10 : -10), 150 + (x % 2 ? 10 : -10), 150 + (x % 2 ? 10 : -10), 255], (y * ALIGNED_SIZE + x) * 4);
    }
    for (const r of [CROP_REGIONS.leftEye, CROP_REGIONS.rightEye]) {
      for (let y = r.y - 1; y <= r.y + r.height; y++) for (let x = r.x - 1; x <= r.x + r.width; x++) crop.data.set([20, 20, 20, 255], (y * ALIGNED_SIZE + x) * 4);
    }
    const m = measureRegions(crop);
    expect(m.leftEye.mean).toBeCloseTo(20, 3);
    expect(m.leftEye.spread).toBeCloseTo(0, 3);
    expect(m.leftEye.texture).toBeCloseTo(0, 3);
    expect(m.cheeks.mean).toBeCloseTo(150, 0);
    expect(m.cheeks.spread).toBeCloseTo(10, 0);
    expect(m.cheeks.texture).toBeGreaterThan(1000);
    expect(Object.keys(m).sort()).toEqual(['cheeks', 'forehead', 'leftEye', 'mouth', 'rightEye']);
  });
});
