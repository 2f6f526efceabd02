import { describe, expect, it } from 'vitest';
import { CHECK_FRAMES } from '../../src/protocol/capture.js';
import { checkFrameView, decideCheck, type CaptureFacts } from './check.js';

const finished: CaptureFacts = { end: 'complete', liveness: 'passed', livenessEnabled: true, collected: CHECK_FRAMES, incompleteReason: 'timeout' };

describe('checkFrameView', () => {
  it('alternates plain and mirrored views, so a check holds both', () => {
    const views = Array.from({ length: CHECK_FRAMES }, (_, i) => checkFrameView(i));
    expect(views).toEqual(['plain', 'mirrored', 'plain']);
  });
});

describe('decideCheck', () => {
  it('compares the faces when the frames are in and liveness passed', () => {
    expect(decideCheck(finished)).toEqual({ compare: true, liveness: 'passed' });
  });

  it('compares with liveness not_run when the policy runs none', () => {
    expect(decideCheck({ ...finished, liveness: 'not_run', livenessEnabled: false })).toEqual({ compare: true, liveness: 'not_run' });
  });

  it('is inconclusive (camera_unavailable) when the camera failed, whatever else is known', () => {
    expect(decideCheck({ ...finished, end: 'camera_unavailable', liveness: 'failed' })).toEqual({
      compare: false,
      outcome: 'inconclusive',
      reason: 'camera_unavailable',
      liveness: 'not_run',
    });
  });

  it('fails on failed liveness without comparing, even with no good frame', () => {
    for (const collected of [0, CHECK_FRAMES]) {
      expect(decideCheck({ ...finished, liveness: 'failed', collected })).toEqual({
        compare: false,
        outcome: 'fail',
        reason: 'liveness_failed',
        liveness: 'failed',
      });
    }
  });

  it('is inconclusive with the reason frames were refused when none was kept', () => {
    for (const incompleteReason of ['no_face', 'multiple_faces', 'timeout'] as const) {
      expect(decideCheck({ ...finished, liveness: 'not_run', collected: 0, incompleteReason })).toEqual({
        compare: false,
        outcome: 'inconclusive',
        reason: incompleteReason,
        liveness: 'not_run',
      });
    }
  });

  it('is a timeout when liveness runs but did not finish', () => {
    expect(decideCheck({ ...finished, liveness: 'not_run' })).toEqual({ compare: false, outcome: 'inconclusive', reason: 'timeout', liveness: 'not_run' });
  });
});
