/** WebKitGTK's MiniBrowser (Debian) through W3C WebDriver: see support/suite.ts for what is tested. */
import { afterAll, beforeAll } from 'vitest';
import { startWebKit } from './support/webdriver.js';
import { engineSuite, type EngineBrowser } from './support/suite.js';
import { startDisplay, type Display } from './support/xvfb.js';

let display: Display;
beforeAll(async () => {
  display = await startDisplay();
});
afterAll(async () => display?.close());

async function webkit(args: string[]): Promise<EngineBrowser> {
  const session = await startWebKit({ display: display.name, args });
  return { version: `WebKitGTK ${session.version}`, page: async () => session, close: () => session.close() };
}

engineSuite({
  name: 'WebKit',
  // WebKitGTK 2.50 ships WebGL in workers behind a feature flag, off by default. Its mock camera
  // shows a test pattern (no face).
  start: () => webkit(['--features=+AllowWebGLInWorkers', '--enable-media-stream=true', '--enable-mock-capture-devices=true']),
  startWithoutWebgl: () => webkit([]),
  // Cross-origin isolated, but SharedArrayBuffer is not exposed: ONNX Runtime runs on one thread.
  threads: 1,
  camera: true,
});
