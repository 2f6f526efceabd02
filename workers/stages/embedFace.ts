/**
 * Embedding stage: turns an aligned 112×112 crop into a unit-length 512-d embedding with
 * `fr_feature.onnx`, optionally fused with the embedding of the mirrored crop.
 */
import { ALIGNED_SIZE } from './alignFace.js';
import { l2Normalize } from './compareTemplates.js';
import type { Pixels } from './pixels.js';
import type { TensorRunner } from '../runtime/onnx.js';

/** Order of the colour planes fed to the model. */
export type ChannelOrder = 'bgr' | 'rgb';

/** How a crop becomes a tensor and an embedding; see {@link DEFAULT_EMBEDDING_OPTIONS}. */
export interface EmbeddingOptions {
  readonly channelOrder: ChannelOrder;
  /** Sum the embeddings of the crop and of its mirror image before normalising. */
  readonly fuseMirror: boolean;
}

/**
 * Defaults settled by `npm run bench:accuracy` on LFW folds 1–8 in Chromium: BGR planes (the
 * model was trained on OpenCV images) and mirror fusion (see README, accuracy).
 */
export const DEFAULT_EMBEDDING_OPTIONS: EmbeddingOptions = { channelOrder: 'bgr', fuseMirror: true };

/** Pixel normalisation of the model's input, `(value − mean) / scale` (as its publisher's code feeds it). */
const INPUT_MEAN = 127.5;
const INPUT_SCALE = 128;

/**
 * Writes the crop as a normalised CHW tensor into `out` at `offset` (floats), optionally mirrored
 * left to right.
 */
export function writeCropTensor(crop: Pixels, order: ChannelOrder, mirror: boolean, out: Float32Array, offset = 0): void {
  const { width, height, data } = crop;
  if (width !== ALIGNED_SIZE || height !== ALIGNED_SIZE) {
    throw new TypeError(`embedding crops must be ${ALIGNED_SIZE}×${ALIGNED_SIZE}, got ${width}×${height}`);
  }
  const plane = width * height;
  // RGBA byte offsets of the planes in tensor order.
  const channels = order === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const source = (y * width + (mirror ? width - 1 - x : x)) * 4;
      const target = offset + y * width + x;
      for (let c = 0; c < 3; c += 1) {
        out[target + c * plane] = (data[source + channels[c]!]! - INPUT_MEAN) / INPUT_SCALE;
      }
    }
  }
}

/** Which view of an aligned crop one model run sees: as captured, or mirrored left to right. */
export type CropView = 'plain' | 'mirrored';

/** Embeds one view of an aligned crop with a single model run; the result has unit length. */
export async function embedView(
  runner: TensorRunner,
  crop: Pixels,
  view: CropView,
  channelOrder: ChannelOrder = DEFAULT_EMBEDDING_OPTIONS.channelOrder,
): Promise<Float32Array> {
  const input = new Float32Array(3 * ALIGNED_SIZE * ALIGNED_SIZE);
  writeCropTensor(crop, channelOrder, view === 'mirrored', input);
  return l2Normalize(await runner.run(input, [1, 3, ALIGNED_SIZE, ALIGNED_SIZE]));
}

/** Embeds one aligned crop (both views summed when `fuseMirror`); the result has unit length. */
export async function embedFace(
  runner: TensorRunner,
  crop: Pixels,
  options: EmbeddingOptions = DEFAULT_EMBEDDING_OPTIONS,
): Promise<Float32Array> {
  const plain = await embedView(runner, crop, 'plain', options.channelOrder);
  if (!options.fuseMirror) return plain;
  const mirrored = await embedView(runner, crop, 'mirrored', options.channelOrder);
  return l2Normalize(plain.map((v, i) => v + mirrored[i]!));
}
