import { describe, expect, it } from 'vitest';
import type { TensorRunner } from '../runtime/onnx.js';
import { embedFace, embedView, writeCropTensor } from './embedFace.js';
import { createPixels } from './pixels.js';

function crop() {
  const image = createPixels(112, 112);
  // Red rises to the right, green downward, blue constant.
  for (let y = 0; y < 112; y += 1) for (let x = 0; x < 112; x += 1) image.data.set([x * 2, y * 2, 200, 255], (y * 112 + x) * 4);
  return image;
}

describe('writeCropTensor', () => {
  it('writes normalised CHW planes in BGR or RGB order', () => {
    const plane = 112 * 112;
    const bgr = new Float32Array(3 * plane);
    writeCropTensor(crop(), 'bgr', false, bgr);
    const at = (x: number, y: number) => y * 112 + x;
    expect(bgr[at(10, 0)]).toBeCloseTo((200 - 127.5) / 128, 6);
    expect(bgr[plane + at(0, 10)]).toBeCloseTo((20 - 127.5) / 128, 6);
    expect(bgr[2 * plane + at(10, 0)]).toBeCloseTo((20 - 127.5) / 128, 6);
    const rgb = new Float32Array(3 * plane);
    writeCropTensor(crop(), 'rgb', false, rgb);
    expect(rgb[at(10, 0)]).toBeCloseTo((20 - 127.5) / 128, 6);
  });

  it('mirrors left to right', () => {
    const plain = new Float32Array(3 * 112 * 112);
    const mirrored = new Float32Array(3 * 112 * 112);
    writeCropTensor(crop(), 'rgb', false, plain);
    writeCropTensor(crop(), 'rgb', true, mirrored);
    expect(mirrored[5]).toBe(plain[106]);
    expect(mirrored[112 * 40 + 111]).toBe(plain[112 * 40]);
  });

  it('refuses a crop of the wrong size', () => {
    expect(() => writeCropTensor(createPixels(100, 112), 'bgr', false, new Float32Array(3 * 100 * 112))).toThrow(TypeError);
  });
});

describe('embedFace', () => {
  /** A fake model whose output depends on the input's first values, so mirroring changes it. */
  const runner: TensorRunner & { calls: number[][] } = {
    calls: [],
    async run(input, dims) {
      this.calls.push([...dims]);
      return new Float32Array([input[0]! + 2, 1, 0]);
    },
  };

  it('returns a unit vector without mirror fusion, from one run', async () => {
    runner.calls = [];
    const e = await embedFace(runner, crop(), { channelOrder: 'bgr', fuseMirror: false });
    expect(runner.calls).toEqual([[1, 3, 112, 112]]);
    expect(Math.hypot(...e)).toBeCloseTo(1, 6);
  });

  it('fuses the mirrored crop: two runs, normalised sum', async () => {
    runner.calls = [];
    const e = await embedFace(runner, crop(), { channelOrder: 'rgb', fuseMirror: true });
    expect(runner.calls).toHaveLength(2);
    expect(Math.hypot(...e)).toBeCloseTo(1, 6);
    const plain = await embedFace(runner, crop(), { channelOrder: 'rgb', fuseMirror: false });
    expect(e[0]).not.toBeCloseTo(plain[0]!, 4);
  });

  it('embeds one view per run: the mirrored view is the second half of the fusion', async () => {
    runner.calls = [];
    const plain = await embedView(runner, crop(), 'plain', 'rgb');
    const mirrored = await embedView(runner, crop(), 'mirrored', 'rgb');
    expect(runner.calls).toEqual([[1, 3, 112, 112], [1, 3, 112, 112]]);
    expect(Math.hypot(...mirrored)).toBeCloseTo(1, 6);
    expect(mirrored[0]).not.toBeCloseTo(plain[0]!, 4);
    const fused = await embedFace(runner, crop(), { channelOrder: 'rgb', fuseMirror: true });
    const sum = plain.map((v, i) => v + mirrored[i]!);
    const norm = Math.hypot(...sum);
    for (let i = 0; i < fused.length; i += 1) expect(fused[i]).toBeCloseTo(sum[i]! / norm, 6);
  });
});
