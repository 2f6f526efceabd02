/**
 * Candidate inputs of the anti-spoof model, for `bench/liveness.ts` (through the testing worker):
 * the window around the face, the channel order and the normalisation. The shipped input is one
 * of them ({@link SHIPPED_LIVENESS_INPUT}); the production stage only knows that one.
 */
import type { ChannelOrder } from '../workers/stages/embedFace.js';
import { LIVENESS_WINDOW, type LivenessWindowSpec } from '../workers/stages/passiveLiveness.js';
import type { Pixels } from '../workers/stages/pixels.js';

/**
 * How pixel values become tensor values:
 * - `unit`: x / 255 (0..1);
 * - `centred`: (x − 127.5) / 128 (about −1..1);
 * - `raw`: x (0..255);
 * - `imagenet`: (x / 255 − mean) / std per channel, with ImageNet's RGB mean and std.
 */
export type LivenessNormalization = 'unit' | 'centred' | 'raw' | 'imagenet';

/** How a face becomes the model's input tensor. */
export interface LivenessInputSpec extends LivenessWindowSpec {
  readonly channelOrder: ChannelOrder;
  readonly normalization: LivenessNormalization;
}

/** The input the production stage feeds: its window, BGR planes, raw values. */
export const SHIPPED_LIVENESS_INPUT: LivenessInputSpec = { ...LIVENESS_WINDOW, channelOrder: 'bgr', normalization: 'raw' };

/** ImageNet per-channel mean and standard deviation, in R, G, B order, on the 0..1 scale. */
const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** The per-value normalisation; `rgbIndex` (0 R, 1 G, 2 B) picks ImageNet's per-channel statistics. */
function normalizer(normalization: LivenessNormalization): (value: number, rgbIndex: number) => number {
  switch (normalization) {
    case 'unit':
      return (v) => v / 255;
    case 'centred':
      return (v) => (v - 127.5) / 128;
    case 'raw':
      return (v) => v;
    case 'imagenet':
      return (v, c) => (v / 255 - IMAGENET_MEAN[c]!) / IMAGENET_STD[c]!;
  }
}

/** Writes a crop as a CHW float tensor in the channel order and normalisation of `spec`. */
export function candidateTensor(crop: Pixels, spec: Pick<LivenessInputSpec, 'channelOrder' | 'normalization'>): Float32Array {
  const { width, height, data } = crop;
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  // RGBA byte offsets of the planes in tensor order.
  const channels = spec.channelOrder === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  const normalize = normalizer(spec.normalization);
  for (let i = 0; i < plane; i += 1) {
    for (let c = 0; c < 3; c += 1) {
      const rgbIndex = channels[c]!;
      out[c * plane + i] = normalize(data[i * 4 + rgbIndex]!, rgbIndex);
    }
  }
  return out;
}
