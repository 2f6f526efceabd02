/** Presenza browser SDK: on-device face presence checks. Named exports only. */
export { Presenza, DEFAULT_BACKEND, WORKER_FILE, defaultAssetsBaseUrl } from './presenza.js';
export type {
  PresenzaOptions,
  FrameTiming,
  FrameVerdict,
  LoadProgress,
  OnnxBackend,
  RuntimeReport,
  QualityIssue,
  QualityHint,
} from './presenza.js';
export { PresenzaError, isPresenzaError, ERROR_CODES } from './protocol/errors.js';
export type { PresenzaErrorCode } from './protocol/errors.js';
