import { describe, expect, it } from 'vitest';
import { ActiveChallenge, DEFAULT_CHALLENGE_LIMITS, randomSteps, type ChallengeFrame, type ChallengeStep } from './activeChallenge.js';

const STEP_MS = 100;

/** A stream of frames at 10 fps from a list of (yaw, eyes closed) poses. */
function frames(poses: readonly { yaw?: number; closed?: boolean; x?: number; size?: number; embedding?: Float32Array }[], start = 0): ChallengeFrame[] {
  return poses.map((p, i) => ({
    timestampMs: start + i * STEP_MS,
    blink: p.closed ? { left: 0.8, right: 0.85 } : { left: 0.05, right: 0.08 },
    yaw: p.yaw ?? 0,
    faceCenter: { x: p.x ?? 320, y: 240 },
    faceSize: p.size ?? 200,
    ...(p.embedding ? { embedding: p.embedding } : {}),
  }));
}

const frontal = (n: number) => Array.from({ length: n }, () => ({}));
const blink = [...frontal(2), { closed: true }, { closed: true }, ...frontal(2)];
const turn = (yaw: number) => [...frontal(2), { yaw: yaw / 2 }, { yaw }, { yaw }, { yaw }, { yaw }, { yaw: yaw / 2 }, ...frontal(2)];
const GESTURES: Record<ChallengeStep, object[]> = { blink, turn_left: turn(30), turn_right: turn(-30) };

function run(challenge: ActiveChallenge, stream: ChallengeFrame[]) {
  let state = challenge.state;
  for (const frame of stream) state = challenge.observe(frame);
  return state;
}

describe('randomSteps', () => {
  it('returns the three steps in an order drawn from the random source', () => {
    const orders = new Set<string>();
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let i = 0; i < 200; i += 1) orders.add(randomSteps(random).join());
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
    const replay = frames([...turn(30), ...turn(-30), ...blink, ...frontal(120)]);
    expect(run(challenge, replay)).toMatchObject({ status: 'failed', reason: 'step_timeout' });
  });

  it('does not count a turn in the wrong direction, nor a head already turned when the prompt came', () => {
    const wrongWay = new ActiveChallenge(['turn_left']);
    expect(run(wrongWay, frames([...turn(-30), ...frontal(110)]))).toMatchObject({ status: 'failed', reason: 'step_timeout' });
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
    const photo = frames(frontal(Math.ceil(DEFAULT_CHALLENGE_LIMITS.stepTimeoutMs / STEP_MS) + 2));
    expect(run(challenge, photo)).toEqual({ status: 'failed', reason: 'step_timeout', step: 'blink' });
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
  });

  it('fails when the person changes during the challenge', () => {
    const a = new Float32Array([1, 0, 0]);
    const b = new Float32Array([0, 1, 0]);
    const challenge = new ActiveChallenge(['blink']);
    expect(run(challenge, frames([{ embedding: a }, { embedding: a }, { embedding: b }]))).toMatchObject({ status: 'failed', reason: 'face_changed' });
  });

  it('stays decided once passed or failed', () => {
    const challenge = new ActiveChallenge(['blink']);
    const passed = run(challenge, frames(blink));
    expect(passed).toEqual({ status: 'passed' });
    expect(challenge.observe(frames([{ x: 900 }], 10_000)[0]!)).toEqual({ status: 'passed' });
  });
});
