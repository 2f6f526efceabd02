/**
 * The worker's API: routes each method of {@link FaceWorkerApi} to the pipeline, the vault or the
 * capture in progress. The per-frame policy lives in `session/`, the stages in `stages/`.
 */
import type { CheckResult, LoadProgress, WorkerInitOptions } from '../src/protocol/capture.js';
import { PresenzaError } from '../src/protocol/errors.js';
import type { FaceWorkerApi } from './api.js';
import { FacePipeline, requireFrame } from './pipeline.js';
import { CheckSession } from './session/check.js';
import { EnrollmentSession } from './session/enrollment.js';
import { scoresPassiveLiveness } from './session/livenessSession.js';
import { Vault } from './vault.js';

/** Loads the pipeline; the testing entry passes its own to keep a handle on the runtimes. */
export type PipelineLoader = (options: WorkerInitOptions, onProgress?: (progress: LoadProgress) => void) => Promise<FacePipeline>;

/** The API plus access to the loaded pipeline for entries that extend it (tests, benchmarks). */
export interface FaceWorkerService {
  readonly api: FaceWorkerApi;
  /** The loaded pipeline; throws `ERR_CLOSED` before `init` or after `close`. */
  pipeline(): FacePipeline;
}

const undecided = (reason: 'not_enrolled' | 'enrollment_expired'): CheckResult => ({
  outcome: 'inconclusive',
  reason,
  liveness: 'not_run',
  assertion: null,
});

async function openVault(): Promise<Vault> {
  try {
    return await Vault.open();
  } catch (error) {
    throw new PresenzaError('ERR_STORAGE', `IndexedDB is not available here (${String(error)}); enrollment needs it`, { cause: error });
  }
}

/** Creates the worker's API around one pipeline and one vault (a single model load per worker). */
export function createFaceWorkerService(loadPipeline: PipelineLoader = FacePipeline.create): FaceWorkerService {
  let loading: Promise<[FacePipeline, Vault]> | null = null;
  let loaded: { pipeline: FacePipeline; vault: Vault } | null = null;
  let capture: EnrollmentSession | CheckSession | null = null;

  const ready = () => {
    if (!loaded) throw new PresenzaError('ERR_CLOSED', 'the face worker is not initialised (call init first) or was closed');
    return loaded;
  };
  const endCapture = () => {
    capture?.clear();
    capture = null;
  };
  const current = () => {
    if (!capture) throw new PresenzaError('ERR_BUSY', 'no capture is in progress');
    return capture;
  };
  function currentOf<T extends EnrollmentSession | CheckSession>(kind: new (...args: never[]) => T, name: string): T {
    if (!(capture instanceof kind)) throw new PresenzaError('ERR_BUSY', `no ${name} capture is in progress`);
    return capture;
  }

  const api: FaceWorkerApi = {
    async init(options, onProgress) {
      loading ??= Promise.all([loadPipeline(options, onProgress), openVault()]).catch((error: unknown) => {
        loading = null;
        throw error;
      });
      const [pipeline, vault] = await loading;
      loaded = { pipeline, vault };
      await vault.purgeExpired(options.nowMs);
      // After this reply is sent, so that it does not delay the page being told the SDK is ready.
      setTimeout(() => pipeline.warmUp(), 0);
      return pipeline.report;
    },

    async assessFrame(frame, timing) {
      const bitmap = requireFrame(frame);
      try {
        return (await ready().pipeline.analyze(bitmap, timing)).quality;
      } finally {
        bitmap.close();
      }
    },

    async beginEnrollment(request) {
      const { pipeline } = ready();
      endCapture();
      capture = new EnrollmentSession(request);
      if (scoresPassiveLiveness(request.liveness)) pipeline.prepareLiveness();
    },

    async beginCheck(request) {
      const { pipeline, vault } = ready();
      endCapture();
      const found = await vault.lookup(request.audience, request.nowMs);
      if (found.state === 'expired') return { ready: false, result: undecided('enrollment_expired') };
      if (found.state === 'not_enrolled') return { ready: false, result: undecided('not_enrolled') };
      if (found.record.models.join() !== pipeline.templateModels.join()) {
        // A template made with other models cannot be compared: it is useless, so it goes.
        await vault.forget(request.audience);
        return { ready: false, result: undecided('not_enrolled') };
      }
      capture = new CheckSession(request, found.record);
      if (scoresPassiveLiveness(request.liveness)) pipeline.prepareLiveness();
      return { ready: true };
    },

    async submitFrame(frame, timing) {
      const bitmap = requireFrame(frame);
      try {
        const { pipeline } = ready();
        return await current().submit(pipeline, bitmap, timing);
      } finally {
        bitmap.close();
      }
    },

    async beginDocument() {
      ready();
      currentOf(EnrollmentSession, 'enroll').beginDocument();
    },

    async submitDocumentFrame(frame) {
      const bitmap = requireFrame(frame);
      try {
        const { pipeline } = ready();
        return await currentOf(EnrollmentSession, 'enroll').submitDocument(pipeline, bitmap);
      } finally {
        // The document frame is gone the moment it is analysed (DESIGN, invariant 7).
        bitmap.close();
      }
    },

    async finishEnrollment(nowMs, document) {
      const { pipeline, vault } = ready();
      const session = currentOf(EnrollmentSession, 'enroll');
      try {
        return await session.finish(pipeline, vault, nowMs, document);
      } finally {
        endCapture();
      }
    },

    async finishCheck(end, nowMs) {
      const { pipeline } = ready();
      const session = currentOf(CheckSession, 'check');
      try {
        return await session.finish(pipeline, end, nowMs);
      } finally {
        endCapture();
      }
    },

    async cancelCapture() {
      endCapture();
    },

    async useAlternativeGesture() {
      return current().useAlternativeGesture();
    },

    async status(audience, nowMs) {
      const found = await ready().vault.lookup(audience, nowMs);
      if (found.state !== 'enrolled') return { enrolled: false };
      return { enrolled: true, enrollmentId: found.record.enrollmentId, retainUntil: found.record.retainUntil };
    },

    async forget(audience) {
      endCapture();
      await ready().vault.forget(audience);
    },

    async close() {
      endCapture();
      const closing = loaded;
      loaded = null;
      loading = null;
      closing?.vault.close();
      await closing?.pipeline.close();
    },
  };
  return { api, pipeline: () => ready().pipeline };
}
