/**
 * The face's texture for the planar-motion check of head turns: the grey levels of the part of a
 * frame around the face, read only while a turn is asked for. They never leave the worker; the
 * challenge keeps one frontal texture at a time and wipes each one it lets go.
 */
import type { GrayImage } from './cardAroundPortrait.js';
import { readPixels, toGray, type Point, type Region } from './pixels.js';

/** Grey levels of the part of a frame around the face, and where that part lies in the frame. */
export interface FaceTexture {
  readonly image: GrayImage;
  /** Frame coordinates of the image's top-left pixel. */
  readonly origin: Point;
}

/**
 * Margin around the landmarks' box that a texture keeps, as a share of the box's longer side (its
 * height, which a head turn does not shrink; about 2.4 inter-ocular distances): the patch search
 * of `textureParallax` reaches 0.34 inter-ocular distances beyond where the plane fit of the
 * landmarks puts a patch.
 */
export const TEXTURE_MARGIN = 0.25;

/** The frame region (whole pixels, inside `width`×`height`) a texture of a face with these landmarks keeps. */
export function textureRegion(points: readonly Point[], width: number, height: number): Region {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const margin = TEXTURE_MARGIN * Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
  const x0 = Math.max(0, Math.floor(Math.min(...xs) - margin));
  const y0 = Math.max(0, Math.floor(Math.min(...ys) - margin));
  const x1 = Math.min(width, Math.ceil(Math.max(...xs) + margin) + 1);
  const y1 = Math.min(height, Math.ceil(Math.max(...ys) + margin) + 1);
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

/** The texture of `region` of a frame (its RGBA copy is wiped once converted). */
export function readFaceTexture(frame: ImageBitmap, region: Region): FaceTexture {
  const pixels = readPixels(frame, region);
  const data = toGray(pixels);
  pixels.data.fill(0);
  return { image: { width: region.width, height: region.height, data }, origin: { x: region.x, y: region.y } };
}

/** A part of a frame's grey levels as a texture (the whole-frame grey levels a benchmark decoded itself). */
export function cropTexture(frame: GrayImage, region: Region): FaceTexture {
  const data = new Float32Array(region.width * region.height);
  for (let y = 0; y < region.height; y += 1) data.set(frame.data.subarray((region.y + y) * frame.width + region.x, (region.y + y) * frame.width + region.x + region.width), y * region.width);
  return { image: { width: region.width, height: region.height, data }, origin: { x: region.x, y: region.y } };
}
