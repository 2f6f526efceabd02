/**
 * The identity-document phase of an enrollment: frames of the student holding their identity
 * document are searched for the printed portrait, up to DOCUMENT_CANDIDATE_FRAMES usable portraits
 * are embedded, and the mean of the DOCUMENT_FRAMES sharpest is compared with the fresh enrollment
 * template at the card threshold. Each frame is dropped as soon as it is analysed; only `matched`,
 * `not_matched` or `not_run` ever leaves.
 */
import type { IdDocumentResult } from '../../src/protocol/assertion.js';
import { DOCUMENT_CANDIDATE_FRAMES, DOCUMENT_EXTRA_FRAMES, DOCUMENT_FRAMES, type DocumentEnd, type DocumentProgress, type IdentityDocumentPolicy } from '../../src/protocol/capture.js';
import type { FacePipeline } from '../pipeline.js';
import { cosineSimilarity, meanTemplate } from '../stages/compareTemplates.js';

/**
 * Cosine similarity at or above which a card's portraits (the mean of the DOCUMENT_FRAMES sharpest
 * of DOCUMENT_CANDIDATE_FRAMES) match the enrollment template, chosen for a false-accept rate of at
 * most 1e-3 on cards held where the guidance asks (`npm run bench:id-document -- --frames 6
 * --genuine-only --limit 240 --camera 1280x720 --distance 25-35 --side left`: 240 LFW cards, 6
 * camera frames each, every card against every other identity's live template, 57,360 impostor
 * comparisons): FAR 1e-3 is reached at 0.3208, rounded up (FAR there 43 of 57,360, 0.075 %).
 * On 240 other cards (`--limit 480 --exclude 240`): TAR 83.3 %, FAR 0.078 % (45 of 57,360).
 * Before the sharpest portraits were chosen (the first 3 usable), the same method gave 0.32.
 */
export const DEFAULT_DOCUMENT_MATCH_THRESHOLD = 0.33;

/**
 * The portraits a document phase compares: the DOCUMENT_FRAMES sharpest (all of them when fewer
 * came; equal sharpness: the earlier one first).
 */
export function sharpestPortraits<T extends { readonly sharpness: number }>(portraits: readonly T[]): T[] {
  return [...portraits].sort((a, b) => b.sharpness - a.sharpness).slice(0, DOCUMENT_FRAMES);
}

/** The parts of the pipeline the document phase uses (a fake in unit tests). */
export type DocumentPipeline = Pick<FacePipeline, 'findDocumentPortrait' | 'embed'>;

/** A document phase in progress. */
export class DocumentMatch {
  /** Every usable portrait's embedding, with the sharpness of its aligned crop. */
  private readonly portraits: { readonly embedding: Float32Array; readonly sharpness: number }[] = [];
  /** Frames looked at since the DOCUMENT_FRAMES-th usable portrait came. */
  private framesAfterEnough = 0;

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

  /**
   * Whether the phase has what it needs: DOCUMENT_CANDIDATE_FRAMES usable portraits, or
   * DOCUMENT_FRAMES of them and DOCUMENT_EXTRA_FRAMES frames looked at since (a card that gives
   * few clear views is not held up to the timeout for the rest).
   */
  get done(): boolean {
    return this.portraits.length >= DOCUMENT_CANDIDATE_FRAMES || (this.portraits.length >= DOCUMENT_FRAMES && this.framesAfterEnough >= DOCUMENT_EXTRA_FRAMES);
  }

  /** Searches one frame for the card's portrait and keeps its embedding if it is usable. The caller closes the frame. */
  async submit(pipeline: DocumentPipeline, frame: ImageBitmap): Promise<DocumentProgress> {
    if (!this.done) {
      const enough = this.portraits.length >= DOCUMENT_FRAMES;
      const finding = await pipeline.findDocumentPortrait(frame, this.enrolledFaceSize);
      if (finding.crop && finding.guidance.length === 0 && finding.sharpness !== null) {
        this.portraits.push({ embedding: await pipeline.embed(finding.crop), sharpness: finding.sharpness });
      }
      finding.crop?.data.fill(0);
      if (enough) this.framesAfterEnough += 1;
      return { guidance: finding.guidance, collected: this.portraits.length, needed: DOCUMENT_CANDIDATE_FRAMES, done: this.done };
    }
    return { guidance: [], collected: this.portraits.length, needed: DOCUMENT_CANDIDATE_FRAMES, done: true };
  }

  /**
   * Similarity of the mean embedding of the {@link sharpestPortraits} with the template, or null before any usable
   * portrait. Stays in the worker (the testing build's benchmark reads it; nothing returns it).
   */
  similarity(): number | null {
    if (this.portraits.length === 0) return null;
    return cosineSimilarity(meanTemplate(sharpestPortraits(this.portraits).map((p) => p.embedding)), this.template);
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
    for (const p of this.portraits) p.embedding.fill(0);
    this.portraits.length = 0;
  }
}
