/**
 * The element's two SDK operations as the attempt controller runs them: the SDK call, with the
 * element's camera and frame callback, and how its result is judged.
 */
import type { PresenzaCheckResult } from '../sdk/options.js';
import type { AttemptOperation } from './attempt.js';
import type { PresenzaUiCheckOptions, PresenzaUiEnrollOptions } from './options.js';
import { checkProblem } from './problems.js';

/** An enrollment: the SDK resolves only on success (`{ assertion }`) and throws coded errors otherwise. */
export function enrollOperation(options: PresenzaUiEnrollOptions): AttemptOperation<{ assertion: string }> {
  return {
    name: 'enroll',
    capture: (sdk, tools) => sdk.enroll({ ...options, camera: { openStream: tools.openCamera }, onFrame: tools.onFrame, signal: tools.signal }),
    problem: () => null,
  };
}

/** A check: the SDK resolves with an outcome, and anything but `pass` is a problem to explain. */
export function checkOperation(options: PresenzaUiCheckOptions): AttemptOperation<PresenzaCheckResult> {
  return {
    name: 'check',
    // The SDK opens the camera through the element only when it needs frames: with nothing
    // enrolled (or an expired enrollment) it answers at once and the camera stays off.
    capture: (sdk, tools) => sdk.check({ ...options, camera: { openStream: tools.openCamera }, onFrame: tools.onFrame, signal: tools.signal }),
    problem: checkProblem,
  };
}
