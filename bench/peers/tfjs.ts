/** What the peer workers use of the TensorFlow.js each peer bundles (their typings omit most of it). */
import type { PeerRuntime } from './api.js';

/** The TensorFlow.js functions the peer workers call. */
export interface Tfjs {
  setWasmPaths(prefix: string): void;
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
  getThreadsCount(): number;
  setThreadsCount(threads: number): void;
  env(): { getAsync(flag: string): Promise<unknown> };
  readonly version_core: string;
}

/** The backend a peer's TensorFlow.js runs on, with SIMD and threads when it is WASM. */
export async function tfjsRuntime(tf: Tfjs): Promise<Pick<PeerRuntime, 'tfjs' | 'backend' | 'wasm'>> {
  const backend = tf.getBackend();
  return {
    tfjs: tf.version_core,
    backend,
    wasm:
      backend === 'wasm'
        ? {
            simd: (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true,
            multithread: (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true,
            threads: tf.getThreadsCount(),
          }
        : null,
  };
}
