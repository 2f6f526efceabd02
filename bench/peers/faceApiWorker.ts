/**
 * `@vladmandic/face-api` in a module worker for the peer benchmark: Tiny Face Detector, the
 * 68-point landmark model and the ResNet-34 face recognition model.
 */
import * as Comlink from 'comlink';
import * as faceapi from '@vladmandic/face-api';
import type { PeerInit, PeerWorkerApi } from './api.js';
import { tfjsRuntime, type Tfjs } from './tfjs.js';

/**
 * The detector the library's docs call the "GO-TO face detector on mobile devices and resource
 * limited clients", at the input size they recommend for webcam tracking (default 416), with
 * its default score threshold.
 */
const DETECTOR = { inputSize: 160, scoreThreshold: 0.5 } as const;

/**
 * face-api only knows a window or Node.js; in a worker it gets an environment from the
 * OffscreenCanvas family. Frames reach it as tensors, so no image element is ever created.
 */
function useWorkerEnvironment(): void {
  const unavailable = () => {
    throw new Error('no DOM elements in a worker');
  };
  faceapi.env.setEnv({
    Canvas: OffscreenCanvas,
    CanvasRenderingContext2D: OffscreenCanvasRenderingContext2D,
    Image: ImageBitmap,
    ImageData,
    Video: ImageBitmap,
    createCanvasElement: () => new OffscreenCanvas(1, 1),
    createImageElement: unavailable,
    createVideoElement: unavailable,
    fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init),
    readFile: unavailable,
  } as unknown as faceapi.Environment);
}

let detector: faceapi.TinyFaceDetectorOptions | null = null;

const api: PeerWorkerApi = {
  async init(init) {
    useWorkerEnvironment();
    const tf = faceapi.tf as unknown as Tfjs;
    tf.setWasmPaths(new URL('tfjs-wasm/', init.assetsBaseUrl).href);
    tf.setThreadsCount(init.threads);
    if (!(await tf.setBackend(init.backend))) throw new Error(`backend ${init.backend} failed to start`);
    await tf.ready();
    const models = new URL('models/face-api/', init.assetsBaseUrl).href;
    await faceapi.nets.tinyFaceDetector.loadFromUri(models);
    await faceapi.nets.faceLandmark68Net.loadFromUri(models);
    await faceapi.nets.faceRecognitionNet.loadFromUri(models);
    detector = new faceapi.TinyFaceDetectorOptions(DETECTOR);
    return {
      library: '@vladmandic/face-api',
      version: faceapi.version,
      ...(await tfjsRuntime(tf)),
      options: { detector: 'tinyFaceDetector', ...DETECTOR, landmarks: 'faceLandmark68Net', descriptor: 'faceRecognitionNet' },
    };
  },
  async describe(frame) {
    if (!detector) throw new Error('init first');
    try {
      const start = performance.now();
      const input = faceapi.tf.browser.fromPixels(frame);
      const result = await faceapi.detectSingleFace(input, detector).withFaceLandmarks().withFaceDescriptor();
      input.dispose();
      const ms = performance.now() - start;
      const descriptor = result ? Float32Array.from(result.descriptor) : null;
      return Comlink.transfer({ faces: result ? 1 : 0, descriptor, ms }, descriptor ? [descriptor.buffer] : []);
    } finally {
      frame.close();
    }
  },
};

Comlink.expose(api);
