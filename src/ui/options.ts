/** Public options, results and event details of the student UI, and their validation. */
import type { CaptureProgress, LoadProgress } from '../protocol/capture.js';
import type { CheckOptions, EnrollOptions, PresenzaCheckResult, PresenzaOptions } from '../sdk/options.js';
import type { Presenza } from '../sdk/presenza.js';
import type { PresenzaErrorCode } from '../protocol/errors.js';
import type { UiLanguage, UiMessages } from './i18n/index.js';

/** Face-check attempts that may fail or be inconclusive before only the alternative is offered. */
export const DEFAULT_MAX_ATTEMPTS = 3;

/** Options of `mountPresenza` and `PresenzaCheckElement.configure`. */
export interface PresenzaUiOptions {
  /**
   * The SDK: a loaded instance (the element never closes it), or the options of
   * `Presenza.create` (the element creates the instance when `enroll()` or `check()` is first
   * called, shows the download progress, and closes it when removed from the page).
   */
  readonly presenza: Presenza | PresenzaOptions;
  /** The institution responsible for the processing (the data controller), as the notice names it. */
  readonly controller: string;
  /** Why attendance is checked: one sentence, in the UI's language. */
  readonly purpose: string;
  /** The platform's full privacy notice (an http or https URL), linked from the short notice. */
  readonly noticeUrl: string | URL;
  /**
   * `it` or `en`. Default: the nearest `lang` attribute (the element's own or an ancestor's, then
   * the page's), else the browser's language; anything other than Italian is shown in English.
   */
  readonly lang?: UiLanguage;
  /**
   * Texts replacing the built-in ones of the UI's language, e.g. `alternativeDescription` (what
   * the institution's alternative is). Plain text; `{placeholders}` are filled in.
   */
  readonly texts?: Partial<UiMessages>;
  /** Attempts that may fail or be inconclusive before only the alternative is offered. Default {@link DEFAULT_MAX_ATTEMPTS}. */
  readonly maxAttempts?: number;
}

/** Options of `PresenzaCheckElement.enroll`: the SDK's, minus the camera (the element opens it). */
export type PresenzaUiEnrollOptions = Omit<EnrollOptions, 'camera' | 'onFrame'>;

/** Options of `PresenzaCheckElement.check`: the SDK's, minus the camera (the element opens it). */
export type PresenzaUiCheckOptions = Omit<CheckOptions, 'camera' | 'onFrame'> & {
  /**
   * Gives the nonce for another attempt. A server accepts each check nonce once, and every
   * attempt signs one (a failed attempt too), so with this hook each retry after the first
   * attempt asks the platform for a fresh nonce (e.g. its `POST /api/checks/:checkId/retry`);
   * `nonce` signs the first attempt. `signal` aborts when the attempt is interrupted. If it
   * rejects, the attempt ends with that error (the student can try again or choose the
   * alternative). Without it every attempt signs `nonce`.
   */
  readonly renewNonce?: (signal: AbortSignal) => Promise<string>;
};

/** The student chose the non-biometric alternative: the platform confirms presence another way. */
export interface PresenzaUiAlternative {
  readonly outcome: 'alternative';
}

/** Which SDK operation an event or result belongs to. */
export type PresenzaUiOperation = 'enroll' | 'check';

/** Detail of `presenza-progress`: one model download step, and the overall fraction so far (0..1, or null while unknown). */
export interface PresenzaProgressDetail extends LoadProgress {
  readonly fraction: number | null;
}

/** Detail of `presenza-frame`: the SDK's progress after one frame. */
export interface PresenzaFrameDetail extends CaptureProgress {
  readonly operation: PresenzaUiOperation;
}

/** Detail of `presenza-result`: one attempt ended. */
export interface PresenzaResultDetail {
  readonly operation: PresenzaUiOperation;
  /** 1 for the first attempt of this `enroll()` or `check()` call. */
  readonly attempt: number;
  /** The SDK's result: `{ assertion }` for an enrollment, the check result for a check. */
  readonly result?: { readonly assertion: string } | PresenzaCheckResult;
  /** Why the attempt failed, when the SDK or the camera threw. */
  readonly error?: { readonly code?: PresenzaErrorCode; readonly message: string };
  /** True when the element's promise resolves with this result; false when the student can retry or choose the alternative. */
  readonly final: boolean;
}

/** Detail of `presenza-alternative`. */
export interface PresenzaAlternativeDetail {
  readonly operation: PresenzaUiOperation;
}

/** The element's events (all bubble and cross the shadow boundary). */
export interface PresenzaUiEventMap {
  /** Model download progress, while the element creates the SDK instance. */
  'presenza-progress': CustomEvent<PresenzaProgressDetail>;
  /** After every captured frame: guidance (quality issues) and progress. */
  'presenza-frame': CustomEvent<PresenzaFrameDetail>;
  /** An attempt ended: the SDK's result, or the error. */
  'presenza-result': CustomEvent<PresenzaResultDetail>;
  /** The student chose the alternative. */
  'presenza-alternative': CustomEvent<PresenzaAlternativeDetail>;
}

/** The SDK methods the element uses. */
export type PresenzaLike = Pick<Presenza, 'enroll' | 'check' | 'useAlternativeGesture' | 'declineIdentityDocument'>;

/** Options after validation. */
export interface ResolvedUiOptions {
  readonly presenza: PresenzaLike | PresenzaOptions;
  readonly controller: string;
  readonly purpose: string;
  readonly noticeUrl: string;
  readonly lang?: UiLanguage;
  readonly texts: Partial<UiMessages>;
  readonly maxAttempts: number;
}

/** Throws a TypeError unless `value` is a non-empty string. */
export function requireText(method: string, name: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`${method}: ${name} must be a non-empty string`);
  return value;
}

/** Whether `value` is a loaded SDK instance rather than create options. */
export function isInstance(value: PresenzaLike | PresenzaOptions): value is PresenzaLike {
  return typeof (value as PresenzaLike).check === 'function' && typeof (value as PresenzaLike).enroll === 'function';
}

/** Validates the options; caller mistakes throw a TypeError naming the option. */
export function resolveUiOptions(options: PresenzaUiOptions): ResolvedUiOptions {
  const method = 'Presenza UI';
  if (typeof options !== 'object' || options === null) throw new TypeError(`${method}: options must be an object`);
  if (typeof options.presenza !== 'object' || options.presenza === null) {
    throw new TypeError(`${method}: presenza must be a Presenza instance or the options of Presenza.create`);
  }
  let noticeUrl: URL;
  try {
    noticeUrl = new URL(String(options.noticeUrl), location.href);
  } catch {
    throw new TypeError(`${method}: noticeUrl is not a URL: ${String(options.noticeUrl)}`);
  }
  if (noticeUrl.protocol !== 'https:' && noticeUrl.protocol !== 'http:') throw new TypeError(`${method}: noticeUrl must be an http(s) URL`);
  if (options.lang !== undefined && options.lang !== 'it' && options.lang !== 'en') {
    throw new TypeError(`${method}: lang must be "it" or "en", got ${String(options.lang)}`);
  }
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new TypeError(`${method}: maxAttempts must be a positive integer`);
  if (options.texts !== undefined && (typeof options.texts !== 'object' || options.texts === null)) {
    throw new TypeError(`${method}: texts must be an object of strings`);
  }
  for (const [key, text] of Object.entries(options.texts ?? {})) requireText(method, `texts.${key}`, text);
  return {
    presenza: options.presenza,
    controller: requireText(method, 'controller', options.controller),
    purpose: requireText(method, 'purpose', options.purpose),
    noticeUrl: noticeUrl.href,
    ...(options.lang ? { lang: options.lang } : {}),
    texts: { ...options.texts },
    maxAttempts,
  };
}
