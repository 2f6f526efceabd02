import { describe, expect, it } from 'vitest';
import { detectCapabilities, missingForFaceCheck, requireFaceCheckSupport, type CapabilityScope } from './capabilities.js';
import { wasmThreadCount } from './onnx.js';

/** A worker scope whose OffscreenCanvas offers only the given context kinds. */
function scope(contexts: readonly string[], extra: Partial<CapabilityScope> = {}): CapabilityScope {
  return {
    OffscreenCanvas: class {
      getContext(kind: string) {
        return contexts.includes(kind) ? {} : null;
      }
    },
    WebAssembly,
    SharedArrayBuffer,
    crossOriginIsolated: true,
    indexedDB: {},
    crypto: { subtle: {} },
    createImageBitmap: () => undefined,
    ...extra,
  };
}

describe('detectCapabilities', () => {
  it('finds everything in a complete, isolated worker (Node validates the SIMD probe for real)', () => {
    const found = detectCapabilities(scope(['webgl2', '2d']));
    expect(found).toEqual({ webgl: true, canvas2d: true, wasmSimd: true, sharedMemory: true, indexedDB: true, webCrypto: true, imageBitmap: true });
    expect(missingForFaceCheck(found)).toEqual([]);
    expect(() => requireFaceCheckSupport(found)).not.toThrow();
  });

  it('accepts WebGL 1 when WebGL 2 is missing', () => {
    expect(detectCapabilities(scope(['webgl', '2d'])).webgl).toBe(true);
  });

  it('refuses a worker without WebGL (headless Firefox, WebKitGTK by default) with ERR_UNSUPPORTED_BROWSER, naming it', () => {
    const found = detectCapabilities(scope(['2d']));
    expect(found.webgl).toBe(false);
    expect(() => requireFaceCheckSupport(found)).toThrow(expect.objectContaining({ code: 'ERR_UNSUPPORTED_BROWSER', message: expect.stringMatching(/WebGL in workers/) }));
  });

  it('treats a throwing getContext and a failing validator as missing', () => {
    const found = detectCapabilities(
      scope([], {
        OffscreenCanvas: class {
          getContext(): never {
            throw new Error('blocked');
          }
        },
        WebAssembly: { validate: () => false },
        indexedDB: undefined,
      }),
    );
    expect(missingForFaceCheck(found)).toHaveLength(4);
    expect(missingForFaceCheck(found).join()).toMatch(/WebGL.*2D.*SIMD.*IndexedDB/);
  });

  it('needs both cross-origin isolation and an exposed SharedArrayBuffer for threads (WebKitGTK hides it)', () => {
    expect(detectCapabilities(scope(['webgl', '2d'], { SharedArrayBuffer: undefined })).sharedMemory).toBe(false);
    expect(detectCapabilities(scope(['webgl', '2d'], { crossOriginIsolated: false })).sharedMemory).toBe(false);
  });
});

describe('wasmThreadCount', () => {
  it('is 1 without usable threads, whatever was asked', () => {
    expect(wasmThreadCount({ sharedMemory: false, cores: 8 })).toBe(1);
    expect(wasmThreadCount({ sharedMemory: false, cores: 8, requested: 4 })).toBe(1);
  });

  it('is the requested count, else 2 (1 on a single core), with threads', () => {
    expect(wasmThreadCount({ sharedMemory: true, cores: 2 })).toBe(2);
    expect(wasmThreadCount({ sharedMemory: true, cores: 1 })).toBe(1);
    expect(wasmThreadCount({ sharedMemory: true, cores: 8, requested: 1 })).toBe(1);
    expect(wasmThreadCount({ sharedMemory: true, cores: 2, requested: 4 })).toBe(4);
  });
});
