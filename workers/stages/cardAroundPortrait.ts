/**
 * Whether a small face found in a document frame is printed on a card held to the camera: the
 * card's straight edges must enclose it (all four, or the three around the portrait seen well and
 * the far one placed by the card's shape), at the size, shape and place of an identity document
 * around its portrait, and end at its corners. Size alone cannot tell a card's portrait 30 cm away from a real
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
  /** Fraction (0..1) of the top, right, bottom and left side seen as an edge (0 for the inferred side). */
  readonly support: readonly [number, number, number, number];
  /**
   * The side (index in `support`) placed by the card's shape instead of seen, or null: the side
   * away from the portrait, which a light card on a light background can hide.
   */
  readonly inferredSide: number | null;
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

/**
 * The far side may go unseen (a light card against a light wall, glare, a hand): it is then
 * placed where an ID-1 card or a passport page ({@link INFERRED_ASPECTS}) would have it, and the
 * three sides around the portrait must be seen better. Those three are what a face in a room
 * lacks: a straight edge beside the head, within a face's width of its centre, as tall as a card,
 * between two parallel edges above and below it.
 */
export const MIN_SIDE_SUPPORT_INFERRED = 0.6;
export const MIN_MEAN_SUPPORT_INFERRED = 0.8;

/**
 * How far past both of its corners (a fraction of its length) a side is followed: an edge seen
 * there too on both ends is a line running through the frame (a door, a shelf, a picture's border
 * beside a face in the room), not the side of a card.
 */
const SIDE_EXTENSION = 0.4;
/** Fraction of both extensions seen as an edge from which a side runs on (a busy background reaches 0.5–0.6 by chance). */
const MIN_EXTENSION_SUPPORT = 0.75;
/** Distance, px, from a side's line within which its run-on is looked for (see `outlineOf`). */
const EXTENSION_REACH = 3;

/** Width over height of the documents whose far side may be inferred: ID-3 (and ID-2), ID-1. */
const INFERRED_ASPECTS = [1.42, 1.59] as const;

/** Gradient (grey levels per px, Sobel) from which a pixel counts as an edge; camera noise stays under it. */
export const EDGE_GRADIENT = 6;

/** Angles tried on either side of the face's own axes, degrees (card roll and perspective). */
const MAX_SKEW_DEGREES = 18;
const ANGLE_STEP_DEGREES = 2;
/** How far an edge pixel's gradient may turn from a line's normal and still vote for it or support it, degrees. */
const VOTE_TOLERANCE_DEGREES = 10;
const SUPPORT_TOLERANCE_DEGREES = 20;
/** Half-width of the band a line is fitted to its edge pixels in, px. */
const REFINE_BAND = 2.5;
/** Candidate lines kept per side (best voted, after non-maximum suppression). */
const LINES_PER_SIDE = 8;
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
 * Votes for the lines whose normal is within {@link MAX_SKEW_DEGREES} of `base`, at signed distances
 * from `centre` (along the normal) within ±`reach`: each edge pixel votes only for the angles its
 * gradient agrees with. {@link bestLines} then reads the lines of one side out of it.
 */
interface Votes {
  readonly thetas: readonly number[];
  readonly first: number;
  readonly bins: number;
  readonly counts: Float32Array;
}

function houghVotes(g: Gradients, centre: Point, base: number, reach: number): Votes {
  const steps = Math.round(MAX_SKEW_DEGREES / ANGLE_STEP_DEGREES);
  const step = ANGLE_STEP_DEGREES * RAD;
  const thetas = Array.from({ length: 2 * steps + 1 }, (_, k) => base + (k - steps) * step);
  const cos = thetas.map(Math.cos);
  const sin = thetas.map(Math.sin);
  const first = -Math.ceil(reach);
  const bins = 2 * Math.ceil(reach) + 1;
  const counts = new Float32Array(thetas.length * bins);
  const tolerance = VOTE_TOLERANCE_DEGREES * RAD;
  for (let y = 1; y < g.height - 1; y += 1) {
    const dy = g.y0 + y - centre.y;
    for (let x = 1; x < g.width - 1; x += 1) {
      const i = y * g.width + x;
      if (g.magnitude[i]! < EDGE_GRADIENT) continue;
      // The gradient's angle from `base`, folded into (-π/2, π/2] (a line's normal has no sign).
      let a = (g.angle[i]! - base) % Math.PI;
      if (a > Math.PI / 2) a -= Math.PI;
      else if (a <= -Math.PI / 2) a += Math.PI;
      const lo = Math.max(0, Math.ceil((a - tolerance) / step) + steps);
      const hi = Math.min(thetas.length - 1, Math.floor((a + tolerance) / step) + steps);
      const dx = g.x0 + x - centre.x;
      for (let k = lo; k <= hi; k += 1) {
        const bin = Math.round(dx * cos[k]! + dy * sin[k]!) - first;
        if (bin >= 0 && bin < bins) counts[k * bins + bin] = counts[k * bins + bin]! + 1;
      }
    }
  }
  return { thetas, first, bins, counts };
}

/**
 * The {@link LINES_PER_SIDE} best-voted lines at distances in [lo, hi]: local maxima over ±2 angle
 * steps and ±3 px of that range, best first (the face's own edges, nearer, do not hide a side).
 */
function bestLines({ thetas, first, bins, counts }: Votes, lo: number, hi: number): Line[] {
  const peaks: Line[] = [];
  const from = Math.max(0, Math.ceil(lo) - first);
  const to = Math.min(bins - 1, Math.floor(hi) - first);
  for (let k = 0; k < thetas.length; k += 1) {
    for (let b = from; b <= to; b += 1) {
      const v = counts[k * bins + b]!;
      if (v < 3) continue;
      let peak = true;
      for (let dk = -2; dk <= 2 && peak; dk += 1) {
        for (let db = -3; db <= 3; db += 1) {
          const kk = k + dk;
          const bb = b + db;
          if ((dk === 0 && db === 0) || kk < 0 || kk >= thetas.length || bb < from || bb > to) continue;
          const other = counts[kk * bins + bb]!;
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

/**
 * `line` fitted to its own edge pixels: those within {@link REFINE_BAND} px of it, with a gradient
 * across it, in the region, weighted by gradient (a total least-squares fit, twice). The Hough
 * grid is 2° and 1 px: along a side 150 px long, half a step of angle is 1.3 px at its ends,
 * enough to miss a sharp edge by more than the 1 px the support allows.
 */
function refineLine(g: Gradients, centre: Point, line: Line): Line {
  let { theta, rho } = line;
  const tolerance = SUPPORT_TOLERANCE_DEGREES * RAD;
  for (let pass = 0; pass < 2; pass += 1) {
    const [c, s] = [Math.cos(theta), Math.sin(theta)];
    let [w, mx, my] = [0, 0, 0];
    // The pixels within the band: walked by rows for a steep line, by columns for a flat one.
    const points: number[] = [];
    const steep = Math.abs(c) >= Math.SQRT1_2;
    const [outer, inner] = steep ? [g.height, g.width] : [g.width, g.height];
    const half = REFINE_BAND / Math.abs(steep ? c : s);
    for (let a = 1; a < outer - 1; a += 1) {
      // The line's crossing of this row (column), in region coordinates.
      const cross = steep ? (rho - (g.y0 + a - centre.y) * s) / c + centre.x - g.x0 : (rho - (g.x0 + a - centre.x) * c) / s + centre.y - g.y0;
      for (let b = Math.max(1, Math.ceil(cross - half)); b <= Math.min(inner - 2, Math.floor(cross + half)); b += 1) points.push(steep ? b : a, steep ? a : b);
    }
    const kept: number[] = [];
    for (let k = 0; k < points.length; k += 2) {
      const i = points[k + 1]! * g.width + points[k]!;
      const m = g.magnitude[i]!;
      if (m < EDGE_GRADIENT || normalDifference(g.angle[i]!, theta) > tolerance) continue;
      kept.push(points[k]! + g.x0 - centre.x, points[k + 1]! + g.y0 - centre.y, m);
      w += m;
      mx += m * (points[k]! + g.x0 - centre.x);
      my += m * (points[k + 1]! + g.y0 - centre.y);
    }
    if (kept.length < 3 * 8) return { ...line, theta, rho };
    mx /= w;
    my /= w;
    let [sxx, sxy, syy] = [0, 0, 0];
    for (let k = 0; k < kept.length; k += 3) {
      const [dx, dy, m] = [kept[k]! - mx, kept[k + 1]! - my, kept[k + 2]!];
      sxx += m * dx * dx;
      sxy += m * dx * dy;
      syy += m * dy * dy;
    }
    // The normal is the direction of least spread: the eigenvector of the smaller eigenvalue.
    const along = 0.5 * Math.atan2(2 * sxy, sxx - syy);
    let normal = along + Math.PI / 2;
    // Keep the normal on the side it was (a line's normal has two directions; its rho's sign follows it).
    if (Math.cos(normal - theta) < 0) normal -= Math.PI;
    if (normalDifference(normal, line.theta) > 2 * ANGLE_STEP_DEGREES * RAD) return { ...line, theta, rho };
    theta = normal;
    rho = mx * Math.cos(theta) + my * Math.sin(theta);
  }
  return { ...line, theta, rho };
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
 * edge: a pixel within `reach` px of the segment with a gradient across it.
 */
function support(g: Gradients, p: Point, q: Point, reach = 1): number {
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
    for (let o = -reach; o <= reach; o += 1) {
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

/** Index in {@link CardOutline.support} (top, right, bottom, left) of the far side, by the side the portrait is on. */
const FAR_SIDE = { left: 1, right: 3 } as const;

/**
 * The outline made by four lines (relative to `centre`) if it is a card around a face of `size`
 * at `centre`: convex, opposite sides nearly parallel, the shape and the portrait's place of a
 * document, and its sides seen as edges. `inferredSide` (index in top, right, bottom, left; -1 for
 * none) is a side placed by the card's shape rather than seen: it is not asked to be an edge, and
 * the other three must then be seen better ({@link MIN_SIDE_SUPPORT_INFERRED},
 * {@link MIN_MEAN_SUPPORT_INFERRED}).
 */
function outlineOf(g: Gradients, centre: Point, size: number, top: Line, right: Line, bottom: Line, left: Line, inferredSide: number): CardOutline | null {
  const corners = [intersect(top, left, centre), intersect(top, right, centre), intersect(bottom, right, centre), intersect(bottom, left, centre)];
  if (corners.some((c) => c === null)) return null;
  const [tl, tr, br, bl] = corners as [Point, Point, Point, Point];
  if (!convex([tl, tr, br, bl])) return null;
  const width = (distance(tl, tr) + distance(bl, br)) / 2;
  const height = (distance(tl, bl) + distance(tr, br)) / 2;
  if (!within(width / height, CARD_SHAPE.aspect) || !within(height / size, CARD_SHAPE.heightInFaces)) return null;
  // The face's place: its distances to the sides along its own axes (the lines' offsets).
  const [dl, dr, dt, db] = [-left.rho, right.rho, -top.rho, bottom.rho];
  if (!within(Math.min(dl, dr) / (dl + dr), PORTRAIT_PLACE.across) || !within(dt / (dt + db), PORTRAIT_PLACE.down)) return null;
  const [minSide, minMean] = inferredSide < 0 ? [MIN_SIDE_SUPPORT, MIN_MEAN_SUPPORT] : [MIN_SIDE_SUPPORT_INFERRED, MIN_MEAN_SUPPORT_INFERRED];
  // The sides' edges, stopping at the first side too little seen (most outlines fail early).
  const sides = [0, 0, 0, 0];
  let total = 0;
  for (const [i, [p, q]] of ([[tl, tr], [tr, br], [br, bl], [bl, tl]] as const).entries()) {
    if (i === inferredSide) continue;
    sides[i] = support(g, p, q);
    if (sides[i]! < minSide) return null;
    total += sides[i]!;
  }
  if (total / (inferredSide < 0 ? 4 : 3) < minMean) return null;
  // A card's sides end at its corners; a door frame or the border of a picture goes on both ways.
  for (const [i, [p, q]] of ([[tl, tr], [tr, br], [br, bl], [bl, tl]] as const).entries()) {
    if (i === inferredSide) continue;
    const [dx, dy] = [(q.x - p.x) * SIDE_EXTENSION, (q.y - p.y) * SIDE_EXTENSION];
    // Within 3 px: a side's line, fitted over a short segment, may drift that much from an edge it is part of.
    const before = support(g, { x: p.x - dx, y: p.y - dy }, p, EXTENSION_REACH);
    const after = support(g, q, { x: q.x + dx, y: q.y + dy }, EXTENSION_REACH);
    if (before >= MIN_EXTENSION_SUPPORT && after >= MIN_EXTENSION_SUPPORT) return null;
  }
  return { corners: [tl, tr, br, bl], support: [sides[0]!, sides[1]!, sides[2]!, sides[3]!], inferredSide: inferredSide < 0 ? null : inferredSide };
}

/**
 * The card around `face` in `gray` (the face in the same coordinates), or null when no card-shaped
 * outline of straight edges encloses it: four sides at {@link CARD_SIDE_RANGES} (one pair along the
 * face's eye line, the other across it, each within ±18° of it), a convex quadrilateral of
 * {@link CARD_SHAPE} with the face at a {@link PORTRAIT_PLACE}, each side at least
 * {@link MIN_SIDE_SUPPORT} visible and all of them {@link MIN_MEAN_SUPPORT} on average; or the
 * three sides around the portrait seen better and the far side placed by the shape of an ID-1
 * card or a passport page (`inferredSide`). A card partly out of the frame is not found: the
 * student is asked to show it whole. Of the outlines that pass, the best supported is returned.
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
  const across = houghVotes(g, centre, down, vhi);
  const along = houghVotes(g, centre, roll, hhi);
  const refined = (lines: Line[]) => lines.map((line) => refineLine(g, centre, line));
  const tops = refined(bestLines(across, -vhi, -vlo));
  const bottoms = refined(bestLines(across, vlo, vhi));
  const lefts = refined(bestLines(along, -hhi, -hlo));
  const rights = refined(bestLines(along, hlo, hhi));
  let best: CardOutline | null = null;
  let bestMean = -1;
  const converge = MAX_CONVERGENCE_DEGREES * RAD;
  for (const top of tops) {
    for (const bottom of bottoms) {
      if (normalDifference(top.theta, bottom.theta) > converge) continue;
      const cardHeight = bottom.rho - top.rho;
      // A pair of seen sides is tried once, from the left; from the right only the inferred far sides are new.
      for (const [nearSide, nears, seenFars] of [['left', lefts, rights], ['right', rights, []]] as const) {
        for (const near of nears) {
          // The far side as seen, or where an ID-1 card or a passport page would put it when it is not.
          const sign = nearSide === 'left' ? 1 : -1;
          // No edge voted for an inferred side: `votes: 0` tells it from the Hough lines (3 votes or more).
          const inferred = INFERRED_ASPECTS.map((aspect) => ({ theta: near.theta, rho: near.rho + sign * aspect * cardHeight, votes: 0 }));
          for (const far of [...seenFars, ...inferred]) {
            if (normalDifference(near.theta, far.theta) > converge) continue;
            const [left, right] = nearSide === 'left' ? [near, far] : [far, near];
            const outline = outlineOf(g, centre, size, top, right, bottom, left, far.votes === 0 ? FAR_SIDE[nearSide] : -1);
            if (!outline) continue;
            const seen = outline.support.filter((_, i) => i !== outline.inferredSide);
            const mean = seen.reduce((sum, x) => sum + x, 0) / seen.length;
            if (mean <= bestMean) continue;
            best = outline;
            bestMean = mean;
          }
        }
      }
    }
  }
  return best;
}
