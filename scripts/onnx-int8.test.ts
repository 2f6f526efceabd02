import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import {
  DATA_TYPE,
  decodeFields,
  encodeFields,
  OnnxTransformError,
  quantizeConv1x1Dynamic,
  quantizeWeightsPerChannel,
  tensorField,
  // @ts-expect-error: plain ES module without type declarations (it runs before any build).
} from './onnx-int8.mjs';

type Field = { no: number; type: number; value: bigint | Uint8Array };
const enc = new TextEncoder();
const str = (no: number, s: string): Field => ({ no, type: 2, value: enc.encode(s) });
const int = (no: number, i: number): Field => ({ no, type: 0, value: BigInt.asUintN(64, BigInt(i)) });
const msg = (no: number, fields: Field[]): Field => ({ no, type: 2, value: encodeFields(fields) as Uint8Array });
const ints = (name: string, values: number[]): Field[] => [str(1, name), ...values.map((v) => int(8, v)), int(20, 7)];
const intAttr = (name: string, value: number): Field[] => [str(1, name), int(3, value), int(20, 2)];

/** ValueInfoProto of a float tensor. */
const valueInfo = (no: number, name: string, dims: number[]) =>
  msg(no, [str(1, name), msg(2, [msg(1, [int(1, 1), msg(2, dims.map((d) => msg(1, [int(1, d)])))])])]);

const nodeField = (op: string, inputs: string[], outputs: string[], name: string, attributes: Field[][] = []) =>
  msg(1, [...inputs.map((i) => str(1, i)), ...outputs.map((o) => str(2, o)), str(3, name), str(4, op), ...attributes.map((a) => msg(5, a))]);

/** A deterministic pseudo-random sequence in [-1, 1). */
function noise(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/**
 * A small MobileFaceNet-like block at opset 9: 1×1 conv (4→8, bias) → PRelu → 3×3 depthwise conv
 * (bias) → 1×1 conv (8→4, no bias) → residual Add with the input. Plus a producer name and a graph
 * doc string the transform must keep.
 */
function blockModel(opType = 'PRelu'): Uint8Array {
  const conv1 = { pads: [0, 0, 0, 0], kernel: [1, 1] };
  const graph: Field[] = [
    nodeField('Conv', ['x', 'w1', 'b1'], ['h1'], 'Conv_0', [ints('kernel_shape', conv1.kernel), ints('pads', conv1.pads), ints('strides', [1, 1]), intAttr('group', 1)]),
    nodeField(opType, ['h1', 'slope'], ['h2'], 'PRelu_1'),
    nodeField('Conv', ['h2', 'wd', 'bd'], ['h3'], 'Conv_2', [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1]), ints('strides', [1, 1]), intAttr('group', 8)]),
    nodeField('Conv', ['h3', 'w2'], ['h4'], 'Conv_3', [ints('kernel_shape', [1, 1]), ints('pads', [0, 0, 0, 0]), ints('strides', [1, 1])]),
    nodeField('Add', ['h4', 'x'], ['y'], 'Add_4'),
    str(2, 'block'),
    tensorField('w1', DATA_TYPE.FLOAT, [8, 4, 1, 1], noise(32, 1)),
    tensorField('b1', DATA_TYPE.FLOAT, [8], noise(8, 2)),
    tensorField('slope', DATA_TYPE.FLOAT, [8, 1, 1], Float32Array.from(noise(8, 3), (v) => 0.25 * Math.abs(v))),
    tensorField('wd', DATA_TYPE.FLOAT, [8, 1, 3, 3], noise(72, 4)),
    tensorField('bd', DATA_TYPE.FLOAT, [8], noise(8, 5)),
    tensorField('w2', DATA_TYPE.FLOAT, [4, 8, 1, 1], noise(32, 6)),
    str(10, 'kept doc string'),
    valueInfo(11, 'x', [1, 4, 6, 6]),
    valueInfo(12, 'y', [1, 4, 6, 6]),
  ] as Field[];
  return encodeFields([int(1, 7), str(2, 'test-producer'), msg(7, graph), msg(8, [str(1, ''), int(2, 9)])]) as Uint8Array;
}

const textOf = (v: unknown) => new TextDecoder().decode(v as Uint8Array);

/** Op types, in order, of a serialised model. */
function opTypes(model: Uint8Array): string[] {
  const graph = decodeFields((decodeFields(model) as Field[]).find((f) => f.no === 7)!.value) as Field[];
  return graph.filter((f) => f.no === 1).map((f) => textOf((decodeFields(f.value) as Field[]).find((g) => g.no === 4)!.value));
}

async function run(model: Uint8Array, input: Float32Array): Promise<Float32Array> {
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(model);
  const out = await session.run({ x: new ort.Tensor('float32', input, [1, 4, 6, 6]) });
  await session.release();
  return out.y!.data as Float32Array;
}

describe('quantizeWeightsPerChannel', () => {
  it('maps each channel symmetrically onto -127…127 around zero point 128, an all-zero channel to 128', () => {
    const weights = Float32Array.of(0.5, -0.25, 0.1, 0.0, 0, 0, 0, 0, -2, 1, 0.5, -0.004);
    const { q, scales } = quantizeWeightsPerChannel(weights, 3) as { q: Uint8Array; scales: Float32Array };
    expect(Array.from(scales)).toEqual([Math.fround(0.5 / 127), 1, Math.fround(2 / 127)]);
    expect(Array.from(q.subarray(0, 4))).toEqual([255, 128 + Math.round(-0.25 / scales[0]!), 128 + 25, 128]);
    expect(Array.from(q.subarray(4, 8))).toEqual([128, 128, 128, 128]);
    expect(q[8]).toBe(1);
    for (let i = 0; i < weights.length; i += 1) {
      const scale = scales[Math.floor(i / 4)]!;
      expect(Math.abs((q[i]! - 128) * scale - weights[i]!)).toBeLessThanOrEqual(scale / 2 + 1e-9);
    }
  });
});

describe('quantizeConv1x1Dynamic', () => {
  it('replaces the 1×1 convolutions only, keeps the rest of the model, and raises the opset to 13', () => {
    const { bytes, quantized } = quantizeConv1x1Dynamic(blockModel()) as { bytes: Uint8Array; quantized: string[] };
    expect(quantized).toEqual(['Conv_0', 'Conv_3']);
    const ops = opTypes(bytes);
    expect(ops.filter((o) => o === 'ConvInteger')).toHaveLength(2);
    expect(ops.filter((o) => o === 'DynamicQuantizeLinear')).toHaveLength(2);
    expect(ops.filter((o) => o === 'Conv')).toHaveLength(1);
    expect(ops).toContain('PRelu');
    const model = decodeFields(bytes) as Field[];
    expect(textOf(model.find((f) => f.no === 2)!.value)).toBe('test-producer');
    const graph = decodeFields(model.find((f) => f.no === 7)!.value) as Field[];
    expect(textOf(graph.find((f) => f.no === 10)!.value)).toBe('kept doc string');
    const opset = decodeFields(model.find((f) => f.no === 8)!.value) as Field[];
    expect(opset.find((f) => f.no === 2)!.value).toBe(13n);
    const initializers = graph.filter((f) => f.no === 5).map((f) => textOf((decodeFields(f.value) as Field[]).find((g) => g.no === 8)!.value));
    expect(initializers).not.toContain('w1');
    expect(initializers).not.toContain('w2');
    expect(initializers).toContain('wd');
  });

  it('leaves the convolutions named in keepFloat in float, and refuses a name it does not know', () => {
    const { bytes, quantized } = quantizeConv1x1Dynamic(blockModel(), { keepFloat: ['Conv_3'] }) as { bytes: Uint8Array; quantized: string[] };
    expect(quantized).toEqual(['Conv_0']);
    expect(opTypes(bytes).filter((o) => o === 'Conv')).toHaveLength(2);
    expect(opTypes(bytes).filter((o) => o === 'ConvInteger')).toHaveLength(1);
    expect(() => quantizeConv1x1Dynamic(blockModel(), { keepFloat: ['Conv_2'] })).toThrow(/Conv_2/);
    expect(() => quantizeConv1x1Dynamic(blockModel(), { keepFloat: ['Conv_9'] })).toThrow(OnnxTransformError);
  });

  it('is deterministic: the same bytes in give the same bytes out', () => {
    const a = quantizeConv1x1Dynamic(blockModel()).bytes as Uint8Array;
    const b = quantizeConv1x1Dynamic(blockModel()).bytes as Uint8Array;
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('computes what the float model computes, within int8 rounding, in onnxruntime-web', async () => {
    const input = noise(144, 7);
    const float = await run(blockModel(), input);
    const int8 = await run(quantizeConv1x1Dynamic(blockModel()).bytes as Uint8Array, input);
    expect(int8).toHaveLength(float.length);
    let dot = 0;
    let nf = 0;
    let nq = 0;
    let worst = 0;
    const range = Math.max(...float) - Math.min(...float);
    for (let i = 0; i < float.length; i += 1) {
      dot += float[i]! * int8[i]!;
      nf += float[i]! ** 2;
      nq += int8[i]! ** 2;
      worst = Math.max(worst, Math.abs(float[i]! - int8[i]!));
    }
    expect(dot / Math.sqrt(nf * nq)).toBeGreaterThan(0.999);
    expect(worst).toBeLessThan(0.03 * range);
    expect(worst).toBeGreaterThan(0); // it did quantise something
  });

  it('matches an exact integer reference of one quantised 1×1 convolution', async () => {
    const [ci, co, size] = [16, 8, 3];
    const weights = noise(ci * co, 11);
    const bias = noise(co, 12);
    const model = encodeFields([
      int(1, 7),
      msg(7, [
        nodeField('Conv', ['x', 'w', 'b'], ['y'], 'Conv_0', [ints('kernel_shape', [1, 1])]),
        tensorField('w', DATA_TYPE.FLOAT, [co, ci, 1, 1], weights),
        tensorField('b', DATA_TYPE.FLOAT, [co], bias),
        valueInfo(11, 'x', [1, ci, size, size]),
        valueInfo(12, 'y', [1, co, size, size]),
      ] as Field[]),
      msg(8, [str(1, ''), int(2, 11)]),
    ]) as Uint8Array;
    const input = Float32Array.from(noise(ci * size * size, 13), (v) => 2 * v + 0.7);
    ort.env.wasm.numThreads = 1;
    const session = await ort.InferenceSession.create(quantizeConv1x1Dynamic(model).bytes as Uint8Array);
    const out = (await session.run({ x: new ort.Tensor('float32', input, [1, ci, size, size]) })).y!.data as Float32Array;
    await session.release();

    // DynamicQuantizeLinear as the ONNX spec defines it (uint8, range always holding 0, round half to even).
    const roundEven = (v: number) => (Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v));
    const lo = Math.min(0, ...input);
    const hi = Math.max(0, ...input);
    const xScale = Math.fround((hi - lo) / 255);
    const xZero = Math.max(0, Math.min(255, roundEven(-lo / xScale)));
    const xq = Array.from(input, (v) => Math.max(0, Math.min(255, roundEven(v / xScale) + xZero)));
    const { q, scales } = quantizeWeightsPerChannel(weights, co) as { q: Uint8Array; scales: Float32Array };
    const plane = size * size;
    for (let o = 0; o < co; o += 1) {
      for (let p = 0; p < plane; p += 1) {
        let acc = 0;
        for (let c = 0; c < ci; c += 1) acc += (xq[c * plane + p]! - xZero) * (q[o * ci + c]! - 128);
        const expected = acc * Math.fround(xScale * scales[o]!) + bias[o]!;
        expect(out[o * plane + p]).toBeCloseTo(expected, 4);
      }
    }
  });

  it('refuses to raise the opset of a model with an operator whose meaning changed', () => {
    expect(() => quantizeConv1x1Dynamic(blockModel('Upsample'))).toThrow(OnnxTransformError);
    expect(() => quantizeConv1x1Dynamic(blockModel('Upsample'))).toThrow(/Upsample/);
  });

  it('rejects bytes that are not a model', () => {
    expect(() => quantizeConv1x1Dynamic(Uint8Array.of(0x08, 0x07))).toThrow(OnnxTransformError);
  });
});
