/**
 * The least the shared test helpers need of a browser page, whatever drives it: Playwright
 * (Chromium), Puppeteer over WebDriver BiDi (Firefox) or the W3C WebDriver client (WebKit).
 * Functions passed to `evaluate` run in the page: they must not close over anything.
 */
export interface ScriptedPage {
  goto(url: string): Promise<unknown>;
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
}
