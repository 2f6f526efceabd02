#!/usr/bin/env node
// Builds everything the SDK ships, plus the unpublished testing bundles:
//   dist/presenza.js          ES module, main thread (`import { Presenza } from 'presenza'`)
//   dist/presenza.iife.js     script-tag build, exposes window.Presenza
//   dist/presenza-worker.js   the face worker (module worker), its runtime chunks in dist/chunks/
//   dist/models/              verified models and runtime wasm (copied from models/)
//   dist/server/index.js      presenza/server (Node)
//   dist/types/               .d.ts files
//   dist/testing/             testing worker and page harness (excluded from the package)
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

/** onnxruntime-web: use the builds that load their wasm glue from `assetsBaseUrl`, not embedded copies. */
const browserConditions = ['onnxruntime-web-use-extern-wasm', 'browser', 'import', 'module', 'default'];

function config({ entry, outDir, formats, fileName, name, ssr = false, minify = true }) {
  return {
    root,
    configFile: false,
    logLevel: 'warn',
    resolve: { conditions: browserConditions },
    build: {
      outDir,
      emptyOutDir: false,
      minify,
      sourcemap: true,
      target: ssr ? 'node20' : 'es2022',
      ssr,
      copyPublicDir: false,
      lib: { entry, formats, fileName, name },
      rollupOptions: {
        external: ssr ? [/^node:/] : [],
        output: { chunkFileNames: 'chunks/[name]-[hash].js' },
      },
    },
  };
}

rmSync(dist, { recursive: true, force: true });
await build(config({ entry: 'src/index.ts', outDir: dist, formats: ['es'], fileName: () => 'presenza.js' }));
await build({ ...config({ entry: 'src/iife.ts', outDir: dist, formats: ['iife'], fileName: () => 'presenza.iife.js', name: 'Presenza' }), define: { 'import.meta.url': 'undefined' } });
await build(config({ entry: 'workers/face.worker.ts', outDir: dist, formats: ['es'], fileName: () => 'presenza-worker.js' }));
await build(config({ entry: 'src/server/index.ts', outDir: join(dist, 'server'), formats: ['es'], fileName: () => 'index.js', ssr: true, minify: false }));

const testing = join(dist, 'testing');
await build(config({ entry: 'testing/worker.ts', outDir: testing, formats: ['es'], fileName: () => 'presenza-testing-worker.js' }));
await build(config({ entry: 'testing/harness.ts', outDir: testing, formats: ['iife'], fileName: () => 'harness.iife.js', name: 'PresenzaHarness' }));

mkdirSync(join(dist, 'models'), { recursive: true });
for (const file of readdirSync(join(root, 'models'))) copyFileSync(join(root, 'models', file), join(dist, 'models', file));

execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
console.log('presenza: built dist/');
