/**
 * Impostor scores for the identity-document benchmark without more browser work: every card's
 * portrait against the live template of every run of another identity. N cards give about N×(N−1)
 * impostor comparisons, enough to see a FAR of 1e-3, at the cost of correlated scores (each
 * portrait and each template appears in many of them).
 */
import { cosineSimilarity } from '../../workers/stages/compareTemplates.js';
import type { ScoredPair } from './metrics.js';

/** One card run: whose portrait the card carried, who held it, and their embeddings (null when missing). */
export interface CardRun {
  readonly portraitIdentity: string;
  readonly liveIdentity: string;
  /** The portrait's embedding; null when no usable portrait was found (a non-match). */
  readonly portrait: ArrayLike<number> | null;
  /** The live template; null when the live frame had no face (the run has no template to attack). */
  readonly template: ArrayLike<number> | null;
}

/** An LFW-style path's identity: its folder (`Name/Name_0001.jpg` → `Name`). */
export function identityOf(path: string): string {
  const slash = path.lastIndexOf('/');
  if (slash <= 0) throw new TypeError(`no identity folder in ${path}`);
  return path.slice(0, slash).split('/').pop()!;
}

/**
 * Every impostor comparison among `runs`: run i's portrait against run j's template whenever the
 * portrait's identity differs from j's live identity (i = j included, an impostor pair's own
 * card). A missing portrait scores null (a non-match that stays in the denominator); a run
 * without a template is no target. Optionally `within(i, j)` restricts the pairs (e.g. one fold
 * group).
 */
export function crossImpostors(runs: readonly CardRun[], within: (i: number, j: number) => boolean = () => true): ScoredPair[] {
  const out: ScoredPair[] = [];
  for (let j = 0; j < runs.length; j += 1) {
    const template = runs[j]!.template;
    if (!template) continue;
    for (let i = 0; i < runs.length; i += 1) {
      const run = runs[i]!;
      if (run.portraitIdentity === runs[j]!.liveIdentity || !within(i, j)) continue;
      out.push({ score: run.portrait ? cosineSimilarity(run.portrait, template) : null, same: false });
    }
  }
  return out;
}
