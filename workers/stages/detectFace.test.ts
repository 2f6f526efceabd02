import { describe, expect, it } from 'vitest';
import type { LandmarkObservation } from '../runtime/mediapipe.js';
import { COMPARABLE_FACE_RATIO, headPose, selectFace, toDetectedFace, type DetectedFace } from './detectFace.js';

/** A fake face: 478 landmarks spread over a square box, with the five key points placed by hand. */
function observation(cx: number, cy: number, size: number, matrix: number[] | null = identity()): LandmarkObservation {
  const landmarks = Array.from({ length: 478 }, (_, i) => ({
    x: cx + ((i % 22) / 21 - 0.5) * size,
    y: cy + (Math.floor(i / 22) / 21 - 0.5) * size,
    z: 0,
  }));
  return { landmarks, blendshapes: { eyeBlinkLeft: 0.1, eyeBlinkRight: 0.9 }, matrix };
}

function identity(): number[] {
  return [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
}

/** Column-major rotation about the vertical axis by `degrees`. */
function yawMatrix(degrees: number): number[] {
  const r = (degrees * Math.PI) / 180;
  return [Math.cos(r), 0, -Math.sin(r), 0, 0, 1, 0, 0, Math.sin(r), 0, Math.cos(r), 0, 0, 0, 0, 1];
}

function face(cx: number, cy: number, size: number): DetectedFace {
  return toDetectedFace(observation(cx / 1000, cy / 1000, size / 1000), 1000, 1000);
}

describe('toDetectedFace', () => {
  it('converts normalised landmarks to pixel centres and boxes', () => {
    const f = toDetectedFace(observation(0.5, 0.5, 0.2), 640, 480);
    expect(f.box.x).toBeCloseTo(0.4 * 640 - 0.5, 6);
    expect(f.box.width).toBeCloseTo(0.2 * 640, 6);
    expect(f.box.height).toBeCloseTo(0.2 * 480, 6);
    expect(f.fivePoints).toHaveLength(5);
    expect(f.points).toHaveLength(478);
    expect(f.blink).toEqual({ left: 0.1, right: 0.9 });
  });
});

describe('headPose', () => {
  const leftEye = { x: 100, y: 100 };
  it('reads yaw from the matrix, positive toward the image right', () => {
    expect(headPose(yawMatrix(30), leftEye, { x: 200, y: 100 }).yaw).toBeCloseTo(30, 6);
    expect(headPose(yawMatrix(-12), leftEye, { x: 200, y: 100 }).yaw).toBeCloseTo(-12, 6);
    expect(headPose(identity(), leftEye, { x: 200, y: 100 })).toMatchObject({ yaw: 0, pitch: 0 });
  });
  it('reads roll from the eye line', () => {
    expect(headPose(identity(), leftEye, { x: 200, y: 200 }).roll).toBeCloseTo(45, 6);
  });
  it('reports an unknown pose as NaN when there is no matrix', () => {
    expect(headPose(null, leftEye, { x: 200, y: 100 }).yaw).toBeNaN();
  });
});

describe('selectFace', () => {
  it('returns null without faces', () => {
    expect(selectFace([], 1000, 1000)).toBeNull();
  });

  it('picks the face nearest the centre, as LFW intends', () => {
    const centre = face(480, 520, 300);
    const corner = face(150, 150, 320);
    const selection = selectFace([corner, centre], 1000, 1000)!;
    expect(selection.primary).toBe(centre);
    expect(selection.comparable).toEqual([corner]);
  });

  it('treats a much smaller second face as a background face, a comparable one as another person', () => {
    const student = face(500, 500, 400);
    const background = face(850, 200, 400 * (COMPARABLE_FACE_RATIO - 0.1));
    const neighbour = face(150, 500, 400 * (COMPARABLE_FACE_RATIO + 0.05));
    const withBackground = selectFace([student, background], 1000, 1000)!;
    expect(withBackground.comparable).toHaveLength(0);
    expect(withBackground.background).toEqual([background]);
    const withNeighbour = selectFace([student, neighbour, background], 1000, 1000)!;
    expect(withNeighbour.comparable).toEqual([neighbour]);
    expect(withNeighbour.background).toEqual([background]);
  });

  it('counts a larger off-centre face as comparable even when a small face is nearest the centre', () => {
    const small = face(500, 500, 100);
    const large = face(200, 300, 400);
    const selection = selectFace([large, small], 1000, 1000)!;
    expect(selection.primary).toBe(small);
    expect(selection.comparable).toEqual([large]);
  });
});
