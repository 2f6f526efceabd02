/** Firefox ESR (Debian) through WebDriver BiDi: see support/suite.ts for what is tested. */
import { afterAll, beforeAll } from 'vitest';
import { startFirefox } from './support/firefox.js';
import { engineSuite, type EngineBrowser } from './support/suite.js';
import { startDisplay, type Display } from './support/xvfb.js';

let display: Display;
beforeAll(async () => {
  display = await startDisplay();
});
afterAll(async () => display?.close());

async function firefox(options: { display?: string; fakeCamera?: boolean }): Promise<EngineBrowser> {
  const session = await startFirefox(options);
  return { version: session.version, page: () => session.newPage(), close: () => session.close() };
}

engineSuite({
  name: 'Firefox',
  // Headed on Xvfb: WebGL through Mesa's software renderer, and the fake camera.
  start: () => firefox({ display: display.name, fakeCamera: true }),
  // Headless on a machine without a GPU: no WebGL at all.
  startWithoutWebgl: () => firefox({}),
  threads: 2,
  camera: true,
});
