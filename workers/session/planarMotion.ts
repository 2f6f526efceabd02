/**
 * Planar motion: whether a face that turned moved as a flat sheet does. A photo, a phone, a paper
 * mask or a cut-out turned in front of the camera moves its landmarks as a plane does (one
 * homography maps the frontal landmarks onto the turned ones); a head does not, because the nose
 * comes forward of the cheeks and the face's outline turns around the skull. The residual of the
 * best plane fit, in inter-ocular distances, measures the parallax a real head leaves.
 */
import type { Point } from '../stages/pixels.js';

/**
 * MediaPipe face-mesh indices the fit uses: the nose (tip, bridge, base), the eye corners, the
 * mouth, the chin and forehead, and the outline at the ears and along the jaw. They span the
 * depths of a face: the nose tip stands about half an inter-ocular distance before the outline.
 */
export const PARALLAX_LANDMARKS = [1, 4, 6, 168, 33, 133, 263, 362, 61, 291, 0, 17, 152, 10, 234, 454, 93, 323, 132, 361, 58, 288] as const;

/** Positions of the outer eye corners (33 and 263) in {@link PARALLAX_LANDMARKS}: their distance is the unit of the residual. */
const OUTER_EYE_CORNERS = [4, 6] as const;

/** Inter-ocular distance (outer eye corners) of {@link parallaxPoints}: the unit parallax is measured in. */
export function eyeSpan(points: readonly Point[]): number {
  const [left, right] = OUTER_EYE_CORNERS.map((i) => points[i]!) as [Point, Point];
  return Math.hypot(right.x - left.x, right.y - left.y);
}

/** The landmarks {@link planarResidual} needs, picked from a face's full landmark set (empty when it has too few). */
export function parallaxPoints(landmarks: readonly Point[]): Point[] {
  if (landmarks.length <= Math.max(...PARALLAX_LANDMARKS)) return [];
  return PARALLAX_LANDMARKS.map((i) => landmarks[i]!);
}

/** A 3×3 homography, row-major, h[8] = 1. */
export type Homography = readonly number[];

/** Maps `p` through `h`. */
export function applyHomography(h: Homography, p: Point): Point {
  const w = h[6]! * p.x + h[7]! * p.y + h[8]!;
  return { x: (h[0]! * p.x + h[1]! * p.y + h[2]!) / w, y: (h[3]! * p.x + h[4]! * p.y + h[5]!) / w };
}

/** Translation and scale taking `points` to mean 0 and mean distance √2 (Hartley's normalisation, for a well-conditioned fit). */
function normalizer(points: readonly Point[]): { readonly cx: number; readonly cy: number; readonly s: number } {
  const cx = points.reduce((sum, p) => sum + p.x, 0) / points.length;
  const cy = points.reduce((sum, p) => sum + p.y, 0) / points.length;
  const spread = points.reduce((sum, p) => sum + Math.hypot(p.x - cx, p.y - cy), 0) / points.length;
  return { cx, cy, s: spread > 0 ? Math.SQRT2 / spread : 1 };
}

/** Solves the square system `a`·x = `b` by Gaussian elimination with partial pivoting; null when singular. */
function solveLinear(a: number[][], b: number[]): number[] | null {
  const n = b.length;
  for (let col = 0; col < n; col += 1) {
    let pivot = col;
    for (let row = col + 1; row < n; row += 1) if (Math.abs(a[row]![col]!) > Math.abs(a[pivot]![col]!)) pivot = row;
    if (Math.abs(a[pivot]![col]!) < 1e-12) return null;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    [b[col], b[pivot]] = [b[pivot]!, b[col]!];
    for (let row = col + 1; row < n; row += 1) {
      const f = a[row]![col]! / a[col]![col]!;
      for (let k = col; k < n; k += 1) a[row]![k]! -= f * a[col]![k]!;
      b[row]! -= f * b[col]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let row = n - 1; row >= 0; row -= 1) {
    let sum = b[row]!;
    for (let k = row + 1; k < n; k += 1) sum -= a[row]![k]! * x[k]!;
    x[row] = sum / a[row]![row]!;
  }
  return x;
}

/** The least-squares solution of `rows`·x ≈ `rhs` (by the normal equations); null when singular. */
export function leastSquares(rows: readonly (readonly number[])[], rhs: readonly number[]): number[] | null {
  const n = rows[0]?.length ?? 0;
  const ata = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const atb = new Array<number>(n).fill(0);
  rows.forEach((row, k) => {
    for (let i = 0; i < n; i += 1) {
      atb[i]! += row[i]! * rhs[k]!;
      for (let j = 0; j < n; j += 1) ata[i]![j]! += row[i]! * row[j]!;
    }
  });
  return solveLinear(ata, atb);
}

/**
 * The plane motion that best maps `from` onto `to` (least squares, at least 4 pairs): a homography
 * (`projective`: any plane seen in perspective) or an affine map (`affine`: a plane far from the
 * camera). Null when the points are degenerate.
 */
export function fitPlaneMotion(from: readonly Point[], to: readonly Point[], model: 'projective' | 'affine' = 'projective'): Homography | null {
  if (from.length !== to.length || from.length < 4) throw new TypeError(`a plane fit needs at least 4 point pairs, got ${from.length} and ${to.length}`);
  const nf = normalizer(from);
  const nt = normalizer(to);
  const rows: number[][] = [];
  const rhs: number[] = [];
  for (let i = 0; i < from.length; i += 1) {
    const x = (from[i]!.x - nf.cx) * nf.s;
    const y = (from[i]!.y - nf.cy) * nf.s;
    const u = (to[i]!.x - nt.cx) * nt.s;
    const v = (to[i]!.y - nt.cy) * nt.s;
    // u = (h0 x + h1 y + h2) / (h6 x + h7 y + 1), linearised; the affine map has h6 = h7 = 0.
    const perspective = model === 'projective';
    rows.push([x, y, 1, 0, 0, 0, ...(perspective ? [-u * x, -u * y] : [])], [0, 0, 0, x, y, 1, ...(perspective ? [-v * x, -v * y] : [])]);
    rhs.push(u, v);
  }
  const h = leastSquares(rows, rhs);
  if (!h) return null;
  const normalized = [h[0]!, h[1]!, h[2]!, h[3]!, h[4]!, h[5]!, h[6] ?? 0, h[7] ?? 0, 1];
  // Undo the normalisations: H = Tto⁻¹ · Hn · Tfrom.
  const tFrom = [nf.s, 0, -nf.s * nf.cx, 0, nf.s, -nf.s * nf.cy, 0, 0, 1];
  const tToInverse = [1 / nt.s, 0, nt.cx, 0, 1 / nt.s, nt.cy, 0, 0, 1];
  const product = multiply(tToInverse, multiply(normalized, tFrom));
  return product.map((value) => value / product[8]!);
}

function multiply(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r += 1) for (let c = 0; c < 3; c += 1) for (let k = 0; k < 3; k += 1) out[r * 3 + c]! += a[r * 3 + k]! * b[k * 3 + c]!;
  return out;
}

/**
 * How far the landmarks of `turned` are from where a plane carrying the `frontal` ones would put
 * them: the root mean square distance after the best plane fit, divided by the frontal face's
 * inter-ocular distance. Near 0 for a photo or a screen turned as a sheet; a head turned 15° or
 * more leaves several times more (the nose against the cheeks, the outline around the skull).
 * Both arguments are {@link parallaxPoints} of the same face. Infinity when the fit is degenerate.
 */
export function planarResidual(frontal: readonly Point[], turned: readonly Point[], model: 'projective' | 'affine' = 'projective'): number {
  const h = fitPlaneMotion(frontal, turned, model);
  const unit = eyeSpan(frontal);
  if (!h || !(unit > 0)) return Number.POSITIVE_INFINITY;
  let squares = 0;
  for (let i = 0; i < frontal.length; i += 1) {
    const p = applyHomography(h, frontal[i]!);
    squares += (p.x - turned[i]!.x) ** 2 + (p.y - turned[i]!.y) ** 2;
  }
  return Math.sqrt(squares / frontal.length) / unit;
}
