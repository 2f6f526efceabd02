/** Presenza browser SDK: on-device face presence checks. Named exports only. */
export { Presenza, WORKER_FILE } from './sdk/presenza.js';
export {
  DEFAULT_BACKEND,
  DEFAULT_CHECK_TIMEOUT_MS,
  DEFAULT_ENROLL_TIMEOUT_MS,
  MAX_RETENTION_MONTHS,
  defaultAssetsBaseUrl,
  defaultCaptureTimeoutMs,
} from './sdk/options.js';
export type { PresenzaOptions, CaptureOptions, EnrollOptions, CheckOptions, PresenzaCheckResult } from './sdk/options.js';
export type { CameraOption } from './sdk/captureLoop.js';
export type {
  CaptureProgress,
  CheckResult,
  DocumentEnd,
  DocumentGuidance,
  DocumentProgress,
  EnrollmentResult,
  EnrollmentStatus,
  IdentityDocumentPolicy,
  FrameTiming,
  FrameVerdict,
  LoadProgress,
  OnnxBackend,
  RuntimeReport,
  QualityIssue,
  QualityHint,
} from './protocol/capture.js';
export { CAMERA_CONSTRAINTS } from './sdk/camera.js';
export { FRAME_INTERVAL_MS, DOCUMENT_FRAMES, DOCUMENT_TIMEOUT_MS, IDENTITY_DOCUMENT_POLICIES } from './protocol/capture.js';
export { ID_DOCUMENT_RESULTS } from './protocol/assertion.js';
export { LIVENESS_POLICIES, DEFAULT_LIVENESS_POLICY, STEP_TIME_LIMIT_MS } from './protocol/liveness.js';
export type { ChallengeFailure, ChallengeStep, LivenessFailure, LivenessPolicy, LivenessProgress } from './protocol/liveness.js';
export { SDK_VERSION } from './protocol/version.js';
export { PresenzaError, isPresenzaError, ERROR_CODES, CAMERA_ERROR_CODES, isCameraErrorCode } from './protocol/errors.js';
export type { PresenzaErrorCode, CameraErrorCode } from './protocol/errors.js';
export type { CheckOutcome, CheckReason, IdDocumentResult, LivenessResult } from './protocol/assertion.js';
export {
  PresenzaCheckElement,
  ELEMENT_NAME,
  defineElements,
  mountPresenza,
  DEFAULT_MAX_ATTEMPTS,
} from './ui/index.js';
export type {
  PresenzaUiOptions,
  PresenzaUiEnrollOptions,
  PresenzaUiCheckOptions,
  PresenzaUiAlternative,
  PresenzaUiOperation,
  PresenzaUiEventMap,
  PresenzaUiState,
  PresenzaProgressDetail,
  PresenzaFrameDetail,
  PresenzaResultDetail,
  PresenzaAlternativeDetail,
  UiLanguage,
  UiMessages,
} from './ui/index.js';
