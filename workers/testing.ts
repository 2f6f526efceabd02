/**
 * Testing worker entry, built to `dist/testing/` and never published: the production API plus
 * a window on the internals (embeddings, measures, timings) for tests and benchmarks. It runs the
 * same stages as the production worker.
 */
import * as Comlink from 'comlink';
import type { FaceWorkerApi, FrameTiming } from './api.js';
import type { CropMeasures, QualityReport } from './assessQuality.js';
import { cropAroundFace, runLiveness, type LivenessInputSpec, type LivenessOutput } from './checkLiveness.js';
import type { HeadPose } from './detectFace.js';
import type { EmbeddingOptions } from './embedFace.js';
import { signCheck } from './assertions.js';
import { requireFrame, type StageTimings } from './pipeline.js';
import { readPixels, type Pixels } from './pixels.js';
import { createDeviceKeys } from './vault.js';
import { createFaceWorkerService } from './service.js';
import { preserveErrorCodes } from '../src/protocol/workerErrors.js';

/** Everything the pipeline saw in one image. */
export interface ImageDescription {
  readonly width: number;
  readonly height: number;
  readonly quality: QualityReport;
  readonly faces: number;
  readonly comparableFaces: number;
  readonly backgroundFaces: number;
  readonly pose: HeadPose | null;
  readonly measures: CropMeasures | null;
  /** One embedding per requested variant, null when no face was found. */
  readonly embeddings: readonly (Float32Array | null)[];
  readonly timings: {
    readonly landmarksAndAlignMs: number;
    readonly stages: StageTimings;
    readonly embedMs: readonly number[];
    /** The passive anti-spoof score of the face (crop + model), null when not asked or no face was found. */
    readonly livenessMs: number | null;
  };
}

/** The anti-spoof model's outputs for the selected face under several candidate input specs. */
export interface LivenessProbe {
  readonly width: number;
  readonly height: number;
  readonly faces: number;
  readonly comparableFaces: number;
  readonly pose: HeadPose | null;
  /** One output per requested spec, in order; null when no face was found. */
  readonly outputs: readonly LivenessOutput[] | null;
}

/** The testing API. */
export interface FaceWorkerTestingApi extends FaceWorkerApi {
  /** With `timeLiveness`, also times the passive anti-spoof score of the face (`timings.livenessMs`). */
  describeImage(frame: ImageBitmap, variants: readonly EmbeddingOptions[], timing?: FrameTiming, timeLiveness?: boolean): Promise<ImageDescription>;
  /**
   * Runs `fr_liveness.onnx` on the selected face once per candidate input spec (how the model's
   * input was established: bench/liveness.ts).
   */
  livenessProbe(frame: ImageBitmap, specs: readonly LivenessInputSpec[]): Promise<LivenessProbe>;
  /** Signs check assertions in a loop for `seconds` with a fresh device key, as `finishCheck` does. */
  measureSigning(seconds: number): Promise<{ signatures: number; seconds: number }>;
}

preserveErrorCodes();
const service = createFaceWorkerService();
const testingApi: FaceWorkerTestingApi = {
  ...service.api,
  async describeImage(frame, variants, timing, timeLiveness = false) {
    const bitmap = requireFrame(frame);
    try {
      const pipeline = service.pipeline();
      const start = performance.now();
      const analysis = await pipeline.analyze(bitmap, timing);
      const landmarksAndAlignMs = performance.now() - start;
      const embeddings: (Float32Array | null)[] = [];
      const embedMs: number[] = [];
      for (const variant of variants) {
        const t = performance.now();
        embeddings.push(analysis.crop ? await pipeline.embed(analysis.crop, variant) : null);
        embedMs.push(performance.now() - t);
      }
      let livenessMs: number | null = null;
      if (timeLiveness && analysis.selection) {
        const t = performance.now();
        await pipeline.passiveLiveness(bitmap, analysis.selection.primary);
        livenessMs = performance.now() - t;
      }
      const selection = analysis.selection;
      return {
        width: bitmap.width,
        height: bitmap.height,
        quality: analysis.quality,
        faces: selection ? 1 + selection.comparable.length + selection.background.length : 0,
        comparableFaces: selection?.comparable.length ?? 0,
        backgroundFaces: selection?.background.length ?? 0,
        pose: selection?.primary.pose ?? null,
        measures: analysis.measures,
        embeddings,
        timings: { landmarksAndAlignMs, stages: analysis.timings, embedMs, livenessMs },
      };
    } finally {
      bitmap.close();
    }
  },
  async livenessProbe(frame, specs) {
    const bitmap = requireFrame(frame);
    try {
      const pipeline = service.pipeline();
      const model = pipeline.antiSpoofModel;
      const { selection } = await pipeline.analyze(bitmap);
      const faces = selection ? 1 + selection.comparable.length + selection.background.length : 0;
      const outputs: LivenessOutput[] = [];
      if (selection) {
        const image = readPixels(bitmap);
        // Specs differ mostly in the tensor: crop once per window geometry.
        const crops = new Map<string, Pixels>();
        for (const spec of specs) {
          const geometry = `${spec.boxScale}/${spec.keepInside}`;
          let crop = crops.get(geometry);
          if (!crop) crops.set(geometry, (crop = cropAroundFace(image, selection.primary.box, spec)));
          outputs.push(await runLiveness(model, crop, spec));
        }
      }
      return {
        width: bitmap.width,
        height: bitmap.height,
        faces,
        comparableFaces: selection?.comparable.length ?? 0,
        pose: selection?.primary.pose ?? null,
        outputs: selection ? outputs : null,
      };
    } finally {
      bitmap.close();
    }
  },
  async measureSigning(seconds) {
    const keys = await createDeviceKeys();
    const claims = {
      audience: 'https://school.example',
      enrollmentId: 'e-bench',
      checkId: 'c-bench',
      nonce: 'n'.repeat(43),
      outcome: 'pass' as const,
      liveness: 'passed' as const,
      models: ['64184e229b26', 'fcc5ecb427d7'],
    };
    const start = performance.now();
    let signatures = 0;
    while (performance.now() - start < seconds * 1000) {
      await signCheck(keys, { ...claims, nowMs: Date.now() });
      signatures += 1;
    }
    return { signatures, seconds: (performance.now() - start) / 1000 };
  },
};

Comlink.expose(testingApi);
