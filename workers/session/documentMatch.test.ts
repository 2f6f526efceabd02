import { describe, expect, it } from 'vitest';
import { DOCUMENT_FRAMES } from '../../src/protocol/capture.js';
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

const usable = (): Partial<PortraitFinding> => ({ crop: crop(), guidance: [] });

describe('DocumentMatch', () => {
  it('matches after enough usable portraits similar to the template, and says done', async () => {
    const match = new DocumentMatch(Float32Array.from(TEMPLATE), 200, 'required');
    const fake = pipeline([usable()], unit(0.9, 0.3, 0));
    let progress;
    for (let i = 0; i < DOCUMENT_FRAMES; i += 1) progress = await match.submit(fake, FRAME);
    expect(progress).toEqual({ guidance: [], collected: DOCUMENT_FRAMES, needed: DOCUMENT_FRAMES, done: true });
    expect(match.result('complete')).toBe('matched');
    // Each portrait crop is overwritten once embedded.
    expect(fake.crops.every((c) => c.data.every((v) => v === 0))).toBe(true);
  });

  it('does not match a portrait of someone else (below the card threshold)', async () => {
    const match = new DocumentMatch(Float32Array.from(TEMPLATE), 200, 'required');
    const other = unit(DEFAULT_DOCUMENT_MATCH_THRESHOLD - 0.05, Math.sqrt(1 - (DEFAULT_DOCUMENT_MATCH_THRESHOLD - 0.05) ** 2), 0);
    const fake = pipeline([usable()], other);
    for (let i = 0; i < DOCUMENT_FRAMES; i += 1) await match.submit(fake, FRAME);
    expect(match.result('complete')).toBe('not_matched');
  });

  it('passes guidance on and keeps nothing from frames without a usable portrait', async () => {
    const match = new DocumentMatch(Float32Array.from(TEMPLATE), 200, 'required');
    const fake = pipeline([{ guidance: ['no_card_face'] }, { crop: crop(), guidance: ['card_glare'] }], unit(1, 0, 0));
    expect(await match.submit(fake, FRAME)).toEqual({ guidance: ['no_card_face'], collected: 0, needed: DOCUMENT_FRAMES, done: false });
    expect(await match.submit(fake, FRAME)).toEqual({ guidance: ['card_glare'], collected: 0, needed: DOCUMENT_FRAMES, done: false });
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
});
