import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import manifest from '../models/manifest.json' with { type: 'json' };
import { HASHED_FILE as SERVED_AS_HASHED } from '../service/sdkAssets.js';
import { publishedAssetName } from '../workers/runtime/assets.js';
// @ts-expect-error: plain ES module without type declarations (the build runs it before any compile).
import { HASHED_FILE, hashedAssetName, subresourceIntegrity, writeCompressedSiblings } from './cdnAssets.mjs';

describe('content-hashed names', () => {
  it('are the names the worker asks for, and the service serves them as immutable', () => {
    for (const { file, sha256 } of manifest.files) {
      const name = hashedAssetName(file, sha256) as string;
      expect(publishedAssetName(file)).toBe(name);
      expect(name).toMatch(HASHED_FILE);
      expect(name).toMatch(SERVED_AS_HASHED);
      expect(name.startsWith(file.slice(0, file.lastIndexOf('.')))).toBe(true);
    }
    expect(hashedAssetName('ort-wasm-simd-threaded.jspi.mjs', 'ab'.repeat(32))).toBe('ort-wasm-simd-threaded.jspi.abababababababab.mjs');
  });

  it('entry points are not hashed', () => {
    for (const entry of ['presenza.iife.js', 'presenza.js', 'models/manifest.json', 'cdn.json']) expect(entry).not.toMatch(HASHED_FILE);
  });
});

describe('writeCompressedSiblings', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes .br and .gz siblings that decompress to the file, and reuses them from the cache', async () => {
    dir = mkdtempSync(join(tmpdir(), 'presenza-cdn-'));
    const file = join(dir, 'a.js');
    const text = 'export const x = 1;\n'.repeat(500);
    writeFileSync(file, text);
    const [size] = (await writeCompressedSiblings([file], join(dir, 'cache'))) as { bytes: number; br: number }[];
    expect(brotliDecompressSync(readFileSync(`${file}.br`)).toString()).toBe(text);
    expect(gunzipSync(readFileSync(`${file}.gz`)).toString()).toBe(text);
    expect(size).toMatchObject({ bytes: text.length });
    expect(size!.br).toBeLessThan(text.length / 10);
    rmSync(`${file}.br`);
    await writeCompressedSiblings([file], join(dir, 'cache'));
    expect(brotliDecompressSync(readFileSync(`${file}.br`)).toString()).toBe(text);
  });
});

describe('subresourceIntegrity', () => {
  it('is the sha384 of the bytes, base64, as browsers check it', () => {
    // echo -n abc | openssl dgst -sha384 -binary | base64
    expect(subresourceIntegrity(Buffer.from('abc'))).toBe('sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn');
  });
});
