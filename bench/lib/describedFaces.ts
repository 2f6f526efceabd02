/**
 * The cache of bench/fairness-embed.ts (issue 22): per image, the two views of the selected face
 * under several choices of alignment points and the quality signals a capture has. Read by
 * bench/fairness-check.ts.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AlignmentPoints, RegionMeasures } from '../../testing/cropVariants.js';
import { ROOT } from '../../tools/paths.js';
import { pipelineId } from './embeddingCache.js';

/** The alignment choices, by name; `shipped` is the shipped alignment. */
export const POINT_CHOICES: Readonly<Record<string, AlignmentPoints | undefined>> = {
  shipped: undefined,
  iris: 'iris',
  corners: 'corners',
  nose4: 'nose4',
  'inner-mouth': 'inner-mouth',
};

/** One described image (views: base64 Float32, unit length; null without a face). */
export interface DescribedFace {
  readonly file: string;
  readonly faces: number;
  readonly issues: readonly string[];
  readonly pose: { yaw: number; pitch: number; roll: number } | null;
  readonly faceSize: number | null;
  readonly blink: { left: number; right: number } | null;
  readonly measures: { brightness: number; contrast: number; sharpness: number } | null;
  /** Mouth blendshapes; absent in descriptions made before they were recorded. */
  readonly mouth?: { open: number; smile: number } | null;
  /** Luma statistics of the shipped crop's regions (testing/cropVariants.ts `CROP_REGIONS`); absent in older descriptions. */
  readonly regions?: Readonly<Record<string, RegionMeasures>> | null;
  /** Per alignment: the raw model output's length for the plain view, before normalisation. */
  readonly rawNorms: Readonly<Record<string, number | null>>;
  /** Per alignment: the plain and mirrored views. */
  readonly views: Readonly<Record<string, [string, string] | null>>;
}

/** The cache file of a set (or a tagged pass over it) for the current pipeline. */
export function describedFile(name: string): string {
  const dir = join(ROOT, 'bench', '.cache', 'fairness', pipelineId());
  mkdirSync(dir, { recursive: true });
  return join(dir, `${name}.jsonl`);
}
