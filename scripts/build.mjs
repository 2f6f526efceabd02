#!/usr/bin/env node
// Builds everything the SDK ships, plus the unpublished testing bundles, in the CDN layout (README,
// "Serving the SDK"): entry points under stable names, everything they load under content-hashed
// names, each servable file with precompressed .br and .gz siblings.
//   dist/presenza.js                  ES module, main thread (`import { Presenza } from 'presenza'`)
//   dist/presenza.iife.js             script-tag build, exposes window.Presenza (its SRI hash is printed)
//   dist/presenza-worker.<hash>.js    the face worker (module worker), its runtime chunks in dist/chunks/
//   dist/models/<name>.<hash>.<ext>   verified models and runtime wasm (from models/), manifest.json
//   dist/cdn.json                     version, worker file name, SRI hashes of the entry points
//   dist/server/index.js              presenza/server (Node)
//   dist/compliance/presenza.js       the `presenza` command (`npx presenza compliance`), bundled with its
//                                     libraries; beside it the configuration schema and an example, and in
//                                     dist/bench/results/ the benchmark results the documents cite
//   dist/types/                       .d.ts files
//   dist/testing/                     testing worker and page harness (excluded from the package)
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'vite';
import { hashedAssetName, subresourceIntegrity, writeCompressedSiblings } from './cdnAssets.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

/** onnxruntime-web: use the builds that load their wasm glue from `assetsBaseUrl`, not embedded copies. */
const browserConditions = ['onnxruntime-web-use-extern-wasm', 'browser', 'import', 'module', 'default'];

function config({ entry, outDir, formats, fileName, name, ssr = false, minify = true, define = {} }) {
  return {
    root,
    configFile: false,
    logLevel: 'warn',
    resolve: { conditions: browserConditions },
    define,
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
        output: { chunkFileNames: 'chunks/[name].[hash:16].js', hashCharacters: 'hex' },
      },
    },
  };
}

rmSync(dist, { recursive: true, force: true });
// The worker first: the SDK builds carry its content-hashed name.
const [workerBuild] = [await build(config({ entry: 'workers/face.worker.ts', outDir: dist, formats: ['es'], fileName: () => 'presenza-worker.[hash:16].js' }))].flat();
const workerFile = workerBuild.output.find((chunk) => chunk.type === 'chunk' && chunk.isEntry).fileName;
const sdkDefine = { __PRESENZA_WORKER_FILE__: JSON.stringify(workerFile) };
await build(config({ entry: 'src/index.ts', outDir: dist, formats: ['es'], fileName: () => 'presenza.js', define: sdkDefine }));
await build(config({ entry: 'src/iife.ts', outDir: dist, formats: ['iife'], fileName: () => 'presenza.iife.js', name: 'Presenza', define: { ...sdkDefine, 'import.meta.url': 'undefined' } }));
await build(config({ entry: 'src/server/index.ts', outDir: join(dist, 'server'), formats: ['es'], fileName: () => 'index.js', ssr: true, minify: false }));

// The command line: Node, every library bundled in (a consumer installs no devDependency of ours).
const compliance = join(dist, 'compliance');
await build({
  root,
  configFile: false,
  logLevel: 'warn',
  ssr: { noExternal: true },
  build: {
    outDir: compliance,
    emptyOutDir: false,
    minify: true,
    target: 'node20',
    ssr: true,
    copyPublicDir: false,
    lib: { entry: { presenza: 'compliance/main.ts', cli: 'compliance/cli.ts' }, formats: ['es'], fileName: (_format, name) => `${name}.js` },
    rollupOptions: { external: [/^node:/], output: { chunkFileNames: '[name].[hash:16].js', hashCharacters: 'hex' } },
  },
});
for (const file of ['presenza-config.schema.json', 'example.config.json']) copyFileSync(join(root, 'compliance', file), join(compliance, file));
// The results the documents cite, as this version was released with (the command reads ../bench/results/).
const { BENCH_FILES } = await import(pathToFileURL(join(compliance, 'cli.js')).href);
mkdirSync(join(dist, 'bench', 'results'), { recursive: true });
for (const file of Object.values(BENCH_FILES)) copyFileSync(join(root, 'bench', 'results', file), join(dist, 'bench', 'results', file));

const testing = join(dist, 'testing');
await build(config({ entry: 'testing/worker.ts', outDir: testing, formats: ['es'], fileName: () => 'presenza-testing-worker.js' }));
await build(config({ entry: 'testing/harness.ts', outDir: testing, formats: ['iife'], fileName: () => 'harness.iife.js', name: 'PresenzaHarness' }));

// Models and wasm under their content-hashed names (the worker asks for exactly these).
const manifest = JSON.parse(readFileSync(join(root, 'models', 'manifest.json'), 'utf8'));
mkdirSync(join(dist, 'models'), { recursive: true });
copyFileSync(join(root, 'models', 'manifest.json'), join(dist, 'models', 'manifest.json'));
for (const { file, sha256 } of manifest.files) copyFileSync(join(root, 'models', file), join(dist, 'models', hashedAssetName(file, sha256)));

execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });

// What a browser fetches: the entry points, the worker, its chunks and the models.
const served = [
  'presenza.js',
  'presenza.iife.js',
  workerFile,
  ...readdirSync(join(dist, 'chunks')).filter((f) => f.endsWith('.js')).map((f) => `chunks/${f}`),
  ...readdirSync(join(dist, 'models')).map((f) => `models/${f}`),
];
const sizes = await writeCompressedSiblings(
  served.map((f) => join(dist, f)),
  join(root, 'node_modules', '.cache', 'presenza', 'compressed'),
);
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const integrity = Object.fromEntries(['presenza.iife.js', 'presenza.js'].map((f) => [f, subresourceIntegrity(readFileSync(join(dist, f)))]));
writeFileSync(join(dist, 'cdn.json'), `${JSON.stringify({ name: 'presenza', version, worker: workerFile, integrity }, null, 2)}\n`);

const total = (key) => sizes.reduce((sum, s) => sum + s[key], 0);
const mb = (n) => (n / 1e6).toFixed(1);
console.log(`presenza: built dist/ (${sizes.length} servable files: ${mb(total('bytes'))} MB, brotli ${mb(total('br'))} MB, gzip ${mb(total('gz'))} MB; ${relative(root, dist)}/cdn.json)`);
console.log(`presenza: script tag for a CDN serving dist/ at https://cdn.example/presenza/${version}/:`);
console.log(`  <script src="https://cdn.example/presenza/${version}/presenza.iife.js" integrity="${integrity['presenza.iife.js']}" crossorigin="anonymous"></script>`);
