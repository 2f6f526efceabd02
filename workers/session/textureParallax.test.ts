import { describe, expect, it } from 'vitest';
import type { Point } from '../stages/pixels.js';
import { applyHomography, eyeSpan, PARALLAX_LANDMARKS, type Homography } from './planarMotion.js';
import type { FaceTexture } from '../stages/faceTexture.js';
import { textureParallax } from './textureParallax.js';
import { MIN_TEXTURE_PARALLAX } from './activeChallenge.js';

const WIDTH = 320;
const HEIGHT = 320;

/** A smooth random texture (sums of blobs), like skin with its features at a webcam's scale. */
function texture(seed: number): (x: number, y: number) => number {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const blobs = Array.from({ length: 400 }, () => ({ x: random() * WIDTH, y: random() * HEIGHT, r: 2 + random() * 6, a: (random() - 0.5) * 120 }));
  return (x, y) => 128 + blobs.reduce((sum, b) => sum + b.a * Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (2 * b.r * b.r)), 0);
}

/** Renders the frame whose pixel q shows the texture at `source(q)`. */
function render(paint: (x: number, y: number) => number, source: (q: Point) => Point): FaceTexture {
  const data = new Float32Array(WIDTH * HEIGHT);
  for (let y = 0; y < HEIGHT; y += 1) {
    for (let x = 0; x < WIDTH; x += 1) {
      const p = source({ x, y });
      data[y * WIDTH + x] = paint(p.x, p.y);
    }
  }
  return { image: { width: WIDTH, height: HEIGHT, data }, origin: { x: 0, y: 0 } };
}

/** 22 landmarks laid out like a face centred in the frame, eyes 80 px apart (PARALLAX_LANDMARKS order). */
function facePoints(): Point[] {
  const at: Record<number, Point> = {
    1: { x: 160, y: 175 }, 4: { x: 160, y: 168 }, 6: { x: 160, y: 140 }, 168: { x: 160, y: 128 },
    33: { x: 120, y: 135 }, 133: { x: 145, y: 136 }, 263: { x: 200, y: 135 }, 362: { x: 175, y: 136 },
    61: { x: 137, y: 205 }, 291: { x: 183, y: 205 }, 0: { x: 160, y: 198 }, 17: { x: 160, y: 215 },
    152: { x: 160, y: 250 }, 10: { x: 160, y: 75 }, 234: { x: 95, y: 140 }, 454: { x: 225, y: 140 },
    93: { x: 97, y: 165 }, 323: { x: 223, y: 165 }, 132: { x: 103, y: 195 }, 361: { x: 217, y: 195 },
    58: { x: 115, y: 222 }, 288: { x: 205, y: 222 },
  };
  return PARALLAX_LANDMARKS.map((i) => at[i]!);
}

/** A sheet turned about 25° about the vertical axis through the face, seen in perspective. */
const TURN: Homography = (() => {
  const t = (25 * Math.PI) / 180;
  const f = 400;
  // Plane x-rotation seen by a pinhole camera at distance f: H = K·[r1 r2 t]·K⁻¹ around the centre.
  const c = 160;
  const h = [Math.cos(t), 0, 0, 0, 1, 0, -Math.sin(t) / f, 0, 1];
  const shift = (m: number[], dx: number, dy: number) => [
    m[0]! + dx * m[6]!, m[1]! + dx * m[7]!, m[2]! + dx * m[8]! - (m[0]! + dx * m[6]!) * dx - (m[1]! + dx * m[7]!) * dy,
    m[3]! + dy * m[6]!, m[4]! + dy * m[7]!, m[5]! + dy * m[8]! - (m[3]! + dy * m[6]!) * dx - (m[4]! + dy * m[7]!) * dy,
    m[6]!, m[7]!, m[8]! - m[6]! * dx - m[7]! * dy,
  ];
  const out = shift(h, c, c);
  return out.map((v) => v / out[8]!);
})();

function invert(h: Homography): Homography {
  const [a, b, c, d, e, f, g, k, l] = h as [number, number, number, number, number, number, number, number, number];
  const m = [e * l - f * k, c * k - b * l, b * f - c * e, f * g - d * l, a * l - c * g, c * d - a * f, d * k - e * g, b * g - a * k, a * e - b * d];
  return m.map((v) => v / m[8]!);
}

describe('textureParallax', () => {
  const paint = texture(7);
  const frontalPoints = facePoints();
  const frontal = render(paint, (q) => q);
  const back = invert(TURN);
  const turnedPoints = frontalPoints.map((p) => applyHomography(TURN, p));

  it('finds a turned sheet flat: its texture moves as one homography', () => {
    const turned = render(paint, (q) => applyHomography(back, q));
    const residual = textureParallax(frontal, frontalPoints, turned, turnedPoints);
    expect(residual).not.toBeNull();
    expect(residual!).toBeLessThan(0.01);
  });

  it('finds a sheet bent about a vertical axis a sheet too: its texture moves along x by a smooth warp', () => {
    // Frontal (x, y) goes to x + 0.08·x²/u + 0.03·x³/u² and y·(1 + 0.1·x/u), x and y from the face's centre (u: 80 px).
    const c = { x: 160, y: 160 };
    const u = eyeSpan(frontalPoints);
    const forward = (p: Point): Point => {
      const x = (p.x - c.x) / u;
      const y = (p.y - c.y) / u;
      return { x: c.x + u * (x + 0.08 * x * x + 0.03 * x ** 3), y: c.y + u * y * (1 + 0.1 * x) };
    };
    const backward = (q: Point): Point => {
      const target = (q.x - c.x) / u;
      let x = target;
      for (let i = 0; i < 8; i += 1) x -= (x + 0.08 * x * x + 0.03 * x ** 3 - target) / (1 + 0.16 * x + 0.09 * x * x);
      return { x: c.x + u * x, y: c.y + (q.y - c.y) / (1 + 0.1 * x) };
    };
    const turned = render(paint, backward);
    const residual = textureParallax(frontal, frontalPoints, turned, frontalPoints.map(forward));
    expect(residual).not.toBeNull();
    expect(residual!).toBeLessThan(0.01);
  });

  it('sees the parallax of a nose that moves against the cheeks, even when the mesh says plane', () => {
    // The texture near the nose moves 0.15 inter-ocular distances further than the plane would take it.
    const unit = eyeSpan(frontalPoints);
    const nose = frontalPoints[PARALLAX_LANDMARKS.indexOf(4)]!;
    const turned = render(paint, (q) => {
      const p = applyHomography(back, q);
      const weight = Math.exp(-((p.x - nose.x) ** 2 + (p.y - nose.y) ** 2) / (2 * (0.35 * unit) ** 2));
      return { x: p.x - 0.15 * unit * weight, y: p.y };
    });
    const residual = textureParallax(frontal, frontalPoints, turned, turnedPoints);
    expect(residual).not.toBeNull();
    expect(residual!).toBeGreaterThan(MIN_TEXTURE_PARALLAX);
  });

  it('gives no residual when the face has no texture to follow', () => {
    const flat = render(() => 128, (q) => q);
    expect(textureParallax(flat, frontalPoints, flat, turnedPoints)).toBeNull();
  });
});
