/** Debian's Chromium, for every test, benchmark and script that drives a browser: Playwright cannot download its own here. */
export const CHROMIUM = process.env.PRESENZA_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a machine without network: no background connections, no GPU. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Exposes Chromium's WebGPU adapter (software, SwiftShader, on a machine without a GPU) on secure origins. */
export const WEBGPU_ARG = '--enable-unsafe-webgpu';
