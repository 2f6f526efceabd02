import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../tools/seededRandom.js';
import { applyHomography, cardCorners, cardParams, CARD_MM, homography, PORTRAIT_MM, PORTRAIT_SOURCE_CROP, synthesizeCardScene, type CardParams } from '../../testing/cardSynthesis.js';
import type { DetectedFace } from './detectFace.js';
import { findCardAround, type GrayImage } from './cardAroundPortrait.js';
import { toGray, type Pixels, type Point } from './pixels.js';

/** The search copy's size (a 1280×720 document frame searched at 640 px). */
const W = 640;
const H = 360;

/** A deterministic photo: a bright textured oval face with darker hair above it, on a mid background. */
function photo(size = 160): Pixels {
  const data = new Uint8ClampedArray(size * size * 4);
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      const u = (x - size / 2) / (size * 0.25);
      const v = (y - size / 2) / (size * 0.32);
      const inFace = u * u + v * v < 1;
      const inHair = !inFace && u * u + ((y - size * 0.42) / (size * 0.36)) ** 2 < 1.15 && y < size / 2;
      const eye = inFace && Math.abs(v + 0.25) < 0.1 && Math.abs(Math.abs(u) - 0.4) < 0.18;
      const level = eye ? 50 : inFace ? 170 + ((x * 7 + y * 13) % 30) : inHair ? 60 : 120 + ((x + 2 * y) % 16);
      data.set([level, level * 0.85, level * 0.75, 255], (y * size + x) * 4);
    }
  }
  return { width: size, height: size, data };
}

function plain(level = 126): Pixels {
  const data = new Uint8ClampedArray(W * H * 4);
  for (let i = 0; i < data.length; i += 4) data.set([level, level - 3, level - 8, 255], i);
  return { width: W, height: H, data };
}

/** A busy room: seeded boxes and bars of every grey, some tilted, plus noise. */
function cluttered(seed: number): Pixels {
  const image = plain();
  const random = seededRandom(seed);
  for (let n = 0; n < 60; n += 1) {
    const [cx, cy, w, h] = [random() * W, random() * H, 6 + random() * 90, 6 + random() * 70];
    const angle = (random() - 0.5) * 0.8;
    const level = random() * 255;
    const [c, s] = [Math.cos(angle), Math.sin(angle)];
    for (let y = Math.max(0, Math.floor(cy - 80)); y < Math.min(H, cy + 80); y += 1) {
      for (let x = Math.max(0, Math.floor(cx - 80)); x < Math.min(W, cx + 80); x += 1) {
        const u = (x - cx) * c + (y - cy) * s;
        const v = -(x - cx) * s + (y - cy) * c;
        if (Math.abs(u) < w / 2 && Math.abs(v) < h / 2) image.data.set([level, level, level], (y * W + x) * 4);
      }
    }
  }
  for (let i = 0; i < image.data.length; i += 4) {
    const g = (random() - 0.5) * 8;
    for (let c = 0; c < 3; c += 1) image.data[i + c] = image.data[i + c]! + g;
  }
  return image;
}

const grayOf = (image: Pixels): GrayImage => ({ width: image.width, height: image.height, data: toGray(image) });

/** A face as the landmarker reports it: box `width` wide (1.15× as tall) centred on `centre`, eyes level with a `roll`. */
function faceAt(centre: Point, width: number, roll = 0): DetectedFace {
  const height = 1.15 * width;
  const at = (dx: number, dy: number) => ({ x: centre.x + dx * Math.cos(roll) - dy * Math.sin(roll), y: centre.y + dx * Math.sin(roll) + dy * Math.cos(roll) });
  return {
    box: { x: centre.x - width / 2, y: centre.y - height / 2, width, height },
    fivePoints: [at(-0.2 * width, -0.15 * height), at(0.2 * width, -0.15 * height), at(0, 0.05 * height), at(-0.15 * width, 0.25 * height), at(0.15 * width, 0.25 * height)],
    pose: { yaw: 0, pitch: 0, roll: 0 },
    blink: { left: 0, right: 0 },
    mouth: { open: 0, smile: 0 },
    points: [],
  };
}

/**
 * The card's portrait face as the landmarker would box it: the photo's face centre on the card
 * (mm), projected into the frame, 20 mm wide (about 0.75 of the printed photo's width, as LFW's faces).
 */
function portraitFace(params: CardParams): DetectedFace {
  const toFrame = homography(
    [
      { x: 0, y: 0 },
      { x: CARD_MM.width, y: 0 },
      { x: CARD_MM.width, y: CARD_MM.height },
      { x: 0, y: CARD_MM.height },
    ],
    cardCorners(params, W, H),
  );
  const crop = PORTRAIT_SOURCE_CROP;
  const centreMm = { x: PORTRAIT_MM.x + ((0.5 - crop.x) / crop.width) * PORTRAIT_MM.width, y: PORTRAIT_MM.y + ((0.5 - crop.y) / crop.height) * PORTRAIT_MM.height };
  const centre = applyHomography(toFrame, centreMm);
  const right = applyHomography(toFrame, { x: centreMm.x + 10, y: centreMm.y });
  return faceAt(centre, 2 * Math.hypot(right.x - centre.x, right.y - centre.y), Math.atan2(right.y - centre.y, right.x - centre.x));
}

/** A card held as the guidance asks (25–35 cm), on the left of the raw frame, with its drawn tilt, glare and noise. */
function cardScene(seed: number, background: Pixels = plain()): { frame: Pixels; face: DetectedFace; params: CardParams } {
  const params = cardParams(seed, [25, 35], 'left');
  const { frame } = synthesizeCardScene(photo(), background, params);
  return { frame, face: portraitFace(params), params };
}

/**
 * A person far behind the student: `photo`'s face and hair blended into the scene with a soft
 * edge (no card, no outline), its face `width` px wide, centred on `centre`.
 */
function backgroundPerson(scene: Pixels, centre: Point, width: number): { frame: Pixels; face: DetectedFace } {
  const source = photo();
  const frame: Pixels = { width: scene.width, height: scene.height, data: new Uint8ClampedArray(scene.data) };
  // The photo's face is half its width: scale so that it is `width` px.
  const scale = width / (0.5 * source.width);
  const radius = 0.55 * source.width * scale;
  for (let y = Math.max(0, Math.floor(centre.y - radius)); y < Math.min(H, centre.y + radius); y += 1) {
    for (let x = Math.max(0, Math.floor(centre.x - radius)); x < Math.min(W, centre.x + radius); x += 1) {
      const d = Math.hypot(x - centre.x, (y - centre.y) * 0.85) / radius;
      if (d >= 1) continue;
      const alpha = d < 0.6 ? 1 : 1 - (d - 0.6) / 0.4;
      const sx = Math.min(source.width - 1, Math.max(0, Math.round(source.width / 2 + (x - centre.x) / scale)));
      const sy = Math.min(source.height - 1, Math.max(0, Math.round(source.height / 2 + (y - centre.y) / scale)));
      for (let c = 0; c < 3; c += 1) {
        const i = (y * W + x) * 4 + c;
        frame.data[i] = frame.data[i]! * (1 - alpha) + source.data[(sy * source.width + sx) * 4 + c]! * alpha;
      }
    }
  }
  return { frame, face: faceAt(centre, width) };
}

describe('findCardAround', () => {
  it('finds the synthesised card around its portrait at every drawn tilt, roll and glare', () => {
    const seeds = Array.from({ length: 16 }, (_, i) => 1000 + 7919 * i);
    const found = seeds.filter((seed) => {
      const { frame, face } = cardScene(seed);
      return findCardAround(grayOf(frame), face) !== null;
    });
    expect(found).toEqual(seeds);
  });

  it('finds a card tilted 20° on both axes and rolled 10°, with strong glare, on a cluttered background', () => {
    const base = cardParams(42, [25, 35], 'left');
    const params: CardParams = { ...base, yaw: 20, pitch: -20, roll: 10, glare: { u: 0.5, v: 0.2, radius: 0.3, strength: 0.8 } };
    const { frame } = synthesizeCardScene(photo(), cluttered(7), params);
    const card = findCardAround(grayOf(frame), portraitFace(params));
    expect(card).not.toBeNull();
    // The outline found lies on the card (its edges, or the header band's and the photo's inside it).
    const corners = cardCorners(params, W, H);
    const inside = (p: Point) =>
      corners.every((a, i) => {
        const b = corners[(i + 1) % 4]!;
        return ((b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x)) / Math.hypot(b.x - a.x, b.y - a.y) > -4;
      });
    for (const corner of card!.corners) expect(inside(corner), JSON.stringify(corner)).toBe(true);
    expect(Math.min(...card!.support.filter((_, i) => i !== card!.inferredSide))).toBeGreaterThanOrEqual(0.5);
  });

  it('finds a card whose far side is lost against a background of its own colour, placing that side by the card’s shape', () => {
    const params: CardParams = { ...cardParams(77, [25, 35], 'left'), cardColour: [205, 205, 205], glare: { u: 0, v: 0, radius: 0.12, strength: 0.3 } };
    const corners = cardCorners(params, W, H);
    // A wall of the card's own grey from a little inside the card's far side to the frame's edge.
    const wall = plain();
    const from = Math.min(corners[1]!.x, corners[2]!.x) - 4;
    for (let y = 0; y < H; y += 1) for (let x = Math.floor(from); x < W; x += 1) wall.data.set([205, 205, 205], (y * W + x) * 4);
    const { frame } = synthesizeCardScene(photo(), wall, params);
    const card = findCardAround(grayOf(frame), portraitFace(params));
    expect(card?.inferredSide).toBe(1);
  });

  it('finds no card around a person in the background, on a plain wall or in a busy room', () => {
    const places = [
      { x: 110, y: 230 },
      { x: 150, y: 120 },
      { x: 520, y: 250 },
    ];
    for (const [i, place] of places.entries()) {
      for (const scene of [plain(), cluttered(100 + i), cluttered(200 + i)]) {
        for (const width of [28, 36, 46]) {
          const { frame, face } = backgroundPerson(scene, place, width);
          expect(findCardAround(grayOf(frame), face), `${place.x},${place.y} ${width} px`).toBeNull();
        }
      }
    }
  });

  it('finds no card around a face beside a door frame, between a shelf above and a table edge below (lines that run on past any corner)', () => {
    const room = plain(110);
    // A door frame's edge from top to bottom of the frame, 0.8 face widths left of the face; a
    // shelf and a table edge across the whole width, 1.3 face widths above and below it.
    const [cx, cy, width] = [200, 190, 36];
    for (let y = 0; y < H; y += 1) for (let x = 0; x < W; x += 1) {
      const door = x < cx - 0.8 * width;
      const shelf = Math.abs(y - (cy - 1.3 * width)) < 3;
      const table = y > cy + 1.3 * width;
      const level = door ? 200 : shelf ? 40 : table ? 170 : 110;
      room.data.set([level, level, level], (y * W + x) * 4);
    }
    const { frame, face } = backgroundPerson(room, { x: cx, y: cy }, width);
    expect(findCardAround(grayOf(frame), face)).toBeNull();
  });

  it('finds no card around the same portrait once the card is gone (the photo alone, softly blended)', () => {
    const { face } = cardScene(1000);
    const width = face.box.width;
    const { frame } = backgroundPerson(plain(), { x: face.box.x + width / 2, y: face.box.y + face.box.height / 2 }, width);
    expect(findCardAround(grayOf(frame), face)).toBeNull();
  });

  it('finds no card around a face printed on a square photo (the wrong shape)', () => {
    const scene = plain();
    const source = photo(80);
    for (let y = 0; y < 80; y += 1) for (let x = 0; x < 80; x += 1) scene.data.set(source.data.subarray((y * 80 + x) * 4, (y * 80 + x) * 4 + 4), ((140 + y) * W + 100 + x) * 4);
    expect(findCardAround(grayOf(scene), faceAt({ x: 140, y: 180 }, 30))).toBeNull();
  });
});
