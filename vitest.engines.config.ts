import { defineConfig } from 'vitest/config';

/** Firefox and WebKit end to end (e2e-engines/): one browser at a time, generous timeouts on 2 shared cores. */
export default defineConfig({
  test: {
    include: ['e2e-engines/**/*.test.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 120_000,
  },
});
