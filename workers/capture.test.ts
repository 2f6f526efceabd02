import { describe, expect, it } from 'vitest';
import type { QualityReport } from './assessQuality.js';
import { CHECK_FRAME_SPACING_MS, CHECK_FRAMES, checkFrameView, FrameCollector, MIN_FRAME_SPACING_MS, TIMER_JITTER_MS } from './capture.js';

const good: QualityReport = { ok: true, issues: [], hints: [] };
const noFace: QualityReport = { ok: false, issues: ['no_face'], hints: [] };
const twoPeople: QualityReport = { ok: false, issues: ['multiple_faces'], hints: [] };
const dark: QualityReport = { ok: false, issues: ['too_dark'], hints: [] };

describe('FrameCollector', () => {
  it('keeps good frames spaced in time until it has enough', () => {
    const collector = new FrameCollector(2);
    expect(collector.wants(good, 0)).toBe(true);
    collector.keep(new Float32Array([1]), 0);
    expect(collector.wants(good, MIN_FRAME_SPACING_MS - TIMER_JITTER_MS - 1)).toBe(false);
    expect(collector.wants(dark, MIN_FRAME_SPACING_MS)).toBe(false);
    expect(collector.wants(good, MIN_FRAME_SPACING_MS)).toBe(true);
    collector.keep(new Float32Array([2]), MIN_FRAME_SPACING_MS);
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
    const collector = new FrameCollector(3);
    collector.wants(noFace, 0);
    collector.wants(noFace, 200);
    expect(collector.incompleteReason()).toBe('no_face');
  });

  it('says multiple_faces when another person was in view in at least half of the frames with a face', () => {
    const collector = new FrameCollector(3);
    collector.wants(twoPeople, 0);
    collector.wants(dark, 200);
    collector.wants(noFace, 400);
    expect(collector.incompleteReason()).toBe('multiple_faces');
  });

  it('says timeout when faces were seen but never good enough', () => {
    const collector = new FrameCollector(3);
    collector.wants(dark, 0);
    collector.wants(dark, 200);
    collector.wants(twoPeople, 400);
    expect(collector.incompleteReason()).toBe('timeout');
  });

  it('overwrites kept embeddings when cleared', () => {
    const collector = new FrameCollector(1);
    const embedding = new Float32Array([0.5, 0.25]);
    collector.keep(embedding, 0);
    collector.clear();
    expect(Array.from(embedding)).toEqual([0, 0]);
    expect(collector.collected).toBe(0);
  });
});

describe('checkFrameView', () => {
  it('alternates plain and mirrored views, so a check holds both', () => {
    const views = Array.from({ length: CHECK_FRAMES }, (_, i) => checkFrameView(i));
    expect(views).toEqual(['plain', 'mirrored', 'plain']);
  });
});
