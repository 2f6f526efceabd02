/** Presenza browser SDK: on-device face presence checks. Named exports only. */
export {
  Presenza,
  DEFAULT_BACKEND,
  DEFAULT_CHECK_TIMEOUT_MS,
  DEFAULT_ENROLL_TIMEOUT_MS,
  MAX_RETENTION_MONTHS,
  WORKER_FILE,
  defaultAssetsBaseUrl,
  defaultCaptureTimeoutMs,
} from './sdk/presenza.js';
export type {
  PresenzaOptions,
  CaptureOptions,
  EnrollOptions,
  CheckOptions,
  PresenzaCheckResult,
  CameraOption,
  CaptureProgress,
  CheckResult,
  DocumentEnd,
  DocumentGuidance,
  DocumentProgress,
  EnrollmentResult,
  EnrollmentStatus,
  IdDocumentResult,
  IdentityDocumentPolicy,
  FrameTiming,
  FrameVerdict,
  LoadProgress,
  OnnxBackend,
  RuntimeReport,
  QualityIssue,
  QualityHint,
} from './sdk/presenza.js';
export { CAMERA_CONSTRAINTS } from './sdk/camera.js';
export { FRAME_INTERVAL_MS, DOCUMENT_FRAMES, DOCUMENT_TIMEOUT_MS, IDENTITY_DOCUMENT_POLICIES } from './protocol/capture.js';
export { ID_DOCUMENT_RESULTS } from './protocol/assertion.js';
export { LIVENESS_POLICIES, DEFAULT_LIVENESS_POLICY, STEP_TIME_LIMIT_MS } from './protocol/liveness.js';
export type { ChallengeFailure, ChallengeStep, LivenessPolicy, LivenessProgress } from './protocol/liveness.js';
export { SDK_VERSION } from './protocol/version.js';
export { PresenzaError, isPresenzaError, ERROR_CODES } from './protocol/errors.js';
export type { PresenzaErrorCode } from './protocol/errors.js';
export type { CheckOutcome, CheckReason, LivenessResult } from './protocol/assertion.js';
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
