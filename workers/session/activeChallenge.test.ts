import { describe, expect, it } from 'vitest';
import { ActiveChallenge, DEFAULT_CHALLENGE_LIMITS, shuffledSteps, type ChallengeFrame, type ChallengeStep } from './activeChallenge.js';
import { CHECK_CHALLENGE } from '../../src/protocol/liveness.js';
import type { FaceTexture } from '../stages/faceTexture.js';

const STEP_MS = 100;

/** A stream of frames at 10 fps from a list of (yaw, eyes closed) poses. */
type Pose = { yaw?: number; closed?: boolean; eyes?: number; jaw?: number; smile?: number; x?: number; size?: number; embedding?: Float32Array };

function frames(poses: readonly Pose[], start = 0): ChallengeFrame[] {
  return poses.map((p, i) => ({
    timestampMs: start + i * STEP_MS,
    blink: p.eyes !== undefined ? { left: p.eyes, right: p.eyes } : p.closed ? { left: 0.8, right: 0.85 } : { left: 0.05, right: 0.08 },
    mouth: { open: p.jaw ?? 0.02, smile: p.smile ?? 0.1 },
    yaw: p.yaw ?? 0,
    faceCenter: { x: p.x ?? 320, y: 240 },
    faceSize: p.size ?? 200,
    ...(p.embedding ? { embedding: p.embedding } : {}),
  }));
}

const frontal = (n: number) => Array.from({ length: n }, () => ({}));
const blink = [...frontal(2), { closed: true }, { closed: true }, ...frontal(2)];
const turn = (yaw: number) => [...frontal(2), { yaw: yaw / 2 }, { yaw }, { yaw }, { yaw }, { yaw }, { yaw: yaw / 2 }, ...frontal(2)];
const hold = (pose: Pose) => [...frontal(2), pose, pose, pose, pose, ...frontal(2)];
const GESTURES: Record<ChallengeStep, Pose[]> = {
  blink,
  turn_left: turn(30),
  turn_right: turn(-30),
  open_mouth: hold({ jaw: 0.6 }),
  smile: hold({ smile: 0.8 }),
};
const stepFrames = Math.ceil(DEFAULT_CHALLENGE_LIMITS.stepTimeoutMs / STEP_MS) + 2;

function run(challenge: ActiveChallenge, stream: ChallengeFrame[]) {
  let state = challenge.state;
  for (const frame of stream) state = challenge.observe(frame);
  return state;
}

describe('shuffledSteps', () => {
  it("returns a check's three steps in an order drawn from the random source", () => {
    const orders = new Set<string>();
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let i = 0; i < 200; i += 1) orders.add(shuffledSteps(CHECK_CHALLENGE, random).join());
    expect(orders.size).toBe(6);
    for (const order of orders) expect(order.split(',').sort()).toEqual(['blink', 'turn_left', 'turn_right']);
  });
});

describe('ActiveChallenge', () => {
  it('passes when the gestures follow the prompts, in the asked order', () => {
    const steps: ChallengeStep[] = ['turn_right', 'blink', 'turn_left'];
    const challenge = new ActiveChallenge(steps);
    expect(challenge.state).toMatchObject({ status: 'in_progress', step: 'turn_right', stepIndex: 0 });
    const stream = frames(steps.flatMap((s) => GESTURES[s]));
    expect(run(challenge, stream)).toEqual({ status: 'passed' });
  });

  it('does not pass a replay that performs the same gestures in another order', () => {
    const challenge = new ActiveChallenge(['turn_right', 'turn_left', 'blink']);
    // The replay turns left first, then right, then blinks, then keeps looking ahead.
    const replay = frames([...turn(30), ...turn(-30), ...blink, ...frontal(stepFrames + 10)]);
    expect(run(challenge, replay)).toMatchObject({ status: 'failed', reason: 'step_timeout' });
  });

  it('does not count a turn in the wrong direction, nor a head already turned when the prompt came', () => {
    const wrongWay = new ActiveChallenge(['turn_left']);
    expect(run(wrongWay, frames([...turn(-30), ...frontal(stepFrames)]))).toMatchObject({ status: 'failed', reason: 'step_timeout' });
    const alreadyTurned = new ActiveChallenge(['turn_left']);
    expect(run(alreadyTurned, frames(Array.from({ length: 30 }, () => ({ yaw: 30 }))))).toMatchObject({ status: 'in_progress' });
  });

  it('needs the turn held for a moment, not a single noisy frame', () => {
    const challenge = new ActiveChallenge(['turn_left']);
    const flicker = frames([...frontal(2), { yaw: 30 }, ...frontal(2), { yaw: 30 }, ...frontal(2)]);
    expect(run(challenge, flicker)).toMatchObject({ status: 'in_progress' });
  });

  it('does not pass a photo: no blink ever comes, and the step times out', () => {
    const challenge = new ActiveChallenge(['blink']);
    const photo = frames(frontal(stepFrames));
    expect(run(challenge, photo)).toEqual({ status: 'failed', reason: 'step_timeout', step: 'blink' });
  });

  it('judges a blink against the student’s own resting eyes, not a fixed level', () => {
    // Eyes that rest at 0.45 (lowered or narrow eyes): a rise to 0.8 and back is a blink…
    const narrow = new ActiveChallenge(['blink']);
    expect(run(narrow, frames([{ eyes: 0.45 }, { eyes: 0.48 }, { eyes: 0.8 }, { eyes: 0.46 }]))).toEqual({ status: 'passed' });
    // …but a small wobble above 0.5 is not.
    const wobble = new ActiveChallenge(['blink']);
    expect(run(wobble, frames([{ eyes: 0.45 }, { eyes: 0.55 }, { eyes: 0.45 }, { eyes: 0.56 }, { eyes: 0.44 }]))).toMatchObject({ status: 'in_progress' });
  });

  it('counts the first blink after the prompt for eyes that rest above the closed-eye level', () => {
    // anit-spoofing/real.mov rests at 0.5–0.7: its first blink after the prompt must count, not
    // only the one after it (both eyes above 0.5 at rest used to keep the step from starting).
    const resting = new ActiveChallenge(['blink']);
    expect(run(resting, frames([{ eyes: 0.62 }, { eyes: 0.6 }, { eyes: 0.95 }, { eyes: 0.61 }]))).toEqual({ status: 'passed' });
    // A blink already under way at the prompt does not count: the rise is measured from the eyes' lowest level since.
    const underWay = new ActiveChallenge(['blink']);
    expect(run(underWay, frames([{ eyes: 0.95 }, { eyes: 0.9 }, { eyes: 0.6 }, { eyes: 0.62 }]))).toMatchObject({ status: 'in_progress' });
  });

  it('needs open eyes before the blink, so closed eyes from the start do not count', () => {
    const challenge = new ActiveChallenge(['blink']);
    expect(run(challenge, frames([{ closed: true }, { closed: true }, { closed: true }]))).toMatchObject({ status: 'in_progress' });
  });

  it('fails on a jump of the face between frames (a cut or a swapped photo)', () => {
    const challenge = new ActiveChallenge(['blink']);
    expect(run(challenge, frames([{}, {}, { x: 320 + 150 }]))).toMatchObject({ status: 'failed', reason: 'face_jump' });
    const zoom = new ActiveChallenge(['blink']);
    expect(run(zoom, frames([{}, { size: 320 }]))).toMatchObject({ status: 'failed', reason: 'face_jump' });
    // The same move over a long gap between frames (a slow device) is natural movement.
    const slow = new ActiveChallenge(['blink']);
    expect(run(slow, [...frames([{}]), ...frames([{ x: 320 + 150 }], 1_000)])).toMatchObject({ status: 'in_progress' });
  });

  it('fails when the person changes during the challenge', () => {
    const a = new Float32Array([1, 0, 0]);
    const b = new Float32Array([0, 1, 0]);
    const challenge = new ActiveChallenge(['blink']);
    // One odd sample (a bad crop) is tolerated; two in a row are another person.
    expect(run(challenge, frames([{ embedding: a }, { embedding: a }, { embedding: b }]))).toMatchObject({ status: 'in_progress' });
    expect(run(challenge, frames([{ embedding: a }, { embedding: b }, { embedding: b }], 300))).toMatchObject({ status: 'failed', reason: 'face_changed' });
  });

  it('stays decided once passed or failed', () => {
    const challenge = new ActiveChallenge(['blink']);
    const passed = run(challenge, frames(blink));
    expect(passed).toEqual({ status: 'passed' });
    expect(challenge.observe(frames([{ x: 900 }], 10_000)[0]!)).toEqual({ status: 'passed' });
  });

  it('offers an alternative to a gesture the student cannot make, with a fresh time limit', () => {
    const challenge = new ActiveChallenge(['blink', 'turn_left']);
    // 8 s without a blink, then the student asks for another gesture.
    expect(run(challenge, frames(frontal(80)))).toMatchObject({ status: 'in_progress', step: 'blink' });
    expect(challenge.useAlternative()).toBe(true);
    expect(challenge.state).toMatchObject({ status: 'in_progress', step: 'open_mouth', steps: 2 });
    // The alternative gets its own time: 8 more seconds do not time it out.
    expect(run(challenge, frames(frontal(80), 8_000))).toMatchObject({ status: 'in_progress', step: 'open_mouth' });
    expect(run(challenge, frames([...GESTURES.open_mouth, ...GESTURES.turn_left], 16_000))).toEqual({ status: 'passed' });
  });

  it('replaces every remaining head turn when the student cannot turn, and runs out of alternatives after that', () => {
    const challenge = new ActiveChallenge(['turn_right', 'blink', 'turn_left']);
    expect(challenge.alternativeAvailable).toBe(true);
    expect(challenge.useAlternative()).toBe(true);
    expect(challenge.steps).toEqual(['open_mouth', 'blink', 'smile']);
    expect(challenge.alternativeAvailable).toBe(false);
    expect(challenge.useAlternative()).toBe(false);
    expect(run(challenge, frames([...GESTURES.open_mouth, ...GESTURES.blink, ...GESTURES.smile]))).toEqual({ status: 'passed' });
  });

  it('drops a turn that no alternative is left to cover instead of leaving a dead end', () => {
    const challenge = new ActiveChallenge(['blink', 'turn_left', 'turn_right']);
    challenge.useAlternative(); // blink → open_mouth
    run(challenge, frames(GESTURES.open_mouth));
    expect(challenge.state).toMatchObject({ step: 'turn_left', stepIndex: 1 });
    expect(challenge.useAlternative()).toBe(true);
    expect(challenge.steps).toEqual(['open_mouth', 'smile']);
  });

  it('needs a neutral mouth before the mouth gestures, and the gesture held', () => {
    const open = new ActiveChallenge(['open_mouth']);
    expect(run(open, frames(Array.from({ length: 10 }, () => ({ jaw: 0.6 }))))).toMatchObject({ status: 'in_progress' });
    const smile = new ActiveChallenge(['smile']);
    expect(run(smile, frames([...frontal(2), { smile: 0.8 }, ...frontal(2)]))).toMatchObject({ status: 'in_progress' });
  });

  it('keeps the time limit running while no face is seen, and keeps a gesture going through a lost face', () => {
    const timedOut = new ActiveChallenge(['blink']);
    run(timedOut, frames(frontal(2)));
    expect(timedOut.tick(DEFAULT_CHALLENGE_LIMITS.stepTimeoutMs + 500)).toMatchObject({ status: 'failed', reason: 'step_timeout' });
    // A turn so far that the detector loses the face, then comes back still turned: held, and no jump.
    const far = new ActiveChallenge(['turn_left']);
    run(far, frames([...frontal(2), { yaw: 40 }]));
    far.tick(300);
    far.tick(400);
    expect(run(far, frames([{ yaw: 45, x: 600 }], 500))).toEqual({ status: 'passed' });
  });
});

describe('ActiveChallenge: planar motion of turns', () => {
  /** Landmarks of a face turned `yaw` degrees: a head (nose before the outline) or a flat sheet. */
  function landmarks(yaw: number, flat: boolean) {
    const t = (yaw * Math.PI) / 180;
    // Nose tip and bridge, eye corners, mouth corners, chin, outline (x, y, depth), 60 px a unit.
    const face: [number, number, number][] = [
      [0, 0.75, 0.55], [0, 0.15, 0.2], [-0.5, 0, 0], [-0.15, 0, 0], [0.5, 0, 0], [0.15, 0, 0],
      [-0.35, 1.3, 0.05], [0.35, 1.3, 0.05], [0, 1.9, 0], [-0.95, 0.3, -0.6], [0.95, 0.3, -0.6], [-0.8, 1.3, -0.35],
    ];
    return face.map(([x, y, z]) => {
      const depth = flat ? 0 : z;
      return { x: 320 + 60 * (x * Math.cos(t) + depth * Math.sin(t)), y: 240 + 60 * y };
    });
  }
  // planarResidual takes the outer eye corners at positions 4 and 6 of its points: lay them out so.
  const order = [0, 1, 3, 5, 2, 6, 4, 7, 8, 9, 10, 11];
  const withLandmarks = (stream: ChallengeFrame[], flat: boolean) =>
    stream.map((f) => ({ ...f, parallax: order.map((i) => landmarks(f.yaw, flat)[i]!) }));

  it('passes a head turn, fails the same turn of a flat sheet as planar_motion', () => {
    expect(run(new ActiveChallenge(['turn_left']), withLandmarks(frames(turn(30)), false))).toEqual({ status: 'passed' });
    expect(run(new ActiveChallenge(['turn_left']), withLandmarks(frames(turn(30)), true))).toEqual({ status: 'failed', reason: 'planar_motion', step: 'turn_left' });
  });

  it('does not judge a turn without landmarks', () => {
    expect(run(new ActiveChallenge(['turn_right']), frames(turn(-30)))).toEqual({ status: 'passed' });
  });

  describe('by the texture', () => {
    /** A texture of one grey level per frame (the fake measure below reads nothing but the call). */
    const texture = (): FaceTexture => ({ image: { width: 2, height: 2, data: new Float32Array(4).fill(90) }, origin: { x: 0, y: 0 } });
    const withTextures = (stream: ChallengeFrame[]) => stream.map((f) => ({ ...f, texture: texture() }));
    const measuring = (value: number | null) => new ActiveChallenge(['turn_left'], DEFAULT_CHALLENGE_LIMITS, undefined, () => value);

    it('fails a turn whose texture moved as a sheet, though the landmarks moved as a head', () => {
      const stream = withTextures(withLandmarks(frames(turn(30)), false));
      expect(run(measuring(DEFAULT_CHALLENGE_LIMITS.minTextureParallax / 3), stream)).toEqual({ status: 'failed', reason: 'planar_motion', step: 'turn_left' });
    });

    it('passes a turn whose texture shows a head, though the mesh moved its landmarks as a plane', () => {
      const stream = withTextures(withLandmarks(frames(turn(30)), true));
      expect(run(measuring(DEFAULT_CHALLENGE_LIMITS.minTextureParallax * 3), stream)).toEqual({ status: 'passed' });
    });

    it('judges by the landmarks when the texture could not be followed', () => {
      const stream = withTextures(withLandmarks(frames(turn(30)), true));
      expect(run(measuring(null), stream)).toEqual({ status: 'failed', reason: 'planar_motion', step: 'turn_left' });
    });

    it('compares each turned frame with the last frontal one, and wipes every texture it was given', () => {
      const calls: [FaceTexture, FaceTexture][] = [];
      const challenge = new ActiveChallenge(['turn_left', 'blink'], DEFAULT_CHALLENGE_LIMITS, undefined, (frontal, _f, turned) => {
        calls.push([frontal, turned]);
        expect(frontal.image.data[0]).toBe(90);
        return 0.05;
      });
      // Turned the wrong way for four frames, then the right way for three: only the first three turned frames are compared.
      const stream = withTextures(withLandmarks(frames([...frontal(2), ...Array.from({ length: 4 }, () => ({ yaw: -20 })), { yaw: 30 }, { yaw: 30 }, { yaw: 30 }, ...blink]), false));
      expect(run(challenge, stream)).toEqual({ status: 'passed' });
      // Each against the second frontal frame, the last one before the turn.
      expect(calls.map(([frontal, turned]) => [stream.findIndex((f) => f.texture === frontal), stream.findIndex((f) => f.texture === turned)])).toEqual([
        [1, 2],
        [1, 3],
        [1, 4],
      ]);
      for (const frame of stream) expect(Array.from(frame.texture.image.data)).toEqual([0, 0, 0, 0]);
    });
  });
});

describe('ActiveChallenge.extend', () => {
  it('asks one more gesture after the planned ones', () => {
    const challenge = new ActiveChallenge(['blink']);
    challenge.extend('turn_left');
    expect(challenge.steps).toEqual(['blink', 'turn_left']);
    expect(run(challenge, frames(blink))).toMatchObject({ status: 'in_progress', step: 'turn_left', stepIndex: 1, steps: 2 });
    expect(run(challenge, frames(turn(30), 1000))).toEqual({ status: 'passed' });
  });

  it('after a swapped gesture, asks an alternative not used yet instead', () => {
    const challenge = new ActiveChallenge(['turn_left', 'blink']);
    challenge.useAlternative();
    challenge.extend('turn_right');
    expect(challenge.steps).toEqual(['open_mouth', 'blink', 'smile']);
  });
});
