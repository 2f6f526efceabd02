// The CDN layout of dist/: content-hashed names, precompressed siblings and the script tag's
// Subresource Integrity hash. Used by scripts/build.mjs; the worker computes the same names
// (workers/runtime/assets.ts, `publishedAssetName`; scripts/cdnAssets.test.ts keeps them equal).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

/** Hex digits of the SHA-256 in the name of a published model or wasm file. */
export const ASSET_HASH_DIGITS = 16;

/** `fr_feature.onnx` with SHA-256 `fcc5…` → `fr_feature.fcc5ecb427d702a5.onnx`. */
export function hashedAssetName(file, sha256) {
  const dot = file.lastIndexOf('.');
  return `${file.slice(0, dot)}.${sha256.slice(0, ASSET_HASH_DIGITS)}${file.slice(dot)}`;
}

/**
 * Every content-hashed file of dist/ matches this (16 hex digits before the extension): the build's
 * own JavaScript (Rolldown, `hashCharacters: 'hex'`) and the models alike. Such a file never
 * changes under its name: servers send it with `Cache-Control: public, max-age=31536000, immutable`.
 */
export const HASHED_FILE = /\.[0-9a-f]{16}\.[a-z]+$/;

/** `sha384-…` of a file, for a script tag's `integrity` attribute. */
export function subresourceIntegrity(bytes) {
  return `sha384-${createHash('sha384').update(bytes).digest('base64')}`;
}

/**
 * Above this size a file is brotli-compressed at quality 9 instead of 11: on these 2-core
 * machines quality 11 takes about 5 s per MB, and only the WebGPU builds' binaries (16.8 and
 * 26.8 MB, fetched only when WebGPU is asked for) are this large.
 */
const BROTLI_MAX_QUALITY_BYTES = 16_000_000;

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

async function compressedForms(bytes) {
  const quality = bytes.length > BROTLI_MAX_QUALITY_BYTES ? 9 : 11;
  const [br, gzipped] = await Promise.all([
    brotli(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: quality,
        [constants.BROTLI_PARAM_LGWIN]: 24,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }),
    gz(bytes, { level: 9 }),
  ]);
  return { br, gz: gzipped };
}

/**
 * Writes `<file>.br` and `<file>.gz` beside each of `files` (absolute paths), for servers that send
 * precompressed files. Compressing the wasm binaries at brotli's best quality takes minutes, so the
 * results are kept in `cacheDir` under the SHA-256 of the input and reused while it is unchanged.
 * Returns `{ file, bytes, br, gz }` sizes.
 */
export async function writeCompressedSiblings(files, cacheDir) {
  mkdirSync(cacheDir, { recursive: true });
  return Promise.all(
    files.map(async (file) => {
      const bytes = readFileSync(file);
      const key = join(cacheDir, createHash('sha256').update(bytes).digest('hex'));
      let forms;
      if (existsSync(`${key}.br`) && existsSync(`${key}.gz`)) {
        forms = { br: readFileSync(`${key}.br`), gz: readFileSync(`${key}.gz`) };
      } else {
        forms = await compressedForms(bytes);
        writeFileSync(`${key}.br`, forms.br);
        writeFileSync(`${key}.gz`, forms.gz);
      }
      writeFileSync(`${file}.br`, forms.br);
      writeFileSync(`${file}.gz`, forms.gz);
      return { file, bytes: bytes.length, br: forms.br.length, gz: forms.gz.length };
    }),
  );
}
