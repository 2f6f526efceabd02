/**
 * Whether a small face found in a document frame is printed on a card held to the camera: the
 * card's four straight edges must enclose it, at the size, shape and place of an identity
 * document around its portrait. Size alone cannot tell a card's portrait 30 cm away from a real
 * face 2–3 m away (both are 30–40 px wide in a 640 px frame); the card around it can.
 *
 * Pure and cheap (one Sobel pass and an orientation-constrained Hough transform over a region a
 * few face sizes around the candidate, then a check of a few hundred quadrilaterals), on the
 * grey levels of the frame the portrait is searched in.
 */
import type { DetectedFace } from './detectFace.js';
import type { Point } from './pixels.js';

/** Grey levels (0..255) of an image, row-major. */
export interface GrayImage {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/** The card found around a portrait: its corners and how much of each side is a visible edge. */
export interface CardOutline {
  /** Top-left, top-right, bottom-right, bottom-left, in image coordinates (the card as the face is upright). */
  readonly corners: readonly [Point, Point, Point, Point];
  /** Fraction (0..1) of the top, right, bottom and left side seen as an edge. */
  readonly support: readonly [number, number, number, number];
}

/**
 * Where a card's sides may lie around its portrait, in face sizes (box side) from the face's
 * centre, the face upright. An ID-1 card (85.6 × 54 mm, Italian CIE, driving licence) prints a
 * face about 20 mm wide: its top and bottom edges are 1.1–1.5 face sizes away, the side next to
 * the portrait 0.7–0.9, the far side 3–3.5. A passport's data page (ID-3, 125 × 88 mm, portrait on
 * the left) prints a larger face: top and bottom about 1.3, sides 0.7 and 3. The ranges leave room
 * for the detector's box (its side is not exactly the face's width) and for tilt.
 */
export const CARD_SIDE_RANGES = {
  /** Distance of the top and bottom edges. */
  vertical: [0.55, 2.8],
  /** Distance of the left and right edges (the far one may be on either side). */
  horizontal: [0.5, 6.5],
} as const;

/**
 * Accepted shape of the quadrilateral: width over height (ID-1 is 1.59, ID-3 1.42; a tilt of
 * ±20° changes either side by up to 6 %, the edges' fit a little more) and height in face sizes
 * (ID-1 about 2.7, a passport page about 3; the portrait's face is 0.25–0.6 of the card's height).
 */
export const CARD_SHAPE = { aspect: [1.2, 2.1], heightInFaces: [1.6, 4.5] } as const;

/**
 * Where the face may sit inside the card, as fractions of its width and height from the nearer
 * side: the portrait is printed on one side (left on ID-1 cards and passports, kept either way for
 * other documents), about halfway down.
 */
export const PORTRAIT_PLACE = { across: [0.06, 0.42], down: [0.2, 0.8] } as const;

/**
 * Fewest fraction of each side, and of all four on average, that must be a visible edge: fingers
 * holding the card, glare and a background of the card's own colour hide parts of its sides, but
 * a face with no card around it rarely shows four straight edges there.
 */
export const MIN_SIDE_SUPPORT = 0.5;
export const MIN_MEAN_SUPPORT = 0.75;

/** Gradient (grey levels per px, Sobel) from which a pixel counts as an edge; camera noise stays under it. */
export const EDGE_GRADIENT = 6;

/** Angles tried on either side of the face's own axes, degrees (card roll and perspective). */
const MAX_SKEW_DEGREES = 18;
const ANGLE_STEP_DEGREES = 2;
/** How far an edge pixel's gradient may turn from a line's normal and still vote for it or support it, degrees. */
const VOTE_TOLERANCE_DEGREES = 10;
const SUPPORT_TOLERANCE_DEGREES = 20;
/** Candidate lines kept per side (best voted, after non-maximum suppression). */
const LINES_PER_SIDE = 6;
/**
 * Largest angle between opposite sides, degrees: a card tilted ±20° at arm's length makes them
 * converge by 2–4°; two unrelated edges of a room rarely happen to be this parallel around a face.
 */
const MAX_CONVERGENCE_DEGREES = 8;
/** The face's roll beyond which the eyes are not trusted for the card's axes, degrees. */
const MAX_ROLL_DEGREES = 30;

const RAD = Math.PI / 180;

/** A line through the region: points p with (p - centre)·(cos θ, sin θ) = rho. */
interface Line {
  readonly theta: number;
  readonly rho: number;
  readonly votes: number;
}

/** Gradients of a region of `gray` (Sobel, per px), with its origin in the image. */
interface Gradients {
  readonly x0: number;
  readonly y0: number;
  readonly width: number;
  readonly height: number;
  readonly magnitude: Float32Array;
  /** Gradient direction, radians in (-π, π]. */
  readonly angle: Float32Array;
}

function gradients(gray: GrayImage, x0: number, y0: number, width: number, height: number): Gradients {
  const magnitude = new Float32Array(width * height);
  const angle = new Float32Array(width * height);
  const { data } = gray;
  const w = gray.width;
  for (let y = 1; y < height - 1; y += 1) {
    for (let x = 1; x < width - 1; x += 1) {
      const i = (y0 + y) * w + x0 + x;
      const tl = data[i - w - 1]!;
      const t = data[i - w]!;
      const tr = data[i - w + 1]!;
      const l = data[i - 1]!;
      const r = data[i + 1]!;
      const bl = data[i + w - 1]!;
      const b = data[i + w]!;
      const br = data[i + w + 1]!;
      const gx = (tr + 2 * r + br - tl - 2 * l - bl) / 8;
      const gy = (bl + 2 * b + br - tl - 2 * t - tr) / 8;
      magnitude[y * width + x] = Math.hypot(gx, gy);
      angle[y * width + x] = Math.atan2(gy, gx);
    }
  }
  return { x0, y0, width, height, magnitude, angle };
}

/** Difference between two line normals, radians in [0, π/2] (a normal and its opposite are one line). */
function normalDifference(a: number, b: number): number {
  const d = Math.abs(a - b) % Math.PI;
  return Math.min(d, Math.PI - d);
}

/**
 * The best-voted lines whose normal is within {@link MAX_SKEW_DEGREES} of `base` and whose
 * distance from `centre` is in [lo, hi] (signed, along the normal), each edge pixel voting only
 * for the angles its gradient agrees with.
 */
function houghLines(g: Gradients, centre: Point, base: number, lo: number, hi: number): Line[] {
  const steps = Math.round(MAX_SKEW_DEGREES / ANGLE_STEP_DEGREES);
  const thetas = Array.from({ length: 2 * steps + 1 }, (_, k) => base + (k - steps) * ANGLE_STEP_DEGREES * RAD);
  const cos = thetas.map(Math.cos);
  const sin = thetas.map(Math.sin);
  const first = Math.floor(lo);
  const bins = Math.ceil(hi) - first + 1;
  const votes = new Float32Array(thetas.length * bins);
  const tolerance = VOTE_TOLERANCE_DEGREES * RAD;
  for (let y = 1; y < g.height - 1; y += 1) {
    const dy = g.y0 + y - centre.y;
    for (let x = 1; x < g.width - 1; x += 1) {
      const i = y * g.width + x;
      if (g.magnitude[i]! < EDGE_GRADIENT) continue;
      const dx = g.x0 + x - centre.x;
      const a = g.angle[i]!;
      for (let k = 0; k < thetas.length; k += 1) {
        if (normalDifference(a, thetas[k]!) > tolerance) continue;
        const bin = Math.round(dx * cos[k]! + dy * sin[k]!) - first;
        if (bin >= 0 && bin < bins) votes[k * bins + bin] = votes[k * bins + bin]! + 1;
      }
    }
  }
  // Local maxima over ±2 angle steps and ±3 bins, best first.
  const peaks: Line[] = [];
  for (let k = 0; k < thetas.length; k += 1) {
    for (let b = 0; b < bins; b += 1) {
      const v = votes[k * bins + b]!;
      if (v < 3) continue;
      let peak = true;
      for (let dk = -2; dk <= 2 && peak; dk += 1) {
        for (let db = -3; db <= 3; db += 1) {
          const kk = k + dk;
          const bb = b + db;
          if ((dk === 0 && db === 0) || kk < 0 || kk >= thetas.length || bb < 0 || bb >= bins) continue;
          const other = votes[kk * bins + bb]!;
          // Ties go to the first in scan order, so a plateau yields one peak.
          if (other > v || (other === v && (dk < 0 || (dk === 0 && db < 0)))) {
            peak = false;
            break;
          }
        }
      }
      if (peak) peaks.push({ theta: thetas[k]!, rho: b + first, votes: v });
    }
  }
  return peaks.sort((p, q) => q.votes - p.votes).slice(0, LINES_PER_SIDE);
}

/** Where two lines (relative to `centre`) cross, or null when they are nearly parallel. */
function intersect(a: Line, b: Line, centre: Point): Point | null {
  const [ca, sa, cb, sb] = [Math.cos(a.theta), Math.sin(a.theta), Math.cos(b.theta), Math.sin(b.theta)];
  const det = ca * sb - sa * cb;
  if (Math.abs(det) < 0.5) return null;
  return { x: centre.x + (a.rho * sb - b.rho * sa) / det, y: centre.y + (ca * b.rho - cb * a.rho) / det };
}

/**
 * Fraction of the segment p→q (its middle 80 %: corners are often rounded or held) that is an
 * edge: a pixel within 1 px of the segment with a gradient across it.
 */
function support(g: Gradients, p: Point, q: Point): number {
  const length = Math.hypot(q.x - p.x, q.y - p.y);
  const samples = Math.max(4, Math.round(0.8 * length));
  const nx = -(q.y - p.y) / length;
  const ny = (q.x - p.x) / length;
  const normal = Math.atan2(ny, nx);
  const tolerance = SUPPORT_TOLERANCE_DEGREES * RAD;
  let hits = 0;
  for (let s = 0; s < samples; s += 1) {
    const t = 0.1 + (0.8 * (s + 0.5)) / samples;
    const x = p.x + t * (q.x - p.x);
    const y = p.y + t * (q.y - p.y);
    for (let o = -1; o <= 1; o += 1) {
      const gx = Math.round(x + o * nx) - g.x0;
      const gy = Math.round(y + o * ny) - g.y0;
      if (gx < 1 || gy < 1 || gx >= g.width - 1 || gy >= g.height - 1) continue;
      const i = gy * g.width + gx;
      if (g.magnitude[i]! >= EDGE_GRADIENT && normalDifference(g.angle[i]!, normal) <= tolerance) {
        hits += 1;
        break;
      }
    }
  }
  return hits / samples;
}

const within = (x: number, [lo, hi]: readonly [number, number]) => x >= lo && x <= hi;
const distance = (p: Point, q: Point) => Math.hypot(q.x - p.x, q.y - p.y);

/** Whether the corners make a convex quadrilateral, in order. */
function convex(corners: readonly Point[]): boolean {
  let sign = 0;
  for (let i = 0; i < 4; i += 1) {
    const [a, b, c] = [corners[i]!, corners[(i + 1) % 4]!, corners[(i + 2) % 4]!];
    const cross = (b.x - a.x) * (c.y - b.y) - (b.y - a.y) * (c.x - b.x);
    if (cross === 0 || (sign !== 0 && Math.sign(cross) !== sign)) return false;
    sign = Math.sign(cross);
  }
  return true;
}

/**
 * The card around `face` in `gray` (the face in the same coordinates), or null when no card-shaped
 * outline of straight edges encloses it: four sides at {@link CARD_SIDE_RANGES} (one pair along the
 * face's eye line, the other across it, each within ±18° of it), a convex quadrilateral of
 * {@link CARD_SHAPE} with the face at a {@link PORTRAIT_PLACE}, each side at least
 * {@link MIN_SIDE_SUPPORT} visible and all of them {@link MIN_MEAN_SUPPORT} on average. A card
 * partly out of the frame is not found (its sides are not all there): the student is asked to
 * show it whole. Of the outlines that pass, the best supported is returned.
 */
export function findCardAround(gray: GrayImage, face: DetectedFace): CardOutline | null {
  const size = Math.max(face.box.width, face.box.height);
  const centre = { x: face.box.x + face.box.width / 2, y: face.box.y + face.box.height / 2 };
  const [leftEye, rightEye] = face.fivePoints;
  let roll = leftEye && rightEye ? Math.atan2(rightEye.y - leftEye.y, rightEye.x - leftEye.x) : 0;
  if (Math.abs(roll) > MAX_ROLL_DEGREES * RAD) roll = 0;
  const [vlo, vhi] = CARD_SIDE_RANGES.vertical.map((f) => f * size) as [number, number];
  const [hlo, hhi] = CARD_SIDE_RANGES.horizontal.map((f) => f * size) as [number, number];
  // The region every side may lie in, with a margin for the tilt of the lines.
  const reach = hhi + 2;
  const x0 = Math.max(0, Math.floor(centre.x - reach));
  const rise = reach * Math.tan(Math.abs(roll) + MAX_SKEW_DEGREES * RAD) + vhi + 2;
  const y0 = Math.max(0, Math.floor(centre.y - rise));
  const x1 = Math.min(gray.width, Math.ceil(centre.x + reach));
  const y1 = Math.min(gray.height, Math.ceil(centre.y + rise));
  if (x1 - x0 < 3 || y1 - y0 < 3) return null;
  const g = gradients(gray, x0, y0, x1 - x0, y1 - y0);
  // Normals: "down" the face for the top and bottom sides, "right" along the eye line for the others.
  const down = roll + Math.PI / 2;
  const tops = houghLines(g, centre, down, -vhi, -vlo);
  const bottoms = houghLines(g, centre, down, vlo, vhi);
  const lefts = houghLines(g, centre, roll, -hhi, -hlo);
  const rights = houghLines(g, centre, roll, hlo, hhi);
  let best: CardOutline | null = null;
  let bestMean = -1;
  for (const top of tops) {
    for (const bottom of bottoms) {
      for (const left of lefts) {
        for (const right of rights) {
          if (normalDifference(top.theta, bottom.theta) > MAX_CONVERGENCE_DEGREES * RAD || normalDifference(left.theta, right.theta) > MAX_CONVERGENCE_DEGREES * RAD) continue;
          const corners = [intersect(top, left, centre), intersect(top, right, centre), intersect(bottom, right, centre), intersect(bottom, left, centre)];
          if (corners.some((c) => c === null)) continue;
          const [tl, tr, br, bl] = corners as [Point, Point, Point, Point];
          if (!convex([tl, tr, br, bl])) continue;
          const width = (distance(tl, tr) + distance(bl, br)) / 2;
          const height = (distance(tl, bl) + distance(tr, br)) / 2;
          if (!within(width / height, CARD_SHAPE.aspect) || !within(height / size, CARD_SHAPE.heightInFaces)) continue;
          // The face's place: its distances to the sides along its own axes (the lines' offsets).
          const [dl, dr, dt, db] = [-left.rho, right.rho, -top.rho, bottom.rho];
          const across = Math.min(dl, dr) / (dl + dr);
          const down_ = dt / (dt + db);
          if (!within(across, PORTRAIT_PLACE.across) || !within(down_, PORTRAIT_PLACE.down)) continue;
          const sides = [support(g, tl, tr), support(g, tr, br), support(g, br, bl), support(g, bl, tl)] as const;
          const mean = (sides[0] + sides[1] + sides[2] + sides[3]) / 4;
          if (Math.min(...sides) < MIN_SIDE_SUPPORT || mean < MIN_MEAN_SUPPORT || mean <= bestMean) continue;
          best = { corners: [tl, tr, br, bl], support: sides };
          bestMean = mean;
        }
      }
    }
  }
  return best;
}
