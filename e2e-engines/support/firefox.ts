/**
 * Debian's Firefox ESR driven by Puppeteer over WebDriver BiDi (Playwright's patched Firefox
 * cannot be downloaded here). Headless Firefox has no WebGL without a GPU; on an Xvfb display it
 * renders WebGL with Mesa's software renderer, as a desktop without a usable GPU driver would.
 */
import puppeteer, { type Browser } from 'puppeteer-core';
import type { ScriptedPage } from '../../tools/scriptedPage.js';

/** Path of Firefox (Debian package `firefox-esr`). */
export const FIREFOX = process.env.PRESENZA_FIREFOX ?? '/usr/bin/firefox-esr';

/** Options of {@link startFirefox}. */
export interface FirefoxOptions {
  /** Run headed on this X display (WebGL available); headless without it (no WebGL). */
  readonly display?: string;
  /** Firefox's fake camera (a test pattern, no face) with the permission prompt granted. */
  readonly fakeCamera?: boolean;
}

/** A running Firefox. */
export interface FirefoxSession {
  readonly version: string;
  newPage(): Promise<ScriptedPage>;
  close(): Promise<void>;
}

/** Launches Firefox. */
export async function startFirefox(options: FirefoxOptions = {}): Promise<FirefoxSession> {
  const browser: Browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: !options.display,
    protocolTimeout: 240_000,
    ...(options.display ? { env: { ...process.env, DISPLAY: options.display } } : {}),
    extraPrefsFirefox: options.fakeCamera ? { 'media.navigator.streams.fake': true, 'media.navigator.permission.disabled': true } : {},
  });
  return {
    version: await browser.version(),
    async newPage() {
      const page = await browser.newPage();
      return {
        goto: (url) => page.goto(url),
        evaluate: (fn, arg) => page.evaluate(fn as never, arg) as never,
      };
    },
    close: () => browser.close(),
  };
}
