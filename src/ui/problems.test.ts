import { describe, expect, it } from 'vitest';
import { PresenzaError } from '../protocol/errors.js';
import { errorProblem } from './problems.js';

describe('errorProblem', () => {
  it('offers only the alternative when the browser cannot run the face check', () => {
    const problem = errorProblem(new PresenzaError('ERR_UNSUPPORTED_BROWSER', 'no WebGL in workers'));
    expect(problem).toMatchObject({ kind: 'error', steps: 'noRetry', retryable: false });
  });

  it('still lets the student retry other start-up errors', () => {
    expect(errorProblem(new PresenzaError('ERR_ASSET_FETCH', 'offline')).retryable).toBe(true);
  });
});
