import { describe, expect, it } from 'vitest';
import { LIVENESS_INPUT_SIZE, livenessTensor } from '../workers/stages/passiveLiveness.js';
import { createPixels } from '../workers/stages/pixels.js';
import { candidateTensor, SHIPPED_LIVENESS_INPUT } from './livenessInputs.js';

function uniformCrop(r: number, g: number, b: number) {
  const crop = createPixels(LIVENESS_INPUT_SIZE, LIVENESS_INPUT_SIZE);
  for (let i = 0; i < crop.data.length; i += 4) crop.data.set([r, g, b, 255], i);
  return crop;
}

describe('candidateTensor', () => {
  const crop = uniformCrop(255, 128, 0);
  const plane = LIVENESS_INPUT_SIZE * LIVENESS_INPUT_SIZE;
  const planes = (t: Float32Array) => [t[0]!, t[plane]!, t[2 * plane]!];

  it('writes CHW planes in the requested channel order', () => {
    expect(planes(candidateTensor(crop, { channelOrder: 'rgb', normalization: 'raw' }))).toEqual([255, 128, 0]);
    expect(planes(candidateTensor(crop, { channelOrder: 'bgr', normalization: 'raw' }))).toEqual([0, 128, 255]);
    expect(candidateTensor(crop, { channelOrder: 'rgb', normalization: 'raw' })).toHaveLength(3 * plane);
  });

  it('applies each normalisation', () => {
    const unit = planes(candidateTensor(crop, { channelOrder: 'rgb', normalization: 'unit' }));
    expect(unit[0]).toBeCloseTo(1, 6);
    expect(unit[1]).toBeCloseTo(128 / 255, 6);
    const centred = planes(candidateTensor(crop, { channelOrder: 'rgb', normalization: 'centred' }));
    expect(centred[0]).toBeCloseTo(127.5 / 128, 6);
    expect(centred[2]).toBeCloseTo(-127.5 / 128, 6);
    const imagenet = planes(candidateTensor(crop, { channelOrder: 'bgr', normalization: 'imagenet' }));
    // BGR order: the first plane is blue (0), normalised with blue's statistics.
    expect(imagenet[0]).toBeCloseTo((0 - 0.406) / 0.225, 5);
    expect(imagenet[2]).toBeCloseTo((1 - 0.485) / 0.229, 5);
  });

  it('gives, for the shipped input, exactly the tensor the production stage feeds', () => {
    const varied = createPixels(LIVENESS_INPUT_SIZE, LIVENESS_INPUT_SIZE);
    for (let i = 0; i < varied.data.length; i += 1) varied.data[i] = (i * 37) % 256;
    expect(candidateTensor(varied, SHIPPED_LIVENESS_INPUT)).toEqual(livenessTensor(varied));
  });
});
