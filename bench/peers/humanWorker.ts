/**
 * `@vladmandic/human` in a module worker for the peer benchmark: face detection (BlazeFace),
 * face mesh and the face description model (`faceres`), nothing else.
 */
import * as Comlink from 'comlink';
import { Human, type Config } from '@vladmandic/human';
import type { PeerInit, PeerWorkerApi } from './api.js';
import { tfjsRuntime, type Tfjs } from './tfjs.js';

/**
 * Options for speed on a CPU: only the face modules a descriptor needs, no input filter, no
 * warm-up (the library runs it for GPU backends only), one face per frame, and no result cache
 * (`cacheSensitivity: 0`), since every benchmark frame is a different photo and must be processed
 * in full. Model caching in IndexedDB is off so nothing is stored.
 */
function options(init: PeerInit): Partial<Config> {
  return {
    backend: init.backend,
    wasmPath: new URL('tfjs-wasm/', init.assetsBaseUrl).href,
    modelBasePath: new URL('models/human/', init.assetsBaseUrl).href,
    cacheModels: false,
    debug: false,
    warmup: 'none',
    cacheSensitivity: 0,
    filter: { enabled: false },
    gesture: { enabled: false },
    face: {
      enabled: true,
      detector: { rotation: false, maxDetected: 1, return: false },
      mesh: { enabled: true },
      attention: { enabled: false },
      iris: { enabled: false },
      emotion: { enabled: false },
      description: { enabled: true },
      antispoof: { enabled: false },
      liveness: { enabled: false },
    },
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    segmentation: { enabled: false },
  };
}

let human: Human | null = null;

const api: PeerWorkerApi = {
  async init(init) {
    const config = options(init);
    human = new Human(config);
    (human.tf as Tfjs).setThreadsCount(init.threads);
    await human.load();
    return {
      library: '@vladmandic/human',
      version: human.version,
      ...(await tfjsRuntime(human.tf as Tfjs)),
      options: config,
    };
  },
  async describe(frame) {
    if (!human) throw new Error('init first');
    try {
      const start = performance.now();
      const result = await human.detect(frame);
      const ms = performance.now() - start;
      const embedding = result.face[0]?.embedding;
      const descriptor = embedding && embedding.length > 0 ? Float32Array.from(embedding) : null;
      return Comlink.transfer({ faces: result.face.length, descriptor, ms }, descriptor ? [descriptor.buffer] : []);
    } finally {
      frame.close();
    }
  },
};

Comlink.expose(api);
