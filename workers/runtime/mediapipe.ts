/**
 * The only importer of `@mediapipe/tasks-vision`: a FaceLandmarker behind a small interface.
 * Runs in a module worker, so it is given the ES-module variant of MediaPipe's wasm loader
 * (the classic loader cannot be imported there; see DESIGN, pitfalls). Where WebGL cannot read
 * frames transferred from the main thread (WebKitGTK), it is given a copy made in the worker.
 */
import { FaceLandmarker, type FaceLandmarkerResult } from '@mediapipe/tasks-vision';
import { webglReadsBitmap } from './capabilities.js';

/** What the landmark runtime reports for one face (MediaPipe's FaceLandmarker shape). */
export interface LandmarkObservation {
  /** 478 points, x and y normalised to 0..1 of the image width and height. */
  readonly landmarks: ReadonlyArray<{ readonly x: number; readonly y: number; readonly z: number }>;
  /** Blendshape scores by category name (e.g. `eyeBlinkLeft`), 0..1. */
  readonly blendshapes: Readonly<Record<string, number>>;
  /** Facial transformation matrix, 4×4 column-major, or null when the runtime gave none. */
  readonly matrix: ArrayLike<number> | null;
}

/** How many faces the landmarker looks for: enough to notice a second person. */
export const MAX_FACES = 3;

/** A loaded landmarker. `detectImage` for stills, `detectVideo` for a stream (tracks between frames). */
export interface Landmarker {
  detectImage(frame: ImageBitmap): Promise<LandmarkObservation[]>;
  detectVideo(frame: ImageBitmap, timestampMs: number): Promise<LandmarkObservation[]>;
  close(): void;
}

function toObservations(result: FaceLandmarkerResult): LandmarkObservation[] {
  return result.faceLandmarks.map((landmarks, i) => {
    const blendshapes: Record<string, number> = {};
    for (const category of result.faceBlendshapes[i]?.categories ?? []) blendshapes[category.categoryName] = category.score;
    return { landmarks, blendshapes, matrix: result.facialTransformationMatrixes[i]?.data ?? null };
  });
}

/** MediaPipe's wasm binary (ES-module variant), fetched and verified by the caller. */
export const MEDIAPIPE_WASM_FILE = 'vision_wasm_module_internal.wasm';

/** MediaPipe's wasm loader (ES-module variant), imported by MediaPipe from its published URL. */
export const MEDIAPIPE_LOADER_FILE = 'vision_wasm_module_internal.js';

/**
 * Creates the landmarker from verified model and wasm bytes; `loaderUrl` is the absolute URL of
 * {@link MEDIAPIPE_LOADER_FILE} as published. The binary is handed over as a worker-local
 * Blob URL, so MediaPipe never fetches an unverified copy.
 */
export async function createLandmarker(model: Uint8Array, wasm: Uint8Array, loaderUrl: string): Promise<Landmarker> {
  const wasmUrl = URL.createObjectURL(new Blob([wasm as Uint8Array<ArrayBuffer>], { type: 'application/wasm' }));
  const landmarker = await FaceLandmarker.createFromOptions(
    {
      wasmLoaderPath: loaderUrl,
      wasmBinaryPath: wasmUrl,
    },
    {
      baseOptions: { modelAssetBuffer: model, delegate: 'CPU' },
      // Captures send a stream: starting in VIDEO mode spares their first frame a graph restart.
      runningMode: 'VIDEO',
      numFaces: MAX_FACES,
      outputFaceBlendshapes: true,
      outputFacialTransformationMatrixes: true,
    },
  ).finally(() => URL.revokeObjectURL(wasmUrl));
  let mode: 'IMAGE' | 'VIDEO' = 'VIDEO';
  // MediaPipe rejects a VIDEO timestamp that does not increase (e.g. a warm-up frame stamped 0 in
  // this worker's clock, then frames stamped in the page's): such frames go in 1 ms after the last.
  let lastTimestampMs = Number.NEGATIVE_INFINITY;
  // Found on the first frame whose centre pixel can tell; until then frames go in as they are.
  let uploadsTransferred: boolean | null = null;
  const detect = async <T>(frame: ImageBitmap, run: (input: ImageBitmap) => T): Promise<T> => {
    uploadsTransferred ??= webglReadsBitmap(frame);
    if (uploadsTransferred !== false) return run(frame);
    const copy = await createImageBitmap(frame);
    try {
      return run(copy);
    } finally {
      copy.close();
    }
  };
  const useMode = async (wanted: 'IMAGE' | 'VIDEO') => {
    if (mode === wanted) return;
    await landmarker.setOptions({ runningMode: wanted });
    mode = wanted;
  };
  return {
    async detectImage(frame) {
      await useMode('IMAGE');
      return detect(frame, (input) => toObservations(landmarker.detect(input)));
    },
    async detectVideo(frame, timestampMs) {
      await useMode('VIDEO');
      lastTimestampMs = Math.max(timestampMs, lastTimestampMs + 1);
      const stamp = lastTimestampMs;
      return detect(frame, (input) => toObservations(landmarker.detectForVideo(input, stamp)));
    },
    close: () => landmarker.close(),
  };
}
