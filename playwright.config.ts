import { defineConfig } from '@playwright/test';

import { CHROMIUM, CHROMIUM_ARGS } from './tools/chromium.js';

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  timeout: 120_000,
  // Two cores: each test runs two WASM threads of face models; one test at a time keeps them honest.
  workers: 1,
  reporter: [['list']],
  use: {
    headless: true,
    launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS },
  },
});
