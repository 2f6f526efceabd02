/**
 * The direction of imports is the architecture (DESIGN.md, "Layout"): this test reads every
 * import of the production folders and fails on one that crosses a boundary the wrong way.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './paths.js';

interface Import {
  readonly file: string;
  /** The specifier as written. */
  readonly specifier: string;
  /** Repository path of a relative import's target; null for a package. */
  readonly target: string | null;
}

const SOURCE = /\.(ts|mts|js|mjs)$/;
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;(])import\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\s)import\s+['"]([^'"]+)['"]/g;

function filesUnder(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(join(ROOT, dir))) {
      const path = posix.join(dir, name);
      if (statSync(join(ROOT, path)).isDirectory()) walk(path);
      else if (SOURCE.test(name)) out.push(path);
    }
  };
  walk(folder);
  return out;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => {
    const specifier = (m[1] ?? m[2] ?? m[3])!;
    const target = specifier.startsWith('.') ? posix.normalize(posix.join(posix.dirname(file), specifier)) : null;
    return { file, specifier, target };
  });
}

const isTest = (file: string) => /\.test\.ts$/.test(file);
const production = (folder: string) => filesUnder(folder).filter((f) => !isTest(f));
const inside = (target: string | null, ...folders: string[]) => target !== null && folders.some((f) => target.startsWith(`${f}/`));
const violations = (files: string[], allowed: (i: Import) => boolean) =>
  files.flatMap(importsOf).filter((i) => !allowed(i)).map((i) => `${i.file} imports ${i.specifier}`);

describe('layout', () => {
  it('reads imports (the rules below are not vacuous)', () => {
    expect(importsOf('workers/face.worker.ts').map((i) => i.specifier)).toContain('comlink');
    expect(production('src/protocol').length).toBeGreaterThan(4);
  });

  it('src/protocol imports nothing but itself', () => {
    expect(violations(filesUnder('src/protocol'), (i) => inside(i.target, 'src/protocol') || (isTest(i.file) && i.target === null))).toEqual([]);
  });

  it('the main-thread SDK and UI reach the worker only through its method table', () => {
    const files = [...production('src/sdk'), ...production('src/ui'), 'src/index.ts', 'src/iife.ts'];
    const allowed = (i: Import) =>
      inside(i.target, 'src/protocol', 'src/sdk', 'src/ui') || i.target === 'src/index.js' || i.target === 'workers/api.js' || i.specifier === 'comlink';
    expect(violations(files, allowed)).toEqual([]);
  });

  it('presenza/server uses only the protocol and Node', () => {
    expect(violations(production('src/server'), (i) => inside(i.target, 'src/server', 'src/protocol') || i.specifier.startsWith('node:'))).toEqual([]);
  });

  it('the worker uses only itself, the protocol, the model manifest and its runtimes', () => {
    const packages = ['comlink', 'idb', 'onnxruntime-web', '@mediapipe/tasks-vision'];
    const allowed = (i: Import) =>
      inside(i.target, 'workers', 'src/protocol') || i.target === 'models/manifest.json' || packages.some((p) => i.specifier === p || i.specifier.startsWith(`${p}/`));
    expect(violations(production('workers'), allowed)).toEqual([]);
  });

  it('each heavy runtime has one adapter', () => {
    const importers = (pkg: string) =>
      [...production('workers'), ...production('src')].filter((f) => importsOf(f).some((i) => i.specifier === pkg || i.specifier.startsWith(`${pkg}/`)));
    expect(importers('onnxruntime-web')).toEqual(['workers/runtime/onnx.ts']);
    expect(importers('@mediapipe/tasks-vision')).toEqual(['workers/runtime/mediapipe.ts']);
  });

  it('the attendance service and the demo use only the published entries, as a platform would', () => {
    const files = [...production('service'), ...production('demo')];
    // The service also reads the deployment configuration, through its loader only.
    const allowed = (i: Import) =>
      i.target === null
        ? !i.specifier.startsWith('presenza') || ['presenza', 'presenza/server'].includes(i.specifier)
        : inside(i.target, 'service', 'demo') ||
          (i.file === 'service/config.ts' && i.target === 'compliance/config.js') ||
          // The service publishes the full notice the compliance kit writes from that configuration.
          (i.file === 'service/notice.ts' && ['compliance/config.js', 'compliance/generate.js'].includes(i.target)) ||
          // The demo runs with the kit's example configuration, its notice marked approved.
          (i.file === 'demo/notice.ts' && ['compliance/config.js', 'compliance/generate.js'].includes(i.target));
    expect(violations(files, allowed)).toEqual([]);
  });

  it('the compliance kit reads the protocol, the UI texts and the service constants, never the SDK or the worker', () => {
    const packages = ['ajv', 'ajv-formats'];
    const allowed = (i: Import) =>
      i.target === null
        ? i.specifier.startsWith('node:') || packages.some((p) => i.specifier === p || i.specifier.startsWith(`${p}/`))
        : inside(i.target, 'compliance', 'src/protocol', 'src/ui/i18n') || ['service/config.js', 'service/attendance.js'].includes(i.target);
    expect(production('compliance').length).toBeGreaterThan(5);
    expect(violations(production('compliance'), allowed)).toEqual([]);
  });

  it('no production path imports a test rig, a benchmark or a tool', () => {
    const files = ['src', 'workers', 'service', 'demo', 'compliance'].flatMap(production);
    expect(violations(files, (i) => !inside(i.target, 'testing', 'bench', 'e2e', 'e2e-engines', 'tools', 'scripts'))).toEqual([]);
  });
});
