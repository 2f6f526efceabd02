/**
 * The only importer of `onnxruntime-web`. Loads the WASM build (SIMD, explicit thread count) or,
 * when the caller asks for it, the WebGPU build, falling back to WASM with the reason reported.
 * Each build is a separate chunk, fetched only when used.
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

/** The runtime, configured once per worker (ORT fixes its thread pool with the first session). */
export interface OnnxRuntime {
  readonly info: OnnxRuntimeInfo;
  loadModel(bytes: Uint8Array): Promise<OnnxModel>;
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

async function webGpuUnavailableReason(): Promise<string | undefined> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return 'navigator.gpu is not available in this browser or worker';
  try {
    return (await gpu.requestAdapter()) ? undefined : 'no WebGPU adapter (no GPU, or GPU blocked)';
  } catch (error) {
    return `WebGPU adapter request failed: ${String(error)}`;
  }
}

/** The wasm binary each ORT build loads (the WebGPU build is the larger JSEP one). */
export const ORT_WASM_FILES: Readonly<Record<OnnxBackend, string>> = {
  wasm: 'ort-wasm-simd-threaded.wasm',
  webgpu: 'ort-wasm-simd-threaded.jsep.wasm',
};

/**
 * Configures ORT. `wasmBaseUrl` is the absolute URL of the folder with the `ort-wasm-simd-threaded*`
 * loaders (on another origin ORT itself turns the threaded loader into a same-origin Blob);
 * `loadWasm` fetches and verifies the wasm binary the chosen build needs, so ORT never fetches an
 * unverified binary and the download shows in the progress.
 */
export async function createOnnxRuntime(options: {
  backend: OnnxBackend;
  threads: number;
  wasmBaseUrl: string;
  loadWasm: (file: string) => Promise<Uint8Array>;
}): Promise<OnnxRuntime> {
  let fallbackReason = options.backend === 'webgpu' ? await webGpuUnavailableReason() : undefined;
  const wantGpu = options.backend === 'webgpu' && !fallbackReason;
  const [ort, wasmBinary] = await Promise.all([
    (wantGpu ? import('onnxruntime-web/webgpu') : import('onnxruntime-web/wasm')) as Promise<typeof Ort>,
    options.loadWasm(ORT_WASM_FILES[wantGpu ? 'webgpu' : 'wasm']),
  ]);
  ort.env.wasm.numThreads = options.threads;
  ort.env.wasm.wasmPaths = options.wasmBaseUrl;
  ort.env.wasm.wasmBinary = wasmBinary;
  ort.env.wasm.proxy = false;
  let backend: OnnxBackend = wantGpu ? 'webgpu' : 'wasm';

  const sessionOptions = (ep: OnnxBackend): Ort.InferenceSession.SessionOptions => ({
    executionProviders: [ep],
    graphOptimizationLevel: 'all',
  });

  async function createSession(bytes: Uint8Array): Promise<Ort.InferenceSession> {
    if (backend === 'webgpu') {
      try {
        return await ort.InferenceSession.create(bytes, sessionOptions('webgpu'));
      } catch (error) {
        backend = 'wasm';
        fallbackReason = `WebGPU session failed: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    return ort.InferenceSession.create(bytes, sessionOptions('wasm'));
  }

  return {
    get info() {
      return { backend, threads: options.threads, ...(fallbackReason ? { fallbackReason } : {}) };
    },
    async loadModel(bytes) {
      const session = await createSession(bytes);
      const inputName = session.inputNames[0]!;
      const outputName = session.outputNames[0]!;
      return {
        async run(input, dims) {
          const feeds = { [inputName]: new ort.Tensor('float32', input, dims) };
          const output = (await session.run(feeds))[outputName];
          if (!output) throw new Error(`model gave no output ${outputName}`);
          const data = output.data as Float32Array;
          output.dispose();
          return data;
        },
        release: () => session.release(),
      };
    },
  };
}
