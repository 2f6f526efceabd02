/**
 * The face pipeline: landmarks → face selection → alignment → quality gates, and the embedding of
 * the aligned crop, and the passive liveness score. Composes the stages and owns the two runtimes; lives only inside the worker.
 */
import type { LoadProgress, RuntimeReport, FrameTiming, WorkerInitOptions } from './api.js';
import { ALIGNED_SIZE, alignFace, alignmentRegion } from './alignFace.js';
import { assessQuality, measureCrop, type CropMeasures, type QualityReport } from './assessQuality.js';
import { loadAsset, loadModel, modelSha256, modelsBaseUrl, type ModelRole } from './assets.js';
import { LIVENESS_INPUT_SIZE, livenessScore } from './checkLiveness.js';
import { selectFace, toDetectedFace, type DetectedFace, type FaceSelection } from './detectFace.js';
import { DEFAULT_EMBEDDING_OPTIONS, embedFace, embedView, type CropView, type EmbeddingOptions, type TensorRunner } from './embedFace.js';
import { readPixels, type Pixels } from './pixels.js';
import { createLandmarker, MEDIAPIPE_WASM_FILE, type Landmarker } from './runtime/mediapipe.js';
import { createOnnxRuntime, wasmThreadCount, type OnnxModel } from './runtime/onnx.js';
import { detectCapabilities, requireFaceCheckSupport } from './capabilities.js';
import { PresenzaError } from '../src/protocol/errors.js';

/** Everything the pipeline learned about one frame. Stays in the worker. */
export interface FrameAnalysis {
  readonly quality: QualityReport;
  readonly selection: FaceSelection | null;
  /** Aligned 112×112 crop of the selected face. */
  readonly crop: Pixels | null;
  readonly measures: CropMeasures | null;
  /** Time spent in each stage, ms (for benchmarks; never leaves the worker in production). */
  readonly timings: StageTimings;
}

/** Milliseconds per stage of {@link FacePipeline.analyze}. */
export interface StageTimings {
  /** MediaPipe landmarks and face selection. */
  readonly landmarksMs: number;
  /** Reading the frame's pixels and the 5-point alignment. */
  readonly alignMs: number;
  /** Photometric measures and the gates. */
  readonly qualityMs: number;
}

/** Hex digits of a model hash reported in assertions and runtime reports. */
const MODEL_ID_DIGITS = 12;
/** Models the pipeline loads, in the order of {@link RuntimeReport.models}. */
const PIPELINE_MODELS: readonly ModelRole[] = ['landmarks', 'embedding', 'anti-spoof'];
/** The models a template depends on: an enrollment made with others cannot be compared. */
const TEMPLATE_MODELS: readonly ModelRole[] = ['landmarks', 'embedding'];
const modelId = (role: ModelRole) => modelSha256(role).slice(0, MODEL_ID_DIGITS);

/** Checks that the value crossing into the worker really is a decoded frame. */
export function requireFrame(frame: unknown): ImageBitmap {
  if (typeof ImageBitmap !== 'undefined' && frame instanceof ImageBitmap && frame.width > 0 && frame.height > 0) return frame;
  throw new PresenzaError('ERR_BAD_FRAME', 'expected a non-empty ImageBitmap frame');
}

/** Side of the blank frame the landmarker warms up on. */
const WARM_UP_FRAME_SIZE = 64;

/** A loaded pipeline. Create with {@link FacePipeline.create}. */
export class FacePipeline {
  /** The warm-up, once started (see {@link warmUp}); every stage waits for it. */
  private warming: Promise<void> | null = null;
  /** Whether a stage has run: then there is nothing left to warm up. */
  private used = false;

  private constructor(
    private readonly landmarker: Landmarker,
    private readonly embedder: OnnxModel,
    private readonly antiSpoof: OnnxModel,
    /** What the pipeline runs on. */
    readonly report: RuntimeReport,
  ) {}

  /**
   * Runs each model once on blank input, for the worker to call when the page has nothing to ask
   * yet: the first run of MediaPipe's graph and of each ONNX session costs several hundred ms that
   * would otherwise fall on the first frame of the first capture. Stages called meanwhile wait for
   * it, so nothing runs twice at once. A failure here is left for the real frame to report, coded.
   */
  warmUp(): void {
    if (this.used || this.warming) return;
    this.warming = (async () => {
      try {
        const blank = await createImageBitmap(new ImageData(WARM_UP_FRAME_SIZE, WARM_UP_FRAME_SIZE));
        try {
          await this.landmarker.detectVideo(blank, 0);
        } finally {
          blank.close();
        }
        await this.embedder.run(new Float32Array(3 * ALIGNED_SIZE * ALIGNED_SIZE), [1, 3, ALIGNED_SIZE, ALIGNED_SIZE]);
        await this.antiSpoof.run(new Float32Array(3 * LIVENESS_INPUT_SIZE * LIVENESS_INPUT_SIZE), [1, 3, LIVENESS_INPUT_SIZE, LIVENESS_INPUT_SIZE]);
      } catch {
        // The stage that hits the same fault on a real frame throws it, coded.
      }
    })();
  }

  /** Waits for a running warm-up; from then on, no warm-up starts. */
  private async ready(): Promise<void> {
    this.used = true;
    await this.warming;
  }

  /**
   * Checks that this worker can run the face check (`ERR_UNSUPPORTED_BROWSER` before any download
   * if not), fetches and verifies the models and wasm binaries (all in parallel), then starts
   * MediaPipe and ONNX Runtime.
   */
  static async create(options: WorkerInitOptions, onProgress?: (progress: LoadProgress) => void): Promise<FacePipeline> {
    const capabilities = detectCapabilities();
    requireFaceCheckSupport(capabilities);
    const wasmBaseUrl = modelsBaseUrl(options.assetsBaseUrl);
    const isolated = self.crossOriginIsolated === true;
    const threads = wasmThreadCount({ sharedMemory: capabilities.sharedMemory, cores: navigator.hardwareConcurrency || 1, requested: options.threads });
    const [landmarkModel, landmarkWasm, embeddingModel, antiSpoofModel, onnx] = await Promise.all([
      loadModel(options.assetsBaseUrl, 'landmarks', onProgress),
      loadAsset(options.assetsBaseUrl, MEDIAPIPE_WASM_FILE, onProgress),
      loadModel(options.assetsBaseUrl, 'embedding', onProgress),
      loadModel(options.assetsBaseUrl, 'anti-spoof', onProgress),
      createOnnxRuntime({
        backend: options.backend,
        threads,
        wasmBaseUrl,
        loadWasm: (file) => loadAsset(options.assetsBaseUrl, file, onProgress),
      }),
    ]);
    const landmarker = await startRuntime('MediaPipe FaceLandmarker', () => createLandmarker(landmarkModel, landmarkWasm, wasmBaseUrl));
    const embedder = await startRuntime('ONNX Runtime', () => onnx.loadModel(embeddingModel));
    const antiSpoof = await startRuntime('ONNX Runtime', () => onnx.loadModel(antiSpoofModel));
    return new FacePipeline(landmarker, embedder, antiSpoof, {
      ...onnx.info,
      requestedBackend: options.backend,
      crossOriginIsolated: isolated,
      models: PIPELINE_MODELS.map(modelId),
    });
  }

  /** Ids of the models a template depends on (stored with an enrollment, compared at each check). */
  get templateModels(): readonly string[] {
    return TEMPLATE_MODELS.map(modelId);
  }

  /** Detects faces, selects the one in front, aligns it and applies the quality gates. */
  async analyze(frame: ImageBitmap, timing: FrameTiming = { mode: 'image' }): Promise<FrameAnalysis> {
    await this.ready();
    const start = performance.now();
    const observations =
      timing.mode === 'video'
        ? await this.landmarker.detectVideo(frame, timing.timestampMs)
        : await this.landmarker.detectImage(frame);
    const faces = observations.map((o) => toDetectedFace(o, frame.width, frame.height));
    const selection = selectFace(faces, frame.width, frame.height);
    const landmarked = performance.now();
    if (!selection) {
      const timings = { landmarksMs: landmarked - start, alignMs: 0, qualityMs: 0 };
      return { quality: assessQuality(null, null), selection, crop: null, measures: null, timings };
    }
    // Only the part of the frame the crop samples is read back from the bitmap.
    const points = selection.primary.fivePoints;
    const region = alignmentRegion(points, frame.width, frame.height);
    const crop = alignFace(readPixels(frame, region), points.map((p) => ({ x: p.x - region.x, y: p.y - region.y })));
    const aligned = performance.now();
    const measures = measureCrop(crop);
    const quality = assessQuality(selection, measures);
    const timings = { landmarksMs: landmarked - start, alignMs: aligned - landmarked, qualityMs: performance.now() - aligned };
    return { quality, selection, crop, measures, timings };
  }

  /** Probability (0..1) that `face` in `frame` is live (passive anti-spoof); only the region around the face is read. */
  async passiveLiveness(frame: ImageBitmap, face: DetectedFace): Promise<number> {
    await this.ready();
    return livenessScore(this.antiSpoof, (region) => readPixels(frame, region), frame, face);
  }

  /** The anti-spoof model, for the testing entry's probe of candidate input specs. */
  get antiSpoofModel(): TensorRunner {
    return this.antiSpoof;
  }

  /** Embeds an aligned crop (unit length). */
  async embed(crop: Pixels, options: EmbeddingOptions = DEFAULT_EMBEDDING_OPTIONS): Promise<Float32Array> {
    await this.ready();
    return embedFace(this.embedder, crop, options);
  }

  /** Embeds one view of an aligned crop with a single model run (unit length). */
  async embedView(crop: Pixels, view: CropView): Promise<Float32Array> {
    await this.ready();
    return embedView(this.embedder, crop, view);
  }

  /** Releases the runtimes and models. */
  async close(): Promise<void> {
    await this.warming;
    this.landmarker.close();
    await Promise.all([this.embedder.release(), this.antiSpoof.release()]);
  }
}

async function startRuntime<T>(name: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    throw new PresenzaError('ERR_RUNTIME_INIT', `${name} could not start: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}
