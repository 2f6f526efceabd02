import { describe, expect, it } from 'vitest';
import type { FrameVerdict } from '../../src/protocol/capture.js';
import { CHECK_FRAME_SPACING_MS, CHECK_FRAMES, ENROLLMENT_FRAME_SPACING_MS } from '../../src/protocol/capture.js';
import { FrameCollector, TIMER_JITTER_MS } from './frameCollector.js';

const good: FrameVerdict = { ok: true, issues: [], hints: [] };
const noFace: FrameVerdict = { ok: false, issues: ['no_face'], hints: [] };
const twoPeople: FrameVerdict = { ok: false, issues: ['multiple_faces'], hints: [] };
const dark: FrameVerdict = { ok: false, issues: ['too_dark'], hints: [] };

describe('FrameCollector', () => {
  it('keeps good frames spaced in time until it has enough', () => {
    const collector = new FrameCollector(2, ENROLLMENT_FRAME_SPACING_MS);
    expect(collector.wants(good, 0)).toBe(true);
    collector.keep(new Float32Array([1]), 0);
    expect(collector.wants(good, ENROLLMENT_FRAME_SPACING_MS - TIMER_JITTER_MS - 1)).toBe(false);
    expect(collector.wants(dark, ENROLLMENT_FRAME_SPACING_MS)).toBe(false);
    expect(collector.wants(good, ENROLLMENT_FRAME_SPACING_MS)).toBe(true);
    collector.keep(new Float32Array([2]), ENROLLMENT_FRAME_SPACING_MS);
    expect(collector.done).toBe(true);
    expect(collector.wants(good, 10_000)).toBe(false);
    expect(collector.collected).toBe(2);
  });

  it('counts a frame that a timer brought a little early as spaced (a check at 100 ms frames)', () => {
    const collector = new FrameCollector(CHECK_FRAMES, CHECK_FRAME_SPACING_MS);
    collector.keep(new Float32Array([1]), 1000);
    expect(collector.wants(good, 1000 + CHECK_FRAME_SPACING_MS - 0.5)).toBe(true);
    expect(collector.wants(good, 1000 + CHECK_FRAME_SPACING_MS / 2)).toBe(false);
  });

  it('says no_face when no frame had a face', () => {
    const collector = new FrameCollector(3, ENROLLMENT_FRAME_SPACING_MS);
    collector.wants(noFace, 0);
    collector.wants(noFace, 200);
    expect(collector.incompleteReason()).toBe('no_face');
  });

  it('says multiple_faces when another person was in view in at least half of the frames with a face', () => {
    const collector = new FrameCollector(3, ENROLLMENT_FRAME_SPACING_MS);
    collector.wants(twoPeople, 0);
    collector.wants(dark, 200);
    collector.wants(noFace, 400);
    expect(collector.incompleteReason()).toBe('multiple_faces');
  });

  it('says timeout when faces were seen but never good enough', () => {
    const collector = new FrameCollector(3, ENROLLMENT_FRAME_SPACING_MS);
    collector.wants(dark, 0);
    collector.wants(dark, 200);
    collector.wants(twoPeople, 400);
    expect(collector.incompleteReason()).toBe('timeout');
  });

  it('overwrites kept embeddings when cleared', () => {
    const collector = new FrameCollector(1, ENROLLMENT_FRAME_SPACING_MS);
    const embedding = new Float32Array([0.5, 0.25]);
    collector.keep(embedding, 0);
    collector.clear();
    expect(Array.from(embedding)).toEqual([0, 0]);
    expect(collector.collected).toBe(0);
  });
});
