/**
 * Active liveness: a short challenge in random order (blink, turn left, turn right), each step
 * with a generous time limit, judged from MediaPipe's blendshapes and head pose. A step only counts
 * when it happens after its prompt, starting from a frontal, open-eyed face, so a replayed video
 * that repeats the same gestures in a fixed order does not pass. During the challenge the face must
 * move naturally (no jumps between frames) and stay the same person (frame embeddings agree).
 */
import { cosineSimilarity, DEFAULT_MATCH_THRESHOLD } from './compareTemplates.js';
import type { Point } from './pixels.js';

/** A gesture asked of the student. Turns are the student's own left and right. */
export type ChallengeStep = 'blink' | 'turn_left' | 'turn_right';

/** Why a challenge failed. */
export type ChallengeFailure = 'step_timeout' | 'face_jump' | 'face_changed';

/** What the challenge needs from one frame (all measured inside the worker). */
export interface ChallengeFrame {
  readonly timestampMs: number;
  /** `eyeBlinkLeft` / `eyeBlinkRight` blendshape scores, 0 open … 1 closed. */
  readonly blink: { readonly left: number; readonly right: number };
  /** Degrees; positive when the face turns toward the image's right (the student's left, camera not mirrored). */
  readonly yaw: number;
  readonly faceCenter: Point;
  /** Longer side of the face box, pixels. */
  readonly faceSize: number;
  /** Unit embedding of the frame, when the caller computed one. */
  readonly embedding?: Float32Array;
}

/** Where the challenge stands after a frame. */
export type ChallengeState =
  | { readonly status: 'in_progress'; readonly step: ChallengeStep; readonly stepIndex: number; readonly steps: number }
  | { readonly status: 'passed' }
  | { readonly status: 'failed'; readonly reason: ChallengeFailure; readonly step?: ChallengeStep };

/** Thresholds of the challenge; see {@link DEFAULT_CHALLENGE_LIMITS}. */
export interface ChallengeLimits {
  /** Time allowed per step after its prompt. Generous: students must not feel rushed. */
  readonly stepTimeoutMs: number;
  /** Both eyes above this count as closed, below {@link ChallengeLimits.eyesOpenBelow} as open. */
  readonly eyesClosedAbove: number;
  readonly eyesOpenBelow: number;
  /** A turn: |yaw| at least this, for at least `turnHoldMs`, in the asked direction. */
  readonly turnDegrees: number;
  readonly turnHoldMs: number;
  /** Frontal enough to start a step. */
  readonly frontalDegrees: number;
  /** Largest move of the face centre between consecutive frames, in face sizes. */
  readonly maxJump: number;
  /** Largest change of face size between consecutive frames (ratio). */
  readonly maxScaleChange: number;
}

/**
 * Defaults. Blink thresholds follow the measurement in ../shared/faces/SOURCES.md (both eyes above
 * 0.5 to close, below 0.35 to reopen); a 15° turn held 0.2 s is what the live clips there show;
 * 10 s per step leaves room for a slow or hesitant student.
 */
export const DEFAULT_CHALLENGE_LIMITS: ChallengeLimits = {
  stepTimeoutMs: 10_000,
  eyesClosedAbove: 0.5,
  eyesOpenBelow: 0.35,
  turnDegrees: 15,
  turnHoldMs: 200,
  frontalDegrees: 10,
  maxJump: 0.5,
  maxScaleChange: 1.5,
};

/** The three steps in an order drawn from `random` (Fisher–Yates). */
export function randomSteps(random: () => number = Math.random): ChallengeStep[] {
  const steps: ChallengeStep[] = ['blink', 'turn_left', 'turn_right'];
  for (let i = steps.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [steps[i], steps[j]] = [steps[j]!, steps[i]!];
  }
  return steps;
}

/** Progress inside one step. */
interface StepProgress {
  startedAt: number;
  /** The face was frontal with open eyes after the prompt: the gesture may start. */
  ready: boolean;
  eyesClosed: boolean;
  turnSince: number | null;
}

/** One challenge run. Feed it every analysed frame in order. */
export class ActiveChallenge {
  private index = 0;
  private progress: StepProgress | null = null;
  private previous: ChallengeFrame | null = null;
  private reference: Float32Array | null = null;
  private finished: ChallengeState | null = null;

  constructor(
    readonly steps: readonly ChallengeStep[],
    private readonly limits: ChallengeLimits = DEFAULT_CHALLENGE_LIMITS,
    private readonly matchThreshold: number = DEFAULT_MATCH_THRESHOLD,
  ) {
    if (steps.length === 0) throw new TypeError('ActiveChallenge needs at least one step');
  }

  /** The state now, without a new frame (e.g. for the prompt shown before the first frame). */
  get state(): ChallengeState {
    return this.finished ?? { status: 'in_progress', step: this.steps[this.index]!, stepIndex: this.index, steps: this.steps.length };
  }

  /** Judges one frame. After `passed` or `failed` the state no longer changes. */
  observe(frame: ChallengeFrame): ChallengeState {
    if (this.finished) return this.finished;
    const failure = this.unnatural(frame) ?? this.otherPerson(frame);
    this.previous = frame;
    if (failure) return this.finish({ status: 'failed', reason: failure, step: this.steps[this.index]! });
    this.progress ??= { startedAt: frame.timestampMs, ready: false, eyesClosed: false, turnSince: null };
    if (this.stepDone(this.steps[this.index]!, this.progress, frame)) {
      this.index += 1;
      this.progress = null;
      if (this.index === this.steps.length) return this.finish({ status: 'passed' });
    } else if (frame.timestampMs - this.progress.startedAt > this.limits.stepTimeoutMs) {
      return this.finish({ status: 'failed', reason: 'step_timeout', step: this.steps[this.index]! });
    }
    return this.state;
  }

  private finish(state: ChallengeState): ChallengeState {
    this.finished = state;
    this.reference?.fill(0);
    return state;
  }

  /** A jump of the face between consecutive frames: a cut, or a photo swapped in. */
  private unnatural(frame: ChallengeFrame): ChallengeFailure | null {
    const before = this.previous;
    if (!before) return null;
    const moved = Math.hypot(frame.faceCenter.x - before.faceCenter.x, frame.faceCenter.y - before.faceCenter.y);
    const scale = Math.max(frame.faceSize, before.faceSize) / Math.max(1, Math.min(frame.faceSize, before.faceSize));
    return moved > this.limits.maxJump * before.faceSize || scale > this.limits.maxScaleChange ? 'face_jump' : null;
  }

  /** Another person during the challenge: the embeddings stop agreeing with the first one. */
  private otherPerson(frame: ChallengeFrame): ChallengeFailure | null {
    if (!frame.embedding) return null;
    if (!this.reference) {
      this.reference = Float32Array.from(frame.embedding);
      return null;
    }
    return cosineSimilarity(this.reference, frame.embedding) < this.matchThreshold ? 'face_changed' : null;
  }

  private stepDone(step: ChallengeStep, progress: StepProgress, frame: ChallengeFrame): boolean {
    const { limits } = this;
    const eyesOpen = frame.blink.left < limits.eyesOpenBelow && frame.blink.right < limits.eyesOpenBelow;
    // The gesture must start after the prompt, from a frontal face with open eyes.
    if (!progress.ready) {
      progress.ready = eyesOpen && Math.abs(frame.yaw) <= limits.frontalDegrees;
      return false;
    }
    if (step === 'blink') {
      if (frame.blink.left > limits.eyesClosedAbove && frame.blink.right > limits.eyesClosedAbove) progress.eyesClosed = true;
      return progress.eyesClosed && eyesOpen;
    }
    const turned = step === 'turn_left' ? frame.yaw >= limits.turnDegrees : frame.yaw <= -limits.turnDegrees;
    if (!turned) {
      progress.turnSince = null;
      return false;
    }
    progress.turnSince ??= frame.timestampMs;
    return frame.timestampMs - progress.turnSince >= limits.turnHoldMs;
  }
}
