/**
 * The per-frame policy shared by enrollment and check captures: which frames are analysed, kept,
 * embedded and scored for liveness, and when the capture has what it needs. Enrollment and check
 * differ only in how a kept frame is embedded and in how they finish.
 */
import type { CaptureProgress, FrameTiming } from '../../src/protocol/capture.js';
import type { LivenessProgress } from '../../src/protocol/liveness.js';
import type { FacePipeline } from '../pipeline.js';
import type { DetectedFace } from '../stages/detectFace.js';
import type { Pixels } from '../stages/pixels.js';
import type { FrameCollector } from './frameCollector.js';
import type { LivenessSession } from './livenessSession.js';
import { parallaxPoints } from './planarMotion.js';

/** The parts of the pipeline a capture uses (a fake in unit tests). */
export type CapturePipeline = Pick<FacePipeline, 'analyze' | 'embed' | 'embedView' | 'passiveLiveness' | 'faceTexture'>;

/**
 * Liveness progress before the challenge watches: the number of gestures (for the progress bar),
 * but no gesture to prompt. The challenge judges frames from the one that completes the good
 * frames, so a gesture prompted earlier and made at once would not count: the student would have
 * to make it again (a turned head must even come back to the front first).
 */
function notPromptedYet(progress: LivenessProgress): LivenessProgress {
  return { status: progress.status, ...(progress.steps !== undefined ? { steps: progress.steps } : {}) };
}

/** One capture in progress: its good frames and its liveness. */
export abstract class CaptureSession {
  constructor(
    protected readonly collector: FrameCollector,
    protected readonly liveness: LivenessSession,
  ) {}

  /** Embeds the crop of the frame about to be kept as number `index` (from 0). */
  protected abstract embedKept(pipeline: CapturePipeline, crop: Pixels, index: number): Promise<Float32Array>;

  /** Called with the face of each frame kept (after its embedding). */
  protected onKept(_face: DetectedFace): void {}

  /** Analyses one frame and moves the capture along. The caller closes the frame. */
  async submit(pipeline: CapturePipeline, frame: ImageBitmap, timing: FrameTiming): Promise<CaptureProgress> {
    const { collector, liveness } = this;
    const timestampMs = timing.mode === 'video' ? timing.timestampMs : performance.now();
    const analysis = await pipeline.analyze(frame, timing);
    const face = analysis.selection?.primary ?? null;
    const keep = analysis.crop !== null && collector.wants(analysis.quality, timestampMs);
    // Once the good frames are in, a good frame is embedded now and then for the challenge's same-person check.
    const identitySample = collector.done && analysis.crop !== null && analysis.quality.ok && liveness.wantsIdentitySample(timestampMs);
    let embedding: Float32Array | undefined;
    if (analysis.crop && keep) embedding = await this.embedKept(pipeline, analysis.crop, collector.collected);
    else if (analysis.crop && identitySample) embedding = await pipeline.embed(analysis.crop);
    if (keep && face && liveness.wantsPassiveScores) liveness.addPassiveScore(await pipeline.passiveLiveness(frame, face));
    if (embedding && keep) {
      collector.keep(embedding, timestampMs);
      if (face) this.onKept(face);
    }
    // The challenge starts with the frame that completes the good frames, so its gestures never hold them up.
    if (collector.done) {
      const around = face && liveness.wantsTexture ? parallaxPoints(face.points) : [];
      liveness.observe(face, timestampMs, embedding, around.length > 0 ? pipeline.faceTexture(frame, around) : undefined);
    }
    if (embedding && !keep) embedding.fill(0);
    const progress = liveness.progress();
    return {
      verdict: analysis.quality,
      collected: collector.collected,
      needed: collector.needed,
      done: collector.done && (liveness.failure !== null || liveness.challengeDone),
      ...(progress ? { liveness: collector.done ? progress : notPromptedYet(progress) } : {}),
    };
  }

  /** The student cannot make the gesture asked: another replaces it; false when none is left. */
  useAlternativeGesture(): boolean {
    return this.liveness.useAlternative();
  }

  /** Overwrites and forgets everything collected. */
  clear(): void {
    this.collector.clear();
    this.liveness.clear();
  }
}
