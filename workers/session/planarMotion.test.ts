import { describe, expect, it } from 'vitest';
import { applyHomography, fitPlaneMotion, parallaxPoints, planarResidual, PARALLAX_LANDMARKS } from './planarMotion.js';
import type { Point } from '../stages/pixels.js';

/**
 * A rough face in inter-ocular units (x right, y down, z toward the camera), in the order of
 * PARALLAX_LANDMARKS: nose tip, nose base, bridge, glabella, eye corners, mouth, chin, forehead,
 * outline at the ears and along the jaw (set back from the eyes' plane).
 */
const FACE: readonly (readonly [number, number, number])[] = [
  [0, 0.75, 0.55], [0, 0.85, 0.4], [0, 0.15, 0.2], [0, 0, 0.15],
  [-0.5, 0, 0], [-0.15, 0, 0], [0.5, 0, 0], [0.15, 0, 0],
  [-0.35, 1.3, 0.05], [0.35, 1.3, 0.05], [0, 1.2, 0.15], [0, 1.45, 0.1],
  [0, 1.9, 0], [0, -0.9, 0.05],
  [-0.95, 0.3, -0.6], [0.95, 0.3, -0.6], [-0.95, 0.7, -0.5], [0.95, 0.7, -0.5],
  [-0.8, 1.3, -0.35], [0.8, 1.3, -0.35], [-0.55, 1.6, -0.2], [0.55, 1.6, -0.2],
];

/**
 * The face turned `yawDegrees` about a vertical axis through its eyes' plane (`flat`: every point
 * on that plane, as a photo of it), seen by a pinhole camera `distance` inter-ocular units away
 * with a focal length of `focal` pixels per unit at that distance.
 */
function project(yawDegrees: number, { flat = false, distance = 8, focal = 60 } = {}): Point[] {
  const t = (yawDegrees * Math.PI) / 180;
  return FACE.map(([x, y, z]) => {
    const depth = flat ? 0 : z;
    const xr = x * Math.cos(t) + depth * Math.sin(t);
    const zr = -x * Math.sin(t) + depth * Math.cos(t);
    const scale = (focal * distance) / (distance - zr);
    return { x: 320 + xr * scale, y: 240 + y * scale };
  });
}

describe('fitPlaneMotion', () => {
  it('recovers a homography from exact correspondences', () => {
    const h = [1.1, 0.05, 12, -0.03, 0.95, -7, 0.0004, -0.0002, 1];
    const from = FACE.map(([x, y]) => ({ x: 300 + 60 * x, y: 200 + 60 * y }));
    const to = from.map((p) => applyHomography(h, p));
    const fitted = fitPlaneMotion(from, to)!;
    for (const p of from) {
      const a = applyHomography(fitted, p);
      const b = applyHomography(h, p);
      expect(Math.hypot(a.x - b.x, a.y - b.y)).toBeLessThan(1e-6);
    }
  });

  it('needs at least 4 pairs of the same length', () => {
    expect(() => fitPlaneMotion([{ x: 0, y: 0 }], [{ x: 0, y: 0 }])).toThrow(TypeError);
    expect(() => fitPlaneMotion(project(0), project(0).slice(1))).toThrow(TypeError);
  });
});

describe('planarResidual', () => {
  it('is about 0 for a flat face turned as a sheet, close to the camera or far', () => {
    for (const yaw of [15, 30, -35]) {
      expect(planarResidual(project(0, { flat: true }), project(yaw, { flat: true }))).toBeLessThan(1e-6);
      expect(planarResidual(project(0, { flat: true, distance: 3 }), project(yaw, { flat: true, distance: 3 }))).toBeLessThan(1e-6);
    }
  });

  it('is far from 0 for a head turned 15° or more, either way', () => {
    for (const yaw of [15, 25, -20, -40]) expect(planarResidual(project(0), project(yaw))).toBeGreaterThan(0.03);
  });

  it('grows with the turn', () => {
    expect(planarResidual(project(0), project(30))).toBeGreaterThan(planarResidual(project(0), project(15)));
  });

  it('the affine fit absorbs a distant plane but not a head', () => {
    expect(planarResidual(project(0, { flat: true, distance: 40 }), project(30, { flat: true, distance: 40 }), 'affine')).toBeLessThan(0.01);
    expect(planarResidual(project(0), project(30), 'affine')).toBeGreaterThan(0.03);
  });
});

describe('parallaxPoints', () => {
  it('picks the fit landmarks out of a full mesh, or none from too few', () => {
    const mesh = Array.from({ length: 478 }, (_, i) => ({ x: i, y: -i }));
    expect(parallaxPoints(mesh)).toEqual(PARALLAX_LANDMARKS.map((i) => ({ x: i, y: -i })));
    expect(parallaxPoints(mesh.slice(0, 100))).toEqual([]);
  });
});
