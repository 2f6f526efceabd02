/**
 * The check protocol on described photos (issue 22): an enrollment template (the weighted mean of
 * fused embeddings, one per enrollment frame or photo) against the probe a check computes when a
 * photo is shown as its frames (one view per frame, plain and mirrored in turn, `checkFrameView`).
 */
import { dirname } from 'node:path';
import { CHECK_FRAMES } from '../../src/protocol/capture.js';
import { checkFrameView } from '../../workers/session/check.js';
import { DEFAULT_MATCH_THRESHOLD, cosineSimilarity, l2Normalize, meanTemplate } from '../../workers/stages/compareTemplates.js';
import { fromBase64 } from './embeddingCache.js';
import type { DescribedFace } from './describedFaces.js';
import { groupReport } from './groups.js';
import { summarize } from './metrics.js';

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

/** A pair of a set with its score under one idea (null: no face in a photo). */
export interface ScoredPair {
  readonly pair: { readonly a: string; readonly b: string; readonly same: boolean; readonly fold?: number };
  readonly score: number | null;
}

/** The column header of {@link scoreIdea}'s printed line. */
export const IDEA_HEADER =
  `${'idea'.padEnd(58)} thresh  women              men                ratio (bootstrap 95 %)   mean F / M      LFW FA      df FA   accuracy: k-fold (at the threshold)`;

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;

/**
 * Scores one idea on LFW pairs (and the deepface pairs, unlabelled, for false accepts only) at
 * `threshold`: per-group false non-matches (female and male), the FNMR ratio with its bootstrap
 * interval, false accepts, the k-fold accuracy (when the pairs span folds) and the accuracy at
 * the threshold. Returns the record and its printed line.
 */
export function scoreIdea(
  name: string,
  lfw: readonly ScoredPair[],
  deepface: readonly ScoredPair[] | null,
  threshold: number,
  groupOf: ReadonlyMap<string, string>,
): { record: Record<string, unknown>; line: string } {
  const { groups, fnmr_ratio } = groupReport(
    lfw.map(({ pair, score }) => ({ score, same: pair.same, identityA: dirname(pair.a), identityB: dirname(pair.b) })),
    groupOf,
    { threshold, resamples: 2000 },
  );
  const f = groups.genuine.female!;
  const m = groups.genuine.male!;
  const fa = (s: readonly ScoredPair[], t: number) => s.filter(({ pair, score }) => !pair.same && score !== null && score >= t).length;
  const impostors = lfw.filter((s) => !s.pair.same).length;
  const folds = new Set(lfw.map((s) => s.pair.fold));
  const kfold = summarize(lfw.map(({ pair, score }) => ({ score, same: pair.same, ...(folds.size > 1 && !folds.has(undefined) ? { fold: pair.fold! } : {}) })));
  const atThreshold = summarize(lfw.map(({ pair, score }) => ({ score, same: pair.same })), { threshold });
  const record = {
    idea: name,
    threshold,
    women: { false_non_matches: f.false_non_matches, pairs: f.genuine_pairs, people: f.people, fnmr: f.fnmr, mean: f.mean_genuine_score },
    men: { false_non_matches: m.false_non_matches, pairs: m.genuine_pairs, people: m.people, fnmr: m.fnmr, mean: m.mean_genuine_score },
    fnmr_ratio,
    lfw_false_accepts: fa(lfw, threshold),
    lfw_false_accepts_at_shipped: fa(lfw, DEFAULT_MATCH_THRESHOLD),
    lfw_impostors: impostors,
    highest_lfw_impostor: Math.max(...lfw.filter((s) => !s.pair.same).map((s) => s.score ?? -1)),
    deepface_false_accepts: deepface ? fa(deepface, threshold) : null,
    deepface_impostors: deepface ? deepface.filter((s) => !s.pair.same).length : null,
    kfold_accuracy: kfold.accuracy,
    accuracy_at_threshold: atThreshold.accuracy,
  };
  const line =
    `${name.padEnd(58)} ${threshold.toFixed(2).padStart(5)}  ${`${f.false_non_matches}/${f.genuine_pairs}`.padStart(7)} ${pct(f.fnmr).padStart(7)}  ` +
    `${`${m.false_non_matches}/${m.genuine_pairs}`.padStart(8)} ${pct(m.fnmr).padStart(7)}  ${`${fnmr_ratio.value.toFixed(2)} (${fnmr_ratio.low.toFixed(2)}–${fnmr_ratio.high.toFixed(2)})`.padEnd(22)}  ` +
    `${f.mean_genuine_score.toFixed(3)} / ${m.mean_genuine_score.toFixed(3)}  ${`${record.lfw_false_accepts} / ${impostors}`.padStart(10)}  ` +
    `${deepface ? `${record.deepface_false_accepts} / ${record.deepface_impostors}` : '—'.padStart(7)}  ${pct(kfold.accuracy)} (${pct(atThreshold.accuracy)} at ${threshold.toFixed(2)})`;
  return { record, line };
}
