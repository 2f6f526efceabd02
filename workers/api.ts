/**
 * The face worker's contract, types only. The main thread sees nothing biometric through it:
 * frames go in (transferred), verdicts and reports come out. No method returns an image,
 * landmark, embedding, template or score.
 */
import type { QualityHint, QualityIssue } from './assessQuality.js';
import type { OnnxBackend } from './runtime/onnx.js';

export type { QualityHint, QualityIssue } from './assessQuality.js';
export type { OnnxBackend } from './runtime/onnx.js';

/** Options of {@link FaceWorkerApi.init}. */
export interface WorkerInitOptions {
  /** Absolute URL of the folder that holds the worker script and `models/`. */
  readonly assetsBaseUrl: string;
  /** Embedding backend; `webgpu` falls back to `wasm` with the reason in the report. */
  readonly backend: OnnxBackend;
  /** WASM threads; when omitted: 2 if cross-origin isolated, else 1. */
  readonly threads?: number;
}

/** Model download progress, as sent to the main thread. */
export interface LoadProgress {
  readonly file: string;
  readonly loaded: number;
  readonly total: number | null;
}

/** What the worker runs on, after `init`. */
export interface RuntimeReport {
  readonly backend: OnnxBackend;
  readonly requestedBackend: OnnxBackend;
  readonly fallbackReason?: string;
  readonly threads: number;
  readonly crossOriginIsolated: boolean;
  /** First 12 hex digits of each model's SHA-256 (the assertion's `models` claim). */
  readonly models: readonly string[];
}

/** Verdict on one frame. */
export interface FrameVerdict {
  readonly ok: boolean;
  readonly issues: readonly QualityIssue[];
  readonly hints: readonly QualityHint[];
}

/** How a frame was captured: a still photo, or one frame of a live stream (enables tracking). */
export type FrameTiming = { readonly mode: 'image' } | { readonly mode: 'video'; readonly timestampMs: number };

/** The production worker API. */
export interface FaceWorkerApi {
  /** Loads and verifies the models and starts the runtimes. Call once, before anything else. */
  init(options: WorkerInitOptions, onProgress?: (progress: LoadProgress) => void): Promise<RuntimeReport>;
  /** Runs detection and the quality gates on one transferred frame. The frame is closed afterwards. */
  assessFrame(frame: ImageBitmap, timing?: FrameTiming): Promise<FrameVerdict>;
  /** Releases the models. */
  close(): Promise<void>;
}
