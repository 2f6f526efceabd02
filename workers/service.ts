/** The implementation behind {@link FaceWorkerApi}, shared by the production and testing entries. */
import type {
  CaptureEnd,
  CheckRequest,
  CheckResult,
  EnrollmentRequest,
  FaceWorkerApi,
  FrameVerdict,
} from './api.js';
import type { QualityReport } from './assessQuality.js';
import { signCheck, signEnrollment } from './assertions.js';
import { CHECK_FRAME_SPACING_MS, CHECK_FRAMES, checkFrameView, ENROLLMENT_FRAMES, FrameCollector, type IncompleteReason } from './capture.js';
import { compareTemplates, meanTemplate } from './compareTemplates.js';
import { LivenessSession, livenessPlan } from './liveness.js';
import { FacePipeline, requireFrame } from './pipeline.js';
import { createDeviceKeys, sealTemplate, unsealTemplate, Vault, type EnrollmentRecord } from './vault.js';
import type { LivenessResult } from '../src/protocol/assertion.js';
import { PresenzaError, type PresenzaErrorCode } from '../src/protocol/errors.js';

/** The API plus access to the loaded pipeline for entries that extend it (tests, benchmarks). */
export interface FaceWorkerService {
  readonly api: FaceWorkerApi;
  /** The loaded pipeline; throws `ERR_CLOSED` before `init` or after `close`. */
  pipeline(): FacePipeline;
}

interface CaptureParts {
  readonly collector: FrameCollector;
  readonly liveness: LivenessSession;
}

type Capture =
  | (CaptureParts & { readonly kind: 'enroll'; readonly request: EnrollmentRequest })
  | (CaptureParts & { readonly kind: 'check'; readonly request: CheckRequest; readonly record: EnrollmentRecord });

const ENROLLMENT_FAILURES: Record<IncompleteReason, PresenzaErrorCode> = {
  no_face: 'ERR_NO_FACE',
  multiple_faces: 'ERR_MULTIPLE_FACES',
  timeout: 'ERR_CAPTURE_TIMEOUT',
};

const toVerdict = (quality: QualityReport): FrameVerdict => ({ ok: quality.ok, issues: [...quality.issues], hints: [...quality.hints] });

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
export function createFaceWorkerService(): FaceWorkerService {
  let loading: Promise<[FacePipeline, Vault]> | null = null;
  let loaded: { pipeline: FacePipeline; vault: Vault } | null = null;
  let capture: Capture | null = null;

  const ready = () => {
    if (!loaded) throw new PresenzaError('ERR_CLOSED', 'the face worker is not initialised (call init first) or was closed');
    return loaded;
  };
  const endCapture = () => {
    capture?.collector.clear();
    capture?.liveness.clear();
    capture = null;
  };
  function currentCapture<K extends Capture['kind']>(kind: K): Extract<Capture, { kind: K }> {
    if (capture?.kind !== kind) throw new PresenzaError('ERR_BUSY', `no ${kind} capture is in progress`);
    return capture as Extract<Capture, { kind: K }>;
  }

  const api: FaceWorkerApi = {
    async init(options, onProgress) {
      loading ??= Promise.all([FacePipeline.create(options, onProgress), openVault()]).catch((error: unknown) => {
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
        return toVerdict((await ready().pipeline.analyze(bitmap, timing)).quality);
      } finally {
        bitmap.close();
      }
    },

    async beginEnrollment(request) {
      ready();
      endCapture();
      capture = {
        kind: 'enroll',
        request,
        collector: new FrameCollector(ENROLLMENT_FRAMES),
        liveness: new LivenessSession(livenessPlan(request.liveness, 'enroll')),
      };
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
      capture = {
        kind: 'check',
        request,
        record: found.record,
        collector: new FrameCollector(CHECK_FRAMES, CHECK_FRAME_SPACING_MS),
        liveness: new LivenessSession(livenessPlan(request.liveness, 'check')),
      };
      return { ready: true };
    },

    async submitFrame(frame, timing) {
      const bitmap = requireFrame(frame);
      try {
        const { pipeline } = ready();
        if (!capture) throw new PresenzaError('ERR_BUSY', 'no capture is in progress');
        const { collector, liveness } = capture;
        const timestampMs = timing.mode === 'video' ? timing.timestampMs : performance.now();
        const analysis = await pipeline.analyze(bitmap, timing);
        const face = analysis.selection?.primary ?? null;
        const keep = analysis.crop !== null && collector.wants(analysis.quality, timestampMs);
        // Once the good frames are in, good frames are also embedded now and then for the challenge's same-person check.
        const identitySample = collector.done && analysis.crop !== null && analysis.quality.ok && liveness.wantsIdentitySample(timestampMs);
        let embedding: Float32Array | undefined;
        if (analysis.crop && keep && capture.kind === 'check') embedding = await pipeline.embedView(analysis.crop, checkFrameView(collector.collected));
        else if (analysis.crop && (keep || identitySample)) embedding = await pipeline.embed(analysis.crop);
        if (keep && face && liveness.wantsPassiveScores) liveness.addPassiveScore(await pipeline.passiveLiveness(bitmap, face));
        if (embedding && keep) collector.keep(embedding, timestampMs);
        // The challenge starts with the frame that completes the good frames, so its gestures never hold them up.
        if (collector.done) liveness.observe(face, timestampMs, embedding);
        if (embedding && !keep) embedding.fill(0);
        const done = liveness.challengeFailed || (collector.done && liveness.challengeDone);
        const progress = liveness.progress();
        return {
          verdict: toVerdict(analysis.quality),
          collected: collector.collected,
          needed: collector.needed,
          done,
          ...(progress ? { liveness: progress } : {}),
        };
      } finally {
        bitmap.close();
      }
    },

    async finishEnrollment(nowMs) {
      const { pipeline, vault } = ready();
      const { request, collector, liveness } = currentCapture('enroll');
      try {
        const verdict = liveness.verdict();
        if (verdict === 'failed') throw new PresenzaError('ERR_LIVENESS_FAILED', 'the liveness check failed: no live person was seen');
        if (!collector.done) {
          const reason = collector.incompleteReason();
          throw new PresenzaError(ENROLLMENT_FAILURES[reason], `enrollment needs ${collector.needed} good frames, got ${collector.collected} (${reason})`);
        }
        if (liveness.enabled && verdict !== 'passed') {
          throw new PresenzaError('ERR_CAPTURE_TIMEOUT', 'the liveness gesture was not seen before the time was up');
        }
        const template = meanTemplate(collector.embeddings);
        const keys = await createDeviceKeys();
        const sealedTemplate = await sealTemplate(keys.sealingKey, template, request.audience, request.enrollmentId);
        template.fill(0);
        await vault.save({
          ...keys,
          audience: request.audience,
          enrollmentId: request.enrollmentId,
          retainUntil: request.retainUntilMs,
          createdAt: nowMs,
          sealedTemplate,
          models: pipeline.templateModels,
        });
        return await signEnrollment(keys, { ...request, nowMs, models: pipeline.report.models });
      } finally {
        endCapture();
      }
    },

    async finishCheck(end: CaptureEnd, nowMs) {
      const { pipeline } = ready();
      const { request, record, collector, liveness: session } = currentCapture('check');
      try {
        let outcome: CheckResult['outcome'] = 'inconclusive';
        let reason: CheckResult['reason'];
        const verdict = session.verdict();
        let liveness: LivenessResult = 'not_run';
        if (end === 'camera_unavailable') {
          reason = 'camera_unavailable';
        } else if (verdict === 'failed') {
          // Whoever was in front of the camera, it was not shown to be a live person: no comparison.
          [outcome, reason, liveness] = ['fail', 'liveness_failed', 'failed'];
        } else if (collector.collected === 0) {
          reason = collector.incompleteReason();
        } else if (session.enabled && verdict !== 'passed') {
          reason = 'timeout';
        } else {
          liveness = verdict;
          const template = await unsealTemplate(record.sealingKey, record.sealedTemplate, record.audience, record.enrollmentId);
          const probe = meanTemplate(collector.embeddings);
          const { match } = compareTemplates(template, probe);
          template.fill(0);
          probe.fill(0);
          outcome = match ? 'pass' : 'fail';
          reason = match ? undefined : 'mismatch';
        }
        const assertion = await signCheck(record, {
          audience: record.audience,
          enrollmentId: record.enrollmentId,
          checkId: request.checkId,
          nonce: request.nonce,
          nowMs,
          outcome,
          ...(reason ? { reason } : {}),
          liveness,
          models: pipeline.report.models,
        });
        return { outcome, ...(reason ? { reason } : {}), liveness, assertion };
      } finally {
        endCapture();
      }
    },

    async cancelCapture() {
      endCapture();
    },

    async useAlternativeGesture() {
      if (!capture) throw new PresenzaError('ERR_BUSY', 'no capture is in progress');
      return capture.liveness.useAlternative();
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
