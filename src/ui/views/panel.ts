/**
 * The element's shadow root: one screen at a time in a labelled region, plus the live regions.
 * Showing a screen moves focus to its heading and announces results and errors; after each frame
 * the capture screen's guidance is updated and spoken.
 */
import type { CaptureProgress } from '../../protocol/capture.js';
import type { Choice } from '../attempt.js';
import { resolveLanguage, translator, type Translate } from '../i18n/index.js';
import type { ResolvedUiOptions } from '../options.js';
import { Announcer } from './announcer.js';
import type { CaptureView } from './capture.js';
import { h } from './dom.js';
import { guidanceFor } from './guidance.js';
import type { LoadingView } from './loading.js';
import type { PresenzaUiState, View, ViewContext } from './screen.js';
import { adoptStyles } from './styles.js';

/** The shadow root's content and what is shown in it. */
export class Panel {
  readonly #region: HTMLElement;
  readonly #announcer: Announcer;
  readonly #onStateChange: (state: PresenzaUiState) => void;
  #view: View | undefined;
  /** The texts of the screen shown (its language and overrides). */
  #texts: Translate = translator('en');
  /** The gesture last prompted (index and name), to announce each new one once. */
  #gesture: string | undefined;

  /** Fills `root` (styles, region, live regions); `onStateChange` hears the new state of every screen shown. */
  constructor(root: ShadowRoot, onStateChange: (state: PresenzaUiState) => void) {
    adoptStyles(root);
    this.#region = h('section', { class: 'panel' });
    const polite = h('div', { class: 'sr-only', 'aria-live': 'polite', 'aria-atomic': 'true' });
    const assertive = h('div', { class: 'sr-only', 'aria-live': 'assertive', 'aria-atomic': 'true' });
    root.append(this.#region, polite, assertive);
    this.#announcer = new Announcer(polite, assertive);
    this.#onStateChange = onStateChange;
  }

  /** The state of the screen shown. */
  get state(): PresenzaUiState {
    return this.#view?.state ?? 'idle';
  }

  /**
   * What the next screen is built with: the language (the configured one, else the nearest `lang`
   * attribute of the host element), the texts with the platform's overrides, the notice's facts.
   * Also names the region in that language.
   */
  context(config: ResolvedUiOptions, host: Element, choose: (choice: Choice) => void): ViewContext {
    const lang = resolveLanguage(config.lang, host);
    const t = translator(lang, config.texts);
    this.#texts = t;
    this.#region.lang = lang;
    this.#region.setAttribute('aria-label', t('regionLabel'));
    return { t, lang, controller: config.controller, purpose: config.purpose, noticeUrl: config.noticeUrl, choose };
  }

  /** Replaces the screen (nothing: `idle`), moves focus to its heading and announces results and errors. */
  show(view: View | undefined): void {
    this.releasePreview();
    this.#view = view;
    this.#announcer.clear();
    this.#region.replaceChildren(...(view ? [view.root] : []));
    this.#onStateChange(this.state);
    if (!view) return;
    view.heading.focus();
    if (view.announce) this.#announcer.alert(view.announce);
  }

  /** Moves the download bar, when the loading screen is shown. */
  showLoadProgress(fraction: number): void {
    if (this.#view?.state === 'loading') (this.#view as LoadingView).progress(fraction);
  }

  /** Shows and speaks the guidance for a frame on the capture screen. */
  showFrame(progress: CaptureProgress): void {
    const guidance = guidanceFor(progress);
    const text = this.#texts(guidance.key);
    const view = this.#view as CaptureView;
    const entering = progress.document !== undefined && !view.documentPhase;
    view.update(progress, text, guidance.tone);
    // The document phase is a new task: say what is asked at once, then the guidance as usual.
    if (entering) {
      this.#announcer.now(`${this.#texts('documentTitle')}. ${this.#texts('documentIntro')} ${this.#texts('documentDeclineHelp')}`);
      this.#gesture = undefined;
      return;
    }
    // A new gesture is announced at once: its time runs from the prompt.
    const gesture = progress.liveness?.step ? `${progress.liveness.stepIndex}:${progress.liveness.step}` : undefined;
    if (gesture && guidance.tone === 'act' && gesture !== this.#gesture) this.#announcer.now(text);
    else this.#announcer.guide(text);
    this.#gesture = gesture;
  }

  /** Detaches the camera stream from the preview, when the capture screen is shown. */
  releasePreview(): void {
    if (this.#view?.state === 'capturing') (this.#view as CaptureView).release();
  }

  /** Moves focus to the alternative's button (no other gesture is left to offer). */
  focusAlternative(): void {
    this.#view?.root.querySelector<HTMLButtonElement>('[data-choice="alternative"]')?.focus();
  }
}
