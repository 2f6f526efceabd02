import { describe, expect, it } from 'vitest';
import type { DetectedFace } from './detectFace.js';
import {
  MAX_GLARE_FRACTION,
  MIN_PORTRAIT_EYE_DISTANCE,
  PORTRAIT_WINDOW_SIZE,
  REFINE_WINDOW_FACES,
  faceSize,
  glareFraction,
  liveFaceOf,
  portraitIssues,
  portraitWindows,
  refineWindow,
  sameFace,
  scaleFace,
  selectPortrait,
  shiftFace,
} from './findDocumentPortrait.js';
import type { Pixels } from './pixels.js';

/** A fake face: a square box of side `size` at (x, y), eyes 0.4 × size apart. */
function face(x: number, y: number, size: number): DetectedFace {
  const eye = (fx: number) => ({ x: x + fx * size, y: y + 0.4 * size });
  return {
    box: { x, y, width: size, height: size },
    fivePoints: [eye(0.3), eye(0.7), { x: x + 0.5 * size, y: y + 0.6 * size }, { x: x + 0.35 * size, y: y + 0.8 * size }, { x: x + 0.65 * size, y: y + 0.8 * size }],
    pose: { yaw: 0, pitch: 0, roll: 0 },
    blink: { left: 0, right: 0 },
    mouth: { open: 0, smile: 0 },
    points: [],
  };
}

/** The student's own face in a 640×480 frame, as in the enrollment frames (200 px). */
const LIVE = face(220, 100, 200);
const ENROLLED = 200;
/** A card's portrait beside the student (35 px, on the left, lower half). */
const PORTRAIT = face(60, 300, 35);
/** The card check when every candidate lies on a card (the card check itself: cardAroundPortrait.test.ts). */
const ON_CARD = () => true;

function solid(width: number, height: number, rgb: [number, number, number]): Pixels {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i += 4) data.set([...rgb, 255], i);
  return { width, height, data };
}

describe('portraitWindows', () => {
  it('covers the whole frame with overlapping windows, the last row and column flush with the edges', () => {
    const windows = portraitWindows(640, 480, null);
    const covered = (x: number, y: number) => windows.some((w) => x >= w.x && x < w.x + w.width && y >= w.y && y < w.y + w.height);
    for (let y = 0; y < 480; y += 7) for (let x = 0; x < 640; x += 7) expect(covered(x, y), `${x},${y}`).toBe(true);
    expect(windows.every((w) => w.width === PORTRAIT_WINDOW_SIZE && w.x + w.width <= 640 && w.y + w.height <= 480)).toBe(true);
    expect(windows.some((w) => w.x + w.width === 640)).toBe(true);
    expect(windows.some((w) => w.y + w.height === 480)).toBe(true);
  });

  it('leaves out windows centred on the live face and searches the nearest first', () => {
    const all = portraitWindows(640, 480, null);
    const windows = portraitWindows(640, 480, LIVE);
    expect(windows.length).toBeLessThan(all.length);
    const inLive = (w: { x: number; y: number; width: number }) => {
      const cx = w.x + w.width / 2;
      const cy = w.y + w.width / 2;
      return cx >= LIVE.box.x && cx <= LIVE.box.x + 200 && cy >= LIVE.box.y && cy <= LIVE.box.y + 200;
    };
    expect(windows.some(inLive)).toBe(false);
    const distance = (w: { x: number; y: number; width: number }) => Math.hypot(w.x + w.width / 2 - 320, w.y + w.width / 2 - 200);
    const distances = windows.map(distance);
    expect(distances).toEqual([...distances].sort((a, b) => a - b));
  });

  it('fits a frame smaller than a window', () => {
    expect(portraitWindows(120, 100, null)).toEqual([{ x: 0, y: 0, width: 100, height: 100 }, { x: 20, y: 0, width: 100, height: 100 }]);
  });
});

describe('selectPortrait', () => {
  it('rejects a frame whose only face is the live face (no_card_face)', () => {
    expect(selectPortrait([LIVE], LIVE, ENROLLED, ON_CARD)).toEqual({ portrait: null, guidance: 'no_card_face' });
  });

  it('rejects the live face even when it is the only face and no live face was told apart (live scale)', () => {
    // The student alone, a little farther away than at enrollment: still far too big for a card.
    const farther = face(250, 120, 140);
    expect(liveFaceOf([farther], ENROLLED)).toBe(farther);
    expect(selectPortrait([farther], null, ENROLLED, ON_CARD)).toEqual({ portrait: null, guidance: 'no_card_face' });
  });

  it('picks the small printed face beside the live face', () => {
    expect(selectPortrait([LIVE, PORTRAIT], LIVE, ENROLLED, ON_CARD)).toEqual({ portrait: PORTRAIT });
    expect(liveFaceOf([LIVE, PORTRAIT], ENROLLED)).toBe(LIVE);
  });

  it('does not take a small face found on the live face (a window that cut the student’s face)', () => {
    const onLive = face(300, 180, 40);
    expect(selectPortrait([LIVE, onLive], LIVE, ENROLLED, ON_CARD)).toEqual({ portrait: null, guidance: 'no_card_face' });
  });

  it('takes the largest of several small faces (the most detail)', () => {
    const smaller = face(500, 320, 28);
    expect(selectPortrait([smaller, PORTRAIT], LIVE, ENROLLED, ON_CARD)).toEqual({ portrait: PORTRAIT });
  });

  it('bounds the portrait by the live face when the student is farther than at enrollment', () => {
    const far = face(260, 150, 80);
    const large = face(40, 300, 55); // 55 ≥ 0.6 × 80: as big as the student now: not a card
    expect(selectPortrait([far, large], far, ENROLLED, ON_CARD)).toEqual({ portrait: null, guidance: 'no_card_face' });
  });

  it('rejects a small face with no card around it (a person in the background): card_not_seen', () => {
    expect(selectPortrait([LIVE, PORTRAIT], LIVE, ENROLLED, () => false)).toEqual({ portrait: null, guidance: 'card_not_seen' });
  });

  it('takes the largest small face on a card, not a larger one with no card around it', () => {
    const background = face(480, 120, 44);
    const asked: DetectedFace[] = [];
    const onCard = (f: DetectedFace) => (asked.push(f), f === PORTRAIT);
    expect(selectPortrait([background, LIVE, PORTRAIT], LIVE, ENROLLED, onCard)).toEqual({ portrait: PORTRAIT });
    // Largest first, and never the live face.
    expect(asked).toEqual([background, PORTRAIT]);
  });

  it('never takes the live face, even if a card were seen around it', () => {
    expect(selectPortrait([LIVE], LIVE, ENROLLED, ON_CARD)).toEqual({ portrait: null, guidance: 'no_card_face' });
  });

  it('says card_not_seen rather than card_too_far for a tiny face with no card around it', () => {
    expect(selectPortrait([LIVE, face(60, 300, 20)], LIVE, ENROLLED, () => false)).toEqual({ portrait: null, guidance: 'card_not_seen' });
  });

  it('says card_too_far when the only portrait is too small to compare', () => {
    expect(selectPortrait([LIVE, face(60, 300, 20)], LIVE, ENROLLED, ON_CARD)).toEqual({ portrait: null, guidance: 'card_too_far' });
  });
});

describe('shiftFace', () => {
  it('moves the box and every point by the window origin', () => {
    const moved = shiftFace(PORTRAIT, 100, 50);
    expect(moved.box).toEqual({ x: 160, y: 350, width: 35, height: 35 });
    expect(moved.fivePoints[0]).toEqual({ x: PORTRAIT.fivePoints[0]!.x + 100, y: PORTRAIT.fivePoints[0]!.y + 50 });
    expect(faceSize(moved)).toBe(35);
  });
});

describe('glare and blur', () => {
  it('measures the washed-out fraction of a crop and reports card_glare above the limit', () => {
    const crop = solid(10, 10, [120, 110, 100]);
    expect(glareFraction(crop)).toBe(0);
    expect(portraitIssues(crop, 5)).toEqual([]);
    for (let i = 0; i < 20 * 4; i += 4) crop.data.set([250, 252, 255], i);
    expect(glareFraction(crop)).toBeCloseTo(0.2);
    expect(0.2).toBeGreaterThan(MAX_GLARE_FRACTION);
    expect(portraitIssues(crop, 5)).toEqual(['card_glare']);
  });

  it('reports hold_still for a portrait without detail', () => {
    expect(portraitIssues(solid(10, 10, [120, 110, 100]), 0.2)).toEqual(['hold_still']);
  });
});

describe('a document frame wider than the enrollment frames (searched scaled, aligned at full resolution)', () => {
  it('scaleFace maps a face of the scaled copy onto the full frame (pixel centres kept)', () => {
    const big = scaleFace(PORTRAIT, 2);
    expect(faceSize(big)).toBe(70);
    expect(big.box).toEqual({ x: 120.5, y: 600.5, width: 70, height: 70 });
    expect(big.fivePoints[0]).toEqual({ x: (PORTRAIT.fivePoints[0]!.x + 0.5) * 2 - 0.5, y: (PORTRAIT.fivePoints[0]!.y + 0.5) * 2 - 0.5 });
  });

  it('refineWindow is a square of a few face sizes centred on the portrait, kept inside the frame', () => {
    const portrait = face(600, 400, 70);
    const window = refineWindow(portrait, 1280, 720);
    expect(window.width).toBe(REFINE_WINDOW_FACES * 70);
    expect(window.height).toBe(window.width);
    expect(window.x + window.width / 2).toBeCloseTo(635, 0);
    expect(window.y + window.height / 2).toBeCloseTo(435, 0);
    // At the frame's corner the window moves inside; never larger than the frame.
    expect(refineWindow(face(0, 680, 70), 1280, 720)).toEqual({ x: 0, y: 440, width: 280, height: 280 });
    expect(refineWindow(face(0, 0, 400), 1280, 720).width).toBe(720);
  });

  it('sameFace keeps the face found again where the portrait was, of about its size; otherwise null', () => {
    const expected = face(600, 400, 70);
    const again = face(604, 398, 74);
    expect(sameFace([face(100, 100, 70), again], expected)).toBe(again);
    // Too far off, too big (the student's face), too small: not the portrait.
    expect(sameFace([face(650, 400, 70), face(560, 360, 200), face(620, 420, 30)], expected)).toBeNull();
    expect(sameFace([], expected)).toBeNull();
  });

  it('selectPortrait counts the eye distance in the full frame pixels the scaled copy stands for', () => {
    // Eyes 0.4 × size apart: a 28 px face has 11.2 px between the eyes, under the minimum at scale 1.
    const small = face(60, 300, 28);
    expect(0.4 * 28).toBeLessThan(MIN_PORTRAIT_EYE_DISTANCE);
    expect(selectPortrait([small], LIVE, ENROLLED, ON_CARD)).toEqual({ portrait: null, guidance: 'card_too_far' });
    expect(selectPortrait([small], LIVE, ENROLLED, ON_CARD, 2)).toEqual({ portrait: small });
  });
});
