/**
 * Fetches model files and the runtimes' wasm binaries from `assetsBaseUrl` (with CORS, so they can
 * live on a CDN), reporting download progress, and verifies each against the SHA-256 in
 * `models/manifest.json` before any runtime sees it.
 */
import manifest from '../../models/manifest.json' with { type: 'json' };
import { PresenzaError } from '../../src/protocol/errors.js';

/** Roles of the model files the worker loads. */
export type ModelRole = 'landmarks' | 'embedding' | 'anti-spoof';

/** Folder under `assetsBaseUrl` that holds the models and the runtimes' wasm. */
export const MODELS_FOLDER = 'models/';

/** Called with the bytes received so far and the total (when the server says it). */
export type ProgressListener = (event: { file: string; loaded: number; total: number | null }) => void;

interface ManifestEntry {
  readonly file: string;
  readonly role: string;
  readonly sha256: string;
  readonly bytes: number;
}

function entryFor(role: ModelRole): ManifestEntry {
  const entry = (manifest.files as ManifestEntry[]).find((e) => e.role === role);
  if (!entry) throw new Error(`models/manifest.json has no ${role} model`);
  return entry;
}

function entryForFile(file: string): ManifestEntry {
  const entry = (manifest.files as ManifestEntry[]).find((e) => e.file === file);
  if (!entry) throw new Error(`models/manifest.json does not list ${file}`);
  return entry;
}

/** Hex digits of a model's SHA-256 that identify it in assertions and runtime reports. */
export const MODEL_ID_DIGITS = 12;

/** Models the pipeline loads, in the order of the assertions' `models` claim. */
export const PIPELINE_MODELS: readonly ModelRole[] = ['landmarks', 'embedding', 'anti-spoof'];

/** The models a template depends on: an enrollment made with others cannot be compared. */
export const TEMPLATE_MODELS: readonly ModelRole[] = ['landmarks', 'embedding'];

/** The manifest's file name of the model for `role`. */
export function modelFile(role: ModelRole): string {
  return entryFor(role).file;
}

/** The manifest's SHA-256 of the model for `role`. */
export function modelSha256(role: ModelRole): string {
  return entryFor(role).sha256;
}

/** The ids (SHA-256 prefixes) of the models for `roles`, as assertions carry them. */
export function modelIds(roles: readonly ModelRole[] = PIPELINE_MODELS): string[] {
  return roles.map((role) => modelSha256(role).slice(0, MODEL_ID_DIGITS));
}

/** Absolute URL of the models folder for an assets base URL. */
export function modelsBaseUrl(assetsBaseUrl: string): string {
  return new URL(MODELS_FOLDER, assetsBaseUrl).href;
}

/** Hex digits of the SHA-256 in a published asset's name (the same rule as scripts/cdnAssets.mjs). */
export const ASSET_HASH_DIGITS = 16;

/**
 * The name a manifest file is published under: its SHA-256 prefix before the extension
 * (`fr_feature.onnx` → `fr_feature.fcc5ecb427d702a5.onnx`), so a CDN and the browser can keep it
 * forever (`immutable`) and a new version never meets a stale copy.
 */
export function publishedAssetName(file: string): string {
  const { sha256 } = entryForFile(file);
  const dot = file.lastIndexOf('.');
  return `${file.slice(0, dot)}.${sha256.slice(0, ASSET_HASH_DIGITS)}${file.slice(dot)}`;
}

/** Absolute URL of a manifest file (a model, or a runtime's wasm loader or binary) under `assetsBaseUrl`. */
export function assetUrl(assetsBaseUrl: string, file: string): string {
  return new URL(publishedAssetName(file), modelsBaseUrl(assetsBaseUrl)).href;
}

function toHex(digest: ArrayBuffer): string {
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Throws `ERR_MODEL_INTEGRITY` unless `bytes` hash to `expected`. */
export async function verifySha256(file: string, bytes: Uint8Array, expected: string): Promise<void> {
  const actual = toHex(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  if (actual !== expected) {
    throw new PresenzaError(
      'ERR_MODEL_INTEGRITY',
      `${file} does not match its SHA-256 (expected ${expected}, got ${actual}): the file is corrupt or ` +
        'not the one this SDK version was built with. Re-provision the models (npm run models) and redeploy them.',
    );
  }
}

async function readBody(response: Response, entry: ManifestEntry, onProgress?: ProgressListener): Promise<Uint8Array> {
  const { file } = entry;
  // Without Content-Length (e.g. a compressing CDN) the manifest still knows the size.
  const header = response.headers.get('content-length');
  const total = header ? Number(header) : entry.bytes;
  if (!response.body || !onProgress) return new Uint8Array(await response.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress({ file, loaded, total });
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** Fetches and verifies the model for `role`. */
export function loadModel(assetsBaseUrl: string, role: ModelRole, onProgress?: ProgressListener): Promise<Uint8Array> {
  return loadAsset(assetsBaseUrl, entryFor(role).file, onProgress);
}

/** Fetches and verifies any file listed in the manifest (a model or a runtime's wasm binary). */
export async function loadAsset(assetsBaseUrl: string, file: string, onProgress?: ProgressListener): Promise<Uint8Array> {
  const entry = entryForFile(file);
  const { sha256 } = entry;
  const url = assetUrl(assetsBaseUrl, file);
  let response: Response;
  try {
    response = await fetch(url, { mode: 'cors', credentials: 'omit' });
  } catch (error) {
    throw new PresenzaError('ERR_ASSET_FETCH', `could not fetch ${url} (network error or missing CORS headers)`, { cause: error });
  }
  if (!response.ok) throw new PresenzaError('ERR_ASSET_FETCH', `could not fetch ${url}: HTTP ${response.status}`);
  const bytes = await readBody(response, entry, onProgress);
  await verifySha256(file, bytes, sha256);
  return bytes;
}
