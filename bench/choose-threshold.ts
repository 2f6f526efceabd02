/**
 * Chooses the SDK's shipped match threshold: the lowest threshold (rounded up to 2 decimals) whose
 * false-accept rate on the pooled development impostor pairs (LFW folds 1–8 plus the deepface
 * pairs) is at most 1e-3. Reads the per-pair scores that `bench:accuracy` saved for the shipped
 * embedding variant, so run that on both pair sets first. Usage: npx tsx bench/choose-threshold.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_MATCH_THRESHOLD } from '../workers/stages/compareTemplates.js';
import { ROOT } from '../tools/paths.js';
import { FAR_1E3, ratesAtThreshold, thresholdForFar, type ScoredPair } from './lib/metrics.js';

const SETS = ['accuracy-lfw.json', 'accuracy-deepface.json'];
/** Decimal places of the shipped threshold. */
const DECIMALS = 2;

const sets = SETS.map((file) => {
  const record = JSON.parse(readFileSync(join(ROOT, 'bench', 'results', file), 'utf8')) as { scores: ScoredPair[]; shipped_variant: string };
  return { file, scores: record.scores.map(({ score, same }) => ({ score, same })), variant: record.shipped_variant };
});
const pooled = sets.flatMap((s) => s.scores);
const exact = thresholdForFar(pooled, FAR_1E3);
const rounded = Math.ceil(exact * 10 ** DECIMALS) / 10 ** DECIMALS;
const impostorTop = pooled.filter((p) => !p.same && p.score !== null).map((p) => p.score!).sort((a, b) => b - a).slice(0, 5);

console.log(`variant ${sets[0]!.variant}; impostor pairs ${pooled.filter((p) => !p.same).length}, genuine pairs ${pooled.filter((p) => p.same).length}`);
console.log(`highest impostor scores: ${impostorTop.map((s) => s.toFixed(4)).join(', ')}`);
console.log(`lowest threshold with FAR ≤ 1e-3 on the pooled impostors: ${exact.toFixed(4)} → shipped candidate ${rounded}`);
for (const threshold of [rounded, DEFAULT_MATCH_THRESHOLD]) {
  console.log(`\nat ${threshold}${threshold === DEFAULT_MATCH_THRESHOLD ? ' (DEFAULT_MATCH_THRESHOLD now)' : ''}:`);
  for (const set of [...sets, { file: 'pooled', scores: pooled }]) {
    const r = ratesAtThreshold(set.scores, threshold);
    console.log(`  ${set.file.padEnd(24)} TAR ${(100 * r.tar).toFixed(2)} %  FAR ${(100 * r.far).toFixed(3)} % (${r.fp} impostors accepted)  accuracy ${(100 * r.accuracy).toFixed(2)} %`);
  }
}
