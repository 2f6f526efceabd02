/**
 * Comparison stage: L2 normalisation and cosine similarity against the one enrolled template.
 * Verification only, one to one (DESIGN, privacy invariant 6): there is no search over templates.
 */

/**
 * Shipped match threshold on the cosine similarity of two L2-normalised embeddings. Chosen for a
 * false-accept rate of at most 1e-3 on the development impostor pairs (LFW folds 1–8 plus the
 * deepface pairs), not for best accuracy; measured with `npm run bench:accuracy` (see README,
 * "Accuracy and the operating point").
 */
export const DEFAULT_MATCH_THRESHOLD = 0.38;

/** Scales a vector to unit length (a zero vector stays zero). */
export function l2Normalize(vector: ArrayLike<number>): Float32Array {
  let sumSq = 0;
  for (let i = 0; i < vector.length; i += 1) sumSq += vector[i]! * vector[i]!;
  const scale = sumSq > 0 ? 1 / Math.sqrt(sumSq) : 0;
  const out = new Float32Array(vector.length);
  for (let i = 0; i < vector.length; i += 1) out[i] = vector[i]! * scale;
  return out;
}

/** Cosine similarity of two vectors of equal length, in [-1, 1]. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length === 0) {
    throw new TypeError(`cosineSimilarity needs two non-empty vectors of equal length, got ${a.length} and ${b.length}`);
  }
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i += 1) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** The mean of several embeddings, normalised: how an enrolment template is built from frames. */
export function meanTemplate(embeddings: readonly ArrayLike<number>[]): Float32Array {
  const first = embeddings[0];
  if (!first) throw new TypeError('meanTemplate needs at least one embedding');
  const sum = new Float32Array(first.length);
  for (const e of embeddings) {
    const unit = l2Normalize(e);
    for (let i = 0; i < sum.length; i += 1) sum[i]! += unit[i]!;
  }
  return l2Normalize(sum);
}

/** Whether a probe embedding matches the template at `threshold`. The similarity stays in the worker. */
export function compareTemplates(
  template: ArrayLike<number>,
  probe: ArrayLike<number>,
  threshold: number = DEFAULT_MATCH_THRESHOLD,
): { readonly match: boolean; readonly similarity: number } {
  const similarity = cosineSimilarity(template, probe);
  return { match: similarity >= threshold, similarity };
}
