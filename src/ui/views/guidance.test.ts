import { describe, expect, it } from 'vitest';
import type { CaptureProgress, DocumentGuidance } from '../../protocol/capture.js';
import { en } from '../i18n/en.js';
import { it as italian } from '../i18n/it.js';
import { guidanceFor } from './guidance.js';

const live = (more: Partial<CaptureProgress> = {}): CaptureProgress => ({ verdict: { ok: true, issues: [], hints: [] }, collected: 3, needed: 3, done: true, ...more });
const document = (guidance: readonly DocumentGuidance[], collected = 0, done = false): CaptureProgress =>
  live({ done, document: { guidance, collected, needed: 3, done } });

describe('guidanceFor: the identity document', () => {
  it('asks for the photo side, then closer, then against glare, then to hold still, in that order', () => {
    expect(guidanceFor(document(['no_card_face']))).toEqual({ key: 'guideDocumentNoPortrait', tone: 'fix' });
    expect(guidanceFor(document(['card_too_far']))).toEqual({ key: 'guideDocumentCloser', tone: 'fix' });
    expect(guidanceFor(document(['hold_still', 'card_glare']))).toEqual({ key: 'guideDocumentGlare', tone: 'fix' });
    expect(guidanceFor(document(['hold_still']))).toEqual({ key: 'guideDocumentHoldStill', tone: 'fix' });
  });

  it('asks for the whole document when a face was seen without a card around it, in both languages', () => {
    expect(guidanceFor(document(['card_not_seen']))).toEqual({ key: 'guideDocumentWhole', tone: 'fix' });
    expect(en.guideDocumentWhole).toMatch(/whole document.*edges/);
    expect(italian.guideDocumentWhole).toMatch(/tutto il documento.*bordi/);
  });

  it('says a usable view is good, and when the document has been seen', () => {
    expect(guidanceFor(document([], 1))).toEqual({ key: 'guideDocumentGood', tone: 'good' });
    expect(guidanceFor(document([], 3, true))).toEqual({ key: 'guideDocumentDone', tone: 'good' });
    // The live frames' own "done" is not the document's.
    expect(guidanceFor(live())).toEqual({ key: 'guideDone', tone: 'good' });
  });

  it('the move-closer guidance names the distance, in both languages', () => {
    expect(en.guideDocumentCloser).toMatch(/closer.*halfway/);
    expect(en.documentIntro).toMatch(/25–35\u00a0cm/);
    expect(italian.guideDocumentCloser).toMatch(/Avvicina.*metà strada/);
    expect(italian.documentIntro).toMatch(/25–35\u00a0cm/);
  });
});
