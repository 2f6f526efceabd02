import { describe, expect, it } from 'vitest';
import { assessQuality, DEFAULT_QUALITY_LIMITS, measureCrop, type CropMeasures } from './assessQuality.js';
import type { DetectedFace, FaceSelection } from './detectFace.js';
import { createPixels } from './pixels.js';

function face(size: number, yaw = 0, pitch = 0): DetectedFace {
  return {
    box: { x: 10, y: 10, width: size, height: size },
    fivePoints: [],
    pose: { yaw, pitch, roll: 0 },
    blink: { left: 0, right: 0 }, mouth: { open: 0, smile: 0 },
    points: [],
  };
}

const good: CropMeasures = { brightness: 120, contrast: 40, sharpness: 200 };
const only = (primary: DetectedFace): FaceSelection => ({ primary, comparable: [], background: [] });

describe('assessQuality', () => {
  it('passes a good frame', () => {
    expect(assessQuality(only(face(200)), good)).toEqual({ ok: true, issues: [], hints: [] });
  });

  it('reports no_face', () => {
    expect(assessQuality(null, null)).toEqual({ ok: false, issues: ['no_face'], hints: [] });
  });

  it('reports multiple_faces for a comparable second face, only a hint for a background face', () => {
    const two = assessQuality({ primary: face(200), comparable: [face(180)], background: [] }, good);
    expect(two).toEqual({ ok: false, issues: ['multiple_faces'], hints: [] });
    const background = assessQuality({ primary: face(200), comparable: [], background: [face(40)] }, good);
    expect(background).toEqual({ ok: true, issues: [], hints: ['background_face'] });
  });

  it('gates face size and head pose, failing a missing pose', () => {
    expect(assessQuality(only(face(DEFAULT_QUALITY_LIMITS.minFaceSize - 1)), good).issues).toEqual(['face_too_small']);
    expect(assessQuality(only(face(200, 40)), good).issues).toEqual(['head_turned']);
    expect(assessQuality(only(face(200, 0, -30)), good).issues).toEqual(['head_turned']);
    expect(assessQuality(only(face(200, Number.NaN)), good).issues).toEqual(['head_turned']);
  });

  it('gates brightness, contrast and sharpness', () => {
    const issues = (m: Partial<CropMeasures>) => assessQuality(only(face(200)), { ...good, ...m }).issues;
    expect(issues({ brightness: 20 })).toEqual(['too_dark']);
    expect(issues({ brightness: 240 })).toEqual(['too_bright']);
    expect(issues({ contrast: 5 })).toEqual(['low_contrast']);
    expect(issues({ sharpness: 2 })).toEqual(['blurry']);
  });

  it('passes a fair face in soft, even light, still failing a washed-out one', () => {
    const issues = (m: Partial<CropMeasures>) => assessQuality(only(face(200)), { ...good, ...m }).issues;
    // The face region of a well-lit frontal webcam clip measured 14–15 (liveportrait/d19).
    expect(issues({ brightness: 118, contrast: 14 })).toEqual([]);
    expect(issues({ brightness: 180, contrast: 8 })).toEqual(['low_contrast']);
  });
});

describe('measureCrop', () => {
  function crop(fill: (x: number, y: number) => number) {
    const image = createPixels(112, 112);
    for (let y = 0; y < 112; y += 1) {
      for (let x = 0; x < 112; x += 1) {
        const v = fill(x, y);
        image.data.set([v, v, v, 255], (y * 112 + x) * 4);
      }
    }
    return image;
  }

  it('measures a flat grey crop as no contrast and no sharpness', () => {
    const m = measureCrop(crop(() => 100));
    expect(m.brightness).toBeCloseTo(100, 3);
    expect(m.contrast).toBeCloseTo(0, 3);
    expect(m.sharpness).toBeCloseTo(0, 3);
  });

  it('finds a fine checkerboard sharper than a smooth ramp of the same contrast', () => {
    const checker = measureCrop(crop((x, y) => ((x + y) % 2 ? 160 : 80)));
    const ramp = measureCrop(crop((x) => 80 + (80 * (x - 20)) / 72));
    expect(checker.brightness).toBeCloseTo(120, 0);
    expect(checker.sharpness).toBeGreaterThan(100 * ramp.sharpness);
    expect(ramp.contrast).toBeGreaterThan(15);
  });
});
