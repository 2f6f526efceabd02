// The demo pages' languages: Italian or English, from the browser's language unless the user
// chose one with the switch (kept in localStorage). Static texts are marked `data-t="key"`.
import { local } from './storage.js';

const STORAGE = 'presenza-demo-lang';
const listeners = [];

/** The page language: the user's choice, else `it` for an Italian browser, else `en`. */
export function currentLanguage() {
  const chosen = local.getItem(STORAGE);
  if (chosen === 'it' || chosen === 'en') return chosen;
  return /^it\b/i.test(navigator.language) ? 'it' : 'en';
}

/**
 * A translator over `catalogues` ({ it: {...}, en: {...} }): `t(key, values)` fills `{name}`
 * placeholders. Texts marked `data-t` are filled in now and whenever the language changes.
 */
export function pageTexts(catalogues) {
  const t = (key, values = {}) => {
    const text = catalogues[currentLanguage()][key] ?? catalogues.en[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (match, name) => (name in values ? String(values[name]) : match));
  };
  const apply = () => {
    document.documentElement.lang = currentLanguage();
    for (const element of document.querySelectorAll('[data-t]')) element.textContent = t(element.dataset.t);
    for (const element of document.querySelectorAll('[data-t-label]')) element.setAttribute('aria-label', t(element.dataset.tLabel));
    if (catalogues.en.pageTitle) document.title = t('pageTitle');
  };
  apply();
  listeners.push(apply);
  return t;
}

/** Calls `listener` after every language change. */
export function onLanguageChange(listener) {
  listeners.push(listener);
}

/** Wires the switch: a `nav` with one button per language (`data-lang`), the current one pressed. */
export function languageSwitch(nav) {
  const mark = () => {
    for (const button of nav.querySelectorAll('button[data-lang]')) button.setAttribute('aria-pressed', String(button.dataset.lang === currentLanguage()));
  };
  for (const button of nav.querySelectorAll('button[data-lang]')) {
    button.addEventListener('click', () => {
      local.setItem(STORAGE, button.dataset.lang);
      for (const listener of listeners) listener();
      mark();
    });
  }
  mark();
}

/** A date (and optionally time) in the page language. */
export function formatDate(ms, options = { dateStyle: 'long' }) {
  return new Intl.DateTimeFormat(currentLanguage(), options).format(ms);
}
