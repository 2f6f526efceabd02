/** Shared by the latency benchmarks: which LFW photos they time, and how timings are summarised. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FACES } from '../../e2e/support/paths.js';

/** The q-quantile (nearest rank below) of `xs`, to 2 decimals. */
export const quantile = (xs: readonly number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return Number((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN).toFixed(2));
};

/** Median, p95 and count. */
export const stats = (xs: readonly number[]) => ({ p50: quantile(xs, 0.5), p95: quantile(xs, 0.95), n: xs.length });

/** The first N distinct LFW images of pairs.json (paths relative to ../shared/faces). */
export function lfwImages(n: number): string[] {
  const pairs = JSON.parse(readFileSync(join(FACES, 'lfw', 'pairs.json'), 'utf8')) as { a: string; b: string }[];
  return [...new Set(pairs.flatMap((p) => [`lfw/${p.a}`, `lfw/${p.b}`]))].slice(0, n);
}
