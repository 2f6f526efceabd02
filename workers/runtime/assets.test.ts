import { describe, expect, it } from 'vitest';
import { modelSha256, modelsBaseUrl, verifySha256 } from './assets.js';
import { isPresenzaError } from '../../src/protocol/errors.js';

describe('verifySha256', () => {
  const bytes = new TextEncoder().encode('abc');
  const abc = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

  it('accepts bytes with the expected hash', async () => {
    await expect(verifySha256('abc.bin', bytes, abc)).resolves.toBeUndefined();
  });

  it('refuses a corrupted file with ERR_MODEL_INTEGRITY naming the file', async () => {
    const corrupted = Uint8Array.from(bytes);
    corrupted[0] = corrupted[0]! ^ 1;
    const error = await verifySha256('fr_feature.onnx', corrupted, abc).catch((e: unknown) => e);
    expect(isPresenzaError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ERR_MODEL_INTEGRITY' });
    expect(String((error as Error).message)).toContain('fr_feature.onnx');
  });
});

describe('manifest', () => {
  it('pins every model the worker loads', () => {
    for (const role of ['landmarks', 'embedding', 'anti-spoof'] as const) expect(modelSha256(role)).toMatch(/^[0-9a-f]{64}$/);
  });
  it('puts the models under assetsBaseUrl', () => {
    expect(modelsBaseUrl('https://cdn.example/presenza/0.1.0/')).toBe('https://cdn.example/presenza/0.1.0/models/');
  });
});
