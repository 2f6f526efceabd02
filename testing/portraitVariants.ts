/**
 * Ideas for the card portrait's embedding, measured by bench:id-document on the same cards as the
 * shipped one (never in a production path): pure pixel and point transforms.
 */
import type { Pixels, Point } from '../workers/stages/pixels.js';

/** Names of the variants the document probe embeds besides the shipped crop. */
export const PORTRAIT_VARIANTS = ['jitter', 'grey', 'stretch'] as const;
export type PortraitVariant = (typeof PORTRAIT_VARIANTS)[number];

/** The crop in grey (luma in every channel): a print's colour cast gone, on both sides of the comparison. */
export function toGrey(crop: Pixels): Pixels {
  const data = new Uint8ClampedArray(crop.data.length);
  for (let p = 0; p < data.length; p += 4) {
    const y = 0.299 * crop.data[p]! + 0.587 * crop.data[p + 1]! + 0.114 * crop.data[p + 2]!;
    data[p] = data[p + 1] = data[p + 2] = y;
    data[p + 3] = 255;
  }
  return { width: crop.width, height: crop.height, data };
}

/** Each channel stretched so its 1st and 99th percentiles become 0 and 255 (a faded print's contrast back). */
export function stretchChannels(crop: Pixels): Pixels {
  const data = new Uint8ClampedArray(crop.data);
  const n = crop.width * crop.height;
  for (let c = 0; c < 3; c += 1) {
    const histogram = new Uint32Array(256);
    for (let p = c; p < data.length; p += 4) histogram[data[p]!]! += 1;
    const level = (fraction: number) => {
      let seen = 0;
      for (let v = 0; v < 256; v += 1) if ((seen += histogram[v]!) >= fraction * n) return v;
      return 255;
    };
    const lo = level(0.01);
    const hi = Math.max(lo + 1, level(0.99));
    for (let p = c; p < data.length; p += 4) data[p] = ((data[p]! - lo) * 255) / (hi - lo);
  }
  return { width: crop.width, height: crop.height, data };
}

/**
 * Five-point sets around `points` for test-time jitter of the alignment: the points themselves,
 * scaled by ±`scale` about their centre, and shifted by ±`shift` of the eye distance sideways.
 */
export function jitteredPoints(points: readonly Point[], scale = 0.04, shift = 0.04): Point[][] {
  const cx = points.reduce((s, p) => s + p.x, 0) / points.length;
  const cy = points.reduce((s, p) => s + p.y, 0) / points.length;
  const eyes = Math.hypot(points[1]!.x - points[0]!.x, points[1]!.y - points[0]!.y);
  const scaled = (k: number) => points.map((p) => ({ x: cx + (p.x - cx) * k, y: cy + (p.y - cy) * k }));
  const moved = (dx: number) => points.map((p) => ({ x: p.x + dx * eyes, y: p.y }));
  return [points.map((p) => ({ ...p })), scaled(1 + scale), scaled(1 - scale), moved(shift), moved(-shift)];
}
