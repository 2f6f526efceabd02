/**
 * Module worker of `bench/embed-variants.ts`: loads onnxruntime-web (WASM build) with the
 * variants' thread count, turns real photos into 112×112 tensors the way the embedding stage does,
 * creates one session per variant and times them run by run in turn, so that load from elsewhere
 * on the machine hits every variant alike. Variants with another thread count need another worker:
 * ORT fixes its thread pool with the first session.
 */
import * as ort from 'onnxruntime-web/wasm';
import { ALIGNED_SIZE as SIZE } from '../../workers/stages/alignFace.js';
import { writeCropTensor } from '../../workers/stages/embedFace.js';
import type { Pixels } from '../../workers/stages/pixels.js';

/** How one variant runs the model. */
export interface VariantSpec {
  readonly name: string;
  readonly threads: number;
  /** Model URL, relative to the page's origin. */
  readonly model: string;
  /** `single`: one crop per run; `fused2`: crop then mirror, two runs; `batch2`: crop and mirror in one batch-2 run. */
  readonly mode: 'single' | 'fused2' | 'batch2';
  readonly session?: ort.InferenceSession.SessionOptions;
  /** Keep one input tensor (and its Float32Array) for every run instead of a new one each time. */
  readonly reuseInput?: boolean;
  /** Pass a pre-allocated output tensor in `fetches`. */
  readonly preallocOutput?: boolean;
  readonly simd?: boolean;
  /** ORT profiling (its per-node report goes to the worker's console). */
  readonly profile?: boolean;
}

/** The request the page posts: variants with the same thread count and SIMD flag, timed run by run in turn. */
export interface WorkerRequest {
  readonly variants: readonly VariantSpec[];
  readonly wasmBase: string;
  readonly images: readonly string[];
  readonly warmup: number;
  readonly runs: number;
  /** Embeddings of the first `keep` images are returned, to compare variants' outputs. */
  readonly keep: number;
}

/** One variant's result: per-sample times (ms) and the kept embeddings (crop, then mirror when the mode has one). */
export interface VariantReply {
  readonly times: number[];
  readonly createMs: number;
  readonly embeddings: number[][];
}

/** The reply, one entry per variant in request order. */
export interface WorkerReply {
  readonly variants: VariantReply[];
  readonly threads: number;
  readonly crossOriginIsolated: boolean;
  readonly error?: string;
}

const PLANE = 3 * SIZE * SIZE;

/** A 112×112 RGBA crop of the face region of an LFW photo (250×250, face near the centre). */
async function loadCrop(url: string): Promise<Pixels> {
  const bitmap = await createImageBitmap(await (await fetch(url)).blob());
  const canvas = new OffscreenCanvas(SIZE, SIZE);
  const context = canvas.getContext('2d')!;
  const side = Math.round(bitmap.width * 0.46);
  context.drawImage(bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2 + bitmap.height * 0.03, side, side, 0, 0, SIZE, SIZE);
  bitmap.close();
  const { data } = context.getImageData(0, 0, SIZE, SIZE);
  return { width: SIZE, height: SIZE, data };
}

/** Creates the variant's session; returns a function that embeds sample `index` (crop, then mirror). */
async function prepare(variant: VariantSpec, tensors: readonly Float32Array[]) {
  const modelBytes = new Uint8Array(await (await fetch(variant.model)).arrayBuffer());
  const created = performance.now();
  const session = await ort.InferenceSession.create(modelBytes, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
    ...variant.session,
    ...(variant.profile ? { enableProfiling: true } : {}),
  });
  const createMs = performance.now() - created;
  const inputName = session.inputNames[0]!;
  const outputName = session.outputNames[0]!;
  const batch = variant.mode === 'batch2' ? 2 : 1;
  const sharedInput = new Float32Array(batch * PLANE);
  const sharedTensor = new ort.Tensor('float32', sharedInput, [batch, 3, SIZE, SIZE]);
  const fetches = variant.preallocOutput ? { [outputName]: new ort.Tensor('float32', new Float32Array(batch * 512), [batch, 512]) } : undefined;

  async function run(source: Float32Array, offset: number): Promise<Float32Array> {
    let tensor: ort.Tensor;
    if (variant.reuseInput) {
      sharedInput.set(source.subarray(offset, offset + batch * PLANE));
      tensor = sharedTensor;
    } else {
      tensor = new ort.Tensor('float32', source.slice(offset, offset + batch * PLANE), [batch, 3, SIZE, SIZE]);
    }
    const results = fetches ? await session.run({ [inputName]: tensor }, fetches) : await session.run({ [inputName]: tensor });
    const output = results[outputName]!;
    const data = output.data as Float32Array;
    if (!fetches) output.dispose();
    return data;
  }

  async function sample(index: number): Promise<Float32Array[]> {
    const source = tensors[index % tensors.length]!;
    if (variant.mode === 'single') return [await run(source, 0)];
    if (variant.mode === 'fused2') return [await run(source, 0), await run(source, PLANE)];
    const both = await run(source, 0);
    return [both.slice(0, 512), both.slice(512, 1024)];
  }

  async function close() {
    if (variant.profile) session.endProfiling();
    await session.release();
  }
  return { sample, close, createMs };
}

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  const { threads, simd } = request.variants[0]!;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.wasmPaths = request.wasmBase;
  ort.env.wasm.proxy = false;
  if (simd !== undefined) (ort.env.wasm as { simd?: boolean }).simd = simd;
  const crops = await Promise.all(request.images.map(loadCrop));
  const tensors = crops.map((crop) => {
    const data = new Float32Array(2 * PLANE);
    writeCropTensor(crop, 'bgr', false, data, 0);
    writeCropTensor(crop, 'bgr', true, data, PLANE);
    return data;
  });
  const prepared = [];
  for (const variant of request.variants) prepared.push(await prepare(variant, tensors));
  const replies = prepared.map((p) => ({ times: [] as number[], createMs: p.createMs, embeddings: [] as number[][] }));
  for (const [v, p] of prepared.entries()) {
    for (let i = 0; i < Math.min(request.keep, tensors.length); i += 1) for (const e of await p.sample(i)) replies[v]!.embeddings.push(Array.from(e));
    for (let i = 0; i < request.warmup; i += 1) await p.sample(i);
  }
  for (let i = 0; i < request.runs; i += 1) {
    // Rotate the order so no variant always runs right after the same one.
    for (let k = 0; k < prepared.length; k += 1) {
      const v = (i + k) % prepared.length;
      const start = performance.now();
      await prepared[v]!.sample(i);
      replies[v]!.times.push(performance.now() - start);
    }
  }
  for (const p of prepared) await p.close();
  return { variants: replies, threads: ort.env.wasm.numThreads ?? 0, crossOriginIsolated: self.crossOriginIsolated };
}

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  handle(event.data).then(
    (reply) => self.postMessage(reply),
    (error: unknown) => self.postMessage({ variants: [], threads: 0, crossOriginIsolated: self.crossOriginIsolated, error: String(error) }),
  );
};
