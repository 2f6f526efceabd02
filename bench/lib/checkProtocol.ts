/**
 * The check protocol on described photos (issue 22): an enrollment template (the weighted mean of
 * fused embeddings, one per enrollment frame or photo) against the probe a check computes when a
 * photo is shown as its frames (one view per frame, plain and mirrored in turn, `checkFrameView`).
 */
import { CHECK_FRAMES } from '../../src/protocol/capture.js';
import { checkFrameView } from '../../workers/session/check.js';
import { cosineSimilarity, l2Normalize, meanTemplate } from '../../workers/stages/compareTemplates.js';
import { fromBase64 } from './embeddingCache.js';
import type { DescribedFace } from './describedFaces.js';

/** One photo's two views of the selected face (unit length). */
export interface Views {
  readonly plain: Float32Array;
  readonly mirrored: Float32Array;
}

/** The views of one alignment in a description: undefined when not described, null without a face. */
export function viewsOf(d: DescribedFace | undefined, alignment = 'shipped'): Views | null | undefined {
  const v = d?.views[alignment];
  if (v === undefined) return undefined;
  return v ? { plain: fromBase64(v[0]), mirrored: fromBase64(v[1]) } : null;
}

/** The fused embedding an enrollment frame gives: the normalised sum of both views. */
export const fusedOf = (v: Views): Float32Array => l2Normalize(v.plain.map((x, i) => x + v.mirrored[i]!));

/** The probe a check computes when the photo is shown as its {@link CHECK_FRAMES} frames. */
export const checkProbeOf = (v: Views): Float32Array =>
  meanTemplate(Array.from({ length: CHECK_FRAMES }, (_, i) => (checkFrameView(i) === 'plain' ? v.plain : v.mirrored)));

/** An enrollment template: the mean of the fused embeddings, weighted when `weights` are given. */
export function enrollmentTemplate(views: readonly Views[], weights?: readonly number[]): Float32Array {
  const sum = new Float32Array(views[0]!.plain.length);
  views.forEach((v, k) => {
    const f = fusedOf(v);
    const w = weights?.[k] ?? 1;
    for (let i = 0; i < sum.length; i++) sum[i]! += w * f[i]!;
  });
  return l2Normalize(sum);
}

/** The check protocol's score of a template against a photo shown as a check; null when either has no face. */
export function checkScore(template: readonly Views[] | null, probe: Views | null, weights?: readonly number[]): number | null {
  if (!template || template.length === 0 || !probe) return null;
  return cosineSimilarity(enrollmentTemplate(template, weights), checkProbeOf(probe));
}

/** The shipped threshold rule: the lowest threshold with at most 2 impostors at or above it, rounded up to 2 decimals. */
export function shippedThresholdRule(impostors: readonly (number | null)[]): number {
  const sorted = impostors.filter((s): s is number => s !== null).sort((x, y) => y - x);
  return Math.ceil((sorted[2]! + 1e-9) * 100) / 100;
}
