/**
 * The contract between the peer benchmark's page and its peer workers (one module worker per
 * library, as Presenza runs its pipeline in one): types only.
 */

/** The peers compared with Presenza. */
export type PeerName = 'human' | 'face-api';

/** How a peer worker starts. */
export interface PeerInit {
  /** The TensorFlow.js backend. */
  readonly backend: 'wasm' | 'webgl';
  /** WASM threads (TensorFlow.js would pick 1 on 2 cores): the same number Presenza runs with. */
  readonly threads: number;
  /** Absolute URL of the folder holding `models/<peer>/` and `tfjs-wasm/`. */
  readonly assetsBaseUrl: string;
}

/** What a started peer reports about itself. */
export interface PeerRuntime {
  readonly library: string;
  readonly version: string;
  readonly tfjs: string;
  /** The backend TensorFlow.js actually runs on. */
  readonly backend: string;
  /** WASM only: SIMD and the thread count TensorFlow.js chose. */
  readonly wasm: { readonly simd: boolean; readonly multithread: boolean; readonly threads: number } | null;
  /** The library options used, as passed. */
  readonly options: unknown;
}

/** One frame through a peer: detection, landmarks and descriptor of its best face. */
export interface PeerDescription {
  /** Faces detected (at most 1: both peers are configured for one face). */
  readonly faces: number;
  /** The face descriptor, null when no face was found. */
  readonly descriptor: Float32Array | null;
  /** Milliseconds from the decoded frame to the descriptor, pixel read included. */
  readonly ms: number;
}

/** What a peer worker exposes through Comlink. */
export interface PeerWorkerApi {
  init(init: PeerInit): Promise<PeerRuntime>;
  /** Describes a frame (transferred; the worker closes it). */
  describe(frame: ImageBitmap): Promise<PeerDescription>;
}
