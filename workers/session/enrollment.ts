/**
 * An enrollment capture: good frames embedded with mirror fusion, liveness as the policy asks,
 * then the template (sealed), the device keys and the self-signed enrollment assertion.
 */
import { ENROLLMENT_FRAME_SPACING_MS, ENROLLMENT_FRAMES, type EnrollmentRequest } from '../../src/protocol/capture.js';
import { ENROLLMENT_CHALLENGE } from '../../src/protocol/liveness.js';
import { PresenzaError, type PresenzaErrorCode } from '../../src/protocol/errors.js';
import { signEnrollment } from '../assertions.js';
import type { FacePipeline } from '../pipeline.js';
import { meanTemplate } from '../stages/compareTemplates.js';
import type { Pixels } from '../stages/pixels.js';
import { createDeviceKeys, sealTemplate, type Vault } from '../vault.js';
import { CaptureSession, type CapturePipeline } from './captureSession.js';
import { FrameCollector, type IncompleteReason } from './frameCollector.js';
import { LivenessSession, livenessPlan } from './livenessSession.js';

/** The error an enrollment that did not collect its frames ends with. */
const INCOMPLETE_ERRORS: Record<IncompleteReason, PresenzaErrorCode> = {
  no_face: 'ERR_NO_FACE',
  multiple_faces: 'ERR_MULTIPLE_FACES',
  timeout: 'ERR_CAPTURE_TIMEOUT',
};

/** An enrollment in progress. */
export class EnrollmentSession extends CaptureSession {
  constructor(readonly request: EnrollmentRequest) {
    super(
      new FrameCollector(ENROLLMENT_FRAMES, ENROLLMENT_FRAME_SPACING_MS),
      new LivenessSession(livenessPlan(request.liveness, ENROLLMENT_CHALLENGE)),
    );
  }

  protected override embedKept(pipeline: CapturePipeline, crop: Pixels): Promise<Float32Array> {
    return pipeline.embed(crop);
  }

  /**
   * Builds and seals the template, creates and stores the device keys and returns the signed
   * enrollment JWS. Throws a coded error when liveness failed or too few good frames came.
   */
  async finish(pipeline: Pick<FacePipeline, 'report' | 'templateModels'>, vault: Vault, nowMs: number): Promise<string> {
    const { request, collector, liveness } = this;
    const verdict = liveness.verdict();
    if (verdict === 'failed') throw new PresenzaError('ERR_LIVENESS_FAILED', 'the liveness check failed: no live person was seen');
    if (!collector.done) {
      const reason = collector.incompleteReason();
      throw new PresenzaError(INCOMPLETE_ERRORS[reason], `enrollment needs ${collector.needed} good frames, got ${collector.collected} (${reason})`);
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
    return signEnrollment(keys, { ...request, nowMs, models: pipeline.report.models });
  }
}
