import { describe, expect, it } from 'vitest';
import { DOCUMENT_CANDIDATE_FRAMES, DOCUMENT_EXTRA_FRAMES, DOCUMENT_FRAMES } from '../../src/protocol/capture.js';
import type { PortraitFinding } from '../pipeline.js';
import type { Pixels } from '../stages/pixels.js';
import { DEFAULT_DOCUMENT_MATCH_THRESHOLD, DocumentMatch, type DocumentPipeline } from './documentMatch.js';

const unit = (...v: number[]) => {
  const n = Math.hypot(...v);
  return Float32Array.from(v, (x) => x / n);
};
const TEMPLATE = unit(1, 0, 0);
const FRAME = {} as ImageBitmap;
const crop = (): Pixels => ({ width: 2, height: 2, data: new Uint8ClampedArray(16).fill(7) });

/** A fake pipeline: each frame yields the next finding; a usable portrait embeds to `embedding`. */
function pipeline(findings: Partial<PortraitFinding>[], embedding: Float32Array): DocumentPipeline & { crops: Pixels[] } {
  const crops: Pixels[] = [];
  let i = 0;
  return {
    crops,
    async findDocumentPortrait() {
      const f = findings[Math.min(i++, findings.length - 1)]!;
      const c = f.crop === undefined ? null : f.crop;
      if (c) crops.push(c);
      return { portrait: null, crop: c, guidance: [], foundInFullFrame: false, foundInLargeWindows: false, windowsSearched: 1, sharpness: null, ...f, ...(c ? { crop: c } : {}) };
    },
    async embed() {
      return Float32Array.from(embedding);
    },
  };
}

const usable = (sharpness = 10): Partial<PortraitFinding> => ({ crop: crop(), guidance: [], sharpness });

/** A fake pipeline whose frame i yields `frames[i]`: a usable portrait of that sharpness embedding to that vector, or guidance. */
function sequence(frames: ({ sharpness: number; embedding: Float32Array } | 'glare')[]): DocumentPipeline & { crops: Pixels[]; embeddings: Float32Array[] } {
  const crops: Pixels[] = [];
  const embeddings: Float32Array[] = [];
  let i = 0;
  let next: Float32Array | null = null;
  return {
    crops,
    embeddings,
    async findDocumentPortrait() {
      const f = frames[i++]!;
      const c = crop();
      crops.push(c);
      if (f === 'glare') return { portrait: null, crop: c, guidance: ['card_glare'], foundInFullFrame: false, foundInLargeWindows: false, windowsSearched: 1, sharpness: 3 };
      next = f.embedding;
      return { portrait: null, crop: c, guidance: [], foundInFullFrame: false, foundInLargeWindows: false, windowsSearched: 1, sharpness: f.sharpness };
    },
    async embed() {
      const e = Float32Array.from(next!);
      embeddings.push(e);
      return e;
    },
  };
}

describe('DocumentMatch', () => {
  it('matches after enough usable portraits similar to the template, and says done', async () => {
    const match = new DocumentMatch(Float32Array.from(TEMPLATE), 200, 'required');
    const fake = pipeline([usable()], unit(0.9, 0.3, 0));
    let progress;
    for (let i = 0; i < DOCUMENT_CANDIDATE_FRAMES; i += 1) progress = await match.submit(fake, FRAME);
    expect(progress).toEqual({ guidance: [], collected: DOCUMENT_CANDIDATE_FRAMES, needed: DOCUMENT_CANDIDATE_FRAMES, done: true });
    expect(match.result('complete')).toBe('matched');
    // Each portrait crop is overwritten once embedded.
    expect(fake.crops.every((c) => c.data.every((v) => v === 0))).toBe(true);
  });

  it('does not match a portrait of someone else (below the card threshold)', async () => {
    const match = new DocumentMatch(Float32Array.from(TEMPLATE), 200, 'required');
    const other = unit(DEFAULT_DOCUMENT_MATCH_THRESHOLD - 0.05, Math.sqrt(1 - (DEFAULT_DOCUMENT_MATCH_THRESHOLD - 0.05) ** 2), 0);
    const fake = pipeline([usable()], other);
    for (let i = 0; i < DOCUMENT_CANDIDATE_FRAMES; i += 1) await match.submit(fake, FRAME);
    expect(match.result('complete')).toBe('not_matched');
  });

  it('passes guidance on and keeps nothing from frames without a usable portrait', async () => {
    const match = new DocumentMatch(Float32Array.from(TEMPLATE), 200, 'required');
    const fake = pipeline([{ guidance: ['no_card_face'] }, { crop: crop(), guidance: ['card_glare'] }], unit(1, 0, 0));
    expect(await match.submit(fake, FRAME)).toEqual({ guidance: ['no_card_face'], collected: 0, needed: DOCUMENT_CANDIDATE_FRAMES, done: false });
    expect(await match.submit(fake, FRAME)).toEqual({ guidance: ['card_glare'], collected: 0, needed: DOCUMENT_CANDIDATE_FRAMES, done: false });
    expect(match.similarity()).toBeNull();
  });

  it('no portrait before the time ran out: not_matched when required, not_run when optional', () => {
    expect(new DocumentMatch(Float32Array.from(TEMPLATE), 200, 'required').result('timeout')).toBe('not_matched');
    expect(new DocumentMatch(Float32Array.from(TEMPLATE), 200, 'optional').result('timeout')).toBe('not_run');
  });

  it('decides on the portraits seen when the time runs out with fewer than needed', async () => {
    const match = new DocumentMatch(Float32Array.from(TEMPLATE), 200, 'optional');
    await match.submit(pipeline([usable()], unit(1, 0.1, 0)), FRAME);
    expect(match.result('timeout')).toBe('matched');
  });

  it('a declined phase is not_run, even after a matching portrait', async () => {
    const match = new DocumentMatch(Float32Array.from(TEMPLATE), 200, 'required');
    await match.submit(pipeline([usable()], unit(1, 0, 0)), FRAME);
    expect(match.result('declined')).toBe('not_run');
  });

  it('clear() overwrites the template copy and the portrait embeddings', async () => {
    const template = Float32Array.from(TEMPLATE);
    const match = new DocumentMatch(template, 200, 'required');
    await match.submit(pipeline([usable()], unit(1, 0, 0)), FRAME);
    match.clear();
    expect(template.every((v) => v === 0)).toBe(true);
    expect(match.similarity()).toBeNull();
  });
  it(`compares the mean of the ${DOCUMENT_FRAMES} sharpest of ${DOCUMENT_CANDIDATE_FRAMES} usable portraits`, async () => {
    expect(DOCUMENT_CANDIDATE_FRAMES).toBeGreaterThan(DOCUMENT_FRAMES);
    const match = new DocumentMatch(Float32Array.from(TEMPLATE), 200, 'required');
    // The blurred views embed away from the template, the sharp ones close to it.
    const blurred = unit(0.2, 1, 0);
    const sharp = unit(1, 0.2, 0);
    const views = Array.from({ length: DOCUMENT_CANDIDATE_FRAMES }, (_, i) => (i % 2 === 0 ? { sharpness: 2 + i, embedding: blurred } : { sharpness: 40 + i, embedding: sharp }));
    const fake = sequence(views);
    const progress = [];
    for (let i = 0; i < DOCUMENT_CANDIDATE_FRAMES; i += 1) progress.push(await match.submit(fake, FRAME));
    expect(progress.map((p) => p.done)).toEqual([...Array(DOCUMENT_CANDIDATE_FRAMES - 1).fill(false), true]);
    expect(progress.at(-1)).toEqual({ guidance: [], collected: DOCUMENT_CANDIDATE_FRAMES, needed: DOCUMENT_CANDIDATE_FRAMES, done: true });
    // Only the sharp views count: their mean is `sharp` itself (all six averaged would give 0.71).
    expect(match.similarity()).toBeCloseTo(sharp[0]!, 6);
    expect(match.result('complete')).toBe('matched');
    // A frame after done is not looked at.
    expect(await match.submit(fake, FRAME)).toEqual({ guidance: [], collected: DOCUMENT_CANDIDATE_FRAMES, needed: DOCUMENT_CANDIDATE_FRAMES, done: true });
    expect(fake.crops).toHaveLength(DOCUMENT_CANDIDATE_FRAMES);
    // Privacy: every crop was overwritten once analysed, every embedding (the unchosen ones too) by clear().
    expect(fake.crops.every((c) => c.data.every((v) => v === 0))).toBe(true);
    match.clear();
    expect(fake.embeddings).toHaveLength(DOCUMENT_CANDIDATE_FRAMES);
    expect(fake.embeddings.every((e) => e.every((v) => v === 0))).toBe(true);
  });

  it(`stops waiting ${DOCUMENT_EXTRA_FRAMES} frames after the ${DOCUMENT_FRAMES}th usable portrait when no more come`, async () => {
    const match = new DocumentMatch(Float32Array.from(TEMPLATE), 200, 'required');
    const view = { sharpness: 20, embedding: unit(1, 0.1, 0) };
    const fake = sequence([...Array(DOCUMENT_FRAMES).fill(view), ...Array(DOCUMENT_EXTRA_FRAMES + 2).fill('glare')]);
    const done = [];
    for (let i = 0; i < DOCUMENT_FRAMES + DOCUMENT_EXTRA_FRAMES; i += 1) done.push((await match.submit(fake, FRAME)).done);
    expect(done).toEqual([...Array(DOCUMENT_FRAMES + DOCUMENT_EXTRA_FRAMES - 1).fill(false), true]);
    expect(match.result('complete')).toBe('matched');
  });

  it('equal sharpness keeps the earlier portraits', async () => {
    const match = new DocumentMatch(Float32Array.from(TEMPLATE), 200, 'required');
    const early = { sharpness: 9, embedding: unit(1, 0, 0) };
    const late = { sharpness: 9, embedding: unit(0, 1, 0) };
    const fake = sequence([early, early, early, late, late, late]);
    for (let i = 0; i < 6; i += 1) await match.submit(fake, FRAME);
    expect(match.similarity()).toBeCloseTo(1, 6);
  });
});
