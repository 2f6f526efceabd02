import { describe, expect, it, vi } from 'vitest';
import { createOnnxRuntime, ORT_BUILDS, type OnnxEnvironment, type OnnxOptions, type OrtBuild } from './onnx.js';

/** What a fake build does when a session is created or run. */
interface FakeBehaviour {
  readonly sessionFails?: boolean;
  readonly output?: number;
}

/** A fake of one ONNX Runtime build: records what was asked of it. */
function fakeBuild(build: OrtBuild, log: string[], behaviour: FakeBehaviour = {}) {
  return {
    env: { wasm: {} as Record<string, unknown> },
    Tensor: class {
      constructor(
        readonly type: string,
        readonly data: Float32Array,
        readonly dims: readonly number[],
      ) {}
    },
    InferenceSession: {
      async create(_bytes: Uint8Array, options: { executionProviders: string[] }) {
        log.push(`${build}: session on ${options.executionProviders.join()}`);
        if (behaviour.sessionFails) throw new Error('no such kernel');
        return {
          inputNames: ['input'],
          outputNames: ['output'],
          async run() {
            const data = new Float32Array([behaviour.output ?? 0.5, 0.25]);
            return { output: { getData: async () => data, dispose: () => undefined } };
          },
          async release() {
            log.push(`${build}: released`);
          },
        };
      },
    },
  };
}

function setup(options: { gpu?: 'none' | 'no-adapter' | 'ok'; jspi?: boolean; webgpu?: FakeBehaviour; failWasmDownload?: string } = {}) {
  const log: string[] = [];
  const downloads: string[] = [];
  const env: OnnxEnvironment = {
    importBuild: async (build) => fakeBuild(build, log, build === 'wasm' ? {} : options.webgpu) as never,
    gpu:
      options.gpu === 'none' || options.gpu === undefined
        ? undefined
        : { requestAdapter: async () => (options.gpu === 'ok' ? { requestDevice: async () => ({ destroy: () => undefined }) } : null) },
    jspi: options.jspi ?? true,
  };
  const onnxOptions = (backend: 'wasm' | 'webgpu'): OnnxOptions => ({
    backend,
    threads: 2,
    loaderUrl: (file: string) => `https://cdn.example/models/${file}`,
    loadWasm: async (file) => {
      downloads.push(file);
      if (file === options.failWasmDownload) throw new Error(`could not fetch ${file}: HTTP 404`);
      return new Uint8Array([0]);
    },
    models: [
      { bytes: new Uint8Array([1]), inputDims: [1, 3, 4, 4] },
      { bytes: new Uint8Array([2]), inputDims: [1, 3, 2, 2] },
    ],
  });
  return { log, downloads, env, onnxOptions };
}

describe('createOnnxRuntime', () => {
  it('runs on WASM when WASM is asked for, and downloads only its binary', async () => {
    const { env, onnxOptions, downloads } = setup({ gpu: 'ok' });
    const runtime = await createOnnxRuntime(onnxOptions('wasm'), env);
    expect(runtime.info).toEqual({ backend: 'wasm', threads: 2 });
    expect(runtime.models).toHaveLength(2);
    expect(downloads).toEqual([ORT_BUILDS.wasm.binary]);
  });

  it('runs on WebGPU with the JSPI build where the engine has JSPI, else the asyncify build', async () => {
    for (const [jspi, build] of [[true, 'webgpu-jspi'], [false, 'webgpu-asyncify']] as const) {
      const { env, onnxOptions, downloads, log } = setup({ gpu: 'ok', jspi });
      const runtime = await createOnnxRuntime(onnxOptions('webgpu'), env);
      expect(runtime.info).toEqual({ backend: 'webgpu', threads: 2 });
      expect(downloads).toEqual([ORT_BUILDS[build].binary]);
      expect(log).toEqual([`${build}: session on webgpu`, `${build}: session on webgpu`]);
    }
  });

  it.each([
    ['no navigator.gpu', { gpu: 'none' as const }, /navigator\.gpu/],
    ['no adapter', { gpu: 'no-adapter' as const }, /no WebGPU adapter/],
    ['the WebGPU binary missing', { gpu: 'ok' as const, failWasmDownload: ORT_BUILDS['webgpu-jspi'].binary }, /WebGPU path failed.*404/],
    ['a session that fails to open', { gpu: 'ok' as const, webgpu: { sessionFails: true } }, /WebGPU path failed.*no such kernel/],
    ['a first inference with non-finite values', { gpu: 'ok' as const, webgpu: { output: Number.NaN } }, /non-finite/],
  ])('falls back to WASM with the reason on %s', async (_name, options, reason) => {
    const { env, onnxOptions, log } = setup(options);
    const runtime = await createOnnxRuntime(onnxOptions('webgpu'), env);
    expect(runtime.info.backend).toBe('wasm');
    expect(runtime.info.fallbackReason).toMatch(reason);
    expect(runtime.models).toHaveLength(2);
    expect(log.filter((line) => line.startsWith('wasm'))).toEqual(['wasm: session on wasm', 'wasm: session on wasm']);
  });

  it('releases the WebGPU sessions it opened before falling back', async () => {
    const { env, onnxOptions, log } = setup({ gpu: 'ok', webgpu: { output: Number.POSITIVE_INFINITY } });
    await createOnnxRuntime(onnxOptions('webgpu'), env);
    expect(log).toContain('webgpu-jspi: released');
  });

  it('throws when the WASM path itself fails', async () => {
    const { env, onnxOptions } = setup({ failWasmDownload: ORT_BUILDS.wasm.binary });
    await expect(createOnnxRuntime(onnxOptions('wasm'), env)).rejects.toThrow(/404/);
  });

  it("sets the thread count and the published URL of the build's loader on the build it starts", async () => {
    const { env, onnxOptions } = setup();
    const importBuild = vi.fn(env.importBuild);
    await createOnnxRuntime(onnxOptions('wasm'), { ...env, importBuild });
    const ort = (await importBuild.mock.results[0]!.value) as { env: { wasm: Record<string, unknown> } };
    expect(ort.env.wasm).toMatchObject({ numThreads: 2, wasmPaths: { mjs: `https://cdn.example/models/${ORT_BUILDS.wasm.loader}` }, proxy: false });
  });
});
