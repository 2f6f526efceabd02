/**
 * Frame collection for enrollment and checks: keeps the embeddings of good frames (spaced in
 * time, so a template reflects a few moments rather than one), and remembers why the other frames
 * were refused so a capture that never completes ends with the right reason.
 */
import type { FrameVerdict } from '../../src/protocol/capture.js';


/**
 * How much earlier than the spacing a frame may come and still count as spaced. The capture loop
 * waits one frame interval between frames with a timer, which can fire about half a millisecond
 * early by `performance.now()`; refusing such a frame would cost a whole extra frame interval.
 */
export const TIMER_JITTER_MS = 5;

/** Why a capture that did not complete failed. */
export type IncompleteReason = 'no_face' | 'multiple_faces' | 'timeout';

/** Collects the embeddings of good frames. Lives only inside the worker. */
export class FrameCollector {
  private readonly kept: Float32Array[] = [];
  private lastKeptAt = Number.NEGATIVE_INFINITY;
  private framesWithFace = 0;
  private framesWithOthers = 0;

  constructor(
    /** How many good frames complete the capture. */
    readonly needed: number,
    /** Least time between two kept frames, by frame timestamp. */
    private readonly spacingMs: number,
  ) {}

  /** Records a frame's verdict; returns true when the frame should be embedded and kept. */
  wants(quality: FrameVerdict, timestampMs: number): boolean {
    if (!quality.issues.includes('no_face')) this.framesWithFace += 1;
    if (quality.issues.includes('multiple_faces')) this.framesWithOthers += 1;
    return quality.ok && !this.done && timestampMs - this.lastKeptAt >= this.spacingMs - TIMER_JITTER_MS;
  }

  /** Keeps the embedding of a frame that {@link wants} accepted. */
  keep(embedding: Float32Array, timestampMs: number): void {
    this.kept.push(embedding);
    this.lastKeptAt = timestampMs;
  }

  /** Embeddings kept so far. */
  get embeddings(): readonly Float32Array[] {
    return this.kept;
  }

  /** Number of frames kept. */
  get collected(): number {
    return this.kept.length;
  }

  /** Whether enough good frames were kept. */
  get done(): boolean {
    return this.kept.length >= this.needed;
  }

  /**
   * The reason for a capture that ended without enough frames: `no_face` if no face was ever
   * seen, `multiple_faces` if another person was in view in at least half of the frames with a
   * face, otherwise `timeout` (faces seen, but never good enough: too dark, turned, blurred…).
   */
  incompleteReason(): IncompleteReason {
    if (this.framesWithFace === 0) return 'no_face';
    if (this.framesWithOthers * 2 >= this.framesWithFace) return 'multiple_faces';
    return 'timeout';
  }

  /** Overwrites and forgets every kept embedding. */
  clear(): void {
    for (const embedding of this.kept) embedding.fill(0);
    this.kept.length = 0;
  }
}
