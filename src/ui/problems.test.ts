import { describe, expect, it } from 'vitest';
import { CAMERA_ERROR_CODES, PresenzaError } from '../protocol/errors.js';
import { checkProblem, errorProblem } from './problems.js';

describe('problems', () => {
  it('explains a liveness failure with its own tips, and lets the student retry', () => {
    const problem = checkProblem({ outcome: 'fail', reason: 'liveness_failed', liveness: 'failed', assertion: 'a.b.c' });
    expect(problem).toEqual({ kind: 'failed', title: 'checkFailedTitle', body: 'reasonLiveness', steps: 'livenessTips', retryable: true });
    // A gesture not seen in time is said as such, not as a doubt about a live person.
    expect(checkProblem({ outcome: 'fail', reason: 'liveness_failed', liveness: 'failed', livenessFailure: 'step_timeout', assertion: 'a.b.c' })).toMatchObject({ body: 'reasonGestureTimeout', steps: 'livenessTips' });
    expect(checkProblem({ outcome: 'fail', reason: 'liveness_failed', liveness: 'failed', livenessFailure: 'face_jump', assertion: 'a.b.c' })).toMatchObject({ body: 'reasonLiveness' });
    expect(errorProblem(new PresenzaError('ERR_LIVENESS_FAILED', 'no live person'))).toEqual({
      kind: 'failed',
      title: 'enrollFailedTitle',
      body: 'reasonLiveness',
      steps: 'livenessTips',
      retryable: true,
    });
  });

  it('keeps the general tips for the other failures, and no problem for a pass', () => {
    expect(checkProblem({ outcome: 'fail', reason: 'mismatch', liveness: 'passed', assertion: 'a.b.c' })?.steps).toBe('retryTips');
    expect(errorProblem(new PresenzaError('ERR_CAPTURE_TIMEOUT', 'time up')).steps).toBe('retryTips');
    expect(checkProblem({ outcome: 'pass', liveness: 'passed', assertion: 'a.b.c' })).toBeNull();
  });

  it('offers only the alternative when the browser cannot run the face check', () => {
    const problem = errorProblem(new PresenzaError('ERR_UNSUPPORTED_BROWSER', 'no WebGL in workers'));
    expect(problem).toMatchObject({ kind: 'error', steps: 'noRetry', retryable: false });
  });

  it('still lets the student retry other start-up errors', () => {
    expect(errorProblem(new PresenzaError('ERR_ASSET_FETCH', 'offline')).retryable).toBe(true);
  });

  it('explains every camera error as a camera problem, in a thrown error or in a check result', () => {
    for (const code of CAMERA_ERROR_CODES) {
      const problem = errorProblem(new PresenzaError(code, 'camera'));
      expect(problem.kind, code).toBe('camera-error');
      expect(checkProblem({ outcome: 'inconclusive', reason: 'camera_unavailable', liveness: 'not_run', assertion: null, cameraError: code })).toEqual(problem);
    }
    expect(errorProblem(new PresenzaError('ERR_CAMERA_DENIED', 'denied'))).toMatchObject({ body: 'cameraDenied', retryable: true });
    // Nothing the student can fix: only the alternative.
    expect(errorProblem(new PresenzaError('ERR_CAMERA_POLICY', 'iframe'))).toMatchObject({ body: 'cameraPolicy', retryable: false });
    expect(errorProblem(new PresenzaError('ERR_CAMERA_INSECURE_CONTEXT', 'http'))).toMatchObject({ body: 'cameraInsecure', retryable: false });
    // A check result without the camera's code still explains a camera problem.
    expect(checkProblem({ outcome: 'inconclusive', reason: 'camera_unavailable', liveness: 'not_run', assertion: null })).toMatchObject({ body: 'cameraFailed' });
  });
});
