/**
 * The cache of Presenza's image descriptions for the benchmarks (bench/.cache, one JSON line per
 * image), keyed by the hash of the pipeline's sources and models so any change to a stage
 * recomputes them.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_EMBEDDING_OPTIONS, type EmbeddingOptions } from '../../workers/stages/embedFace.js';
import { DIST, ROOT } from '../../tools/paths.js';
import { startBrowserPipeline } from '../../tools/browserPipeline.js';

/** What the cache keeps per image: enough for every metric and the gate statistics. */
export interface CachedImage {
  readonly file: string;
  readonly faces: number;
  readonly comparableFaces: number;
  readonly backgroundFaces: number;
  readonly issues: readonly string[];
  readonly landmarksMs: number;
  /** Per variant name: embedding time, and the base64 Float32 embedding (null when no face). */
  readonly embedMs: Readonly<Record<string, number>>;
  readonly embeddings: Readonly<Record<string, string | null>>;
}

const BATCH = 40;
/** Everything that decides what an image's embedding is; a change to any of them empties the cache. */
const PIPELINE_SOURCES = [
  'workers/pipeline.ts',
  'workers/stages/pixels.ts',
  'workers/stages/detectFace.ts',
  'workers/stages/alignFace.ts',
  'workers/stages/assessQuality.ts',
  'workers/stages/embedFace.ts',
  'workers/runtime/mediapipe.ts',
  'workers/runtime/onnx.ts',
  'models/manifest.json',
  'package-lock.json',
];

/** The shipped channel order without mirror fusion: one model run, the plain view a check embeds. */
export const PLAIN_VIEW_OPTIONS: EmbeddingOptions = { ...DEFAULT_EMBEDDING_OPTIONS, fuseMirror: false };

/** The entries of a JSON-lines cache file, in order; none when the file does not exist yet. */
export function readJsonLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}

export const variantName = (v: EmbeddingOptions) => `${v.channelOrder}${v.fuseMirror ? '+mirror' : ''}`;
export const toBase64 = (v: ArrayLike<number>) => Buffer.from(Float32Array.from(v).buffer).toString('base64');
/** Copies the bytes first: a pooled Buffer may start at an offset a Float32Array cannot use. */
export const fromBase64 = (s: string) => new Float32Array(new Uint8Array(Buffer.from(s, 'base64')).buffer);

/** The `p` quantile (0–1) of `values`, by rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

/** The id of the current pipeline: a hash of {@link PIPELINE_SOURCES}. */
export function pipelineId(): string {
  const hash = createHash('sha256');
  for (const source of PIPELINE_SOURCES) hash.update(readFileSync(join(ROOT, source)));
  return hash.digest('hex').slice(0, 12);
}

/** The cache file of the current pipeline for images under `root`. */
export function cacheFileFor(root: string): string {
  const dir = join(ROOT, 'bench', '.cache', pipelineId());
  mkdirSync(dir, { recursive: true });
  return join(dir, `${createHash('sha256').update(root).digest('hex').slice(0, 10)}.jsonl`);
}

function readCache(cacheFile: string): Map<string, CachedImage> {
  const cache = new Map<string, CachedImage>();
  for (const entry of readJsonLines<CachedImage>(cacheFile)) {
    const earlier = cache.get(entry.file);
    cache.set(
      entry.file,
      earlier
        ? { ...entry, embedMs: { ...earlier.embedMs, ...entry.embedMs }, embeddings: { ...earlier.embeddings, ...entry.embeddings } }
        : entry,
    );
  }
  return cache;
}

/**
 * Describes every image of `files` (relative to `root`) not yet cached with all `variants`, in
 * the built testing worker in headless Chromium, appending to the cache as it goes.
 */
export async function describeAll(root: string, files: readonly string[], variants: readonly EmbeddingOptions[]): Promise<Map<string, CachedImage>> {
  const cacheFile = cacheFileFor(root);
  const cache = readCache(cacheFile);
  const names = variants.map(variantName);
  const todo = files.filter((f) => !names.every((name) => cache.get(f)?.embeddings[name] !== undefined));
  if (todo.length === 0) {
    console.error(`${files.length} images (${files.length} cached, pipeline ${pipelineId()})`);
    return cache;
  }
  // Only describing needs the build: a fully cached run works without dist/.
  if (!existsSync(join(DIST, 'testing', 'presenza-testing-worker.js'))) throw new Error('dist/testing is missing: run `npm run build` first');
  console.error(`describing ${todo.length} images (${files.length - todo.length} cached) in Chromium…`);
  const pipeline = await startBrowserPipeline({ imageRoot: root });
  try {
    for (let i = 0; i < todo.length; i += BATCH) {
      const batch = todo.slice(i, i + BATCH);
      const described = await pipeline.describe(batch, variants);
      const lines = described.map((d, k) => {
        const entry: CachedImage = {
          file: batch[k]!,
          faces: d.faces,
          comparableFaces: d.comparableFaces,
          backgroundFaces: d.backgroundFaces,
          issues: d.quality.issues,
          landmarksMs: d.timings.landmarksAndAlignMs,
          embedMs: Object.fromEntries(names.map((name, v) => [name, d.timings.embedMs[v]!])),
          embeddings: Object.fromEntries(names.map((name, v) => [name, d.embeddings[v] ? toBase64(d.embeddings[v]!) : null])),
        };
        return JSON.stringify(entry);
      });
      appendFileSync(cacheFile, lines.join('\n') + '\n');
      if ((i / BATCH) % 10 === 0) console.error(`  ${Math.min(i + BATCH, todo.length)}/${todo.length}`);
    }
  } finally {
    await pipeline.close();
  }
  return readCache(cacheFile);
}
