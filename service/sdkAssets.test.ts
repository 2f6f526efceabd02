import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMMUTABLE_CACHE, registerSdkAssets, REVALIDATE_CACHE } from './sdkAssets.js';

describe('registerSdkAssets', () => {
  let root: string;
  let app: FastifyInstance;
  const wasm = Buffer.alloc(4096, 7);

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'presenza-sdk-assets-'));
    mkdirSync(join(root, 'models'));
    mkdirSync(join(root, 'testing'));
    writeFileSync(join(root, 'presenza.iife.js'), 'window.Presenza = {};');
    writeFileSync(join(root, 'models', 'x.0123456789abcdef.wasm'), wasm);
    writeFileSync(join(root, 'models', 'x.0123456789abcdef.wasm.br'), brotliCompressSync(wasm));
    writeFileSync(join(root, 'testing', 'harness.iife.js'), '');
    app = Fastify();
    await registerSdkAssets(app, { root, prefix: '/sdk/', decorateReply: true });
  });
  afterAll(async () => {
    await app.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('sends the brotli sibling of a hashed file as immutable', async () => {
    const response = await app.inject({ url: '/sdk/models/x.0123456789abcdef.wasm', headers: { 'accept-encoding': 'gzip, br' } });
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'content-encoding': 'br', 'cache-control': IMMUTABLE_CACHE, vary: 'Accept-Encoding' });
    expect(response.headers['content-type']).toMatch(/application\/wasm/);
    expect(response.rawPayload.length).toBeLessThan(wasm.length);
  });

  it('sends the file itself to a client without brotli or gzip', async () => {
    const response = await app.inject({ url: '/sdk/models/x.0123456789abcdef.wasm', headers: { 'accept-encoding': 'identity' } });
    expect(response.headers['content-encoding']).toBeUndefined();
    expect(response.rawPayload.equals(wasm)).toBe(true);
  });

  it('has entry points revalidated, and never serves testing/', async () => {
    const entry = await app.inject({ url: '/sdk/presenza.iife.js' });
    expect(entry.headers['cache-control']).toBe(REVALIDATE_CACHE);
    expect(entry.headers.etag).toBeTruthy();
    expect((await app.inject({ url: '/sdk/testing/harness.iife.js' })).statusCode).toBe(404);
  });
});
