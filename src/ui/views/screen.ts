/**
 * What every screen of the element is made of: the {@link View} a builder returns, the
 * {@link ViewContext} it is built with, the heading that takes focus, and the row of buttons.
 * Builders only build: the attempt controller decides what comes next.
 */
import { h, icon, type Child, type IconName } from './dom.js';
import type { Choice } from '../attempt.js';
import type { MessageKey, Translate, UiLanguage } from '../i18n/index.js';
import type { ProblemKind } from '../problems.js';

/** The element's states, reflected in its `state` attribute. */
export type PresenzaUiState =
  | 'idle'
  | 'notice'
  | 'intro'
  | 'loading'
  | 'starting'
  | 'capturing'
  | 'enrolled'
  | 'passed'
  | ProblemKind
  | 'alternative';

/** What every screen needs. */
export interface ViewContext {
  readonly t: Translate;
  readonly lang: UiLanguage;
  readonly controller: string;
  readonly purpose: string;
  readonly noticeUrl: string;
  /** Called when the student presses a button. */
  readonly choose: (choice: Choice) => void;
}

/** A built screen. */
export interface View {
  readonly state: PresenzaUiState;
  readonly root: HTMLElement;
  readonly heading: HTMLElement;
  /** Announced assertively when the screen appears (results and errors only). */
  readonly announce?: string;
}

const CHOICE_LABELS: Record<Choice, MessageKey> = {
  face: 'choiceFace',
  alternative: 'choiceAlternative',
  retry: 'retry',
  cancel: 'cancel',
  'other-gesture': 'gestureCannot',
  'decline-document': 'documentDecline',
};

/** A screen: its heading (focusable, with an optional icon) followed by `children`. */
export function screen(state: PresenzaUiState, title: string, look: { tone?: 'success' | 'problem'; icon?: IconName }, ...children: Child[]): View {
  const heading = h('h2', { tabindex: -1 }, look.icon && icon(look.icon), title);
  const root = h('div', { class: 'view', 'data-tone': look.tone }, heading, ...children);
  return { state, root, heading };
}

/** One button per choice, in order; `labelledBy` makes the row a group named by that element. */
export function actions(ctx: ViewContext, choices: readonly Choice[], labelledBy?: string): HTMLElement {
  const buttons = choices.map((choice) => {
    const button = h('button', { type: 'button', 'data-choice': choice }, ctx.t(CHOICE_LABELS[choice]));
    button.addEventListener('click', () => ctx.choose(choice));
    return button;
  });
  return h('div', { class: 'actions', role: labelledBy && 'group', 'aria-labelledby': labelledBy }, ...buttons);
}
