/**
 * The package as a platform gets it: `npm pack`, then the tarball installed offline into a fresh
 * project outside this repository (it has no dependencies to fetch), and used there the four ways
 * the README documents: (a) a Vite app importing `presenza` enrolls and checks with a fake camera,
 * (b) a plain page loads the script-tag build and its assets from a second origin with one script
 * tag (and its SRI hash), (c) a Node script verifies those assertions with `presenza/server`,
 * (d) TypeScript `strict` type-checks a consumer file against the published types, (e) `npx presenza
 * compliance` writes the compliance kit with nothing but the package installed.
 * Vite and TypeScript are this repository's own (a consumer brings theirs).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { createChallenge } from '../src/server/challenge.js';
import { ROOT } from '../tools/paths.js';
import { serveStatic, type StaticServer } from '../tools/staticServer.js';
import { cameraArgs, fakeCameraFile } from './support/fakeCamera.js';
import { CHROMIUM } from '../tools/chromium.js';
import { parseDeploymentConfig } from '../compliance/config.js';
import { renderHtml, renderMarkdown } from '../compliance/document.js';
import { BENCH_FILES, readMeasuredFacts } from '../compliance/facts.js';
import { complianceDocuments } from '../compliance/generate.js';

const CAMERA_PHOTO = 'lfw/Abel_Pacheco/Abel_Pacheco_0001.jpg';
const AUDIENCE = 'https://school.example';

test.use({ launchOptions: { executablePath: CHROMIUM, args: cameraArgs({ file: fakeCameraFile(CAMERA_PHOTO) }) } });
test.describe.configure({ mode: 'serial', timeout: 180_000 });

let work: string;
let project: string;
let installed: string;
let tarballFiles: string[];

const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

test.beforeAll(async () => {
  test.setTimeout(180_000);
  work = mkdtempSync(join(tmpdir(), 'presenza-consumer-'));
  // --ignore-scripts: `prepare` (model provisioning) is a development step; dist/ is already built.
  const [pack] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], ROOT)) as { filename: string; files: { path: string }[] }[];
  tarballFiles = pack!.files.map((f) => f.path);
  project = join(work, 'platform');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'platform', private: true, type: 'module' }));
  npm(['install', '--offline', '--no-audit', '--no-fund', join(work, pack!.filename)], project);
  installed = join(project, 'node_modules', 'presenza');
});
test.afterAll(() => rmSync(work, { recursive: true, force: true }));

/** What each test hands the next: the Vite app's assertions, verified by the Node script. */
const issued: { enrollment?: string; check?: string; enrollNonce?: string; checkNonce?: string } = {};

test('the package holds dist/ (no testing build), LICENSE and NOTICE, and no install script', () => {
  expect(tarballFiles.some((f) => f.startsWith('dist/testing'))).toBe(false);
  expect(tarballFiles).toEqual(
    expect.arrayContaining(['LICENSE', 'NOTICE', 'package.json', 'dist/presenza.js', 'dist/presenza.iife.js', 'dist/cdn.json', 'dist/compliance/presenza.js', 'dist/compliance/presenza-config.schema.json']),
  );
  // The command's benchmark figures: exactly the result files the documents cite.
  expect(tarballFiles.filter((f) => f.startsWith('dist/bench/')).sort()).toEqual(Object.values(BENCH_FILES).map((f) => `dist/bench/results/${f}`).sort());
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
    license: string;
    dependencies?: object;
    bin?: Record<string, string>;
  };
  // npm adds the files `bin` names; nothing else outside dist/.
  const bins = Object.values(manifest.bin ?? {});
  expect(tarballFiles.filter((f) => !/^(dist\/|LICENSE$|NOTICE$|README\.md$|package\.json$)/.test(f) && !bins.includes(f))).toEqual([]);
  for (const hook of ['preinstall', 'install', 'postinstall']) expect(manifest.scripts?.[hook]).toBeUndefined();
  expect(manifest.license).toBe('Apache-2.0');
  expect(manifest.dependencies).toBeUndefined();
});

test('(a) a Vite app importing presenza enrolls and checks with the fake camera', async ({ page }) => {
  const app = join(project, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'index.html'), '<!doctype html><title>lesson</title><script type="module" src="./main.js"></script>');
  writeFileSync(
    join(app, 'main.js'),
    `import { Presenza, isPresenzaError } from 'presenza';
window.run = async ({ enrollNonce, checkNonce }) => {
  const sdk = await Presenza.create({ assetsBaseUrl: '/presenza/', audience: '${AUDIENCE}' });
  const retainUntil = Date.now() + 86400000;
  const enrollment = await sdk.enroll({ enrollmentId: 'student-7', nonce: enrollNonce, retainUntil, liveness: 'off' });
  const check = await sdk.check({ checkId: 'check-1', nonce: checkNonce, liveness: 'off' });
  sdk.close();
  return { enrollment: enrollment.assertion, check, isPresenzaError: typeof isPresenzaError };
};`,
  );
  const { build } = await import('vite');
  await build({ root: app, configFile: false, logLevel: 'warn', build: { outDir: join(project, 'app-dist'), emptyOutDir: true, target: 'es2022' } });
  // The platform serves the package's dist/ as its SDK assets folder.
  const site = await serveStatic({ mounts: { '/presenza/': join(installed, 'dist'), '/': join(project, 'app-dist') }, isolated: true });
  try {
    await page.goto(`${site.origin}/index.html`);
    await page.waitForFunction(() => 'run' in window);
    issued.enrollNonce = createChallenge();
    issued.checkNonce = createChallenge();
    const result = await page.evaluate((nonces) => (window as unknown as { run: (n: object) => Promise<{ enrollment: string; check: { outcome: string; assertion: string } }> }).run(nonces), {
      enrollNonce: issued.enrollNonce,
      checkNonce: issued.checkNonce,
    });
    expect(result.check.outcome).toBe('pass');
    issued.enrollment = result.enrollment;
    issued.check = result.check.assertion;
  } finally {
    await site.close();
  }
});

test('(b) a plain page loads the script-tag build and its assets from another origin with one script tag', async ({ page }) => {
  const { integrity } = JSON.parse(readFileSync(join(installed, 'dist', 'cdn.json'), 'utf8')) as { integrity: Record<string, string> };
  const requested: string[] = [];
  const cdn = await serveStatic({ mounts: { '/presenza/0.1.0/': join(installed, 'dist') }, cors: true, isolated: true, onRequest: (r) => requested.push(r.url ?? '') });
  const tag = `<script src="${cdn.origin}/presenza/0.1.0/presenza.iife.js" integrity="${integrity['presenza.iife.js']}" crossorigin="anonymous"></script>`;
  const site = await serveStatic({ mounts: {}, pages: { '/lesson.html': `<!doctype html><title>lesson</title>${tag}` }, isolated: true });
  try {
    await page.goto(`${site.origin}/lesson.html`);
    const runtime = await page.evaluate(async () => {
      const sdk = await window.Presenza.create({ audience: 'https://school.example' });
      const status = await sdk.status();
      sdk.close();
      return { backend: sdk.runtime.backend, models: sdk.runtime.models.length, crossOriginIsolated: sdk.runtime.crossOriginIsolated, status };
    });
    expect(runtime).toEqual({ backend: 'wasm', models: 3, crossOriginIsolated: true, status: { enrolled: false } });
    // Everything came from the CDN origin's versioned folder; the models under hashed names.
    expect(requested.every((url) => url.startsWith('/presenza/0.1.0/'))).toBe(true);
    expect(requested.filter((url) => url.includes('/models/')).every((url) => /\.[0-9a-f]{16}\.[a-z]+$/.test(url))).toBe(true);
  } finally {
    await Promise.all([cdn.close(), site.close()]);
  }
});

test('(c) a Node script importing presenza/server verifies the Vite app’s assertions', () => {
  test.skip(!issued.check, 'needs the assertions of (a)');
  writeFileSync(
    join(project, 'verify.mjs'),
    `import { verifyCheck, verifyEnrollment } from 'presenza/server';
const input = JSON.parse(process.argv[2]);
const enrollment = await verifyEnrollment(input.enrollment, { audience: '${AUDIENCE}', expectedNonce: input.enrollNonce });
const check = await verifyCheck(input.check, {
  audience: '${AUDIENCE}', publicJwk: enrollment.publicJwk, expectedNonce: input.checkNonce, checkId: 'check-1', enrollmentId: enrollment.enrollmentId,
});
console.log(JSON.stringify({ enrollmentId: enrollment.enrollmentId, outcome: check.outcome }));`,
  );
  const out = execFileSync(process.execPath, ['verify.mjs', JSON.stringify(issued)], { cwd: project, encoding: 'utf8' });
  expect(JSON.parse(out)).toEqual({ enrollmentId: 'student-7', outcome: 'pass' });
});

test('(d) TypeScript strict type-checks a consumer file against the published types', () => {
  writeFileSync(
    join(project, 'consumer.ts'),
    `import { Presenza, isPresenzaError, type CheckOutcome, type PresenzaCheckResult } from 'presenza';
import { createVerifier, MemoryNonceStore, type CheckReason } from 'presenza/server';

export async function checkOnce(checkId: string, nonce: string): Promise<CheckOutcome> {
  const sdk = await Presenza.create({ assetsBaseUrl: 'https://cdn.example/presenza/0.1.0/' });
  try {
    const result: PresenzaCheckResult = await sdk.check({ checkId, nonce });
    return result.outcome;
  } catch (error) {
    if (isPresenzaError(error)) return 'inconclusive';
    throw error;
  } finally {
    sdk.close();
  }
}

export const verifier = createVerifier({ audience: 'https://school.example', nonceStore: new MemoryNonceStore() });
export const reason: CheckReason = 'mismatch';
// @ts-expect-error: a check has no score to read
export const noScore = (r: PresenzaCheckResult) => r.score;
`,
  );
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: 'es2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        lib: ['es2022', 'dom', 'dom.iterable'],
        // Our .d.ts files are checked too; TypeScript's own lib files need no checking here.
        skipLibCheck: false,
        skipDefaultLibCheck: true,
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules', '@types')],
      },
      files: ['consumer.ts'],
    }),
  );
  expect(existsSync(join(installed, 'dist', 'types'))).toBe(true);
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  let output = '';
  try {
    execFileSync(process.execPath, [tsc, '-p', project], { cwd: project, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    output = String((error as { stdout?: string }).stdout ?? error);
  }
  expect(output).toBe('');
});

test('(e) npx presenza compliance writes the kit, and --check flags a risky configuration, from the package alone', () => {
  // The package carries the example configuration beside its schema; a school starts from a copy.
  const example = JSON.parse(readFileSync(join(installed, 'dist', 'compliance', 'example.config.json'), 'utf8')) as Record<string, any>;
  writeFileSync(join(project, 'school.json'), JSON.stringify(example));
  const kit = join(project, 'kit');
  const presenza = (args: string[]) => execFileSync('npx', ['--no', 'presenza', ...args], { cwd: project, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  presenza(['compliance', '--config', 'school.json', '--lang', 'en', '--out', kit, '--no-pdf']);
  // The same documents as this repository writes from the same configuration and bench results.
  for (const doc of complianceDocuments(parseDeploymentConfig(example), readMeasuredFacts(), 'en')) {
    expect(readFileSync(join(kit, `${doc.id}-en.md`), 'utf8')).toBe(renderMarkdown(doc));
    expect(readFileSync(join(kit, `${doc.id}-en.html`), 'utf8')).toBe(renderHtml(doc));
  }
  example.policies.alternative.offered = false;
  writeFileSync(join(project, 'risky.json'), JSON.stringify(example));
  let failure: { status?: number; stdout?: string } = {};
  try {
    presenza(['compliance', '--config', 'risky.json', '--check', '--lang', 'en']);
  } catch (error) {
    failure = error as typeof failure;
  }
  expect(failure.status).toBe(1);
  expect(failure.stdout).toContain('UNLAWFUL no_alternative');
});
