import { createHash } from 'node:crypto';
import { seededRandom } from '../tools/seededRandom.js';
import { describe, expect, it } from 'vitest';
import type { Pixels } from '../workers/stages/pixels.js';
import {
  CARD_MM,
  CARD_RANGES,
  DEGRADATIONS,
  applyHomography,
  blur,
  cardFrame,
  defocusBlurPx,
  FRAME_JITTER,
  GUIDED_DISTANCE_CM,
  WEBCAM_OPTICS,
  cardCorners,
  cardParams,
  downscale,
  homography,
  pxPerMm,
  seedOf,
  synthesizeCardFrames,
  synthesizeCardScene,
  withoutDegradations,
} from './cardSynthesis.js';

/** A deterministic test photo: a bright oval "face" on a dark background, with texture. */
function photo(size = 120): Pixels {
  const data = new Uint8ClampedArray(size * size * 4);
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      const inFace = ((x - size / 2) / (size * 0.25)) ** 2 + ((y - size / 2) / (size * 0.32)) ** 2 < 1;
      const v = inFace ? 180 + ((x * 7 + y * 13) % 40) : 40 + ((x + y) % 20);
      data.set([v, v * 0.8, v * 0.7, 255], (y * size + x) * 4);
    }
  }
  return { width: size, height: size, data };
}

function grey(width: number, height: number, level: number): Pixels {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i += 4) data.set([level, level, level, 255], i);
  return { width, height, data };
}

const digest = (image: Pixels) => createHash('sha256').update(image.data).digest('hex');

describe('card parameters', () => {
  it('are the same for the same seed and differ between seeds', () => {
    expect(cardParams(42)).toEqual(cardParams(42));
    expect(cardParams(42)).not.toEqual(cardParams(43));
    expect(seedOf('a.jpg|b.jpg')).toBe(seedOf('a.jpg|b.jpg'));
    expect(seedOf('a.jpg|b.jpg')).not.toBe(seedOf('b.jpg|a.jpg'));
    const random = seededRandom(7);
    const values = Array.from({ length: 1000 }, random);
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(Math.abs(values.reduce((s, v) => s + v, 0) / 1000 - 0.5)).toBeLessThan(0.05);
  });

  it('stay within the ranges the issue asks for (25–40 cm, tilt up to ±20°, JPEG, glare)', () => {
    for (let seed = 0; seed < 500; seed += 1) {
      const p = cardParams(seed);
      expect(p.distanceCm).toBeGreaterThanOrEqual(25);
      expect(p.distanceCm).toBeLessThanOrEqual(40);
      expect(Math.abs(p.yaw)).toBeLessThanOrEqual(CARD_RANGES.tiltDegrees);
      expect(Math.abs(p.pitch)).toBeLessThanOrEqual(CARD_RANGES.tiltDegrees);
      expect(p.jpegQuality).toBeGreaterThanOrEqual(0.6);
      expect(p.jpegQuality).toBeLessThanOrEqual(0.9);
      expect(p.glare.strength).toBeGreaterThan(0);
      for (const g of p.cast) expect(Math.abs(g - 1)).toBeLessThanOrEqual(CARD_RANGES.colourCast);
    }
  });
});

describe('geometry', () => {
  it('puts a printed face of about 20 mm at 27–50 px from 25–40 cm on a 640 px webcam', () => {
    expect(pxPerMm(25, 640)).toBeCloseTo(2.217, 2);
    expect(20 * pxPerMm(40, 640)).toBeGreaterThan(27);
    expect(22 * pxPerMm(25, 640)).toBeLessThan(50);
  });

  it('solves the homography that maps four corners onto four others', () => {
    const from = [{ x: 0, y: 0 }, { x: 100, y: 0 }, { x: 100, y: 60 }, { x: 0, y: 60 }];
    const to = [{ x: 10, y: 20 }, { x: 130, y: 5 }, { x: 120, y: 90 }, { x: 15, y: 70 }];
    const h = homography(from, to);
    from.forEach((p, i) => {
      const q = applyHomography(h, p);
      expect(q.x).toBeCloseTo(to[i]!.x, 6);
      expect(q.y).toBeCloseTo(to[i]!.y, 6);
    });
  });

  it('projects an untilted card as a rectangle of the card’s size at its distance', () => {
    const p = { ...cardParams(1), yaw: 0, pitch: 0, roll: 0, distanceCm: 30 };
    const [tl, tr, br, bl] = cardCorners(p, 640, 480);
    const scale = pxPerMm(30, 640);
    expect(tr!.x - tl!.x).toBeCloseTo(CARD_MM.width * scale, 6);
    expect(bl!.y - tl!.y).toBeCloseTo(CARD_MM.height * scale, 6);
    expect(br!.x).toBeCloseTo(tr!.x, 6);
  });

  it('keeps the card in the frame, beside the face, for every seed', () => {
    for (let seed = 0; seed < 300; seed += 1) {
      const corners = cardCorners(cardParams(seed), 640, 480);
      const cx = corners.reduce((s, c) => s + c.x, 0) / 4;
      expect(cx < 200 || cx > 440, `seed ${seed}`).toBe(true);
      for (const c of corners) {
        expect(c.x).toBeGreaterThan(-20);
        expect(c.x).toBeLessThan(660);
        expect(c.y).toBeLessThan(480 + 40);
      }
    }
  });
});

describe('a card held where the guidance asks (15–25 cm)', () => {
  it('draws its distance from the guided range, the other parameters unchanged', () => {
    for (let seed = 0; seed < 200; seed += 1) {
      const guided = cardParams(seed, GUIDED_DISTANCE_CM);
      expect(guided.distanceCm).toBeGreaterThanOrEqual(15);
      expect(guided.distanceCm).toBeLessThanOrEqual(25);
      const { distanceCm: _a, ...rest } = guided;
      const { distanceCm: _b, ...unguided } = cardParams(seed);
      expect(rest).toEqual(unguided);
    }
  });

  it('stays whole in the frame even when it is too wide to fit beside the face', () => {
    for (let seed = 0; seed < 200; seed += 1) {
      // Only a tilted card's nearer corners may stick out, by a small part of its width.
      const xs = cardCorners(cardParams(seed, [12, 15]), 640, 480).map((c) => c.x);
      const width = Math.max(...xs) - Math.min(...xs);
      expect(Math.min(...xs), `seed ${seed}`).toBeGreaterThan(-0.15 * width);
      expect(Math.max(...xs), `seed ${seed}`).toBeLessThan(640 + 0.15 * width);
    }
  });

  it('is defocused more the closer it is to a fixed-focus webcam, not at all at the focus distance', () => {
    expect(defocusBlurPx(WEBCAM_OPTICS.focusCm)).toBe(0);
    const radii = [40, 30, 25, 20, 15].map((d) => defocusBlurPx(d));
    for (let i = 1; i < radii.length; i += 1) expect(radii[i]!).toBeGreaterThan(radii[i - 1]!);
    // About a pixel at 15 cm: a visible but not a dominant blur at 640×480.
    expect(radii.at(-1)!).toBeGreaterThan(0.8);
    expect(radii.at(-1)!).toBeLessThan(1.5);
    // The same sensor read at 1280 px across: smaller pixels, so the same blur spans twice as many.
    expect(defocusBlurPx(15, 1280)).toBeCloseTo(2 * defocusBlurPx(15), 10);
  });
});

describe('degradations', () => {
  it('blur keeps a flat image flat and smooths an edge', () => {
    expect(digest(blur(grey(20, 10, 90), 1.3))).toBe(digest(grey(20, 10, 90)));
    const edge = grey(20, 1, 0);
    for (let x = 10; x < 20; x += 1) edge.data.set([255, 255, 255, 255], x * 4);
    const soft = blur(edge, 1);
    expect(soft.data[9 * 4]!).toBeGreaterThan(0);
    expect(soft.data[9 * 4]!).toBeLessThan(255);
  });

  it('downscale averages whole blocks', () => {
    const image = grey(4, 2, 0);
    image.data.set([200, 200, 200, 255], 0);
    const small = downscale(image, 2);
    expect(small.width).toBe(2);
    expect(small.data[0]).toBe(50);
  });
});

describe('synthesizeCardScene', () => {
  const scene = grey(640, 480, 128);

  // Pure CPU work (two full scenes): generous under a loaded shared machine; nothing is timed.
  it('is deterministic from the seed', { timeout: 60_000 }, () => {
    const a = synthesizeCardScene(photo(), scene, cardParams(5));
    const b = synthesizeCardScene(photo(), scene, cardParams(5));
    const c = synthesizeCardScene(photo(), scene, cardParams(6));
    expect(digest(a.frame)).toBe(digest(b.frame));
    expect(digest(a.frame)).not.toBe(digest(c.frame));
  });

  it('draws the card only around its corners and leaves the student’s side of the frame alone', () => {
    const params = cardParams(9);
    const { frame, portraitWidthPx } = synthesizeCardScene(photo(), scene, params);
    expect(frame.width).toBe(640);
    const corners = cardCorners(params, 640, 480);
    const minX = Math.min(...corners.map((c) => c.x)) - 12;
    const maxX = Math.max(...corners.map((c) => c.x)) + 12;
    let changedOutside = 0;
    let changedInside = 0;
    for (let y = 0; y < 480; y += 3) {
      for (let x = 0; x < 640; x += 3) {
        const changed = frame.data[(y * 640 + x) * 4] !== 128;
        if (x < minX || x > maxX) changedOutside += Number(changed);
        else changedInside += Number(changed);
      }
    }
    expect(changedOutside).toBe(0);
    expect(changedInside).toBeGreaterThan(500);
    expect(portraitWidthPx).toBeGreaterThan(25);
    expect(portraitWidthPx).toBeLessThan(50);
    // The input scene is not modified.
    expect(scene.data[0]).toBe(128);
  });
});

describe('withoutDegradations (benchmark ablation)', () => {
  it('leaves the drawn parameters alone when nothing is switched off', () => {
    expect(withoutDegradations(cardParams(7), [])).toEqual(cardParams(7));
  });

  it('switches off only what it is asked to, keeping the portrait’s distance and place', () => {
    const drawn = cardParams(7);
    const none = withoutDegradations(drawn, DEGRADATIONS);
    expect(none.cast).toEqual([1, 1, 1]);
    expect([none.printBlurPx, none.cameraBlurPx, none.noiseSigma, none.glare.strength]).toEqual([0, 0, 0, 0]);
    expect([none.yaw, none.pitch, none.roll]).toEqual([0, 0, 0]);
    expect(none.jpegQuality).toBe(1);
    expect(none.defocus).toBe(false);
    expect([none.distanceCm, none.side, none.centreY, none.seed]).toEqual([drawn.distanceCm, drawn.side, drawn.centreY, drawn.seed]);
    const castOnly = withoutDegradations(drawn, ['cast']);
    expect(castOnly).toEqual({ ...drawn, cast: [1, 1, 1] });
  });

  it('without defocus the card frame is sharper, and unchanged by the other switches’ absence', { timeout: 60_000 }, () => {
    const scene = grey(640, 480, 128);
    const drawn = { ...cardParams(11), distanceCm: 20, cameraBlurPx: 0 };
    const defocused = synthesizeCardScene(photo(), scene, drawn).frame;
    const sharp = synthesizeCardScene(photo(), scene, withoutDegradations(drawn, ['defocus'])).frame;
    const same = synthesizeCardScene(photo(), scene, withoutDegradations(drawn, [])).frame;
    expect(digest(same)).toBe(digest(defocused));
    // Sum of horizontal differences: an edge measure that blur lowers.
    const edges = (image: Pixels) => {
      let sum = 0;
      for (let i = 4; i < image.data.length; i += 4) sum += Math.abs(image.data[i]! - image.data[i - 4]!);
      return sum;
    };
    expect(edges(sharp)).toBeGreaterThan(edges(defocused));
  });
});

describe('the camera frames of one held card', () => {
  it('frame 0 is the card as drawn: no jitter, the drawn camera blur, glare and noise', () => {
    const params = cardParams(21);
    const first = cardFrame(params, 0);
    expect([first.shiftMm.x, first.shiftMm.y, first.yaw, first.pitch, first.roll]).toEqual([0, 0, 0, 0, 0]);
    expect(first.cameraBlurPx).toBe(params.cameraBlurPx);
    expect(first.glare).toEqual({ u: params.glare.u, v: params.glare.v });
    expect(cardCorners(params, 640, 480, first)).toEqual(cardCorners(params, 640, 480));
  });

  it('are deterministic from the card’s seed and the frame index, and differ from frame to frame', () => {
    const params = cardParams(33);
    const frames = [0, 1, 2, 3, 4, 5].map((k) => cardFrame(params, k));
    expect([0, 1, 2, 3, 4, 5].map((k) => cardFrame(cardParams(33), k))).toEqual(frames);
    expect(new Set(frames.map((f) => f.noiseSeed)).size).toBe(frames.length);
    expect(new Set(frames.map((f) => `${f.shiftMm.x},${f.yaw}`)).size).toBe(frames.length);
    // Another card's frame 1 is not this card's frame 1.
    expect(cardFrame(cardParams(34), 1).noiseSeed).not.toBe(frames[1]!.noiseSeed);
    expect(() => cardFrame(params, -1)).toThrow(TypeError);
    expect(() => cardFrame(params, 1.5)).toThrow(TypeError);
  });

  it('vary only within a held card’s jitter; the glare follows the tilt (2δ·d over the card)', () => {
    for (let seed = 0; seed < 100; seed += 1) {
      const params = cardParams(seed, [25, 35]);
      for (let k = 1; k < 6; k += 1) {
        const f = cardFrame(params, k);
        expect(Math.abs(f.shiftMm.x)).toBeLessThanOrEqual(FRAME_JITTER.shiftMm);
        expect(Math.abs(f.shiftMm.y)).toBeLessThanOrEqual(FRAME_JITTER.shiftMm);
        expect(Math.abs(f.yaw)).toBeLessThanOrEqual(FRAME_JITTER.tiltDegrees);
        expect(Math.abs(f.pitch)).toBeLessThanOrEqual(FRAME_JITTER.tiltDegrees);
        expect(Math.abs(f.roll)).toBeLessThanOrEqual(FRAME_JITTER.rollDegrees);
        expect(f.cameraBlurPx).toBeGreaterThanOrEqual(CARD_RANGES.cameraBlurPx[0]);
        expect(f.cameraBlurPx).toBeLessThanOrEqual(CARD_RANGES.cameraBlurPx[1]);
        const expectedU = params.glare.u + (2 * f.yaw * (Math.PI / 180) * params.distanceCm * 10 - f.shiftMm.x) / CARD_MM.width;
        expect(f.glare.u).toBeCloseTo(expectedU, 10);
        // At most 2 · 1.5° · 35 cm + 2 mm: about a quarter of the card's width.
        expect(Math.abs(f.glare.u - params.glare.u)).toBeLessThan(0.25);
        // The card stays where it was held: its corners move by a few px at 640×480.
        const before = cardCorners(params, 640, 480);
        const after = cardCorners(params, 640, 480, f);
        for (let i = 0; i < 4; i += 1) expect(Math.hypot(after[i]!.x - before[i]!.x, after[i]!.y - before[i]!.y)).toBeLessThan(12);
      }
    }
  });

  it('keep what an ablation switched off off in every frame', () => {
    const params = withoutDegradations(cardParams(8), ['camera-blur', 'tilt']);
    for (let k = 0; k < 4; k += 1) {
      const f = cardFrame(params, k);
      expect(f.cameraBlurPx).toBe(0);
      expect([f.yaw, f.pitch, f.roll]).toEqual([0, 0, 0]);
    }
  });

  it('film the same printed card: frame k is synthesizeCardScene’s frame k, each frame its own pixels', { timeout: 120_000 }, () => {
    const scene = grey(640, 480, 128);
    const params = cardParams(12, [25, 35], 'left');
    const { frames, portraitWidthPx } = synthesizeCardFrames(photo(), scene, params, 3);
    expect(frames).toHaveLength(3);
    expect(digest(frames[0]!)).toBe(digest(synthesizeCardScene(photo(), scene, params).frame));
    expect(digest(frames[2]!)).toBe(digest(synthesizeCardScene(photo(), scene, params, cardFrame(params, 2)).frame));
    expect(new Set(frames.map(digest)).size).toBe(3);
    expect(portraitWidthPx).toBe(synthesizeCardScene(photo(), scene, params).portraitWidthPx);
    // Two frames of one card differ far less than the same frame of two cards (another print, pose, place).
    const meanAbs = (a: Pixels, b: Pixels) => {
      let sum = 0;
      for (let i = 0; i < a.data.length; i += 4) sum += Math.abs(a.data[i]! - b.data[i]!);
      return sum / (a.data.length / 4);
    };
    const other = synthesizeCardScene(photo(), scene, cardParams(13, [25, 35], 'left')).frame;
    expect(meanAbs(frames[0]!, frames[1]!)).toBeLessThan(0.5 * meanAbs(frames[0]!, other));
    expect(() => synthesizeCardFrames(photo(), scene, params, 0)).toThrow(TypeError);
  });
});
