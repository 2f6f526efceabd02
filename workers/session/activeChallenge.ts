/**
 * Active liveness: a short challenge in random order (blink, turn left, turn right), each step
 * with a generous time limit, judged from MediaPipe's blendshapes and head pose. A step only counts
 * when it happens after its prompt, starting from a frontal, open-eyed face, so a replayed video
 * that repeats the same gestures in a fixed order does not pass. During the challenge the face must
 * move naturally (no jumps between frames) and stay the same person (frame embeddings agree).
 */
import { cosineSimilarity, DEFAULT_MATCH_THRESHOLD } from '../stages/compareTemplates.js';
import type { Point } from '../stages/pixels.js';
import { planarResidual } from './planarMotion.js';
import { textureParallax } from './textureParallax.js';
import type { FaceTexture } from '../stages/faceTexture.js';
import { ALTERNATIVE_STEPS, STEP_TIME_LIMIT_MS, type ChallengeFailure, type ChallengeStep } from '../../src/protocol/liveness.js';

export type { ChallengeFailure, ChallengeStep } from '../../src/protocol/liveness.js';

/** What the challenge needs from one frame (all measured inside the worker). */
export interface ChallengeFrame {
  readonly timestampMs: number;
  /** `eyeBlinkLeft` / `eyeBlinkRight` blendshape scores, 0 open … 1 closed. */
  readonly blink: { readonly left: number; readonly right: number };
  /** `jawOpen` and mean mouth-smile blendshape scores, 0..1. */
  readonly mouth: { readonly open: number; readonly smile: number };
  /** Degrees; positive when the face turns toward the image's right (the student's left, camera not mirrored). */
  readonly yaw: number;
  readonly faceCenter: Point;
  /** Longer side of the face box, pixels. */
  readonly faceSize: number;
  /** Unit embedding of the frame, when the caller computed one. */
  readonly embedding?: Float32Array;
  /** The landmarks the planar-motion check fits (`parallaxPoints`), when the caller has them. */
  readonly parallax?: readonly Point[];
  /**
   * The grey levels around the face, given during turns (`FacePipeline.faceTexture`). The
   * challenge owns them from then on: it keeps the latest frontal one and wipes every other.
   */
  readonly texture?: FaceTexture;
}

/** The texture parallax between a frontal and a turned frame ({@link textureParallax}; a fake in unit tests). */
export type TextureMeasure = (frontal: FaceTexture, frontalPoints: readonly Point[], turned: FaceTexture, turnedPoints: readonly Point[]) => number | null;

/** Where the challenge stands after a frame. */
export type ChallengeState =
  | { readonly status: 'in_progress'; readonly step: ChallengeStep; readonly stepIndex: number; readonly steps: number }
  | { readonly status: 'passed' }
  | { readonly status: 'failed'; readonly reason: ChallengeFailure; readonly step?: ChallengeStep };

/** Thresholds of the challenge; see {@link DEFAULT_CHALLENGE_LIMITS}. */
export interface ChallengeLimits {
  /** Time allowed per step after its prompt. Generous: students must not feel rushed. */
  readonly stepTimeoutMs: number;
  /** Both eyes above this count as closed, when they have also risen by {@link ChallengeLimits.blinkRise} since the prompt. */
  readonly eyesClosedAbove: number;
  /**
   * A blink: the mean eye score rises at least this much above its lowest level since the
   * prompt, then falls back as much. Relative, because resting scores differ between people
   * (narrow or lowered eyes rest at 0.5–0.7 on `anit-spoofing/real.mov`).
   */
  readonly blinkRise: number;
  /** A turn: |yaw| at least this, for at least `holdMs`, in the asked direction. */
  readonly turnDegrees: number;
  /** A turn, an open mouth or a smile must be held this long. */
  readonly holdMs: number;
  /** `jawOpen` above this counts as an open mouth, below {@link ChallengeLimits.mouthClosedBelow} as closed. */
  readonly mouthOpenAbove: number;
  readonly mouthClosedBelow: number;
  /** Mean smile score above this counts as a smile, below {@link ChallengeLimits.smileNeutralBelow} as neutral. */
  readonly smileAbove: number;
  readonly smileNeutralBelow: number;
  /** Frontal enough to start a step. */
  readonly frontalDegrees: number;
  /** Largest move of the face centre between consecutive frames up to `jumpIntervalMs` apart, in face sizes. */
  readonly maxJump: number;
  /** Largest change of face size between such frames (ratio). */
  readonly maxScaleChange: number;
  /** Frame interval the jump limits are set for; frames further apart may move proportionally more. */
  readonly jumpIntervalMs: number;
  /**
   * A turn fails as `planar_motion` when its landmarks, against the last frontal frame, stay this
   * close to a plane's motion (`planarResidual`, inter-ocular distances, largest over the held turn).
   */
  readonly minTurnParallax: number;
  /**
   * A turn fails as `planar_motion` when the face's texture, against the last frontal frame, moved
   * this close to how a sheet (flat or bent about a vertical axis) moves (`textureParallax`,
   * inter-ocular distances, largest over the held turn). When the texture could not be followed,
   * {@link ChallengeLimits.minTurnParallax} judges the landmarks instead.
   */
  readonly minTextureParallax: number;
}

/**
 * Smallest planar residual a real turn leaves (see {@link ChallengeLimits.minTurnParallax}), set by
 * `bench/pad-geometry.ts` just under the smallest of 3 live turns (0.043, a 17° turn); turned flat
 * sheets left 0.041–0.051 and bent ones 0.042–0.092, so it stops only the flattest (README, Liveness).
 */
export const MIN_TURN_PARALLAX = 0.042;

/**
 * Smallest texture parallax a real turn leaves (see {@link ChallengeLimits.minTextureParallax}), set
 * by `bench/pad-geometry.ts` (README, Liveness): 13 live clips' turns left 0.026–0.090 (the smallest
 * a 17° turn), sheets turned 45° mostly 0.004–0.012 (medians 0.005 flat, 0.007 bent; a few up to
 * 0.056 where the patches matched poorly); it stops 28 of the 34 sheet turns made and no live one.
 */
export const MIN_TEXTURE_PARALLAX = 0.018;

/**
 * Defaults. The closed-eye threshold follows the measurement in ../shared/faces/SOURCES.md (both
 * eyes above 0.5); a 15° turn held 0.2 s is what the live clips there show;
 * {@link STEP_TIME_LIMIT_MS} per step leaves room for a slow or hesitant student. The mouth and
 * smile thresholds sit well inside MediaPipe's 0..1 blendshape range; no clip here prompts them.
 */
export const DEFAULT_CHALLENGE_LIMITS: ChallengeLimits = {
  stepTimeoutMs: STEP_TIME_LIMIT_MS,
  eyesClosedAbove: 0.5,
  blinkRise: 0.25,
  turnDegrees: 15,
  holdMs: 200,
  mouthOpenAbove: 0.35,
  mouthClosedBelow: 0.15,
  smileAbove: 0.5,
  smileNeutralBelow: 0.3,
  frontalDegrees: 10,
  maxJump: 0.5,
  maxScaleChange: 1.5,
  jumpIntervalMs: 200,
  minTurnParallax: MIN_TURN_PARALLAX,
  minTextureParallax: MIN_TEXTURE_PARALLAX,
};

/** Head turns count as one kind: a student who cannot turn one way is spared the other way too. */
export const isTurn = (step: ChallengeStep): boolean => step === 'turn_left' || step === 'turn_right';

/** `steps` in an order drawn from `random` (Fisher–Yates). */
export function shuffledSteps(steps: readonly ChallengeStep[], random: () => number = Math.random): ChallengeStep[] {
  const shuffled = [...steps];
  for (let i = shuffled.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  return shuffled;
}

/** Progress inside one step. */
interface StepProgress {
  startedAt: number;
  /** The face was frontal and at rest after the prompt: the gesture may start. */
  ready: boolean;
  /** Blink: lowest mean eye score since ready, and highest since the eyes closed. */
  eyesLow: number;
  eyesPeak: number;
  eyesClosed: boolean;
  /** Since when the held gesture (turn, open mouth, smile) has been held. */
  heldSince: number | null;
  /** Turns: the landmarks of the last frontal frame, and the largest planar residual while turned (null: not measured). */
  frontal: readonly Point[] | null;
  parallax: number | null;
  /** Turns: the texture of the last frontal frame, and the largest texture parallax while turned (null: not measured). */
  frontalTexture: FaceTexture | null;
  textureParallax: number | null;
  /** Turned frames whose texture was compared with the frontal one. */
  texturesCompared: number;
}

/**
 * Turned frames per frontal reference whose texture is compared with it: the first frames past
 * 15° (the turn's hold needs about 2–3 at the worker's frame rate, and `bench/pad-geometry.ts`
 * measures those); each comparison is about a hundred patch searches, so later frames are spared it.
 */
const TEXTURE_FRAMES_PER_TURN = 3;

/** Overwrites a texture's grey levels. */
const wipe = (texture: FaceTexture | null | undefined) => texture?.image.data.fill(0);

/** One challenge run. Feed it every analysed frame in order ({@link ActiveChallenge.tick} for frames without a face). */
export class ActiveChallenge {
  private readonly plan: ChallengeStep[];
  /** Alternatives offered so far (each at most once, even after it was itself replaced). */
  private readonly offered = new Set<ChallengeStep>();
  private index = 0;
  private progress: StepProgress | null = null;
  private previous: ChallengeFrame | null = null;
  private reference: Float32Array | null = null;
  private disagreements = 0;
  private finished: ChallengeState | null = null;

  constructor(
    steps: readonly ChallengeStep[],
    private readonly limits: ChallengeLimits = DEFAULT_CHALLENGE_LIMITS,
    private readonly matchThreshold: number = DEFAULT_MATCH_THRESHOLD,
    private readonly measureTexture: TextureMeasure = textureParallax,
  ) {
    if (steps.length === 0) throw new TypeError('ActiveChallenge needs at least one step');
    this.plan = [...steps];
  }

  /** The gestures of this run, alternatives included. */
  get steps(): readonly ChallengeStep[] {
    return this.plan;
  }

  /** The state now, without a new frame (e.g. for the prompt shown before the first frame). */
  get state(): ChallengeState {
    return this.finished ?? { status: 'in_progress', step: this.plan[this.index]!, stepIndex: this.index, steps: this.plan.length };
  }

  /** Whether {@link useAlternative} can replace the current gesture. */
  get alternativeAvailable(): boolean {
    return !this.finished && this.unusedAlternatives().length > 0;
  }

  /**
   * Asks for one more gesture after the planned ones (a doubtful passive score, see
   * `LivenessSession`). Call before the challenge is decided.
   */
  extend(step: ChallengeStep): void {
    if (this.finished) throw new Error('the challenge is already decided');
    if (this.offered.size === 0) {
      this.plan.push(step);
      return;
    }
    // The student has swapped a gesture already: the extra one is an alternative not used yet, if any.
    const alternative = this.unusedAlternatives()[0];
    if (alternative) {
      this.plan.push(alternative);
      this.offered.add(alternative);
    }
  }

  /**
   * The student cannot make the current gesture: it is replaced by an alternative not used yet
   * (a head turn replaces every remaining turn), with a fresh time limit. Returns false when no
   * alternative is left; the page then offers the non-biometric path.
   */
  useAlternative(): boolean {
    const alternatives = this.unusedAlternatives();
    const current = this.plan[this.index];
    if (this.finished || !current || alternatives.length === 0) return false;
    const replaced = isTurn(current) ? (step: ChallengeStep) => isTurn(step) : (step: ChallengeStep) => step === current;
    for (let i = this.index; i < this.plan.length; i += 1) {
      const alternative = replaced(this.plan[i]!) ? alternatives.shift() : undefined;
      if (alternative) {
        this.plan[i] = alternative;
        this.offered.add(alternative);
      }
    }
    // Turns the student cannot make and no alternative covers are dropped, never left as a dead end.
    for (let i = this.plan.length - 1; i > this.index; i -= 1) if (replaced(this.plan[i]!)) this.plan.splice(i, 1);
    this.resetStep();
    return true;
  }

  /**
   * A frame without a face. The time limit still runs; the gesture in progress goes on (the
   * detector loses a face turned far, in the middle of a turn); the next face is not compared
   * with the last one for jumps.
   */
  tick(timestampMs: number): ChallengeState {
    if (this.finished) return this.finished;
    this.previous = null;
    if (this.progress && timestampMs - this.progress.startedAt > this.limits.stepTimeoutMs) {
      return this.finish({ status: 'failed', reason: 'step_timeout', step: this.plan[this.index]! });
    }
    return this.state;
  }

  private unusedAlternatives(): ChallengeStep[] {
    return ALTERNATIVE_STEPS.filter((step) => !this.offered.has(step) && !this.plan.includes(step));
  }

  /** Judges one frame (and takes its texture, see {@link ChallengeFrame.texture}). After `passed` or `failed` the state no longer changes. */
  observe(frame: ChallengeFrame): ChallengeState {
    try {
      return this.judge(frame);
    } finally {
      if (frame.texture !== this.progress?.frontalTexture) wipe(frame.texture);
    }
  }

  private judge(frame: ChallengeFrame): ChallengeState {
    if (this.finished) return this.finished;
    const failure = this.unnatural(frame) ?? this.otherPerson(frame);
    this.previous = frame;
    if (failure) return this.finish({ status: 'failed', reason: failure, step: this.plan[this.index]! });
    this.progress ??= { startedAt: frame.timestampMs, ready: false, eyesLow: 1, eyesPeak: 0, eyesClosed: false, heldSince: null, frontal: null, parallax: null, frontalTexture: null, textureParallax: null, texturesCompared: 0 };
    if (this.stepDone(this.plan[this.index]!, this.progress, frame)) {
      // A turn that moved as a sheet does: a photo, a phone, a paper mask or a cut-out turned by hand.
      if (this.movedAsSheet(this.progress)) return this.finish({ status: 'failed', reason: 'planar_motion', step: this.plan[this.index]! });
      this.index += 1;
      this.resetStep();
      if (this.index === this.plan.length) return this.finish({ status: 'passed' });
    } else if (frame.timestampMs - this.progress.startedAt > this.limits.stepTimeoutMs) {
      return this.finish({ status: 'failed', reason: 'step_timeout', step: this.plan[this.index]! });
    }
    return this.state;
  }

  private finish(state: ChallengeState): ChallengeState {
    this.finished = state;
    this.reference?.fill(0);
    this.resetStep();
    return state;
  }

  /** Forgets the current step's progress (and wipes its frontal texture). */
  private resetStep(): void {
    wipe(this.progress?.frontalTexture);
    this.progress = null;
  }

  /**
   * Whether a finished turn moved as a sheet: by the texture when it could be followed, else by
   * the landmarks (which a 3-D face mesh bends toward a head's motion, so they stop fewer sheets).
   */
  private movedAsSheet(progress: StepProgress): boolean {
    if (progress.textureParallax !== null) return progress.textureParallax < this.limits.minTextureParallax;
    return progress.parallax !== null && progress.parallax < this.limits.minTurnParallax;
  }

  /** A jump of the face between consecutive frames: a cut, or a photo swapped in. */
  private unnatural(frame: ChallengeFrame): ChallengeFailure | null {
    const before = this.previous;
    if (!before) return null;
    const moved = Math.hypot(frame.faceCenter.x - before.faceCenter.x, frame.faceCenter.y - before.faceCenter.y);
    const scale = Math.max(frame.faceSize, before.faceSize) / Math.max(1, Math.min(frame.faceSize, before.faceSize));
    // A slow device sees fewer frames: the allowed move grows with the time between them.
    const intervals = Math.max(1, (frame.timestampMs - before.timestampMs) / this.limits.jumpIntervalMs);
    return moved > this.limits.maxJump * intervals * before.faceSize || scale > this.limits.maxScaleChange ** intervals ? 'face_jump' : null;
  }

  /** Another person during the challenge: the embeddings stop agreeing with the first one. */
  private otherPerson(frame: ChallengeFrame): ChallengeFailure | null {
    if (!frame.embedding) return null;
    if (!this.reference) {
      this.reference = Float32Array.from(frame.embedding);
      return null;
    }
    // Two samples in a row must disagree: one odd crop (a blink, a turn) is not another person.
    this.disagreements = cosineSimilarity(this.reference, frame.embedding) < this.matchThreshold ? this.disagreements + 1 : 0;
    return this.disagreements >= 2 ? 'face_changed' : null;
  }

  private stepDone(step: ChallengeStep, progress: StepProgress, frame: ChallengeFrame): boolean {
    const { limits } = this;
    const bothClosed = frame.blink.left > limits.eyesClosedAbove && frame.blink.right > limits.eyesClosedAbove;
    // The gesture must start after the prompt, from a frontal face at rest (mouth closed and not
    // smiling for the mouth gestures). Open eyes are judged relative to the lowest eye score since
    // then (`blinked`), not by the fixed closed-eye level: eyes that rest above it (narrow or
    // lowered eyes) would otherwise only count as open just after a blink, and that blink is lost.
    if (!progress.ready) {
      const atRest =
        step === 'open_mouth'
            ? frame.mouth.open < limits.mouthClosedBelow
            : step === 'smile'
              ? frame.mouth.smile < limits.smileNeutralBelow
              : true;
      progress.ready = atRest && Math.abs(frame.yaw) <= limits.frontalDegrees;
    }
    if (!progress.ready) return false;
    if (step === 'blink') return this.blinked(progress, (frame.blink.left + frame.blink.right) / 2, bothClosed);
    if (isTurn(step)) this.followParallax(progress, frame);
    if (!this.holding(step, frame)) {
      progress.heldSince = null;
      return false;
    }
    progress.heldSince ??= frame.timestampMs;
    return frame.timestampMs - progress.heldSince >= limits.holdMs;
  }

  /**
   * Turns: keeps the landmarks and texture of the latest frontal frame, and the largest planar
   * residual and texture parallax of the turned frames against it (the turn being held, or any
   * turn as far since that frame).
   */
  private followParallax(progress: StepProgress, frame: ChallengeFrame): void {
    if (!frame.parallax || frame.parallax.length === 0) return;
    if (Math.abs(frame.yaw) <= this.limits.frontalDegrees) {
      progress.frontal = frame.parallax;
      progress.parallax = null;
      wipe(progress.frontalTexture);
      progress.frontalTexture = frame.texture ?? null;
      progress.textureParallax = null;
      progress.texturesCompared = 0;
    } else if (progress.frontal && Math.abs(frame.yaw) >= this.limits.turnDegrees) {
      progress.parallax = Math.max(progress.parallax ?? 0, planarResidual(progress.frontal, frame.parallax));
      if (progress.frontalTexture && frame.texture && progress.texturesCompared < TEXTURE_FRAMES_PER_TURN) {
        progress.texturesCompared += 1;
        const texture = this.measureTexture(progress.frontalTexture, progress.frontal, frame.texture, frame.parallax);
        if (texture !== null) progress.textureParallax = Math.max(progress.textureParallax ?? 0, texture);
      }
    }
  }

  /** Follows the eyes through a blink: a rise of {@link ChallengeLimits.blinkRise} over their resting level, then a fall as deep. */
  private blinked(progress: StepProgress, eyes: number, bothClosed: boolean): boolean {
    const { blinkRise } = this.limits;
    if (!progress.eyesClosed) {
      progress.eyesLow = Math.min(progress.eyesLow, eyes);
      progress.eyesClosed = bothClosed && eyes >= progress.eyesLow + blinkRise;
      progress.eyesPeak = eyes;
      return false;
    }
    progress.eyesPeak = Math.max(progress.eyesPeak, eyes);
    return eyes <= progress.eyesPeak - blinkRise;
  }

  /** Whether the frame shows the held gesture `step` asks for. */
  private holding(step: Exclude<ChallengeStep, 'blink'>, frame: ChallengeFrame): boolean {
    const { limits } = this;
    switch (step) {
      case 'turn_left':
        return frame.yaw >= limits.turnDegrees;
      case 'turn_right':
        return frame.yaw <= -limits.turnDegrees;
      case 'open_mouth':
        return frame.mouth.open > limits.mouthOpenAbove;
      case 'smile':
        return frame.mouth.smile > limits.smileAbove;
    }
  }
}
