/**
 * Variants of the aligned crop for the fairness experiments (bench/crop-variants.ts, issue 22):
 * where the five points land in the 112×112 crop (scale and shift of the ArcFace template), masks
 * that hide hair and forehead using the landmarks, and photometric normalisations. Test-only: the
 * shipped pipeline aligns with `alignFace` and nothing else.
 */
import { ALIGNED_SIZE, applySimilarity, ARCFACE_TEMPLATE, estimateSimilarity, warpSimilarity } from '../workers/stages/alignFace.js';
import { measureCrop } from '../workers/stages/assessQuality.js';
import { createPixels, type Pixels, type Point } from '../workers/stages/pixels.js';

/** One way to make the crop the embedding model sees. */
export interface CropVariant {
  /** Template scale about the crop centre: above 1 the face fills more of the crop (less hair). */
  readonly scale?: number;
  /** Template shift in crop pixels: dy > 0 moves the face down (more forehead and hair in view). */
  readonly dx?: number;
  readonly dy?: number;
  /**
   * Grey (the model's zero input) over: `oval`, everything outside the landmarks' face oval;
   * `oval-upper`, the same but only above the nose tip (hair, not neck); `top`, the rows above
   * {@link TOP_MASK_ROWS}.
   */
  readonly mask?: 'oval' | 'oval-upper' | 'top';
  /** `gray`: luminance in all three planes; `stretch`: luminance mean and spread standardised. */
  readonly photometric?: 'gray' | 'stretch';
  /** Which landmarks stand for the five points (see {@link AlignmentPoints}); the shipped ones when absent. */
  readonly points?: AlignmentPoints;
}

/**
 * Alternative choices of the five alignment points from MediaPipe's 478 landmarks (the shipped
 * `toDetectedFace` takes the eye-contour centroids, nose tip 1 and mouth corners 61/291):
 * `iris`, the iris centres 468 and 473 (closest to the pupil points of the detectors ArcFace's
 * template was made with); `corners`, the midpoints of each eye's corners (33/133, 263/362);
 * `nose4`, the shipped eyes and mouth with landmark 4 (higher on the nose) as the nose point;
 * `inner-mouth`, the shipped eyes and nose with the inner mouth corners 78/308.
 */
export type AlignmentPoints = 'iris' | 'corners' | 'nose4' | 'inner-mouth';

const midpoint = (a: Point, b: Point): Point => ({ x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 });

/**
 * The five points of `choice` (same order as `fivePoints`: image-left eye, image-right eye, nose,
 * image-left and image-right mouth corner). Each eye point is the landmark pair nearest the shipped
 * eye centre, so the image-left/right order holds whatever MediaPipe's own side convention is.
 */
export function alignmentPoints(fivePoints: readonly Point[], landmarks: readonly Point[], choice: AlignmentPoints | undefined): Point[] {
  const [leftEye, rightEye, nose, leftMouth, rightMouth] = fivePoints as [Point, Point, Point, Point, Point];
  const nearest = (target: Point, a: Point, b: Point) => (Math.hypot(a.x - target.x, a.y - target.y) <= Math.hypot(b.x - target.x, b.y - target.y) ? [a, b] : [b, a]);
  switch (choice) {
    case undefined:
      return [...fivePoints];
    case 'iris': {
      const [l, r] = nearest(leftEye, landmarks[468]!, landmarks[473]!) as [Point, Point];
      return [l, r, nose, leftMouth, rightMouth];
    }
    case 'corners': {
      const [l, r] = nearest(leftEye, midpoint(landmarks[33]!, landmarks[133]!), midpoint(landmarks[263]!, landmarks[362]!)) as [Point, Point];
      return [l, r, nose, leftMouth, rightMouth];
    }
    case 'nose4':
      return [leftEye, rightEye, landmarks[4]!, leftMouth, rightMouth];
    case 'inner-mouth': {
      const [l, r] = nearest(leftMouth, landmarks[78]!, landmarks[308]!) as [Point, Point];
      return [leftEye, rightEye, nose, l, r];
    }
  }
}

/** Rows of the crop hidden by the `top` mask: the ArcFace eye line sits at y ≈ 51.6, brows near 40. */
export const TOP_MASK_ROWS = 28;

/**
 * MediaPipe face-mesh indices of the face oval (silhouette), in order around the face: 10 is the
 * top of the forehead, 152 the chin.
 */
export const FACE_OVAL = [
  10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148, 176, 149, 150, 136, 172, 58,
  132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
] as const;

/** The byte value the model reads as 0 after its normalisation ((v − 127.5) / 128). */
const GREY = 128;
/** Target luminance spread of the `stretch` normalisation (bytes). */
const STRETCH_SPREAD = 52;

/** The ArcFace template scaled about the crop centre and shifted. */
export function variantTemplate(variant: CropVariant): Point[] {
  const scale = variant.scale ?? 1;
  const c = (ALIGNED_SIZE - 1) / 2;
  return ARCFACE_TEMPLATE.map((p) => ({ x: c + scale * (p.x - c) + (variant.dx ?? 0), y: c + scale * (p.y - c) + (variant.dy ?? 0) }));
}

/** Whether `p` lies inside the closed polygon `polygon` (even-odd rule). */
export function insidePolygon(p: Point, polygon: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i, i += 1) {
    const a = polygon[i]!;
    const b = polygon[j]!;
    if (a.y > p.y !== b.y > p.y && p.x < ((b.x - a.x) * (p.y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}

const luminance = (d: Uint8ClampedArray, i: number) => 0.299 * d[i]! + 0.587 * d[i + 1]! + 0.114 * d[i + 2]!;

/**
 * The aligned crop of a face under `variant`. `shippedPoints` as for `alignFace`; `landmarks` (all of
 * MediaPipe's points, same pixel space) are needed by the oval masks and other alignment points.
 */
export function variantCrop(image: Pixels, shippedPoints: readonly Point[], landmarks: readonly Point[], variant: CropVariant): Pixels {
  const fivePoints = alignmentPoints(shippedPoints, landmarks, variant.points);
  const transform = estimateSimilarity(fivePoints, variantTemplate(variant));
  const crop = warpSimilarity(image, transform, ALIGNED_SIZE);
  const data = crop.data;
  const size = ALIGNED_SIZE;
  if (variant.mask) {
    const oval = FACE_OVAL.map((i) => applySimilarity(transform, landmarks[i]!));
    const noseY = applySimilarity(transform, fivePoints[2]!).y;
    for (let y = 0; y < size; y += 1) {
      for (let x = 0; x < size; x += 1) {
        const hidden =
          variant.mask === 'top' ? y < TOP_MASK_ROWS : !insidePolygon({ x, y }, oval) && (variant.mask === 'oval' || y < noseY);
        if (hidden) data.fill(GREY, (y * size + x) * 4, (y * size + x) * 4 + 3);
      }
    }
  }
  if (variant.photometric === 'gray') {
    for (let i = 0; i < data.length; i += 4) data.fill(luminance(data, i), i, i + 3);
  } else if (variant.photometric === 'stretch') {
    let sum = 0;
    let squares = 0;
    const n = data.length / 4;
    for (let i = 0; i < data.length; i += 4) {
      const l = luminance(data, i);
      sum += l;
      squares += l * l;
    }
    const mean = sum / n;
    const spread = Math.sqrt(Math.max(squares / n - mean * mean, 1));
    const gain = STRETCH_SPREAD / spread;
    for (let i = 0; i < data.length; i += 4) {
      for (let c = 0; c < 3; c += 1) data[i + c] = (data[i + c]! - mean) * gain + GREY;
    }
  }
  return crop;
}

/** Luma statistics of one region of an aligned crop. */
export interface RegionMeasures {
  /** Mean luma, 0..255. */
  readonly mean: number;
  /** Standard deviation of the luma. */
  readonly spread: number;
  /** Variance of the 4-neighbour Laplacian (texture). */
  readonly texture: number;
}

/**
 * Regions of the 112 px aligned crop around the ArcFace template's points (eyes at y ≈ 51.6,
 * nose tip at 71.7, mouth corners at 92.3), for occlusion signals: dark, flat eye regions
 * (sunglasses), a band over nose and cheeks, the mouth, the forehead.
 */
export const CROP_REGIONS = {
  leftEye: { x: 26, y: 43, width: 25, height: 17 },
  rightEye: { x: 61, y: 43, width: 25, height: 17 },
  cheeks: { x: 30, y: 62, width: 52, height: 18 },
  mouth: { x: 38, y: 84, width: 36, height: 16 },
  forehead: { x: 36, y: 18, width: 40, height: 20 },
} as const;

/** The border `measureCrop` leaves out of its measures (its `CROP_MARGIN`). */
const MEASURE_MARGIN = 20;

/**
 * {@link RegionMeasures} of each of {@link CROP_REGIONS} in an aligned crop, by the shipped
 * `measureCrop`: each region is copied with a {@link MEASURE_MARGIN} border (edge pixels repeated
 * outside the crop), so what `measureCrop` measures is exactly the region.
 */
export function measureRegions(crop: Pixels): Record<keyof typeof CROP_REGIONS, RegionMeasures> {
  const measure = (r: { x: number; y: number; width: number; height: number }): RegionMeasures => {
    const padded = createPixels(r.width + 2 * MEASURE_MARGIN, r.height + 2 * MEASURE_MARGIN);
    const clamp = (v: number, size: number) => Math.min(size - 1, Math.max(0, v));
    for (let y = 0; y < padded.height; y += 1) {
      for (let x = 0; x < padded.width; x += 1) {
        const from = (clamp(r.y - MEASURE_MARGIN + y, crop.height) * crop.width + clamp(r.x - MEASURE_MARGIN + x, crop.width)) * 4;
        padded.data.set(crop.data.subarray(from, from + 4), (y * padded.width + x) * 4);
      }
    }
    const { brightness, contrast, sharpness } = measureCrop(padded);
    return { mean: brightness, spread: contrast, texture: sharpness };
  };
  return Object.fromEntries(Object.entries(CROP_REGIONS).map(([name, r]) => [name, measure(r)])) as Record<keyof typeof CROP_REGIONS, RegionMeasures>;
}
