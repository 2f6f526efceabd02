/** The student UI: the `<presenza-check>` element and its mount function. */
export { PresenzaCheckElement } from './element.js';
export { ELEMENT_NAME, defineElements, mountPresenza } from './mount.js';
export { DEFAULT_MAX_ATTEMPTS } from './options.js';
export type {
  PresenzaUiOptions,
  PresenzaUiEnrollOptions,
  PresenzaUiCheckOptions,
  PresenzaUiAlternative,
  PresenzaUiOperation,
  PresenzaUiEventMap,
  PresenzaProgressDetail,
  PresenzaFrameDetail,
  PresenzaResultDetail,
  PresenzaAlternativeDetail,
} from './options.js';
export type { PresenzaUiState } from './views/screen.js';
export type { UiLanguage, UiMessages } from './i18n/index.js';
