/**
 * Real-time guidance: turns the quality gates' verdict on each frame into one instruction
 * (the most important issue first), and announces instructions to screen readers politely,
 * without flooding them as frames stream in.
 */
import type { CaptureProgress, ChallengeStep, QualityIssue } from '../sdk/presenza.js';
import type { MessageKey } from './i18n/index.js';

/** Issues in the order they should be fixed: a later one may disappear once an earlier one is. */
const ISSUE_GUIDANCE: readonly (readonly [QualityIssue, MessageKey])[] = [
  ['no_face', 'guideNoFace'],
  ['multiple_faces', 'guideMultipleFaces'],
  ['face_too_small', 'guideTooSmall'],
  ['head_turned', 'guideHeadTurned'],
  ['too_dark', 'guideTooDark'],
  ['too_bright', 'guideTooBright'],
  ['low_contrast', 'guideLowContrast'],
  ['blurry', 'guideBlurry'],
];

/** The prompt of each liveness gesture. */
export const GESTURE_PROMPTS: Readonly<Record<ChallengeStep, MessageKey>> = {
  blink: 'gestureBlink',
  turn_left: 'gestureTurnLeft',
  turn_right: 'gestureTurnRight',
  open_mouth: 'gestureOpenMouth',
  smile: 'gestureSmile',
};

/** Issues that interrupt a gesture: the others (a turned head, above all) are part of the gestures. */
const BLOCKING_ISSUES: readonly QualityIssue[] = ['no_face', 'multiple_faces'];

/** How the guidance looks: waiting for frames, something to fix, a gesture to make, or all good. */
export type GuidanceTone = 'wait' | 'fix' | 'act' | 'good';

/** What to tell the student after a frame. */
export interface Guidance {
  readonly key: MessageKey;
  readonly tone: GuidanceTone;
}

/** The one instruction for this frame. */
export function guidanceFor(progress: CaptureProgress): Guidance {
  if (progress.done) return { key: 'guideDone', tone: 'good' };
  const { issues, hints } = progress.verdict;
  const step = progress.liveness?.step;
  if (step && !issues.some((issue) => BLOCKING_ISSUES.includes(issue))) return { key: GESTURE_PROMPTS[step], tone: 'act' };
  for (const [issue, key] of ISSUE_GUIDANCE) if (issues.includes(issue)) return { key, tone: 'fix' };
  // Not usable for a reason without its own instruction: holding still is the best general advice.
  if (!progress.verdict.ok) return { key: 'guideBlurry', tone: 'fix' };
  if (hints.includes('background_face')) return { key: 'guideBackgroundFace', tone: 'good' };
  return { key: 'guideGood', tone: 'good' };
}

/** Shortest time between two polite announcements, so a screen reader can finish each one. */
export const GUIDANCE_ANNOUNCE_INTERVAL_MS = 2_000;

/**
 * Writes to two visually hidden live regions: polite guidance, throttled and deduplicated, and
 * assertive results and errors, which also cancel any pending guidance.
 */
export class Announcer {
  private lastSpoken = '';
  private lastAt = Number.NEGATIVE_INFINITY;
  private pending: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private alertTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly politeRegion: HTMLElement,
    private readonly assertiveRegion: HTMLElement,
  ) {}

  /** Announces guidance when it changes, at most once per {@link GUIDANCE_ANNOUNCE_INTERVAL_MS}. */
  guide(text: string): void {
    if (text === (this.pending ?? this.lastSpoken)) return;
    this.pending = text;
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastAt + GUIDANCE_ANNOUNCE_INTERVAL_MS - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.pending === undefined) return;
      this.politeRegion.textContent = this.lastSpoken = this.pending;
      this.pending = undefined;
      this.lastAt = performance.now();
    }, wait);
  }

  /** Announces a result or an error now, interrupting guidance. */
  alert(text: string): void {
    this.clear();
    // Emptied first, then filled on the next task: the same text twice is announced twice.
    this.alertTimer = setTimeout(() => (this.assertiveRegion.textContent = text), 50);
  }

  /** Announces a new instruction now (a gesture prompt), politely, without waiting for the throttle. */
  now(text: string): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    this.politeRegion.textContent = this.lastSpoken = text;
    this.lastAt = performance.now();
  }

  /** Drops pending guidance and empties both regions. */
  clear(): void {
    clearTimeout(this.timer);
    clearTimeout(this.alertTimer);
    this.timer = this.alertTimer = undefined;
    this.pending = undefined;
    this.lastSpoken = '';
    this.politeRegion.textContent = '';
    this.assertiveRegion.textContent = '';
  }
}
