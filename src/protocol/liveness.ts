/**
 * Liveness types and constants shared by the SDK (main thread) and the face worker. Types and
 * constants only. Nothing here is biometric: a policy, the gesture to prompt, and where the
 * challenge stands.
 */

/**
 * Which liveness checks a capture runs:
 * - `passive`: the anti-spoof model on the frames the capture keeps (no action asked);
 * - `active`: a short challenge of gestures in random order, each after its prompt;
 * - `both`: both must pass (the default of checks; enrollment's `both` asks for one blink);
 * - `off`: none; the check assertion then says `liveness: "not_run"`, so the server sees it.
 *   For platforms that run their own liveness, and for tests with still photos.
 */
export const LIVENESS_POLICIES = ['both', 'passive', 'active', 'off'] as const;

/** One of {@link LIVENESS_POLICIES}. */
export type LivenessPolicy = (typeof LIVENESS_POLICIES)[number];

/** Default liveness policy of checks and of enrollment. */
export const DEFAULT_LIVENESS_POLICY: LivenessPolicy = 'both';

/**
 * A gesture the student is asked for. Turns are the student's own left and right. `open_mouth`
 * and `smile` are the alternatives offered to a student who cannot blink or turn the head.
 */
export type ChallengeStep = 'blink' | 'turn_left' | 'turn_right' | 'open_mouth' | 'smile';

/** Gestures offered, in this order, instead of ones the student cannot make. */
export const ALTERNATIVE_STEPS: readonly ChallengeStep[] = ['open_mouth', 'smile'];

/** Time the student has for each gesture after its prompt. Generous on purpose: nobody should feel rushed. */
export const STEP_TIME_LIMIT_MS = 12_000;

/** The gestures of a check's challenge, asked in an order drawn at random for each check. */
export const CHECK_CHALLENGE: readonly ChallengeStep[] = ['blink', 'turn_left', 'turn_right'];

/** The gesture of an enrollment's challenge. */
export const ENROLLMENT_CHALLENGE: readonly ChallengeStep[] = ['blink'];

/** Where the liveness of a capture stands, after a frame. Sent to the page for the prompts. */
export interface LivenessProgress {
  /** `pending`: still running; `passed` / `failed`: decided (a failed capture stops at once). */
  readonly status: 'pending' | 'passed' | 'failed';
  /** The gesture to prompt now, when the challenge is running. */
  readonly step?: ChallengeStep;
  /** Index of `step` (0-based) and number of gestures in the challenge. */
  readonly stepIndex?: number;
  readonly steps?: number;
  /** Whether the student can still ask for another gesture instead of the current one. */
  readonly alternativeAvailable?: boolean;
  /** Why liveness failed (see {@link LivenessFailure}). Lets the page say what to do differently. */
  readonly failure?: LivenessFailure;
}

/**
 * Why the gesture challenge failed: a gesture not seen in time (`step_timeout`), the face jumping
 * between frames (`face_jump`: a cut, a swapped photo), another person appearing
 * (`face_changed`), or a head turn whose landmarks moved as a flat sheet does (`planar_motion`: a
 * photo, a phone or a mask turned by hand).
 */
export type ChallengeFailure = 'step_timeout' | 'face_jump' | 'face_changed' | 'planar_motion';

/**
 * Why liveness failed: a {@link ChallengeFailure}, or `anti_spoof` when the passive anti-spoof
 * model judged the face a photo or a screen with confidence (a doubtful score asks for one more
 * gesture instead).
 */
export type LivenessFailure = ChallengeFailure | 'anti_spoof';
