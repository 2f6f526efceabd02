/**
 * The public SDK object: `await Presenza.create(options)` … `close()`. It owns the face worker;
 * frames go into the worker and only verdicts and reports come back.
 */
import * as Comlink from 'comlink';
import type { FaceWorkerApi, FrameTiming, FrameVerdict, LoadProgress, OnnxBackend, RuntimeReport } from '../workers/api.js';
import { PresenzaError } from './protocol/errors.js';
import { startWorker, type WorkerHandle } from './workerClient.js';

export type {
  FrameTiming,
  FrameVerdict,
  LoadProgress,
  OnnxBackend,
  RuntimeReport,
  QualityIssue,
  QualityHint,
} from '../workers/api.js';

/** File name of the worker module inside `assetsBaseUrl`. */
export const WORKER_FILE = 'presenza-worker.js';

/** Default backend: WASM runs everywhere; WebGPU is opt-in (untested on real GPUs so far). */
export const DEFAULT_BACKEND: OnnxBackend = 'wasm';

/** Options of {@link Presenza.create}. */
export interface PresenzaOptions {
  /**
   * Absolute URL of the folder holding the SDK's worker and `models/` (the runtimes' wasm and the
   * models). Default: the folder the SDK script was loaded from. Every asset comes from here.
   */
  assetsBaseUrl?: string | URL;
  /** Embedding backend. Default {@link DEFAULT_BACKEND}; `webgpu` falls back to WASM, reporting why. */
  backend?: OnnxBackend;
  /** WASM threads. Default: 2 when the page is cross-origin isolated (COOP + COEP), else 1. */
  threads?: number;
  /** Model download progress. */
  onProgress?: (progress: LoadProgress) => void;
  /** Aborts loading and closes the instance. */
  signal?: AbortSignal;
}

/** The URL of the SDK script itself, read while the script is being evaluated. */
const sdkScriptUrl: string | undefined =
  typeof document !== 'undefined' && document.currentScript instanceof HTMLScriptElement ? document.currentScript.src : undefined;

/** The folder the SDK was loaded from: the default `assetsBaseUrl`. */
export function defaultAssetsBaseUrl(): string {
  const base = sdkScriptUrl ?? import.meta.url;
  if (!base) throw new TypeError('Presenza.create: cannot tell where the SDK was loaded from; pass assetsBaseUrl');
  return new URL('./', base).href;
}

function resolveOptions(options: PresenzaOptions): { assetsBaseUrl: string; backend: OnnxBackend; threads?: number } {
  if (typeof options !== 'object' || options === null) throw new TypeError('Presenza.create: options must be an object');
  const backend = options.backend ?? DEFAULT_BACKEND;
  if (backend !== 'wasm' && backend !== 'webgpu') throw new TypeError(`Presenza.create: backend must be "wasm" or "webgpu", got ${String(backend)}`);
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1 && options.threads <= 16)) {
    throw new TypeError(`Presenza.create: threads must be an integer from 1 to 16, got ${String(options.threads)}`);
  }
  const base = options.assetsBaseUrl ?? defaultAssetsBaseUrl();
  let assetsBaseUrl: string;
  try {
    assetsBaseUrl = new URL(String(base), location.href).href;
  } catch {
    throw new TypeError(`Presenza.create: assetsBaseUrl is not a URL: ${String(options.assetsBaseUrl)}`);
  }
  if (!assetsBaseUrl.endsWith('/')) assetsBaseUrl += '/';
  return { assetsBaseUrl, backend, ...(options.threads ? { threads: options.threads } : {}) };
}

/** A loaded Presenza instance. */
export class Presenza {
  private constructor(
    private readonly worker: WorkerHandle<FaceWorkerApi>,
    /** What the face pipeline runs on (backend, threads, fallback reason, model ids). */
    readonly runtime: RuntimeReport,
  ) {}

  /** Starts the face worker and loads the verified models. */
  static async create(options: PresenzaOptions = {}): Promise<Presenza> {
    const resolved = resolveOptions(options);
    const worker = startWorker<FaceWorkerApi>(new URL(WORKER_FILE, resolved.assetsBaseUrl).href, options.signal);
    try {
      const progress = options.onProgress ? Comlink.proxy(options.onProgress) : undefined;
      const runtime = await worker.call('init', resolved, progress);
      return new Presenza(worker, runtime);
    } catch (error) {
      worker.terminate();
      throw error;
    }
  }

  /**
   * Runs face detection and the quality gates on one image (a still, or a video frame with its
   * timestamp) and returns what to tell the student: no coordinates, no pixels, no scores.
   * The image is decoded here and transferred into the worker.
   */
  async assessFrame(source: ImageBitmapSource, timing?: FrameTiming): Promise<FrameVerdict> {
    let frame: ImageBitmap;
    try {
      frame = source instanceof ImageBitmap ? source : await createImageBitmap(source);
    } catch (error) {
      throw new PresenzaError('ERR_BAD_FRAME', `could not decode the image: ${String(error)}`, { cause: error });
    }
    return this.worker.call('assessFrame', Comlink.transfer(frame, [frame]), timing);
  }

  /** Stops the worker and releases the models. The instance cannot be used afterwards. */
  async close(): Promise<void> {
    try {
      await this.worker.call('close');
    } finally {
      this.worker.terminate();
    }
  }
}
