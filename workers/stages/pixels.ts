/** Plain RGBA pixel buffers, the only image type the pure pipeline stages work on. */

/** An RGBA image, row-major, 4 bytes per pixel (the layout of `ImageData`). */
export interface Pixels {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

/** A point in pixel coordinates, pixel centres at integer positions. */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/** Allocates a black, fully transparent image. */
export function createPixels(width: number, height: number): Pixels {
  return { width, height, data: new Uint8ClampedArray(width * height * 4) };
}

/** An axis-aligned rectangle of whole pixels. */
export interface Region {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Reads the pixels of a decoded frame, or of one region of it, through an `OffscreenCanvas`. The
 * canvas is local to the worker and dropped when this returns; nothing is attached to any document.
 */
export function readPixels(frame: ImageBitmap, region: Region = { x: 0, y: 0, width: frame.width, height: frame.height }): Pixels {
  const canvas = new OffscreenCanvas(region.width, region.height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new Error('2D OffscreenCanvas is not available in this worker');
  context.drawImage(frame, region.x, region.y, region.width, region.height, 0, 0, region.width, region.height);
  const image = context.getImageData(0, 0, region.width, region.height);
  return { width: image.width, height: image.height, data: image.data };
}

/** Luma (BT.601) of every pixel, as floats in 0..255. */
export function toGray(image: Pixels): Float32Array {
  const gray = new Float32Array(image.width * image.height);
  const { data } = image;
  for (let i = 0, p = 0; i < gray.length; i += 1, p += 4) {
    gray[i] = 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!;
  }
  return gray;
}
