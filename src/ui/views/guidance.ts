/**
 * Real-time guidance: turns the quality gates' verdict on each frame into one instruction, the
 * most important issue first, or the liveness gesture asked.
 */
import type { CaptureProgress, DocumentGuidance, QualityIssue } from '../../protocol/capture.js';
import type { ChallengeStep } from '../../protocol/liveness.js';
import type { MessageKey } from '../i18n/index.js';

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

/** What to do about the identity document, most important first (a portrait must be found before its glare matters). */
const DOCUMENT_GUIDANCE: readonly (readonly [DocumentGuidance, MessageKey])[] = [
  ['no_card_face', 'guideDocumentNoPortrait'],
  ['card_not_seen', 'guideDocumentWhole'],
  ['card_too_far', 'guideDocumentCloser'],
  ['card_glare', 'guideDocumentGlare'],
  ['hold_still', 'guideDocumentHoldStill'],
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
  if (progress.document) return documentGuidance(progress.document.guidance, progress.document.done);
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

/** The one instruction about the identity document for this frame. */
function documentGuidance(issues: readonly DocumentGuidance[], done: boolean): Guidance {
  if (done) return { key: 'guideDocumentDone', tone: 'good' };
  for (const [issue, key] of DOCUMENT_GUIDANCE) if (issues.includes(issue)) return { key, tone: 'fix' };
  return { key: 'guideDocumentGood', tone: 'good' };
}
