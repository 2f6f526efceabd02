/**
 * The face pipeline: landmarks → face selection → alignment → quality gates, the embedding of the
 * aligned crop, and the passive liveness score. Composes the stages around the loaded runtimes;
 * lives only inside the worker.
 */
import type { DocumentGuidance, FrameTiming, FrameVerdict, LoadProgress, RuntimeReport, WorkerInitOptions } from '../src/protocol/capture.js';
import { isPresenzaError, PresenzaError } from '../src/protocol/errors.js';
import { assetUrl, loadAsset, loadModel, modelIds, PIPELINE_MODELS, TEMPLATE_MODELS } from './runtime/assets.js';
import { detectCapabilities, requireFaceCheckSupport } from './runtime/capabilities.js';
import { createLandmarker, MEDIAPIPE_LOADER_FILE, MEDIAPIPE_WASM_FILE, type Landmarker } from './runtime/mediapipe.js';
import { createOnnxRuntime, ORT_BUILDS, wasmThreadCount, type OnnxModel } from './runtime/onnx.js';
import { ALIGNED_SIZE, alignFace, alignmentRegion } from './stages/alignFace.js';
import { assessQuality, measureCrop, type CropMeasures } from './stages/assessQuality.js';
import { selectFace, toDetectedFace, type DetectedFace, type FaceSelection } from './stages/detectFace.js';
import { DEFAULT_EMBEDDING_OPTIONS, embedFace, embedView, type CropView, type EmbeddingOptions } from './stages/embedFace.js';
import {
  DOCUMENT_SEARCH_WIDTH,
  LARGE_WINDOW_SIZE,
  LARGE_WINDOW_STRIDE,
  liveFaceOf,
  PORTRAIT_WINDOW_SIZE,
  portraitIssues,
  portraitWindows,
  refineWindow,
  sameFace,
  scaleFace,
  selectPortrait,
  shiftFace,
  type PortraitChoice,
} from './stages/findDocumentPortrait.js';
import { LIVENESS_INPUT_SIZE, livenessScore } from './stages/passiveLiveness.js';
import { readPixels, toGray, type Pixels, type Point, type Region } from './stages/pixels.js';
import { findCardAround, type GrayImage } from './stages/cardAroundPortrait.js';
import { readFaceTexture, textureRegion, type FaceTexture } from './stages/faceTexture.js';

/** Everything the pipeline learned about one frame. Stays in the worker. */
export interface FrameAnalysis {
  readonly quality: FrameVerdict;
  readonly selection: FaceSelection | null;
  /** Aligned 112×112 crop of the selected face. */
  readonly crop: Pixels | null;
  readonly measures: CropMeasures | null;
}

/** What the pipeline found in one frame of the identity-document phase. Stays in the worker. */
export interface PortraitFinding {
  /** The card's portrait, in frame coordinates, or null. */
  readonly portrait: DetectedFace | null;
  /** Aligned 112×112 crop of the portrait, when there is one. */
  readonly crop: Pixels | null;
  /** Empty when the portrait can be compared. */
  readonly guidance: readonly DocumentGuidance[];
  /** Whether the portrait was found in the whole frame, without searching windows. */
  readonly foundInFullFrame: boolean;
  /** Whether the portrait was found only by the second search, in larger windows. */
  readonly foundInLargeWindows: boolean;
  /** Windows searched besides the whole frame. */
  readonly windowsSearched: number;
  /** Sharpness of the aligned portrait (see `measureCrop`), null without one. */
  readonly sharpness: number | null;
}

/**
 * A model opened on first use. The anti-spoof model (1.8 MB compressed) is one: `create()` does not
 * wait for it, and a visit that runs no capture with passive liveness never downloads it.
 */
export interface LazyModel {
  /** The model, fetched, verified and opened on the first call; a failed attempt is retried on the next. */
  get(): Promise<OnnxModel>;
  /** Releases the model if it was opened. */
  release(): Promise<void>;
}

/** A {@link LazyModel} opened by `open`. */
export function lazyModel(open: () => Promise<OnnxModel>): LazyModel {
  let opening: Promise<OnnxModel> | null = null;
  return {
    get() {
      opening ??= open().catch((error: unknown) => {
        opening = null;
        throw error;
      });
      return opening;
    },
    async release() {
      const model = await opening?.catch(() => null);
      await model?.release();
    },
  };
}

/** The started runtimes the pipeline runs on, and what they run on. */
export interface PipelineRuntimes {
  readonly landmarker: Landmarker;
  readonly embedder: OnnxModel;
  readonly antiSpoof: LazyModel;
  readonly report: RuntimeReport;
}

/** Checks that the value crossing into the worker really is a decoded frame. */
export function requireFrame(frame: unknown): ImageBitmap {
  if (typeof ImageBitmap !== 'undefined' && frame instanceof ImageBitmap && frame.width > 0 && frame.height > 0) return frame;
  throw new PresenzaError('ERR_BAD_FRAME', 'expected a non-empty ImageBitmap frame');
}

/** Side of the blank frame the landmarker warms up on. */
const WARM_UP_FRAME_SIZE = 64;

/**
 * Checks that this worker can run the face check (`ERR_UNSUPPORTED_BROWSER` before any download
 * if not), fetches and verifies the models and wasm binaries (all in parallel), then starts
 * MediaPipe and ONNX Runtime. The anti-spoof model is left for its first use (see {@link LazyModel}).
 */
export async function loadRuntimes(options: WorkerInitOptions, onProgress?: (progress: LoadProgress) => void): Promise<PipelineRuntimes> {
  const capabilities = detectCapabilities();
  requireFaceCheckSupport(capabilities);
  const loaderUrl = (file: string) => assetUrl(options.assetsBaseUrl, file);
  const threads = wasmThreadCount({ sharedMemory: capabilities.sharedMemory, cores: navigator.hardwareConcurrency || 1, requested: options.threads });
  // A build's wasm binary downloads once, and the plain WASM build's starts with the models: it is
  // needed unless WebGPU is asked for and works.
  const wasmDownloads = new Map<string, Promise<Uint8Array>>();
  const loadWasm = (file: string) => {
    let download = wasmDownloads.get(file);
    if (!download) wasmDownloads.set(file, (download = loadAsset(options.assetsBaseUrl, file, onProgress)));
    return download;
  };
  if (options.backend === 'wasm') loadWasm(ORT_BUILDS.wasm.binary).catch(() => undefined);
  const [landmarkModel, landmarkWasm, embeddingModel] = await Promise.all([
    loadModel(options.assetsBaseUrl, 'landmarks', onProgress),
    loadAsset(options.assetsBaseUrl, MEDIAPIPE_WASM_FILE, onProgress),
    loadModel(options.assetsBaseUrl, 'embedding', onProgress),
  ]);
  const landmarker = await startRuntime('MediaPipe FaceLandmarker', () => createLandmarker(landmarkModel, landmarkWasm, loaderUrl(MEDIAPIPE_LOADER_FILE)));
  const onnx = await startRuntime('ONNX Runtime', () =>
    createOnnxRuntime({
      backend: options.backend,
      threads,
      loaderUrl,
      loadWasm,
      models: [{ bytes: embeddingModel, inputDims: [1, 3, ALIGNED_SIZE, ALIGNED_SIZE] }],
    }),
  );
  const [embedder] = onnx.models as [OnnxModel];
  const antiSpoof = lazyModel(async () => {
    const bytes = await loadModel(options.assetsBaseUrl, 'anti-spoof');
    return startRuntime('ONNX Runtime', () => onnx.open({ bytes, inputDims: [1, 3, LIVENESS_INPUT_SIZE, LIVENESS_INPUT_SIZE] }));
  });
  const report: RuntimeReport = {
    ...onnx.info,
    requestedBackend: options.backend,
    crossOriginIsolated: self.crossOriginIsolated === true,
    models: modelIds(PIPELINE_MODELS),
  };
  return { landmarker, embedder, antiSpoof, report };
}

/** A loaded pipeline. Create with {@link FacePipeline.create}. */
export class FacePipeline {
  /** The warm-up, once started (see {@link warmUp}); every stage waits for it. */
  private warming: Promise<void> | null = null;
  /** Whether a stage has run: then there is nothing left to warm up. */
  private used = false;
  /** What the pipeline runs on. */
  readonly report: RuntimeReport;

  constructor(private readonly runtimes: PipelineRuntimes) {
    this.report = runtimes.report;
  }

  /** Loads the runtimes (see {@link loadRuntimes}) and composes the pipeline around them. */
  static async create(options: WorkerInitOptions, onProgress?: (progress: LoadProgress) => void): Promise<FacePipeline> {
    return new FacePipeline(await loadRuntimes(options, onProgress));
  }

  /**
   * Runs each model once on blank input, for the worker to call when the page has nothing to ask
   * yet: the first run of MediaPipe's graph and of each ONNX session costs several hundred ms that
   * would otherwise fall on the first frame of the first capture. Stages called meanwhile wait for
   * it, so nothing runs twice at once. A failure here is left for the real frame to report, coded.
   */
  warmUp(): void {
    if (this.used || this.warming) return;
    const { landmarker, embedder } = this.runtimes;
    this.warming = (async () => {
      try {
        const blank = await createImageBitmap(new ImageData(WARM_UP_FRAME_SIZE, WARM_UP_FRAME_SIZE));
        try {
          await landmarker.detectVideo(blank, 0);
        } finally {
          blank.close();
        }
        await embedder.run(new Float32Array(3 * ALIGNED_SIZE * ALIGNED_SIZE), [1, 3, ALIGNED_SIZE, ALIGNED_SIZE]);
      } catch {
        // The stage that hits the same fault on a real frame throws it, coded.
      }
    })();
  }

  /**
   * Starts fetching and opening the anti-spoof model, for a capture that will score passive
   * liveness to call as it begins: the download then overlaps the camera starting. A failure is
   * left for {@link passiveLiveness} to throw, coded.
   */
  prepareLiveness(): void {
    this.runtimes.antiSpoof.get().catch(() => undefined);
  }

  /** Waits for a running warm-up; from then on, no warm-up starts. Every stage calls it first. */
  async ready(): Promise<void> {
    this.used = true;
    await this.warming;
  }

  /** Ids of the models a template depends on (stored with an enrollment, compared at each check). */
  get templateModels(): readonly string[] {
    return modelIds(TEMPLATE_MODELS);
  }

  /** Finds the faces of a frame and selects the one in front (null when there is none). */
  async findFaces(frame: ImageBitmap, timing: FrameTiming = { mode: 'image' }): Promise<FaceSelection | null> {
    await this.ready();
    const { landmarker } = this.runtimes;
    const observations = timing.mode === 'video' ? await landmarker.detectVideo(frame, timing.timestampMs) : await landmarker.detectImage(frame);
    const faces = observations.map((o) => toDetectedFace(o, frame.width, frame.height));
    return selectFace(faces, frame.width, frame.height);
  }

  /** The aligned 112×112 crop of `face`; only the part of the frame the crop samples is read back. */
  alignSelected(frame: ImageBitmap, face: DetectedFace): Pixels {
    const points = face.fivePoints;
    const region = alignmentRegion(points, frame.width, frame.height);
    return alignFace(readPixels(frame, region), points.map((p) => ({ x: p.x - region.x, y: p.y - region.y })));
  }

  /** Detects faces, selects the one in front, aligns it and applies the quality gates. */
  async analyze(frame: ImageBitmap, timing: FrameTiming = { mode: 'image' }): Promise<FrameAnalysis> {
    const selection = await this.findFaces(frame, timing);
    if (!selection) return { quality: assessQuality(null, null), selection, crop: null, measures: null };
    const crop = this.alignSelected(frame, selection.primary);
    const measures = measureCrop(crop);
    return { quality: assessQuality(selection, measures), selection, crop, measures };
  }

  /**
   * Finds the portrait of an identity document held to the camera: the whole frame first, then
   * square windows away from the live face (MediaPipe misses faces of 30–50 px in a whole frame,
   * not in a window a few times their size). Runs the landmarker in IMAGE mode: the windows are
   * separate images; the next VIDEO frame goes back to VIDEO mode with a later timestamp.
   * `enrolledFaceSize` is the face size of the enrollment frames (box side, px): a face that big is
   * the student, never the portrait; a small face counts only on a card held in the frame
   * (`findCardAround`, on the searched copy's grey levels). A frame wider than {@link DOCUMENT_SEARCH_WIDTH} is searched
   * in a copy at that width; the portrait found is detected again in a full-resolution window around
   * it and aligned from the full-resolution pixels.
   */
  async findDocumentPortrait(full: ImageBitmap, enrolledFaceSize: number): Promise<PortraitFinding> {
    await this.ready();
    // A frame wider than the enrollment's is searched in a copy at that width; the portrait is
    // then found again and aligned at full resolution.
    const scale = Math.max(1, full.width / DOCUMENT_SEARCH_WIDTH);
    const frame = scale > 1 ? await createImageBitmap(full, { resizeWidth: DOCUMENT_SEARCH_WIDTH, resizeHeight: Math.round(full.height / scale), resizeQuality: 'high' }) : full;
    // The searched copy's grey levels, read when a candidate's card is first looked for; wiped at the end.
    const grey: { image: GrayImage | null } = { image: null };
    try {
      const { landmarker } = this.runtimes;
      const faces = (await landmarker.detectImage(frame)).map((o) => toDetectedFace(o, frame.width, frame.height));
      const live = liveFaceOf(faces, enrolledFaceSize);
      // Each candidate's card is looked for once (`select` runs again as windows add faces).
      const checked = new WeakMap<DetectedFace, boolean>();
      const onCard = (face: DetectedFace): boolean => {
        let result = checked.get(face);
        if (result === undefined) {
          grey.image ??= { width: frame.width, height: frame.height, data: toGray(readPixels(frame)) };
          result = findCardAround(grey.image, face) !== null;
          checked.set(face, result);
        }
        return result;
      };
      const select = (candidates: readonly DetectedFace[]) => selectPortrait(candidates, live, enrolledFaceSize, onCard, scale);
      let choice = select(faces);
      const foundInFullFrame = choice.portrait !== null;
      let foundInLargeWindows = false;
      let windowsSearched = 0;
      const searchWindow = async (source: ImageBitmap, window: Region): Promise<DetectedFace[]> => {
        windowsSearched += 1;
        const crop = await createImageBitmap(source, window.x, window.y, window.width, window.height);
        try {
          return (await landmarker.detectImage(crop)).map((o) => shiftFace(toDetectedFace(o, crop.width, crop.height), window.x, window.y));
        } finally {
          crop.close();
        }
      };
      // Windows of `size` nearest the live face first, stopping at the first portrait and looking
      // again in a window centred on it (the first may be cut by its window's edge).
      const searchWindows = async (windows: readonly Region[], size: number): Promise<PortraitChoice> => {
        const found: DetectedFace[] = [];
        for (const window of windows) {
          found.push(...(await searchWindow(frame, window)));
          const first = select(found);
          if (first.portrait || first.guidance === 'card_too_far') {
            const { box } = first.portrait ?? found[found.length - 1]!;
            const side = Math.min(size, frame.width, frame.height);
            const x = Math.round(Math.min(Math.max(box.x + box.width / 2 - side / 2, 0), frame.width - side));
            const y = Math.round(Math.min(Math.max(box.y + box.height / 2 - side / 2, 0), frame.height - side));
            const centred = select(await searchWindow(frame, { x, y, width: side, height: side }));
            if (centred.portrait) found.splice(0, found.length, centred.portrait);
            break;
          }
        }
        return select(found);
      };
      if (!choice.portrait) choice = await searchWindows(portraitWindows(frame.width, frame.height, live), PORTRAIT_WINDOW_SIZE);
      if (!choice.portrait && choice.guidance !== 'card_too_far') {
        // Larger windows hold whole the bigger portrait of a card held close. A small face seen
        // without a card (`card_not_seen`) is still what to tell if they find nothing either.
        const small = choice;
        choice = await searchWindows(portraitWindows(frame.width, frame.height, live, LARGE_WINDOW_SIZE, LARGE_WINDOW_STRIDE), LARGE_WINDOW_SIZE);
        if (!choice.portrait && choice.guidance === 'no_card_face') choice = small;
        foundInLargeWindows = choice.portrait !== null;
      }
      if (!choice.portrait) return { portrait: null, crop: null, guidance: [choice.guidance], foundInFullFrame, foundInLargeWindows, windowsSearched, sharpness: null };
      let portrait = choice.portrait;
      if (scale > 1) {
        // Its landmarks again from the full-resolution pixels around it (the scaled ones if none).
        const expected = scaleFace(portrait, scale);
        portrait = sameFace(await searchWindow(full, refineWindow(expected, full.width, full.height)), expected) ?? expected;
      }
      const crop = this.alignSelected(full, portrait);
      const { sharpness } = measureCrop(crop);
      return { portrait, crop, guidance: portraitIssues(crop, sharpness), foundInFullFrame, foundInLargeWindows, windowsSearched, sharpness };
    } finally {
      grey.image?.data.fill(0);
      if (frame !== full) frame.close();
    }
  }

  /** The grey levels around the face whose landmarks are `around`, which the planar-motion check of a head turn follows (`textureParallax`). */
  faceTexture(frame: ImageBitmap, around: readonly Point[]): FaceTexture {
    return readFaceTexture(frame, textureRegion(around, frame.width, frame.height));
  }

  /** Probability (0..1) that `face` in `frame` is live (passive anti-spoof); only the region around the face is read. */
  async passiveLiveness(frame: ImageBitmap, face: DetectedFace): Promise<number> {
    await this.ready();
    const model = await this.runtimes.antiSpoof.get();
    return livenessScore(model, (region) => readPixels(frame, region), frame, face);
  }

  /** Embeds an aligned crop (unit length). */
  async embed(crop: Pixels, options: EmbeddingOptions = DEFAULT_EMBEDDING_OPTIONS): Promise<Float32Array> {
    await this.ready();
    return embedFace(this.runtimes.embedder, crop, options);
  }

  /** Embeds one view of an aligned crop with a single model run (unit length). */
  async embedView(crop: Pixels, view: CropView): Promise<Float32Array> {
    await this.ready();
    return embedView(this.runtimes.embedder, crop, view);
  }

  /** Releases the runtimes and models. */
  async close(): Promise<void> {
    await this.warming;
    const { landmarker, embedder, antiSpoof } = this.runtimes;
    landmarker.close();
    await Promise.all([embedder.release(), antiSpoof.release()]);
  }
}

/** Runs `start`; a failure that is not already a coded error (a verified download) becomes `ERR_RUNTIME_INIT`. */
async function startRuntime<T>(name: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if (isPresenzaError(error)) throw error;
    throw new PresenzaError('ERR_RUNTIME_INIT', `${name} could not start: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}
