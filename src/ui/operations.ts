/**
 * The element's two SDK operations as the attempt controller runs them: the SDK call, with the
 * element's camera and frame callback, and how its result is judged.
 */
import type { EnrollmentResult } from '../protocol/capture.js';
import type { PresenzaCheckResult } from '../sdk/options.js';
import type { AttemptOperation } from './attempt.js';
import { requireText, type PresenzaUiCheckOptions, type PresenzaUiEnrollOptions } from './options.js';
import { checkProblem } from './problems.js';

/**
 * An enrollment: the SDK resolves only on success (`{ assertion, idDocument }`) and throws coded
 * errors otherwise. Whatever the document found, the enrollment itself succeeded: a document not
 * matched or not shown only leaves the approval to the teacher.
 */
export function enrollOperation(options: PresenzaUiEnrollOptions): AttemptOperation<EnrollmentResult> {
  return {
    name: 'enroll',
    capture: (sdk, tools) => sdk.enroll({ ...options, camera: { openStream: tools.openCamera }, onFrame: tools.onFrame, signal: tools.signal }),
    problem: () => null,
    capturesDocument: options.identityDocument === 'required' || options.identityDocument === 'optional',
  };
}

/** A check: the SDK resolves with an outcome, and anything but `pass` is a problem to explain. */
export function checkOperation(options: PresenzaUiCheckOptions): AttemptOperation<PresenzaCheckResult> {
  const { renewNonce, ...checkOptions } = options;
  let attempts = 0;
  return {
    name: 'check',
    // The SDK opens the camera through the element only when it needs frames: with nothing
    // enrolled (or an expired enrollment) it answers at once and the camera stays off.
    capture: async (sdk, tools) => {
      attempts += 1;
      // Every attempt signs its nonce and the server accepts each nonce once: a retry needs a fresh one.
      const nonce = attempts > 1 && renewNonce ? requireText('check', 'renewNonce()', await renewNonce(tools.signal)) : checkOptions.nonce;
      return sdk.check({ ...checkOptions, nonce, camera: { openStream: tools.openCamera }, onFrame: tools.onFrame, signal: tools.signal });
    },
    problem: checkProblem,
  };
}
