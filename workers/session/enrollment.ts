/**
 * An enrollment capture: good frames embedded with mirror fusion, liveness as the policy asks,
 * then the template (sealed), the device keys and the self-signed enrollment assertion.
 */
import {
  ENROLLMENT_FRAME_SPACING_MS,
  ENROLLMENT_FRAMES,
  type DocumentEnd,
  type DocumentProgress,
  type EnrollmentRequest,
} from '../../src/protocol/capture.js';
import { ENROLLMENT_CHALLENGE } from '../../src/protocol/liveness.js';
import type { IdDocumentResult } from '../../src/protocol/assertion.js';
import { PresenzaError, type PresenzaErrorCode } from '../../src/protocol/errors.js';
import { signEnrollment } from '../assertions.js';
import type { FacePipeline } from '../pipeline.js';
import { meanTemplate } from '../stages/compareTemplates.js';
import { faceSize } from '../stages/findDocumentPortrait.js';
import type { DetectedFace } from '../stages/detectFace.js';
import type { Pixels } from '../stages/pixels.js';
import { createDeviceKeys, sealTemplate, type Vault } from '../vault.js';
import { CaptureSession, type CapturePipeline } from './captureSession.js';
import { DocumentMatch, type DocumentPipeline } from './documentMatch.js';
import { FrameCollector, type IncompleteReason } from './frameCollector.js';
import { LivenessSession, livenessPlan } from './livenessSession.js';

/** The error an enrollment that did not collect its frames ends with. */
const INCOMPLETE_ERRORS: Record<IncompleteReason, PresenzaErrorCode> = {
  no_face: 'ERR_NO_FACE',
  multiple_faces: 'ERR_MULTIPLE_FACES',
  timeout: 'ERR_CAPTURE_TIMEOUT',
};

/** Median of a non-empty list. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** An enrollment in progress. */
export class EnrollmentSession extends CaptureSession {
  /** Face sizes (box side, px) of the kept frames: a document portrait must be much smaller. */
  private readonly keptFaceSizes: number[] = [];
  /** The identity-document phase, once begun. */
  private document: DocumentMatch | null = null;

  constructor(readonly request: EnrollmentRequest) {
    super(
      new FrameCollector(ENROLLMENT_FRAMES, ENROLLMENT_FRAME_SPACING_MS),
      new LivenessSession(livenessPlan(request.liveness, ENROLLMENT_CHALLENGE)),
    );
  }

  protected override onKept(face: DetectedFace): void {
    this.keptFaceSizes.push(faceSize(face));
  }

  /** Throws the coded error of an enrollment that cannot be finished yet (liveness, too few frames). */
  private requireLiveFrames(): void {
    const { collector, liveness } = this;
    const verdict = liveness.verdict();
    if (verdict === 'failed') throw new PresenzaError('ERR_LIVENESS_FAILED', `the liveness check failed (${liveness.failure}): no live person was seen`);
    if (!collector.done) {
      const reason = collector.incompleteReason();
      throw new PresenzaError(INCOMPLETE_ERRORS[reason], `enrollment needs ${collector.needed} good frames, got ${collector.collected} (${reason})`);
    }
    if (liveness.enabled && verdict !== 'passed') {
      throw new PresenzaError('ERR_CAPTURE_TIMEOUT', 'the liveness gesture was not seen before the time was up');
    }
  }

  /**
   * Starts the identity-document phase once the live frames and liveness are in: the template is
   * computed now, so the card is compared with exactly the template that will be sealed.
   */
  beginDocument(): void {
    const policy = this.request.identityDocument ?? 'off';
    if (policy === 'off') throw new PresenzaError('ERR_BUSY', 'this enrollment did not ask for the identity document');
    this.requireLiveFrames();
    this.document?.clear();
    // A copy of the template to be sealed (the phase overwrites its copy when it ends).
    this.document = new DocumentMatch(meanTemplate(this.collector.embeddings), median(this.keptFaceSizes), policy);
  }

  /** Feeds one frame of the identity-document phase. The caller closes the frame. */
  submitDocument(pipeline: DocumentPipeline, frame: ImageBitmap): Promise<DocumentProgress> {
    if (!this.document) throw new PresenzaError('ERR_BUSY', 'no identity-document phase is in progress');
    return this.document.submit(pipeline, frame);
  }

  override clear(): void {
    super.clear();
    this.document?.clear();
    this.document = null;
  }

  protected override embedKept(pipeline: CapturePipeline, crop: Pixels): Promise<Float32Array> {
    return pipeline.embed(crop);
  }

  /**
   * Builds and seals the template, creates and stores the device keys and returns the signed
   * enrollment JWS with its `idDocument` claim (`documentEnd`: how the document phase ended, if
   * one began; `not_run` otherwise). Throws a coded error when liveness failed or too few good
   * frames came.
   */
  async finish(
    pipeline: Pick<FacePipeline, 'report' | 'templateModels'>,
    vault: Vault,
    nowMs: number,
    documentEnd: DocumentEnd = 'timeout',
  ): Promise<{ assertion: string; idDocument: IdDocumentResult }> {
    const { request, collector } = this;
    this.requireLiveFrames();
    const idDocument = this.document ? this.document.result(documentEnd) : 'not_run';
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
    const assertion = await signEnrollment(keys, { ...request, nowMs, idDocument, models: pipeline.report.models });
    return { assertion, idDocument };
  }
}
