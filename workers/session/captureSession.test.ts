import { describe, expect, it } from 'vitest';
import { ENROLLMENT_FRAME_SPACING_MS, ENROLLMENT_FRAMES, type CaptureProgress } from '../../src/protocol/capture.js';
import type { DetectedFace } from '../stages/detectFace.js';
import type { CapturePipeline } from './captureSession.js';
import { EnrollmentSession } from './enrollment.js';

function face(closed = false): DetectedFace {
  const eyes = closed ? 0.9 : 0.05;
  return {
    box: { x: 100, y: 80, width: 120, height: 150 },
    fivePoints: [],
    pose: { yaw: 0, pitch: 0, roll: 0 },
    blink: { left: eyes, right: eyes },
    mouth: { open: 0.02, smile: 0.1 },
    points: [],
  };
}

/** A pipeline that sees `faces()` in every frame, all good, a live passive score. */
function fakePipeline(faces: () => DetectedFace): CapturePipeline {
  const crop = { width: 1, height: 1, data: new Uint8ClampedArray(4) };
  return {
    analyze: async () => ({ quality: { ok: true, issues: [], hints: [] }, selection: { primary: faces(), comparable: [], background: [] }, crop, measures: null }),
    embed: async () => Float32Array.of(1, 0),
    embedView: async () => Float32Array.of(1, 0),
    passiveLiveness: async () => 0.99,
  } as unknown as CapturePipeline;
}

describe('CaptureSession prompting', () => {
  it('prompts the gesture only from the frame the challenge starts watching, so a gesture made at the prompt counts', async () => {
    let closed = false;
    const pipeline = fakePipeline(() => face(closed));
    const session = new EnrollmentSession({ audience: 'https://school.example', enrollmentId: 'e-1', nonce: 'n-1', retainUntilMs: Date.now() + 86_400_000, liveness: 'both' });
    const frame = {} as ImageBitmap;
    let t = 0;
    const submit = (): Promise<CaptureProgress> => session.submit(pipeline, frame, { mode: 'video', timestampMs: (t += ENROLLMENT_FRAME_SPACING_MS) });
    // While the good frames are collected: the number of gestures, no gesture asked yet.
    for (let i = 1; i < ENROLLMENT_FRAMES; i += 1) {
      const progress = await submit();
      expect(progress.collected).toBe(i);
      expect(progress.liveness).toEqual({ status: 'pending', steps: 1 });
    }
    // The frame that completes them is the challenge's first: the blink is asked now.
    const prompted = await submit();
    expect(prompted.collected).toBe(ENROLLMENT_FRAMES);
    expect(prompted.liveness).toMatchObject({ status: 'pending', step: 'blink', stepIndex: 0, steps: 1 });
    // A blink right after the prompt is seen: closed, then open again.
    closed = true;
    expect((await submit()).done).toBe(false);
    closed = false;
    const after = await submit();
    expect(after.done).toBe(true);
    expect(after.liveness).toEqual({ status: 'pending' });
  });
});
