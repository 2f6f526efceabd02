/**
 * What went wrong, in the student's terms: maps a check result or an SDK error to the texts to
 * show (what happened, what to do) and to whether trying again can help.
 */
import type { PresenzaCheckResult } from '../sdk/options.js';
import { isCameraErrorCode, isPresenzaError, type CameraErrorCode } from '../protocol/errors.js';
import type { MessageKey } from './i18n/index.js';

/** Which kind of problem: the face check did not succeed, the camera is unusable, or anything else. */
export type ProblemKind = 'failed' | 'camera-error' | 'error';

/** A problem to show, with its next steps. */
export interface Problem {
  readonly kind: ProblemKind;
  readonly title: MessageKey;
  /** What happened. */
  readonly body: MessageKey;
  /** What to do. */
  readonly steps: MessageKey;
  /** Whether trying again can help (an insecure page or a blocking iframe cannot be fixed by the student). */
  readonly retryable: boolean;
}

/** What each camera error means for the student: what happened, what to do, whether retrying can help. */
const CAMERA_PROBLEMS: Readonly<Record<CameraErrorCode, readonly [MessageKey, MessageKey, boolean]>> = {
  ERR_CAMERA_DENIED: ['cameraDenied', 'cameraDeniedSteps', true],
  ERR_CAMERA_BUSY: ['cameraBusy', 'cameraBusySteps', true],
  ERR_CAMERA_NOT_FOUND: ['cameraNotFound', 'cameraNotFoundSteps', true],
  ERR_CAMERA_CONSTRAINTS: ['cameraConstraints', 'cameraConstraintsSteps', true],
  ERR_CAMERA_INSECURE_CONTEXT: ['cameraInsecure', 'cameraInsecureSteps', false],
  ERR_CAMERA_POLICY: ['cameraPolicy', 'cameraPolicySteps', false],
  ERR_CAMERA_FAILED: ['cameraFailed', 'cameraFailedSteps', true],
};

function cameraProblem(code: unknown): Problem {
  const [body, steps, retryable] = CAMERA_PROBLEMS[isCameraErrorCode(code) ? code : 'ERR_CAMERA_FAILED'];
  return { kind: 'camera-error', title: 'cameraTitle', body, steps, retryable };
}

function failed(title: MessageKey, body: MessageKey, steps: MessageKey = 'retryTips'): Problem {
  return { kind: 'failed', title, body, steps, retryable: true };
}

/** The problem behind a check result, or null when it passed. */
export function checkProblem(result: PresenzaCheckResult): Problem | null {
  if (result.outcome === 'pass') return null;
  switch (result.reason) {
    case 'camera_unavailable':
      return cameraProblem(result.cameraError);
    case 'not_enrolled':
    case 'enrollment_expired':
      return { kind: 'failed', title: 'checkFailedTitle', body: 'reasonNotEnrolled', steps: 'noRetry', retryable: false };
    case 'liveness_failed':
      // A movement not seen in time is said as such: the student did nothing wrong but be slow or unseen.
      return failed('checkFailedTitle', result.livenessFailure === 'step_timeout' ? 'reasonGestureTimeout' : 'reasonLiveness', 'livenessTips');
    case 'no_face':
      return failed('checkFailedTitle', 'reasonNoFace');
    case 'multiple_faces':
      return failed('checkFailedTitle', 'reasonMultipleFaces');
    case 'timeout':
      return failed('checkFailedTitle', 'reasonTimeout');
    default:
      return failed('checkFailedTitle', 'reasonMismatch');
  }
}

/** The problem behind an error thrown by the SDK or by the camera. */
export function errorProblem(error: unknown): Problem {
  const code = isPresenzaError(error) ? error.code : undefined;
  if (isCameraErrorCode(code)) return cameraProblem(code);
  if (code === 'ERR_NO_FACE') return failed('enrollFailedTitle', 'reasonNoFace');
  if (code === 'ERR_MULTIPLE_FACES') return failed('enrollFailedTitle', 'reasonMultipleFaces');
  if (code === 'ERR_CAPTURE_TIMEOUT') return failed('enrollFailedTitle', 'reasonTimeout');
  if (code === 'ERR_LIVENESS_FAILED') return failed('enrollFailedTitle', 'reasonLiveness', 'livenessTips');
  // This browser cannot run the check at all: retrying cannot help, the alternative can.
  if (code === 'ERR_UNSUPPORTED_BROWSER') return { kind: 'error', title: 'errorTitle', body: 'errorBody', steps: 'noRetry', retryable: false };
  return { kind: 'error', title: 'errorTitle', body: 'errorBody', steps: 'errorSteps', retryable: true };
}
