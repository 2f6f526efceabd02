import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  // `service/` uses the SDK's published entries, as a platform would; in this repository they resolve to the sources.
  resolve: {
    alias: [
      { find: /^presenza$/, replacement: source('./src/index.ts') },
      { find: /^presenza\/server$/, replacement: source('./src/server/index.ts') },
    ],
  },
  test: {
    include: ['src/**/*.test.ts', 'workers/**/*.test.ts', 'service/**/*.test.ts', 'testing/**/*.test.ts', 'tools/**/*.test.ts', 'bench/**/*.test.ts', 'scripts/**/*.test.ts', 'demo/**/*.test.ts', 'compliance/**/*.test.ts'],
    environment: 'node',
    // Service tests run many database round trips on PostgreSQL; two busy cores can make one take seconds.
    testTimeout: 30_000,
    // Vitest's default on 2 cores is one file at a time; the service files mostly wait on their
    // databases, so two at a time keep both cores busy.
    maxWorkers: 2,
  },
});
