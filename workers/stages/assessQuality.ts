/**
 * Quality gates: decides whether a frame is good enough to enrol or check, with reason codes the
 * UI turns into guidance (move closer, more light, only one person, face the camera, hold still).
 */
import type { FaceSelection } from './detectFace.js';
import { toGray, type Pixels } from './pixels.js';
import type { FrameVerdict, QualityHint, QualityIssue } from '../../src/protocol/capture.js';

/** Photometric measures of the aligned crop (kept inside the worker). */
export interface CropMeasures {
  /** Mean luma of the central face region, 0..255. */
  readonly brightness: number;
  /** Standard deviation of that luma. */
  readonly contrast: number;
  /** Variance of the 4-neighbour Laplacian of the luma: low means blurred. */
  readonly sharpness: number;
}

/** Thresholds of the gates; see {@link DEFAULT_QUALITY_LIMITS}. */
export interface QualityLimits {
  /** Smallest face (longer side of the landmark box) in source pixels. */
  readonly minFaceSize: number;
  /** Largest |yaw| and |pitch| in degrees. */
  readonly maxYaw: number;
  readonly maxPitch: number;
  readonly minBrightness: number;
  readonly maxBrightness: number;
  readonly minContrast: number;
  readonly minSharpness: number;
}

/**
 * Default gates. Face size: the embedding crop is 112 px, and faces under ~80 px lose detail.
 * Pose: ±25° keeps the five points reliable. Photometric limits were set so that they reject
 * clearly dark, washed-out or blurred frames but not ordinary LFW photos (see README, quality).
 * Contrast: a fair face in soft, even light is a flat face region, not a washed-out frame: a
 * well-lit frontal webcam clip (`liveportrait/d19` of the PAD set) measures 14–15 on every frame
 * and could never enrol at 16, with guidance ("light your face more evenly") it already met; no
 * LFW photo (600 sampled) nor PAD-set still, live or attack, measures under 17.9.
 */
export const DEFAULT_QUALITY_LIMITS: QualityLimits = {
  minFaceSize: 80,
  maxYaw: 25,
  maxPitch: 25,
  minBrightness: 45,
  maxBrightness: 215,
  minContrast: 10,
  minSharpness: 20,
};

/** Border of the 112 px crop left out of the measures (padding, hair, background). */
const CROP_MARGIN = 20;

/** Brightness, contrast and sharpness of the central region of an aligned crop. */
export function measureCrop(crop: Pixels): CropMeasures {
  const gray = toGray(crop);
  const { width, height } = crop;
  let sum = 0;
  let sumSq = 0;
  let lapSum = 0;
  let lapSumSq = 0;
  let n = 0;
  for (let y = CROP_MARGIN; y < height - CROP_MARGIN; y += 1) {
    for (let x = CROP_MARGIN; x < width - CROP_MARGIN; x += 1) {
      const i = y * width + x;
      const g = gray[i]!;
      const lap = gray[i - 1]! + gray[i + 1]! + gray[i - width]! + gray[i + width]! - 4 * g;
      sum += g;
      sumSq += g * g;
      lapSum += lap;
      lapSumSq += lap * lap;
      n += 1;
    }
  }
  const mean = sum / n;
  const lapMean = lapSum / n;
  return {
    brightness: mean,
    contrast: Math.sqrt(Math.max(0, sumSq / n - mean * mean)),
    sharpness: Math.max(0, lapSumSq / n - lapMean * lapMean),
  };
}

/**
 * Applies the gates. `selection` is null when no face was found; `measures` are those of the
 * primary face's aligned crop.
 */
export function assessQuality(
  selection: FaceSelection | null,
  measures: CropMeasures | null,
  limits: QualityLimits = DEFAULT_QUALITY_LIMITS,
): FrameVerdict {
  if (!selection) return { ok: false, issues: ['no_face'], hints: [] };
  const issues: QualityIssue[] = [];
  const hints: QualityHint[] = selection.background.length > 0 ? ['background_face'] : [];
  const { primary } = selection;
  if (selection.comparable.length > 0) issues.push('multiple_faces');
  if (Math.max(primary.box.width, primary.box.height) < limits.minFaceSize) issues.push('face_too_small');
  // A missing pose (NaN) fails the gate rather than passing unchecked.
  if (!(Math.abs(primary.pose.yaw) <= limits.maxYaw && Math.abs(primary.pose.pitch) <= limits.maxPitch)) {
    issues.push('head_turned');
  }
  if (measures) {
    if (measures.brightness < limits.minBrightness) issues.push('too_dark');
    if (measures.brightness > limits.maxBrightness) issues.push('too_bright');
    if (measures.contrast < limits.minContrast) issues.push('low_contrast');
    if (measures.sharpness < limits.minSharpness) issues.push('blurry');
  }
  return { ok: issues.length === 0, issues, hints };
}
