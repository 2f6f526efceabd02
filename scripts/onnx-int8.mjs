// Build-time int8 transform of an ONNX model, applied by scripts/provision-models.mjs to the
// SHA-256-pinned source model, for a faster embedding on WASM.
//
// Every 1×1 convolution (group 1) with constant float weights becomes dynamic quantization:
//
//   x ─ DynamicQuantizeLinear ─ x_q (uint8), x_scale, x_zero_point
//   ConvInteger(x_q, W_q, x_zero_point, 128)                        int32
//   DequantizeLinear(·, x_scale × W_scale, axis 1)                   float
//   Add(bias)                                                        the conv's original output
//
// W_q holds the weights quantised per output channel, symmetrically to −127…127 and stored as
// uint8 with zero point 128 (onnxruntime's CPU ConvInteger takes uint8 weights with one zero
// point). Activations are quantised per tensor at run time, so no calibration data is needed and
// the output file depends only on the input file: same bytes in, same bytes out.
// Other convolutions (3×3, depthwise) stay float: onnxruntime's WASM build runs them through an
// im2col path where int8 gains nothing.
//
// The protobuf handling is a minimal wire-format codec: fields this transform does not touch are
// copied byte for byte.

/** Thrown when the model is outside what the transform knows to be safe. */
export class OnnxTransformError extends Error {
  constructor(message) {
    super(message);
    this.name = 'OnnxTransformError';
  }
}

// ---------------------------------------------------------------------------------------------
// Protobuf wire format

const VARINT = 0;
const FIXED64 = 1;
const BYTES = 2;
const FIXED32 = 5;

/**
 * Splits a protobuf message into its fields, in order: `{ no, type, value }` where `value` is a
 * BigInt for varints and a Uint8Array for everything else (fixed32/64 keep their raw bytes).
 */
export function decodeFields(bytes) {
  const fields = [];
  let pos = 0;
  const varint = () => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= bytes.length) throw new OnnxTransformError('truncated protobuf varint');
      const b = bytes[pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (pos < bytes.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const type = key & 7;
    let value;
    if (type === VARINT) value = varint();
    else if (type === FIXED64 || type === FIXED32) {
      const size = type === FIXED64 ? 8 : 4;
      value = bytes.subarray(pos, pos + size);
      pos += size;
    } else if (type === BYTES) {
      const length = Number(varint());
      value = bytes.subarray(pos, pos + length);
      pos += length;
    } else throw new OnnxTransformError(`unsupported protobuf wire type ${type}`);
    if (pos > bytes.length) throw new OnnxTransformError('truncated protobuf field');
    fields.push({ no, type, value });
  }
  return fields;
}

function varintBytes(value) {
  let v = BigInt.asUintN(64, BigInt(value));
  const out = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return out;
}

/** Serialises fields as produced by {@link decodeFields} (or built with the helpers below). */
export function encodeFields(fields) {
  const parts = [];
  let total = 0;
  const push = (part) => {
    parts.push(part);
    total += part.length;
  };
  for (const { no, type, value } of fields) {
    push(Uint8Array.from(varintBytes((no << 3) | type)));
    if (type === VARINT) push(Uint8Array.from(varintBytes(value)));
    else {
      if (type === BYTES) push(Uint8Array.from(varintBytes(value.length)));
      push(value);
    }
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();
const str = (no, s) => ({ no, type: BYTES, value: utf8.encode(s) });
const int = (no, i) => ({ no, type: VARINT, value: BigInt(i) });
const msg = (no, fields) => ({ no, type: BYTES, value: encodeFields(fields) });
const text = (field) => fromUtf8.decode(field.value);
const all = (fields, no) => fields.filter((f) => f.no === no);
const first = (fields, no) => fields.find((f) => f.no === no);

/** Values of a repeated int64 field, packed or not. */
function int64s(fields, no) {
  const out = [];
  for (const f of all(fields, no)) {
    if (f.type === VARINT) out.push(BigInt.asIntN(64, f.value));
    else for (const g of decodePacked(f.value)) out.push(BigInt.asIntN(64, g));
  }
  return out;
}

function decodePacked(bytes) {
  // A packed varint run is a message of varints with field number 0 once keys are ignored:
  // decode it by hand.
  const out = [];
  let pos = 0;
  while (pos < bytes.length) {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = bytes[pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7n;
    }
    out.push(result);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// ONNX messages (field numbers from onnx/onnx.proto)

const MODEL = { opsetImport: 8, graph: 7 };
const OPSET = { domain: 1, version: 2 };
const GRAPH = { node: 1, initializer: 5 };
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 };
const ATTR = { name: 1, f: 2, i: 3, ints: 8, type: 20 };
const ATTR_TYPE = { FLOAT: 1, INT: 2, INTS: 7 };
const TENSOR = { dims: 1, dataType: 2, floatData: 4, name: 8, rawData: 9 };
export const DATA_TYPE = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 };

/** Operators whose semantics do not change between the model's opset and 13 (see {@link MIN_OPSET}). */
const OPSET_SAFE_OPS = new Set(['Conv', 'PRelu', 'Add', 'Reshape', 'Relu', 'Mul', 'Flatten', 'BatchNormalization']);
/** Per-axis DequantizeLinear needs opset 13. */
const MIN_OPSET = 13;

function parseNode(field) {
  const fields = decodeFields(field.value);
  return {
    fields,
    opType: text(first(fields, NODE.opType) ?? { value: new Uint8Array() }),
    domain: text(first(fields, NODE.domain) ?? { value: new Uint8Array() }),
    name: first(fields, NODE.name) ? text(first(fields, NODE.name)) : '',
    inputs: all(fields, NODE.input).map(text),
    outputs: all(fields, NODE.output).map(text),
    attributes: all(fields, NODE.attribute).map((a) => decodeFields(a.value)),
  };
}

function attribute(node, name) {
  return node.attributes.find((a) => text(first(a, ATTR.name)) === name);
}

/** A node, its fields in the order onnx's own serialiser writes them. */
function node(opType, inputs, outputs, name, attributes = []) {
  return {
    no: GRAPH.node,
    type: BYTES,
    value: encodeFields([
      ...inputs.map((i) => str(NODE.input, i)),
      ...outputs.map((o) => str(NODE.output, o)),
      str(NODE.name, name),
      str(NODE.opType, opType),
      ...attributes.map((a) => msg(NODE.attribute, a)),
    ]),
  };
}

/** A tensor initializer with raw little-endian data. */
export function tensorField(name, dataType, dims, data) {
  return {
    no: GRAPH.initializer,
    type: BYTES,
    value: encodeFields([
      ...dims.map((d) => int(TENSOR.dims, d)),
      int(TENSOR.dataType, dataType),
      str(TENSOR.name, name),
      { no: TENSOR.rawData, type: BYTES, value: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) },
    ]),
  };
}

function parseTensor(field) {
  const fields = decodeFields(field.value);
  return {
    fields,
    name: text(first(fields, TENSOR.name)),
    dataType: Number(first(fields, TENSOR.dataType)?.value ?? 0n),
    dims: int64s(fields, TENSOR.dims).map(Number),
  };
}

/** Float values of a FLOAT tensor (raw_data or float_data). */
function floats(tensor) {
  const raw = first(tensor.fields, TENSOR.rawData);
  if (raw) return new Float32Array(raw.value.slice().buffer);
  const out = [];
  for (const f of all(tensor.fields, TENSOR.floatData)) {
    const view = new DataView(f.value.buffer, f.value.byteOffset, f.value.byteLength);
    if (f.type === FIXED32) out.push(view.getFloat32(0, true));
    else for (let i = 0; i < f.value.byteLength; i += 4) out.push(view.getFloat32(i, true));
  }
  return Float32Array.from(out);
}

/**
 * Quantises `weights` ([outChannels, …]) per output channel, symmetrically to −127…127, stored as
 * uint8 with zero point 128. Returns the bytes and the float32 scale of each channel.
 */
export function quantizeWeightsPerChannel(weights, outChannels) {
  const per = weights.length / outChannels;
  const q = new Uint8Array(weights.length);
  const scales = new Float32Array(outChannels);
  for (let c = 0; c < outChannels; c += 1) {
    let max = 0;
    for (let i = 0; i < per; i += 1) max = Math.max(max, Math.abs(weights[c * per + i]));
    const scale = Math.fround(max > 0 ? max / 127 : 1);
    scales[c] = scale;
    for (let i = 0; i < per; i += 1) {
      const v = Math.round(weights[c * per + i] / scale);
      q[c * per + i] = Math.max(-127, Math.min(127, v)) + 128;
    }
  }
  return { q, scales };
}

/**
 * The transform described at the top of this file. `bytes` is a serialised ONNX ModelProto; the
 * result is too. `keepFloat` names convolutions (node names) to leave in float, e.g. the layers
 * whose quantisation moves the output most. Throws {@link OnnxTransformError} for a model it cannot
 * transform safely, or when a name in `keepFloat` is not a 1×1 convolution of the model.
 * Returns `{ bytes, quantized }` with the names of the convolutions it quantised.
 */
export function quantizeConv1x1Dynamic(bytes, { keepFloat = [] } = {}) {
  // A plain Uint8Array view, so that slice() copies (Buffer's slice does not).
  const model = decodeFields(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const graphField = first(model, MODEL.graph);
  if (!graphField) throw new OnnxTransformError('not an ONNX model: no graph');
  const graph = decodeFields(graphField.value);

  const opsets = all(model, MODEL.opsetImport).map((f) => decodeFields(f.value));
  const defaultOpset = opsets.find((o) => !first(o, OPSET.domain) || text(first(o, OPSET.domain)) === '');
  if (!defaultOpset) throw new OnnxTransformError('the model imports no default-domain opset');
  const version = Number(first(defaultOpset, OPSET.version)?.value ?? 0n);

  const nodes = all(graph, GRAPH.node).map(parseNode);
  if (version < MIN_OPSET) {
    const unsafe = [...new Set(nodes.filter((n) => n.domain !== '' || !OPSET_SAFE_OPS.has(n.opType)).map((n) => n.opType))];
    if (unsafe.length) {
      throw new OnnxTransformError(`raising opset ${version} to ${MIN_OPSET} is not known to be safe for ${unsafe.join(', ')}`);
    }
  }
  const tensors = new Map(all(graph, GRAPH.initializer).map((f) => [parseTensor(f).name, f]));
  const taken = new Set([...tensors.keys(), ...nodes.flatMap((n) => [...n.inputs, ...n.outputs, n.name])]);
  const fresh = (base) => {
    let name = base;
    for (let k = 1; taken.has(name); k += 1) name = `${base}_${k}`;
    taken.add(name);
    return name;
  };

  const newNodes = [];
  const newTensors = [];
  const quantized = [];
  const kept = [];
  for (const n of nodes) {
    const weightField = n.opType === 'Conv' && n.domain === '' ? tensors.get(n.inputs[1]) : undefined;
    const weight = weightField ? parseTensor(weightField) : undefined;
    const group = Number(first(attribute(n, 'group') ?? [], ATTR.i)?.value ?? 1n);
    const pointwise = weight && weight.dataType === DATA_TYPE.FLOAT && weight.dims.length === 4 && weight.dims[2] === 1 && weight.dims[3] === 1 && group === 1;
    if (pointwise && keepFloat.includes(n.name)) kept.push(n.name);
    if (!pointwise || keepFloat.includes(n.name)) {
      newNodes.push({ no: GRAPH.node, type: BYTES, value: encodeFields(n.fields) });
      continue;
    }
    const outChannels = weight.dims[0];
    const { q, scales } = quantizeWeightsPerChannel(floats(weight), outChannels);
    const base = n.outputs[0];
    const t = {
      wq: fresh(`${base}.w_quant`),
      wzp: fresh(`${base}.w_zero_point`),
      ws: fresh(`${base}.w_scale`),
      xq: fresh(`${base}.x_quant`),
      xs: fresh(`${base}.x_scale`),
      xzp: fresh(`${base}.x_zero_point`),
      acc: fresh(`${base}.int32`),
      scale: fresh(`${base}.scale`),
      float: fresh(`${base}.float`),
      bias: fresh(`${base}.bias`),
    };
    newTensors.push(
      tensorField(t.wq, DATA_TYPE.UINT8, weight.dims, q),
      tensorField(t.wzp, DATA_TYPE.UINT8, [], Uint8Array.of(128)),
      tensorField(t.ws, DATA_TYPE.FLOAT, [outChannels], scales),
    );
    // ConvInteger takes Conv's attributes (strides, pads, dilations, group, kernel_shape) as they are.
    const convAttributes = n.attributes;
    const label = n.name || base;
    newNodes.push(
      node('DynamicQuantizeLinear', [n.inputs[0]], [t.xq, t.xs, t.xzp], fresh(`${label}.quantize`)),
      node('ConvInteger', [t.xq, t.wq, t.xzp, t.wzp], [t.acc], fresh(`${label}.conv_integer`), convAttributes),
      node('Mul', [t.xs, t.ws], [t.scale], fresh(`${label}.scale`)),
    );
    const dequantized = n.inputs[2] ? t.float : n.outputs[0];
    newNodes.push(
      node('DequantizeLinear', [t.acc, t.scale], [dequantized], fresh(`${label}.dequantize`), [
        [str(ATTR.name, 'axis'), int(ATTR.i, 1), int(ATTR.type, ATTR_TYPE.INT)],
      ]),
    );
    if (n.inputs[2]) {
      const biasField = tensors.get(n.inputs[2]);
      if (!biasField) throw new OnnxTransformError(`${label}: the bias is not a constant`);
      newTensors.push(tensorField(t.bias, DATA_TYPE.FLOAT, [outChannels, 1, 1], floats(parseTensor(biasField))));
      newNodes.push(node('Add', [dequantized, t.bias], [n.outputs[0]], fresh(`${label}.bias`)));
    }
    quantized.push(label);
  }

  const unknown = keepFloat.filter((name) => !kept.includes(name));
  if (unknown.length) throw new OnnxTransformError(`keepFloat names no 1×1 convolution of the model: ${unknown.join(', ')}`);

  // Initializers no node reads any more (the float weights replaced above) are dropped.
  const read = new Set();
  for (const f of newNodes) for (const i of all(decodeFields(f.value), NODE.input)) read.add(text(i));
  const keptTensors = [...all(graph, GRAPH.initializer).filter((f) => read.has(parseTensor(f).name)), ...newTensors];

  // The graph's other fields keep their order; nodes and initializers take the place of the first of their kind.
  const newGraph = [];
  for (const f of graph) {
    if (f.no === GRAPH.node) {
      if (f === first(graph, GRAPH.node)) newGraph.push(...newNodes);
    } else if (f.no === GRAPH.initializer) {
      if (f === first(graph, GRAPH.initializer)) newGraph.push(...keptTensors);
    } else newGraph.push(f);
  }
  if (!first(graph, GRAPH.initializer)) newGraph.push(...keptTensors);

  const newModel = model.map((f) => {
    if (f === graphField) return { ...f, value: encodeFields(newGraph) };
    if (f.no !== MODEL.opsetImport) return f;
    const opset = decodeFields(f.value);
    const domain = first(opset, OPSET.domain);
    if (domain && text(domain) !== '') return f;
    return { ...f, value: encodeFields([...opset.filter((g) => g.no !== OPSET.version), int(OPSET.version, Math.max(version, MIN_OPSET))]) };
  });
  return { bytes: encodeFields(newModel), quantized };
}

/** Transforms the provisioning script can apply, by the name a manifest entry gives. */
export const MODEL_TRANSFORMS = {
  'int8-dynamic-conv1x1': (bytes, options = {}) => quantizeConv1x1Dynamic(bytes, { keepFloat: options.keep_float ?? [] }).bytes,
};
