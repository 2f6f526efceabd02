/**
 * The identity-document phase of an enrollment: frames of the student holding their identity
 * document are searched for the printed portrait, a few usable portraits are embedded, and their
 * mean is compared with the fresh enrollment template at the card threshold. Each frame is
 * dropped as soon as it is analysed; only `matched`, `not_matched` or `not_run` ever leaves.
 */
import type { IdDocumentResult } from '../../src/protocol/assertion.js';
import { DOCUMENT_FRAMES, type DocumentEnd, type DocumentProgress, type IdentityDocumentPolicy } from '../../src/protocol/capture.js';
import type { FacePipeline } from '../pipeline.js';
import { cosineSimilarity, meanTemplate } from '../stages/compareTemplates.js';

/**
 * Cosine similarity at or above which a card portrait matches the enrollment template, chosen for
 * a false-accept rate of at most 1e-3 on cards held where the guidance asks (`npm run
 * bench:id-document -- --genuine-only --limit 240 --camera 1280x720 --distance 25-35 --side left`:
 * 240 LFW cards, every portrait against every other identity's live template, 57,360 impostor
 * comparisons): FAR 1e-3 is reached at 0.316, rounded up (FAR there 47 of 57,360, 0.08 %).
 * On 240 other cards (`--limit 480 --exclude 240`), with the card check: TAR 75.8 %, FAR 0.094 %
 * (54 of 57,360): README, identity document.
 */
export const DEFAULT_DOCUMENT_MATCH_THRESHOLD = 0.32;

/** The parts of the pipeline the document phase uses (a fake in unit tests). */
export type DocumentPipeline = Pick<FacePipeline, 'findDocumentPortrait' | 'embed'>;

/** A document phase in progress. */
export class DocumentMatch {
  private readonly embeddings: Float32Array[] = [];

  /**
   * `template` is a copy of the enrollment template to compare with (overwritten by
   * {@link clear}); `enrolledFaceSize` the face size of the enrollment frames, in px.
   */
  constructor(
    private readonly template: Float32Array,
    private readonly enrolledFaceSize: number,
    private readonly policy: Exclude<IdentityDocumentPolicy, 'off'>,
    private readonly threshold = DEFAULT_DOCUMENT_MATCH_THRESHOLD,
  ) {}

  /** Whether enough usable portraits came. */
  get done(): boolean {
    return this.embeddings.length >= DOCUMENT_FRAMES;
  }

  /** Searches one frame for the card's portrait and keeps its embedding if it is usable. The caller closes the frame. */
  async submit(pipeline: DocumentPipeline, frame: ImageBitmap): Promise<DocumentProgress> {
    if (!this.done) {
      const finding = await pipeline.findDocumentPortrait(frame, this.enrolledFaceSize);
      if (finding.crop && finding.guidance.length === 0) this.embeddings.push(await pipeline.embed(finding.crop));
      finding.crop?.data.fill(0);
      return { guidance: finding.guidance, collected: this.embeddings.length, needed: DOCUMENT_FRAMES, done: this.done };
    }
    return { guidance: [], collected: this.embeddings.length, needed: DOCUMENT_FRAMES, done: true };
  }

  /**
   * Similarity of the mean portrait embedding with the template, or null before any usable
   * portrait. Stays in the worker (the testing build's benchmark reads it; nothing returns it).
   */
  similarity(): number | null {
    if (this.embeddings.length === 0) return null;
    return cosineSimilarity(meanTemplate(this.embeddings), this.template);
  }

  /**
   * The `idDocument` claim for a phase that ended as `end`: declined is `not_run`; otherwise the
   * portraits seen decide. None seen is `not_matched` when the platform required the document,
   * `not_run` when it was optional (the student did not show one).
   */
  result(end: DocumentEnd): IdDocumentResult {
    if (end === 'declined') return 'not_run';
    const similarity = this.similarity();
    if (similarity === null) return this.policy === 'required' ? 'not_matched' : 'not_run';
    return similarity >= this.threshold ? 'matched' : 'not_matched';
  }

  /** Overwrites and forgets the template copy and every portrait embedding. */
  clear(): void {
    this.template.fill(0);
    for (const e of this.embeddings) e.fill(0);
    this.embeddings.length = 0;
  }
}
