import { afterEach, describe, expect, it, vi } from 'vitest';
import { FRAME_INTERVAL_MS, GESTURE_FRAME_INTERVAL_MS } from '../protocol/capture.js';
import { requestTrackConstraints, runCapture, type FrameSource } from './captureLoop.js';

/** A source of placeholder frames that records when each was taken and whether it was stopped. */
function fakeSource() {
  const state = { stopped: false };
  const source: FrameSource = {
    next: async () => ({}) as ImageBitmap,
    stop: () => void (state.stopped = true),
  };
  return { source, state };
}

afterEach(() => void vi.useRealTimers());

describe('runCapture', () => {
  it('sends frames one interval apart, asks the interval before every frame, and stops the source', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] });
    const { source, state } = fakeSource();
    const stamps: number[] = [];
    let gesture = false;
    const done = runCapture(
      source,
      async (_frame, timestampMs) => {
        stamps.push(timestampMs);
        gesture = stamps.length >= 3; // from the third frame on, a gesture is asked
        return stamps.length === 6;
      },
      { timeoutMs: 10_000, intervalMs: () => (gesture ? GESTURE_FRAME_INTERVAL_MS : FRAME_INTERVAL_MS) },
    );
    await vi.runAllTimersAsync();
    expect(await done).toBe('complete');
    const gaps = stamps.slice(1).map((t, i) => t - stamps[i]!);
    expect(gaps).toEqual([FRAME_INTERVAL_MS, FRAME_INTERVAL_MS, GESTURE_FRAME_INTERVAL_MS, GESTURE_FRAME_INTERVAL_MS, GESTURE_FRAME_INTERVAL_MS]);
    expect(state.stopped).toBe(true);
  });

  it('ends with timeout when the worker never has enough, and on abort with ERR_ABORTED', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] });
    const timedOut = runCapture(fakeSource().source, async () => false, { timeoutMs: 1_000 });
    await vi.runAllTimersAsync();
    expect(await timedOut).toBe('timeout');
    const controller = new AbortController();
    controller.abort();
    await expect(runCapture(fakeSource().source, async () => false, { timeoutMs: 1_000, signal: controller.signal })).rejects.toMatchObject({
      code: 'ERR_ABORTED',
    });
  });
});

describe('requestTrackConstraints', () => {
  /** A video track that records the constraints applied to it; `refuse` makes it reject them. */
  function fakeTrack(initial: MediaTrackConstraints, refuse = false) {
    const track = {
      readyState: 'live' as MediaStreamTrackState,
      applied: [] as MediaTrackConstraints[],
      current: initial,
      getConstraints: () => track.current,
      applyConstraints: async (c: MediaTrackConstraints) => {
        if (refuse) throw new Error('OverconstrainedError');
        track.applied.push(c);
        track.current = c;
      },
    };
    return track;
  }
  const asTracks = (...tracks: ReturnType<typeof fakeTrack>[]) => tracks as unknown as MediaStreamTrack[];

  it('asks every track for the constraints, then puts each one’s previous constraints back', async () => {
    const before = { width: { ideal: 640 }, height: { ideal: 480 } };
    const wanted = { width: { ideal: 1280 }, height: { ideal: 720 } };
    const track = fakeTrack(before);
    const restore = await requestTrackConstraints(asTracks(track), wanted);
    expect(track.current).toEqual(wanted);
    await restore();
    expect(track.applied).toEqual([wanted, before]);
  });

  it('a track that refuses keeps its mode, and an ended one is left alone', async () => {
    const refusing = fakeTrack({ width: 640 }, true);
    const ended = fakeTrack({ width: 640 });
    const restore = await requestTrackConstraints(asTracks(refusing, ended), { width: { ideal: 1280 } });
    ended.readyState = 'ended';
    await expect(restore()).resolves.toBeUndefined();
    expect(ended.applied).toEqual([{ width: { ideal: 1280 } }]);
  });
});
