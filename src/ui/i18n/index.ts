/** Language choice and text lookup for the student UI. */
import { en } from './en.js';
import { it } from './it.js';
import type { MessageKey, UiLanguage, UiMessages } from './messages.js';

export type { MessageKey, UiLanguage, UiMessages } from './messages.js';

/** The built-in catalogues, one per language. */
export const CATALOGUES: Readonly<Record<UiLanguage, UiMessages>> = { it, en };

/** Values for a text's `{placeholders}`. */
export type MessageValues = Readonly<Record<string, string | number>>;

/** Looks a text up and fills in its placeholders. */
export type Translate = (key: MessageKey, values?: MessageValues) => string;

/**
 * The UI language: the `requested` one if given, else the nearest `lang` attribute (the element's
 * own or an ancestor's, then the page's), else the browser's. Italian if it starts with `it`,
 * English otherwise.
 */
export function resolveLanguage(requested: UiLanguage | undefined, element: Element): UiLanguage {
  const tag = requested ?? (element.closest('[lang]')?.getAttribute('lang') || element.ownerDocument.documentElement.lang || navigator.language);
  return /^it\b/i.test(tag) ? 'it' : 'en';
}

/** A lookup over the language's catalogue with the platform's overrides on top. */
export function translator(language: UiLanguage, overrides: Partial<UiMessages> = {}): Translate {
  const messages = { ...CATALOGUES[language], ...overrides };
  return (key, values = {}) => messages[key].replace(/\{(\w+)\}/g, (match, name: string) => (name in values ? String(values[name]) : match));
}
