import { defineConfig } from '@playwright/test';

/** Debian's Chromium: Playwright cannot download its own browser here. */
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
