/**
 * Parallax measured on the face's own texture. The face mesh cannot show that a turned photo is
 * flat: it fits a 3-D face to whatever it sees and moves its nose against its cheeks as a head's
 * would (README, Liveness: 21–45° of yaw reported on a flat photo). The pixels do not lie: the
 * texture of a sheet (a photo, a phone, a paper mask, a cut-out), flat or bent about a vertical
 * axis, moves by a smooth warp along the image's columns, while the texture of a head does not
 * (the nose, brow, lips and chin lie at other depths along the same column). So small patches of
 * the frontal face are found again in the turned one, and the best sheet motion of where they went
 * leaves a residual: near the tracking noise for a sheet, several times more for a head.
 */
import type { FaceTexture } from '../stages/faceTexture.js';
import type { Point } from '../stages/pixels.js';
import { applyHomography, eyeSpan, fitPlaneMotion, leastSquares } from './planarMotion.js';

/** Geometry of the patch search, in inter-ocular distances (outer eye corners) of the frontal face. */
export interface TextureSearch {
  /** Spacing of the grid of patches laid over the frontal face. */
  readonly gridStep: number;
  /** Half the side of a patch (at least 3 px). */
  readonly patchRadius: number;
  /** How far from where the mesh's plane fit puts it a patch is looked for. */
  readonly searchRadius: number;
  /** Smallest standard deviation of a patch's grey levels (flat skin is not tracked). */
  readonly minContrast: number;
  /** Smallest normalised correlation of a match that is kept. */
  readonly minCorrelation: number;
  /** Fewest matched patches for a residual (null below). */
  readonly minPatches: number;
  /** Matching passes: after the first, patches are warped by the sheet motion fitted to the previous pass's matches. */
  readonly passes: number;
}

/** The search the challenge runs (`npx tsx bench/pad-geometry.ts`: README, Liveness). */
export const DEFAULT_TEXTURE_SEARCH: TextureSearch = {
  gridStep: 0.18,
  patchRadius: 0.12,
  searchRadius: 0.22,
  minContrast: 6,
  minCorrelation: 0.75,
  minPatches: 12,
  passes: 2,
};

/**
 * Inter-ocular distance, px, the search works at: a larger face is first shrunk by a whole factor
 * to about this (its texture at a webcam's usual scale; the cost grows with the fourth power of
 * the face's size).
 */
const WORKING_EYE_SPAN = 32;

/** `texture` shrunk by the whole `factor` (mean of each factor×factor block), in the shrunk frame's coordinates (see {@link shrinkPoint}). */
function shrinkTexture(texture: FaceTexture, factor: number): FaceTexture {
  if (factor === 1) return texture;
  const { image, origin } = texture;
  const width = Math.floor(image.width / factor);
  const height = Math.floor(image.height / factor);
  const data = new Float32Array(width * height);
  const area = factor * factor;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      let sum = 0;
      for (let dy = 0; dy < factor; dy += 1) {
        const row = (y * factor + dy) * image.width + x * factor;
        for (let dx = 0; dx < factor; dx += 1) sum += image.data[row + dx]!;
      }
      data[y * width + x] = sum / area;
    }
  }
  // Frame coordinates shrink as x ↦ (x − (factor − 1) / 2) / factor, which puts each block's centre on a whole pixel.
  return { image: { width, height, data }, origin: { x: origin.x / factor, y: origin.y / factor } };
}

/** Where frame point `p` lies in a frame shrunk by `factor` as {@link shrinkTexture} shrinks it. */
function shrinkPoint(p: Point, factor: number): Point {
  return { x: (p.x - (factor - 1) / 2) / factor, y: (p.y - (factor - 1) / 2) / factor };
}

/** Bilinear grey level of `texture` at frame point (x, y); NaN outside it. */
function sample(texture: FaceTexture, x: number, y: number): number {
  const { image, origin } = texture;
  const u = x - origin.x;
  const v = y - origin.y;
  if (!(u >= 0 && v >= 0 && u <= image.width - 1 && v <= image.height - 1)) return Number.NaN;
  const x0 = Math.min(Math.floor(u), image.width - 2);
  const y0 = Math.min(Math.floor(v), image.height - 2);
  const fx = u - x0;
  const fy = v - y0;
  const i = y0 * image.width + x0;
  const d = image.data;
  const top = d[i]! + (d[i + 1]! - d[i]!) * fx;
  const bottom = d[i + image.width]! + (d[i + image.width + 1]! - d[i + image.width]!) * fx;
  return top + (bottom - top) * fy;
}

/** Where a patch of the frontal face was found in the turned one. */
interface PatchMatch {
  readonly from: Point;
  readonly to: Point;
}

/** A map of frame points from the frontal frame to the turned one. */
type Warp = (p: Point) => Point;

/**
 * Finds the patch of `frontal` centred on `p` in `turned`, near where `guess` maps it, the patch
 * warped by `guess` so that a turn's foreshortening does not spoil the correlation. Null when the
 * patch has too little texture, leaves a picture, or matches nowhere well (or only at the
 * search's edge, where the true place may lie beyond).
 */
function matchPatch(frontal: FaceTexture, turned: FaceTexture, guess: Warp, p: Point, radius: number, reach: number, search: TextureSearch): PatchMatch | null {
  const reference: number[] = [];
  const warped: Point[] = [];
  for (let dy = -radius; dy <= radius; dy += 1) {
    for (let dx = -radius; dx <= radius; dx += 1) {
      const value = sample(frontal, p.x + dx, p.y + dy);
      if (Number.isNaN(value)) return null;
      reference.push(value);
      warped.push(guess({ x: p.x + dx, y: p.y + dy }));
    }
  }
  const n = reference.length;
  const mean = reference.reduce((s, v) => s + v, 0) / n;
  let spread = 0;
  for (let i = 0; i < n; i += 1) spread += (reference[i]! - mean) ** 2;
  if (Math.sqrt(spread / n) < search.minContrast) return null;
  const side = 2 * reach + 1;
  const scores = new Float64Array(side * side).fill(Number.NaN);
  let best = -1;
  let bestAt = -1;
  const values = new Float64Array(n);
  for (let oy = -reach; oy <= reach; oy += 1) {
    for (let ox = -reach; ox <= reach; ox += 1) {
      let sum = 0;
      let inside = true;
      for (let i = 0; i < n; i += 1) {
        const v = sample(turned, warped[i]!.x + ox, warped[i]!.y + oy);
        if (Number.isNaN(v)) {
          inside = false;
          break;
        }
        values[i] = v;
        sum += v;
      }
      if (!inside) continue;
      const m = sum / n;
      let cross = 0;
      let own = 0;
      for (let i = 0; i < n; i += 1) {
        const a = reference[i]! - mean;
        const b = values[i]! - m;
        cross += a * b;
        own += b * b;
      }
      const score = own > 0 ? cross / Math.sqrt(spread * own) : 0;
      const at = (oy + reach) * side + (ox + reach);
      scores[at] = score;
      if (score > best) {
        best = score;
        bestAt = at;
      }
    }
  }
  if (bestAt < 0 || best < search.minCorrelation) return null;
  const bx = (bestAt % side) - reach;
  const by = Math.floor(bestAt / side) - reach;
  if (Math.abs(bx) === reach || Math.abs(by) === reach) return null;
  // Sub-pixel peak: a parabola through the best score and its neighbours on each axis.
  const peak = (before: number, after: number) => {
    const curvature = before - 2 * best + after;
    return Number.isFinite(curvature) && curvature < 0 ? (0.5 * (before - after)) / curvature : 0;
  };
  const sx = peak(scores[bestAt - 1]!, scores[bestAt + 1]!);
  const sy = peak(scores[bestAt - side]!, scores[bestAt + side]!);
  const centre = guess(p);
  return { from: p, to: { x: centre.x + bx + sx, y: centre.y + by + sy } };
}

/** The frontal face's patches and where they were found in the turned frame, in units of the frontal inter-ocular distance. */
interface TextureMatches {
  /** Patch centres in the frontal frame, relative to the face's centre, in inter-ocular distances. */
  readonly from: readonly Point[];
  /** Where each was found in the turned frame, relative to the same centre, in inter-ocular distances. */
  readonly to: readonly Point[];
}

/**
 * Finds patches of the frontal face again in the turned frame: a grid over the frontal face
 * (inside the ellipse its landmarks span), each patch searched near where the mesh's plane fit
 * between `frontalPoints` and `turnedPoints` (`parallaxPoints` of the same face in the two frames)
 * puts it. A face larger than {@link WORKING_EYE_SPAN} is shrunk first. Null when fewer than
 * `search.minPatches` patches match.
 */
function matchTexture(
  frontal: FaceTexture,
  frontalPoints: readonly Point[],
  turned: FaceTexture,
  turnedPoints: readonly Point[],
  search: TextureSearch = DEFAULT_TEXTURE_SEARCH,
): TextureMatches | null {
  const span = eyeSpan(frontalPoints);
  if (!(span > 0)) return null;
  const factor = Math.max(1, Math.floor(span / WORKING_EYE_SPAN));
  if (factor === 1) return matchAtScale(frontal, frontalPoints, turned, turnedPoints, search);
  // The shrunk copies are wiped here; the callers wipe their own textures.
  const a = shrinkTexture(frontal, factor);
  const b = shrinkTexture(turned, factor);
  try {
    return matchAtScale(a, frontalPoints.map((p) => shrinkPoint(p, factor)), b, turnedPoints.map((p) => shrinkPoint(p, factor)), search);
  } finally {
    a.image.data.fill(0);
    b.image.data.fill(0);
  }
}

/** {@link matchTexture} at the textures' own scale. */
function matchAtScale(frontal: FaceTexture, frontalPoints: readonly Point[], turned: FaceTexture, turnedPoints: readonly Point[], search: TextureSearch): TextureMatches | null {
  const unit = eyeSpan(frontalPoints);
  const guess = fitPlaneMotion(frontalPoints, turnedPoints);
  if (!guess || !(unit > 0)) return null;
  const radius = Math.max(3, Math.round(search.patchRadius * unit));
  const reach = Math.max(2, Math.round(search.searchRadius * unit));
  const step = Math.max(2, search.gridStep * unit);
  const xs = frontalPoints.map((p) => p.x);
  const ys = frontalPoints.map((p) => p.y);
  const cx = (Math.min(...xs) + Math.max(...xs)) / 2;
  const cy = (Math.min(...ys) + Math.max(...ys)) / 2;
  // The ellipse inside the landmarks' box: the face, without the background at its corners.
  const ax = ((Math.max(...xs) - Math.min(...xs)) / 2) * 0.85;
  const ay = ((Math.max(...ys) - Math.min(...ys)) / 2) * 0.85;
  const grid: Point[] = [];
  for (let y = cy - ay; y <= cy + ay; y += step) {
    for (let x = cx - ax; x <= cx + ax; x += step) if (((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2 <= 1) grid.push({ x, y });
  }
  const matchAll = (warp: Warp) => grid.flatMap((p) => matchPatch(frontal, turned, warp, p, radius, reach, search) ?? []);
  let matches = matchAll((p) => applyHomography(guess, p));
  // Again with the patches warped by the sheet motion that fits where they went, not by the
  // mesh's plane: a bent sheet's far side is foreshortened as no plane is, and its patches then
  // correlate sharply; a head's parallax stays where it is (the search reaches as far).
  for (let pass = 1; pass < search.passes && matches.length >= search.minPatches; pass += 1) {
    const sheet = fitSheetMotion(matches.map((m) => m.from), matches.map((m) => m.to));
    if (sheet) matches = matchAll(sheet);
  }
  if (matches.length < search.minPatches) return null;
  const local = (p: Point) => ({ x: (p.x - cx) / unit, y: (p.y - cy) / unit });
  return { from: matches.map((m) => local(m.from)), to: matches.map((m) => local(m.to)) };
}

/** Basis functions of a smooth warp: each output coordinate is a linear combination of them. */
type Basis = readonly ((p: Point) => number)[];

/**
 * The motion of a sheet bent about a vertical axis (a paper mask curved round the face; a flat
 * sheet is the special case) turning in front of the camera, as the bases of a linear
 * least-squares fit of x′ and of y′: x′ a cubic in x (plus a shear in y, for a slight roll), y′
 * y scaled by a quadratic in x. A face's depth varies along y too, which this cannot follow.
 */
const BENT_SHEET: { readonly x: Basis; readonly y: Basis } = {
  x: [() => 1, (p) => p.x, (p) => p.x * p.x, (p) => p.x ** 3, (p) => p.y, (p) => p.x * p.y],
  y: [() => 1, (p) => p.x, (p) => p.x * p.x, (p) => p.y, (p) => p.x * p.y, (p) => p.x * p.x * p.y],
};

/**
 * The {@link BENT_SHEET} motion that best maps `from` onto `to`, as a warp of frame points. The fit
 * runs on the points centred and scaled to unit spread, so that the cubic terms stay well
 * conditioned whatever the pixel coordinates. Null when degenerate.
 */
function fitSheetMotion(from: readonly Point[], to: readonly Point[]): Warp | null {
  const bases = BENT_SHEET;
  const cx = from.reduce((sum, p) => sum + p.x, 0) / from.length;
  const cy = from.reduce((sum, p) => sum + p.y, 0) / from.length;
  const spread = Math.sqrt(from.reduce((sum, p) => sum + (p.x - cx) ** 2 + (p.y - cy) ** 2, 0) / from.length) || 1;
  const local = (p: Point) => ({ x: (p.x - cx) / spread, y: (p.y - cy) / spread });
  const points = from.map(local);
  const ax = leastSquares(points.map((q) => bases.x.map((f) => f(q))), to.map((p) => (p.x - cx) / spread));
  const ay = leastSquares(points.map((q) => bases.y.map((f) => f(q))), to.map((p) => (p.y - cy) / spread));
  if (!ax || !ay) return null;
  return (p) => {
    const q = local(p);
    const x = bases.x.reduce((sum, f, i) => sum + f(q) * ax[i]!, 0);
    const y = bases.y.reduce((sum, f, i) => sum + f(q) * ay[i]!, 0);
    return { x: cx + spread * x, y: cy + spread * y };
  };
}

/** How far the matched patches are from the best {@link BENT_SHEET} motion: root mean square distance, in inter-ocular distances. Null when the fit is degenerate. */
function sheetResidual({ from, to }: TextureMatches): number | null {
  const warp = fitSheetMotion(from, to);
  if (!warp) return null;
  let squares = 0;
  from.forEach((p, i) => {
    const q = warp(p);
    squares += (q.x - to[i]!.x) ** 2 + (q.y - to[i]!.y) ** 2;
  });
  return Math.sqrt(squares / from.length);
}

/**
 * The parallax of the face's texture between a frontal and a turned frame ({@link matchTexture}):
 * how far the patches went from the best motion of a sheet bent about a vertical axis (flat
 * included), in inter-ocular distances. Null when too few patches could be matched.
 */
export function textureParallax(
  frontal: FaceTexture,
  frontalPoints: readonly Point[],
  turned: FaceTexture,
  turnedPoints: readonly Point[],
  search: TextureSearch = DEFAULT_TEXTURE_SEARCH,
): number | null {
  const matches = matchTexture(frontal, frontalPoints, turned, turnedPoints, search);
  return matches && sheetResidual(matches);
}
