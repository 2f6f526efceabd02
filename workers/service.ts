/** The implementation behind {@link FaceWorkerApi}, shared by the production and testing entries. */
import type { FaceWorkerApi, FrameVerdict } from './api.js';
import { FacePipeline, requireFrame } from './pipeline.js';
import { PresenzaError } from '../src/protocol/errors.js';

/** The API plus access to the loaded pipeline for entries that extend it (tests, benchmarks). */
export interface FaceWorkerService {
  readonly api: FaceWorkerApi;
  /** The loaded pipeline; throws `ERR_CLOSED` before `init` or after `close`. */
  pipeline(): FacePipeline;
}

/** Creates the worker's API around one pipeline instance (a single model load per worker). */
export function createFaceWorkerService(): FaceWorkerService {
  let loading: Promise<FacePipeline> | null = null;
  let loaded: FacePipeline | null = null;
  const pipeline = () => {
    if (!loaded) throw new PresenzaError('ERR_CLOSED', 'the face worker is not initialised (call init first) or was closed');
    return loaded;
  };
  const api: FaceWorkerApi = {
    async init(options, onProgress) {
      loading ??= FacePipeline.create(options, onProgress).catch((error: unknown) => {
        loading = null;
        throw error;
      });
      loaded = await loading;
      return loaded.report;
    },
    async assessFrame(frame, timing): Promise<FrameVerdict> {
      const bitmap = requireFrame(frame);
      try {
        const { quality } = await pipeline().analyze(bitmap, timing);
        return { ok: quality.ok, issues: [...quality.issues], hints: [...quality.hints] };
      } finally {
        bitmap.close();
      }
    },
    async close() {
      const closing = loaded;
      loaded = null;
      loading = null;
      await closing?.close();
    },
  };
  return { api, pipeline };
}
