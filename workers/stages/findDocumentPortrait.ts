/**
 * Identity-document stage: where to look for the small face printed on a card held to the camera,
 * which face found is that portrait (never the student's live face, never a face with no card
 * around it), and whether its crop is usable. Pure functions on faces and pixels; the pipeline runs the landmarker on the windows.
 */
import type { DocumentGuidance } from '../../src/protocol/capture.js';
import type { DetectedFace } from './detectFace.js';
import type { Pixels, Region } from './pixels.js';

/**
 * Side of the square windows searched for a portrait, in frame pixels. A card held 25–40 cm from a
 * 640×480 webcam prints a face 28–50 px wide; MediaPipe's short-range detector (128×128 input)
 * misses faces that small in a whole frame, but finds them when a window about 4× the face's size
 * is given alone (measured: README, identity document).
 */
export const PORTRAIT_WINDOW_SIZE = 160;

/** Step between windows: half a window, so every face up to half a window fits whole in one. */
export const PORTRAIT_WINDOW_STRIDE = 80;

/**
 * Side of the larger windows of the second search, run when the first finds no portrait: a card
 * held as close as the guidance asks (15–20 cm) prints a face of 55–75 px, often more than half
 * a {@link PORTRAIT_WINDOW_SIZE} window, so no window of the first search holds it whole, and the
 * whole frame shrinks it too much (measured: README, identity document).
 */
export const LARGE_WINDOW_SIZE = 256;

/** Step between the larger windows (half a window). */
export const LARGE_WINDOW_STRIDE = 128;

/**
 * A printed portrait is at most this fraction of the live face's size (box side), and of the
 * enrollment frames' face size: a face at least this big is the student, or another person,
 * never the card's photo (whose face is 20–25 mm wide, a third of a real face at the same distance).
 */
export const MAX_PORTRAIT_RATIO = 0.6;

/**
 * Fewest pixels between the eye centres of a portrait worth comparing, in the document frame's
 * own pixels: about the eyes of a card 27 cm from a 640×480 webcam. A farther card is
 * `card_too_far`, which asks the student to bring it closer, where the portrait keeps more detail.
 */
export const MIN_PORTRAIT_EYE_DISTANCE = 13;

/**
 * Width, px, the portrait is searched at. The window sizes above and the enrollment frames' face
 * size are measured at the enrollment resolution (640×480); a wider document frame (the camera
 * asked for more pixels for the card) is searched in a copy scaled to this width, and the portrait
 * found there is detected again and aligned in the full-resolution frame, so the crop gets every
 * pixel the camera gave.
 */
export const DOCUMENT_SEARCH_WIDTH = 640;

/** Side of the full-resolution window the portrait is detected again in, in face sizes. */
export const REFINE_WINDOW_FACES = 4;

/** Fraction of near-white pixels in the aligned portrait above which glare is reported. */
export const MAX_GLARE_FRACTION = 0.12;

/** A grey level (all three channels) at or above which a pixel counts as washed out by glare. */
const GLARE_LEVEL = 245;

/** Sharpness (Laplacian standard deviation of the crop's centre) under which a portrait is too blurred. */
export const MIN_PORTRAIT_SHARPNESS = 1.5;

/** Largest side of a face's box. */
export function faceSize(face: DetectedFace): number {
  return Math.max(face.box.width, face.box.height);
}

/** Whether `point` lies inside `face`'s box grown by `margin` of its size on every side. */
function insideFace(face: DetectedFace, x: number, y: number, margin = 0.15): boolean {
  const grow = margin * faceSize(face);
  const { box } = face;
  return x >= box.x - grow && x <= box.x + box.width + grow && y >= box.y - grow && y <= box.y + box.height + grow;
}

/**
 * The windows of a `width`×`height` frame to search for a portrait, row by row: a grid of
 * {@link PORTRAIT_WINDOW_SIZE} squares every {@link PORTRAIT_WINDOW_STRIDE} px (the last row and
 * column flush with the edges), leaving out windows whose centre lies on the live face. With a
 * live face, the windows nearest it come first: a card is held beside the face, and the search
 * stops at the first window holding a whole portrait.
 */
export function portraitWindows(width: number, height: number, live: DetectedFace | null, size = PORTRAIT_WINDOW_SIZE, stride = PORTRAIT_WINDOW_STRIDE): Region[] {
  const side = Math.min(size, width, height);
  const starts = (extent: number) => {
    const out: number[] = [];
    for (let s = 0; s + side < extent; s += stride) out.push(s);
    out.push(extent - side);
    return [...new Set(out)];
  };
  const windows: Region[] = [];
  for (const y of starts(height)) {
    for (const x of starts(width)) {
      if (live && insideFace(live, x + side / 2, y + side / 2, 0)) continue;
      windows.push({ x, y, width: side, height: side });
    }
  }
  if (!live) return windows;
  const lx = live.box.x + live.box.width / 2;
  const ly = live.box.y + live.box.height / 2;
  const distance = (w: Region) => Math.hypot(w.x + w.width / 2 - lx, w.y + w.height / 2 - ly);
  return windows.sort((a, b) => distance(a) - distance(b));
}

/** `face` found in a window, moved to the coordinates of the whole frame. */
export function shiftFace(face: DetectedFace, dx: number, dy: number): DetectedFace {
  const move = (p: { x: number; y: number }) => ({ x: p.x + dx, y: p.y + dy });
  return {
    ...face,
    box: { ...face.box, x: face.box.x + dx, y: face.box.y + dy },
    fivePoints: face.fivePoints.map(move),
    points: face.points.map(move),
  };
}

/** `face` found in a copy of the frame scaled down by `scale`, in the full frame's coordinates. */
export function scaleFace(face: DetectedFace, scale: number): DetectedFace {
  const move = (p: { x: number; y: number }) => ({ x: (p.x + 0.5) * scale - 0.5, y: (p.y + 0.5) * scale - 0.5 });
  return {
    ...face,
    box: { x: (face.box.x + 0.5) * scale - 0.5, y: (face.box.y + 0.5) * scale - 0.5, width: face.box.width * scale, height: face.box.height * scale },
    fivePoints: face.fivePoints.map(move),
    points: face.points.map(move),
  };
}

/**
 * The square window of a `width`×`height` frame to detect `portrait` (full-frame coordinates)
 * again in: {@link REFINE_WINDOW_FACES} face sizes, centred on it, inside the frame.
 */
export function refineWindow(portrait: DetectedFace, width: number, height: number): Region {
  const side = Math.round(Math.min(REFINE_WINDOW_FACES * faceSize(portrait), width, height));
  const cx = portrait.box.x + portrait.box.width / 2;
  const cy = portrait.box.y + portrait.box.height / 2;
  return {
    x: Math.round(Math.min(Math.max(cx - side / 2, 0), width - side)),
    y: Math.round(Math.min(Math.max(cy - side / 2, 0), height - side)),
    width: side,
    height: side,
  };
}

/**
 * Of the faces found again at full resolution, the one that is `expected` (the portrait found in
 * the scaled copy, in full-frame coordinates): centre within half its size and size within a
 * factor of 1.5; the nearest such face, or null (the caller keeps `expected`).
 */
export function sameFace(found: readonly DetectedFace[], expected: DetectedFace): DetectedFace | null {
  const centre = (f: DetectedFace) => ({ x: f.box.x + f.box.width / 2, y: f.box.y + f.box.height / 2 });
  const target = centre(expected);
  const size = faceSize(expected);
  let best: DetectedFace | null = null;
  let bestDistance = Infinity;
  for (const face of found) {
    const c = centre(face);
    const distance = Math.hypot(c.x - target.x, c.y - target.y);
    const ratio = faceSize(face) / size;
    if (distance > size / 2 || ratio > 1.5 || ratio < 1 / 1.5) continue;
    if (distance < bestDistance) [best, bestDistance] = [face, distance];
  }
  return best;
}

/** The live face of a document frame: the largest face at least {@link MAX_PORTRAIT_RATIO} of the enrolled face size, or null. */
export function liveFaceOf(faces: readonly DetectedFace[], enrolledFaceSize: number): DetectedFace | null {
  let live: DetectedFace | null = null;
  for (const face of faces) {
    if (faceSize(face) >= MAX_PORTRAIT_RATIO * enrolledFaceSize && (!live || faceSize(face) > faceSize(live))) live = face;
  }
  return live;
}

/** The portrait chosen in a document frame, or why there is none. */
export type PortraitChoice = { readonly portrait: DetectedFace } | { readonly portrait: null; readonly guidance: 'no_card_face' | 'card_not_seen' | 'card_too_far' };

/**
 * Picks the card's portrait among `candidates` (faces found in the frame and in its windows, in
 * frame coordinates). A candidate is a portrait only if it is much smaller than the live face and
 * than the enrollment frames' face (so a frame whose only face is the student's never passes),
 * does not sit on the live face, and `onCard` finds a card around it (size cannot tell a card's
 * portrait from a real face a few metres behind the student: `cardAroundPortrait.ts`). Of the
 * portraits, the largest (most detail) is chosen; one whose eyes are too close together to
 * compare is `card_too_far`. Small faces with no card around them are `card_not_seen`.
 * `onCard` is asked about candidates largest first, only until one passes. `pixelScale` is how
 * many document-frame pixels one pixel of the searched copy stands for (1 when the frame is
 * searched as it is).
 */
export function selectPortrait(
  candidates: readonly DetectedFace[],
  live: DetectedFace | null,
  enrolledFaceSize: number,
  onCard: (face: DetectedFace) => boolean,
  pixelScale = 1,
): PortraitChoice {
  const limit = MAX_PORTRAIT_RATIO * Math.min(enrolledFaceSize, live ? faceSize(live) : Infinity);
  const small = candidates.filter((face) => {
    if (faceSize(face) >= limit) return false;
    const cx = face.box.x + face.box.width / 2;
    const cy = face.box.y + face.box.height / 2;
    return !(live && insideFace(live, cx, cy));
  });
  if (small.length === 0) return { portrait: null, guidance: 'no_card_face' };
  const best = small.sort((a, b) => faceSize(b) - faceSize(a)).find(onCard);
  if (!best) return { portrait: null, guidance: 'card_not_seen' };
  const [leftEye, rightEye] = best.fivePoints;
  if (pixelScale * Math.hypot(rightEye!.x - leftEye!.x, rightEye!.y - leftEye!.y) < MIN_PORTRAIT_EYE_DISTANCE) return { portrait: null, guidance: 'card_too_far' };
  return { portrait: best };
}

/** Fraction of the aligned crop's pixels washed out to near white (a reflection on the card). */
export function glareFraction(crop: Pixels): number {
  const { data } = crop;
  let bright = 0;
  for (let p = 0; p < data.length; p += 4) {
    if (data[p]! >= GLARE_LEVEL && data[p + 1]! >= GLARE_LEVEL && data[p + 2]! >= GLARE_LEVEL) bright += 1;
  }
  return bright / (data.length / 4);
}

/** What keeps an aligned portrait from being compared: glare, blur, or nothing (empty). */
export function portraitIssues(crop: Pixels, sharpness: number): DocumentGuidance[] {
  const issues: DocumentGuidance[] = [];
  if (glareFraction(crop) > MAX_GLARE_FRACTION) issues.push('card_glare');
  if (sharpness < MIN_PORTRAIT_SHARPNESS) issues.push('hold_still');
  return issues;
}
