/** Shared by the latency benchmarks: which LFW photos and clip frames they time, and how timings are summarised. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FACES } from './paths.js';

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

/** The live clip whose frames the latency benchmarks time in VIDEO mode (relative to ../shared/faces). */
export const LIVE_CLIP = 'videos/tranvanluyt-fas/real.mp4';

/**
 * The first `count` frames of {@link LIVE_CLIP} at 10 fps, 640 px wide, as JPEGs in a new temp
 * folder (the clip stays in ../shared; the caller removes the folder).
 */
export function liveClipFrames(count: number): { dir: string; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'presenza-clip-'));
  execFileSync('ffmpeg', ['-loglevel', 'error', '-i', join(FACES, LIVE_CLIP), '-vf', 'fps=10,scale=640:-2', '-frames:v', String(count), join(dir, 'f%04d.jpg')]);
  return { dir, files: readdirSync(dir).sort() };
}
