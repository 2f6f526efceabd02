/**
 * What this engine's worker can do, found by trying it (never by reading the user agent), and
 * what the face check needs of it. Checked first in `init`, before any model is downloaded, so a
 * browser that cannot run the check is told at once with `ERR_UNSUPPORTED_BROWSER`.
 */
import { PresenzaError } from '../../src/protocol/errors.js';

/** The features of the worker's global scope the probes use (injectable for tests). */
export interface CapabilityScope {
  readonly OffscreenCanvas?: new (width: number, height: number) => { getContext(kind: string): unknown };
  readonly WebAssembly?: { validate(bytes: BufferSource): boolean };
  readonly SharedArrayBuffer?: unknown;
  readonly crossOriginIsolated?: boolean;
  readonly indexedDB?: unknown;
  readonly crypto?: { readonly subtle?: unknown };
  readonly createImageBitmap?: unknown;
}

/** What the worker found. */
export interface WorkerCapabilities {
  /** A WebGL context on an OffscreenCanvas in this worker (MediaPipe uploads every frame through it). */
  readonly webgl: boolean;
  /** A 2D context on an OffscreenCanvas in this worker (alignment reads pixels through it). */
  readonly canvas2d: boolean;
  /** WebAssembly with 128-bit SIMD (ONNX Runtime's only build needs it). */
  readonly wasmSimd: boolean;
  /**
   * WebAssembly threads are usable: cross-origin isolated and `SharedArrayBuffer` exposed (ONNX
   * Runtime checks the global; WebKitGTK is isolated but hides it).
   */
  readonly sharedMemory: boolean;
  readonly indexedDB: boolean;
  readonly webCrypto: boolean;
  readonly imageBitmap: boolean;
}

/** A 31-byte module whose one function uses SIMD instructions (`i8x16.splat`, `i8x16.popcnt`). */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

function canvasContext(scope: CapabilityScope, kind: string): boolean {
  if (!scope.OffscreenCanvas) return false;
  try {
    return Boolean(new scope.OffscreenCanvas(1, 1).getContext(kind));
  } catch {
    return false;
  }
}

function validates(scope: CapabilityScope, bytes: Uint8Array): boolean {
  try {
    return scope.WebAssembly?.validate(bytes as Uint8Array<ArrayBuffer>) === true;
  } catch {
    return false;
  }
}

/** Probes the worker's scope. Cheap: two 1×1 canvases and one tiny module validation. */
export function detectCapabilities(scope: CapabilityScope = self as unknown as CapabilityScope): WorkerCapabilities {
  return {
    webgl: canvasContext(scope, 'webgl2') || canvasContext(scope, 'webgl'),
    canvas2d: canvasContext(scope, '2d'),
    wasmSimd: validates(scope, SIMD_PROBE),
    sharedMemory: scope.crossOriginIsolated === true && typeof scope.SharedArrayBuffer === 'function',
    indexedDB: Boolean(scope.indexedDB),
    webCrypto: Boolean(scope.crypto?.subtle),
    imageBitmap: typeof scope.createImageBitmap === 'function',
  };
}

/** The requirements of the face check, and what to say when one is missing. */
const REQUIREMENTS: readonly (readonly [keyof WorkerCapabilities, string])[] = [
  ['webgl', 'WebGL in workers (OffscreenCanvas "webgl2" or "webgl"), which the face landmarker needs'],
  ['canvas2d', 'OffscreenCanvas 2D in workers'],
  ['wasmSimd', 'WebAssembly SIMD'],
  ['indexedDB', 'IndexedDB in workers'],
  ['webCrypto', 'WebCrypto (crypto.subtle) in workers'],
  ['imageBitmap', 'createImageBitmap in workers'],
];

/** What the face check needs and this worker lacks, in words (empty when it can run). */
export function missingForFaceCheck(capabilities: WorkerCapabilities): string[] {
  return REQUIREMENTS.filter(([key]) => !capabilities[key]).map(([, what]) => what);
}

/** Throws `ERR_UNSUPPORTED_BROWSER`, naming what is missing, unless this worker can run the face check. */
export function requireFaceCheckSupport(capabilities: WorkerCapabilities): void {
  const missing = missingForFaceCheck(capabilities);
  if (missing.length === 0) return;
  throw new PresenzaError(
    'ERR_UNSUPPORTED_BROWSER',
    `this browser cannot run the face check on the device: it lacks ${missing.join('; ')}. Offer the alternative.`,
  );
}

/**
 * Whether WebGL sees the pixels of `frame`, compared with a 2D read of its centre pixel. WebKitGTK
 * uploads an ImageBitmap that was created on another thread and transferred in as transparent
 * black, so MediaPipe would find no face in any frame. Returns null when the centre pixel cannot
 * tell (transparent) or no WebGL context can be made.
 */
export function webglReadsBitmap(frame: ImageBitmap): boolean | null {
  const x = frame.width >> 1;
  const y = frame.height >> 1;
  const flat = new OffscreenCanvas(1, 1).getContext('2d', { willReadFrequently: true });
  if (!flat) return null;
  flat.drawImage(frame, x, y, 1, 1, 0, 0, 1, 1);
  const expected = flat.getImageData(0, 0, 1, 1).data;
  if (expected[3] === 0) return null;
  const canvas = new OffscreenCanvas(1, 1);
  const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | null;
  if (!gl) return null;
  const texture = gl.createTexture();
  const framebuffer = gl.createFramebuffer();
  try {
    gl.bindTexture(gl.TEXTURE_2D, texture);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, frame);
    gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffer);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, texture, 0);
    const seen = new Uint8Array(4);
    gl.readPixels(x, y, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, seen);
    // Colour management may shift a channel a little; a lost upload reads as all zeros.
    return seen.every((value, i) => Math.abs(value - expected[i]!) <= 16);
  } finally {
    gl.deleteFramebuffer(framebuffer);
    gl.deleteTexture(texture);
    gl.getExtension('WEBGL_lose_context')?.loseContext();
  }
}
