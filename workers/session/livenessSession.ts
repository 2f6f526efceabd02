/**
 * Liveness of one capture: composes the passive anti-spoof score (`checkLiveness`) of the frames
 * the capture keeps with the active challenge (`activeChallenge`), as the capture's policy asks,
 * and decides `passed`, `failed` or `not_run`. Lives only inside the worker; what leaves it is a
 * {@link LivenessProgress} (the gesture to prompt) and the final verdict.
 */
import { ActiveChallenge, isTurn, shuffledSteps, type ChallengeFrame } from './activeChallenge.js';
import { parallaxPoints } from './planarMotion.js';
import type { DetectedFace } from '../stages/detectFace.js';
import type { FaceTexture } from '../stages/faceTexture.js';
import type { LivenessResult } from '../../src/protocol/assertion.js';
import type { ChallengeStep, LivenessFailure, LivenessPolicy, LivenessProgress } from '../../src/protocol/liveness.js';

/**
 * Mean live probability of the kept frames (the passive stage's score, `passiveLiveness.ts`)
 * below which the face is judged a photo or a screen and liveness fails at once (`anti_spoof`);
 * the passive policy passes at or above it. Set for a BPCER of about 5 % on the live samples of
 * the development PAD set (`bench/pad-models.ts`: 0.016 there), at the price of a high APCER for
 * the passive stage alone (README, Liveness).
 */
export const PASSIVE_LIVE_THRESHOLD = 0.02;

/**
 * With a gesture challenge, a mean score at or above {@link PASSIVE_LIVE_THRESHOLD} but below
 * this is doubtful: the challenge asks for one more gesture instead of failing the student. The
 * former single threshold of the passive stage.
 */
export const PASSIVE_SURE_THRESHOLD = 0.5;

/** During a challenge, at most one frame per this interval is embedded to check that the person stays the same. */
export const IDENTITY_SAMPLE_SPACING_MS = 500;

/** What a capture runs: the passive score, and the gestures of the challenge (none when not active). */
export interface LivenessPlan {
  readonly passive: boolean;
  readonly steps: readonly ChallengeStep[];
  /** The gesture added when the passive score is doubtful (null without a challenge). */
  readonly extraStep: ChallengeStep | null;
}

/**
 * The plan for `policy`: the passive score unless the policy is `active` or `off`, and the
 * `challenge` gestures in random order unless it is `passive` or `off`.
 */
export function livenessPlan(policy: LivenessPolicy, challenge: readonly ChallengeStep[], random: () => number = Math.random): LivenessPlan {
  const active = policy === 'both' || policy === 'active';
  const steps = active ? shuffledSteps(challenge, random) : [];
  return { passive: scoresPassiveLiveness(policy), steps, extraStep: steps.length > 0 ? shuffledSteps(challenge, random)[0]! : null };
}

/** Whether a capture with this liveness policy runs the anti-spoof model. */
export const scoresPassiveLiveness = (policy: LivenessPolicy): boolean => policy === 'both' || policy === 'passive';

/** The challenge's view of a detected face (with its texture during turns). */
export function challengeFrame(face: DetectedFace, timestampMs: number, embedding?: Float32Array, texture?: FaceTexture): ChallengeFrame {
  const { box } = face;
  return {
    timestampMs,
    blink: face.blink,
    mouth: face.mouth,
    yaw: face.pose.yaw,
    faceCenter: { x: box.x + box.width / 2, y: box.y + box.height / 2 },
    faceSize: Math.max(box.width, box.height),
    parallax: parallaxPoints(face.points),
    ...(embedding ? { embedding } : {}),
    ...(texture ? { texture } : {}),
  };
}

/** Liveness state of one capture. */
export class LivenessSession {
  private readonly challenge: ActiveChallenge | null;
  private readonly scores: number[] = [];
  private lastIdentitySample = Number.NEGATIVE_INFINITY;
  /** Whether the passive scores are judged: the good frames are in, or the capture ended. */
  private judged = false;
  /** Whether a doubtful passive score has added the plan's extra gesture. */
  private extended = false;

  constructor(private readonly plan: LivenessPlan) {
    this.challenge = plan.steps.length > 0 ? new ActiveChallenge(plan.steps) : null;
  }

  /** Whether this capture runs any liveness check. */
  get enabled(): boolean {
    return this.plan.passive || this.challenge !== null;
  }

  /** Whether kept frames should be scored by the anti-spoof model. */
  get wantsPassiveScores(): boolean {
    return this.plan.passive;
  }

  /** Records the live probability of one kept frame. */
  addPassiveScore(score: number): void {
    this.scores.push(score);
  }

  /** Whether this frame (with a good face) should be embedded for the challenge's same-person check. */
  wantsIdentitySample(timestampMs: number): boolean {
    return this.challenge?.state.status === 'in_progress' && timestampMs - this.lastIdentitySample >= IDENTITY_SAMPLE_SPACING_MS;
  }

  /** Whether the frames now should carry the face's texture: the challenge is asking for a head turn. */
  get wantsTexture(): boolean {
    const state = this.challenge?.state;
    return state?.status === 'in_progress' && isTurn(state.step);
  }

  /**
   * Feeds the challenge one frame once the good frames are in: its face (null when none was found)
   * and, when embedded, its embedding; during turns its texture, which the challenge keeps or
   * wipes (wiped here when no challenge takes it). The first call judges the passive scores: a
   * confident attack fails liveness at once, a doubtful score adds the plan's extra gesture.
   */
  observe(face: DetectedFace | null, timestampMs: number, embedding?: Float32Array, texture?: FaceTexture): void {
    this.judged = true;
    const passive = this.passiveJudgement();
    if (passive === 'doubtful' && !this.extended && this.plan.extraStep && this.challenge?.state.status === 'in_progress') {
      this.challenge.extend(this.plan.extraStep);
      this.extended = true;
    }
    if (!this.challenge || passive === 'failed' || !face) {
      texture?.image.data.fill(0);
      if (this.challenge && passive !== 'failed') this.challenge.tick(timestampMs);
      return;
    }
    if (embedding) this.lastIdentitySample = timestampMs;
    this.challenge.observe(challengeFrame(face, timestampMs, embedding, texture));
  }

  /** The passive stage's judgement of the mean score (null when it does not run or has no score yet). */
  private passiveJudgement(): 'sure' | 'doubtful' | 'failed' | null {
    if (!this.plan.passive || this.scores.length === 0) return null;
    const mean = this.scores.reduce((sum, s) => sum + s, 0) / this.scores.length;
    return mean < PASSIVE_LIVE_THRESHOLD ? 'failed' : mean < PASSIVE_SURE_THRESHOLD ? 'doubtful' : 'sure';
  }

  /** Replaces the current gesture with an alternative; false when none is left (or no challenge runs). */
  useAlternative(): boolean {
    return this.challenge?.useAlternative() ?? false;
  }

  /** Whether the challenge is over (passed, or no challenge): the capture may end once it has its frames. */
  get challengeDone(): boolean {
    return !this.challenge || this.challenge.state.status === 'passed';
  }

  /** Why liveness has already failed (the capture then stops at once), or null. The passive scores count once judged. */
  get failure(): LivenessFailure | null {
    if (this.judged && this.passiveJudgement() === 'failed') return 'anti_spoof';
    const state = this.challenge?.state;
    return state?.status === 'failed' ? state.reason : null;
  }

  /** Where liveness stands, for the prompts; undefined when the policy is `off`. */
  progress(): LivenessProgress | undefined {
    if (!this.enabled) return undefined;
    const failure = this.failure;
    if (failure) return { status: 'failed', failure };
    const state = this.challenge?.state;
    if (!state || state.status !== 'in_progress') return { status: 'pending' };
    return {
      status: 'pending',
      step: state.step,
      stepIndex: state.stepIndex,
      steps: state.steps,
      alternativeAvailable: this.challenge!.alternativeAvailable,
    };
  }

  /**
   * The verdict once the capture ended: `failed` with a {@link failure} (the challenge failed, or
   * the mean passive score is below {@link PASSIVE_LIVE_THRESHOLD}); `passed` when every part
   * that runs has passed; `not_run` when the policy is `off` or a part could not finish (no face,
   * time up).
   */
  verdict(): LivenessResult {
    if (!this.enabled) return 'not_run';
    this.judged = true;
    if (this.failure) return 'failed';
    if (this.plan.passive && this.scores.length === 0) return 'not_run';
    return this.challengeDone ? 'passed' : 'not_run';
  }

  /** Forgets the passive scores. */
  clear(): void {
    this.scores.length = 0;
    this.judged = false;
  }
}
