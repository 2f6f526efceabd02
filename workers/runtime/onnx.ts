/**
 * The only importer of `onnxruntime-web`. Runs the models on the WASM build (SIMD, explicit thread
 * count) or, when the caller asks for it, on WebGPU, and falls back to WASM with the reason
 * reported on any failure of the WebGPU path: no adapter or device, the WebGPU build failing to
 * load or start, a session failing to open, or a first inference that fails or gives non-finite
 * values. The accelerator never leaves the student without a check. Each build is a separate
 * chunk with its own wasm binary, fetched only when used.
 */
import type * as Ort from 'onnxruntime-web';
import type { OnnxBackend } from '../../src/protocol/capture.js';

/** Runs a model on one NCHW float tensor (a loaded ONNX model here; a fake in the stages' unit tests). */
export interface TensorRunner {
  run(input: Float32Array, dims: readonly number[]): Promise<Float32Array>;
}

/** What the runtime actually uses, reported to the caller. */
export interface OnnxRuntimeInfo {
  readonly backend: OnnxBackend;
  readonly threads: number;
  /** Why WebGPU was asked for and not used. */
  readonly fallbackReason?: string;
}

/** A loaded model. */
export interface OnnxModel extends TensorRunner {
  release(): Promise<void>;
}

/** A model to load, with the shape of the input its first inference is tried on. */
export interface ModelToLoad {
  readonly bytes: Uint8Array;
  readonly inputDims: readonly number[];
}

/** The started runtime and its models, in the order they were given. */
export interface OnnxRuntime {
  readonly info: OnnxRuntimeInfo;
  readonly models: readonly OnnxModel[];
  /** Opens one more model on the build and execution provider in use (a model loaded only when first needed). */
  open(model: ModelToLoad): Promise<OnnxModel>;
}

/**
 * The builds of ONNX Runtime Web 1.30 this adapter loads, with the loader and binary each needs:
 * the plain WASM build, and the WebGPU build in its JSPI variant (smaller, for engines with
 * WebAssembly JavaScript Promise Integration) or its asyncify variant (everywhere else).
 */
export const ORT_BUILDS = {
  wasm: { loader: 'ort-wasm-simd-threaded.mjs', binary: 'ort-wasm-simd-threaded.wasm' },
  'webgpu-jspi': { loader: 'ort-wasm-simd-threaded.jspi.mjs', binary: 'ort-wasm-simd-threaded.jspi.wasm' },
  'webgpu-asyncify': { loader: 'ort-wasm-simd-threaded.asyncify.mjs', binary: 'ort-wasm-simd-threaded.asyncify.wasm' },
} as const;

/** One of {@link ORT_BUILDS}. */
export type OrtBuild = keyof typeof ORT_BUILDS;

/** What the adapter needs from its surroundings (the real ones by default; fakes in unit tests). */
export interface OnnxEnvironment {
  /** Imports the JavaScript of a build. */
  importBuild(build: OrtBuild): Promise<typeof Ort>;
  /** `navigator.gpu`, when the engine has it. */
  readonly gpu: { requestAdapter(): Promise<{ requestDevice(): Promise<{ destroy(): void }> } | null> } | undefined;
  /** Whether the engine has WebAssembly JSPI (`WebAssembly.Suspending`). */
  readonly jspi: boolean;
}

const browserEnvironment = (): OnnxEnvironment => ({
  importBuild: (build) =>
    (build === 'wasm'
      ? import('onnxruntime-web/wasm')
      : build === 'webgpu-jspi'
        ? import('onnxruntime-web/jspi')
        : import('onnxruntime-web/webgpu')) as Promise<typeof Ort>,
  gpu: (navigator as Navigator & { gpu?: OnnxEnvironment['gpu'] }).gpu,
  jspi: typeof (WebAssembly as { Suspending?: unknown }).Suspending === 'function',
});

/** Options of {@link createOnnxRuntime}. */
export interface OnnxOptions {
  readonly backend: OnnxBackend;
  readonly threads: number;
  /**
   * Absolute URL of a build's loader (`ORT_BUILDS[build].loader`) as published (on another origin
   * ORT itself turns the threaded loader into a same-origin Blob).
   */
  readonly loaderUrl: (file: string) => string;
  /** Fetches and verifies a build's wasm binary, so ORT never runs an unverified binary and the download shows in the progress. */
  readonly loadWasm: (file: string) => Promise<Uint8Array>;
  readonly models: readonly ModelToLoad[];
}

/**
 * Threads for the WASM backend. Without usable WebAssembly threads (a page that is not
 * cross-origin isolated, or an engine that hides `SharedArrayBuffer`) ORT runs on 1 whatever it
 * is told, so 1 is what is used and reported. Otherwise the caller's count, or 2: ORT's own
 * default, min(4, ceil(cores / 2)), picks 1 on a 2-core laptop.
 */
export function wasmThreadCount(options: { sharedMemory: boolean; cores: number; requested?: number | undefined }): number {
  if (!options.sharedMemory) return 1;
  return options.requested ?? Math.max(1, Math.min(2, options.cores));
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Why WebGPU cannot be used here, or undefined when an adapter and a device can be had. */
async function webGpuUnavailableReason(gpu: OnnxEnvironment['gpu']): Promise<string | undefined> {
  if (!gpu) return 'navigator.gpu is not available in this browser or worker';
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return 'no WebGPU adapter (no GPU, or GPU blocked)';
    (await adapter.requestDevice()).destroy();
    return undefined;
  } catch (error) {
    return `WebGPU adapter or device request failed: ${message(error)}`;
  }
}

function wrapSession(ort: typeof Ort, session: Ort.InferenceSession): OnnxModel {
  const inputName = session.inputNames[0]!;
  const outputName = session.outputNames[0]!;
  return {
    async run(input, dims) {
      const feeds = { [inputName]: new ort.Tensor('float32', input, dims) };
      const output = (await session.run(feeds))[outputName];
      if (!output) throw new Error(`model gave no output ${outputName}`);
      // getData() also downloads an output the execution provider left on the GPU.
      const data = (await output.getData()) as Float32Array;
      output.dispose();
      return data;
    },
    release: () => session.release(),
  };
}

/** Opens a session for `model` on `executionProvider`; on WebGPU the model must give finite values on a first run. */
async function openModel(ort: typeof Ort, executionProvider: OnnxBackend, { bytes, inputDims }: ModelToLoad): Promise<OnnxModel> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: [executionProvider], graphOptimizationLevel: 'all' });
  const model = wrapSession(ort, session);
  if (executionProvider !== 'webgpu') return model;
  try {
    const output = await model.run(new Float32Array(inputDims.reduce((a, b) => a * b, 1)), inputDims);
    if (!output.every(Number.isFinite)) throw new Error('a first inference gave non-finite values');
    return model;
  } catch (error) {
    await model.release();
    throw error;
  }
}

/** Starts `build` and opens a session for each model on `executionProvider`. */
async function startBuild(build: OrtBuild, executionProvider: OnnxBackend, options: OnnxOptions, env: OnnxEnvironment): Promise<{ ort: typeof Ort; models: OnnxModel[] }> {
  const [ort, wasmBinary] = await Promise.all([env.importBuild(build), options.loadWasm(ORT_BUILDS[build].binary)]);
  ort.env.wasm.numThreads = options.threads;
  ort.env.wasm.wasmPaths = { mjs: options.loaderUrl(ORT_BUILDS[build].loader) };
  ort.env.wasm.wasmBinary = wasmBinary;
  ort.env.wasm.proxy = false;
  const models: OnnxModel[] = [];
  try {
    for (const model of options.models) models.push(await openModel(ort, executionProvider, model));
    return { ort, models };
  } catch (error) {
    await Promise.allSettled(models.map((model) => model.release()));
    throw error;
  }
}

/**
 * Starts ONNX Runtime once per worker (ORT fixes its thread pool with the first session) and loads
 * the models. Asked for WebGPU, tries it first and falls back to WASM with the reason; errors of
 * the WASM path itself are thrown.
 */
export async function createOnnxRuntime(options: OnnxOptions, env: OnnxEnvironment = browserEnvironment()): Promise<OnnxRuntime> {
  let fallbackReason: string | undefined;
  if (options.backend === 'webgpu') {
    fallbackReason = await webGpuUnavailableReason(env.gpu);
    if (!fallbackReason) {
      const build: OrtBuild = env.jspi ? 'webgpu-jspi' : 'webgpu-asyncify';
      try {
        const { ort, models } = await startBuild(build, 'webgpu', options, env);
        return { info: { backend: 'webgpu', threads: options.threads }, models, open: (model) => openModel(ort, 'webgpu', model) };
      } catch (error) {
        fallbackReason = `the WebGPU path failed (${build}): ${message(error)}`;
      }
    }
  }
  const { ort, models } = await startBuild('wasm', 'wasm', options, env);
  return { info: { backend: 'wasm', threads: options.threads, ...(fallbackReason ? { fallbackReason } : {}) }, models, open: (model) => openModel(ort, 'wasm', model) };
}
