import { describe, expect, it } from 'vitest';
import type { DetectedFace } from '../stages/detectFace.js';
import { IDENTITY_SAMPLE_SPACING_MS, LivenessSession, PASSIVE_LIVE_THRESHOLD, PASSIVE_SURE_THRESHOLD, challengeFrame, livenessPlan } from './livenessSession.js';
import { CHECK_CHALLENGE, ENROLLMENT_CHALLENGE, STEP_TIME_LIMIT_MS } from '../../src/protocol/liveness.js';

function face(options: { closed?: boolean; yaw?: number } = {}): DetectedFace {
  const eyes = options.closed ? 0.9 : 0.05;
  return {
    box: { x: 100, y: 80, width: 120, height: 150 },
    fivePoints: [],
    pose: { yaw: options.yaw ?? 0, pitch: 0, roll: 0 },
    blink: { left: eyes, right: eyes },
    mouth: { open: 0.02, smile: 0.1 },
    points: [],
  };
}

/** Feeds open, closed, open eyes: one blink, 100 ms apart from `start`. */
function blink(session: LivenessSession, start: number): void {
  [face(), face({ closed: true }), face()].forEach((f, i) => session.observe(f, start + i * 100));
}

describe('livenessPlan', () => {
  it('asks a check for the three gestures in random order and enrollment for one blink', () => {
    expect(livenessPlan('both', CHECK_CHALLENGE, () => 0.5)).toMatchObject({ passive: true });
    expect([...livenessPlan('both', CHECK_CHALLENGE).steps].sort()).toEqual(['blink', 'turn_left', 'turn_right']);
    expect(livenessPlan('both', ENROLLMENT_CHALLENGE)).toEqual({ passive: true, steps: ['blink'], extraStep: 'blink' });
    expect(livenessPlan('active', CHECK_CHALLENGE).passive).toBe(false);
    expect(livenessPlan('passive', CHECK_CHALLENGE)).toEqual({ passive: true, steps: [], extraStep: null });
    expect(livenessPlan('off', CHECK_CHALLENGE)).toEqual({ passive: false, steps: [], extraStep: null });
    expect(CHECK_CHALLENGE).toContain(livenessPlan('both', CHECK_CHALLENGE).extraStep);
  });
});

describe('challengeFrame', () => {
  it('gives the challenge the face centre, size, pose, eyes and mouth', () => {
    const frame = challengeFrame(face({ yaw: 20 }), 1234);
    expect(frame).toMatchObject({ timestampMs: 1234, yaw: 20, faceCenter: { x: 160, y: 155 }, faceSize: 150 });
    expect(frame.embedding).toBeUndefined();
  });
});

describe('LivenessSession', () => {
  it('is not run when the policy is off', () => {
    const session = new LivenessSession(livenessPlan('off', CHECK_CHALLENGE));
    expect(session.enabled).toBe(false);
    expect(session.progress()).toBeUndefined();
    expect(session.verdict()).toBe('not_run');
    expect(session.challengeDone).toBe(true);
  });

  it('passive: passes on a mean live score at the threshold, fails below, not run without scores', () => {
    const session = new LivenessSession(livenessPlan('passive', CHECK_CHALLENGE));
    expect(session.verdict()).toBe('not_run');
    session.addPassiveScore(PASSIVE_LIVE_THRESHOLD + 0.4);
    session.addPassiveScore(PASSIVE_LIVE_THRESHOLD - 0.4);
    expect(session.verdict()).toBe('passed');
    session.addPassiveScore(0);
    expect(session.verdict()).toBe('failed');
    session.clear();
    expect(session.verdict()).toBe('not_run');
  });

  it('both: a blink after the prompt and a live score pass; either one missing does not', () => {
    const session = new LivenessSession({ passive: true, steps: ['blink'], extraStep: 'blink' });
    expect(session.progress()).toEqual({ status: 'pending', step: 'blink', stepIndex: 0, steps: 1, alternativeAvailable: true });
    session.addPassiveScore(0.99);
    expect(session.verdict()).toBe('not_run');
    blink(session, 0);
    expect(session.challengeDone).toBe(true);
    expect(session.progress()).toEqual({ status: 'pending' });
    expect(session.verdict()).toBe('passed');

    const spoof = new LivenessSession({ passive: true, steps: ['blink'], extraStep: 'blink' });
    blink(spoof, 0);
    spoof.addPassiveScore(PASSIVE_LIVE_THRESHOLD / 2);
    expect(spoof.verdict()).toBe('failed');
  });

  it('both: a confident attack score fails at once, coded anti_spoof, once the good frames are in', () => {
    const session = new LivenessSession({ passive: true, steps: ['blink'], extraStep: 'blink' });
    session.addPassiveScore(PASSIVE_LIVE_THRESHOLD / 2);
    // Still collecting frames: nothing is decided yet.
    expect(session.failure).toBeNull();
    session.observe(face(), 0);
    expect(session.failure).toBe('anti_spoof');
    expect(session.progress()).toEqual({ status: 'failed', failure: 'anti_spoof' });
    // The challenge is not followed any more: a blink now changes nothing.
    blink(session, 100);
    expect(session.verdict()).toBe('failed');
  });

  it('both: a doubtful score asks for one more gesture instead of failing', () => {
    const doubtful = new LivenessSession({ passive: true, steps: ['blink'], extraStep: 'turn_left' });
    doubtful.addPassiveScore((PASSIVE_LIVE_THRESHOLD + PASSIVE_SURE_THRESHOLD) / 2);
    blink(doubtful, 0);
    expect(doubtful.failure).toBeNull();
    expect(doubtful.progress()).toMatchObject({ status: 'pending', step: 'turn_left', stepIndex: 1, steps: 2 });
    expect(doubtful.verdict()).toBe('not_run');
    [0, 5, 20, 20, 20].forEach((yaw, i) => doubtful.observe(face({ yaw }), 400 + i * 100));
    expect(doubtful.verdict()).toBe('passed');

    const sure = new LivenessSession({ passive: true, steps: ['blink'], extraStep: 'turn_left' });
    sure.addPassiveScore(PASSIVE_SURE_THRESHOLD);
    blink(sure, 0);
    expect(sure.verdict()).toBe('passed');
  });

  it('passive policy: a doubtful score passes (no gesture can be asked)', () => {
    const session = new LivenessSession(livenessPlan('passive', CHECK_CHALLENGE));
    session.addPassiveScore((PASSIVE_LIVE_THRESHOLD + PASSIVE_SURE_THRESHOLD) / 2);
    session.observe(face(), 0);
    expect(session.verdict()).toBe('passed');
  });

  it('fails when the gesture never comes, even with no face in view', () => {
    const session = new LivenessSession({ passive: false, steps: ['blink'], extraStep: 'blink' });
    session.observe(face(), 0);
    session.observe(null, STEP_TIME_LIMIT_MS + 100);
    expect(session.failure).toBe('step_timeout');
    expect(session.progress()).toEqual({ status: 'failed', failure: 'step_timeout' });
    expect(session.verdict()).toBe('failed');
  });

  it('asks for identity samples only while the challenge runs, at most once per spacing', () => {
    const session = new LivenessSession({ passive: false, steps: ['blink'], extraStep: 'blink' });
    expect(session.wantsIdentitySample(0)).toBe(true);
    session.observe(face(), 0, new Float32Array([1, 0]));
    expect(session.wantsIdentitySample(IDENTITY_SAMPLE_SPACING_MS - 1)).toBe(false);
    expect(session.wantsIdentitySample(IDENTITY_SAMPLE_SPACING_MS)).toBe(true);
    blink(session, 100);
    expect(session.wantsIdentitySample(10_000)).toBe(false);
    expect(new LivenessSession(livenessPlan('passive', CHECK_CHALLENGE)).wantsIdentitySample(0)).toBe(false);
  });

  it('asks for the face texture only while a head turn is asked, and wipes what no challenge takes', () => {
    const texture = () => ({ image: { width: 2, height: 1, data: new Float32Array([50, 60]) }, origin: { x: 0, y: 0 } });
    const session = new LivenessSession({ passive: false, steps: ['blink', 'turn_left'], extraStep: 'blink' });
    expect(session.wantsTexture).toBe(false);
    blink(session, 0);
    expect(session.wantsTexture).toBe(true);
    const lost = texture();
    session.observe(null, 400, undefined, lost);
    expect(Array.from(lost.image.data)).toEqual([0, 0]);
    expect(new LivenessSession(livenessPlan('passive', CHECK_CHALLENGE)).wantsTexture).toBe(false);
    const failed = new LivenessSession({ passive: true, steps: ['turn_left'], extraStep: 'blink' });
    failed.addPassiveScore(0);
    const refused = texture();
    failed.observe(face(), 0, undefined, refused);
    expect(failed.failure).toBe('anti_spoof');
    expect(Array.from(refused.image.data)).toEqual([0, 0]);
  });

  it('replaces a gesture on request, and says so when nothing is left', () => {
    const session = new LivenessSession({ passive: false, steps: ['blink'], extraStep: 'blink' });
    expect(session.useAlternative()).toBe(true);
    expect(session.progress()).toMatchObject({ step: 'open_mouth', alternativeAvailable: true });
    expect(session.useAlternative()).toBe(true);
    expect(session.progress()).toMatchObject({ step: 'smile', alternativeAvailable: false });
    expect(session.useAlternative()).toBe(false);
    expect(new LivenessSession(livenessPlan('passive', CHECK_CHALLENGE)).useAlternative()).toBe(false);
  });
});
