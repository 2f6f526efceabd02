/**
 * Testing worker entry, built to `dist/testing/` and never published: the production API plus
 * a window on the internals (embeddings, measures, timings) for tests and benchmarks. It runs the
 * same stages as the production worker, timing them from the outside.
 */
import * as Comlink from 'comlink';
import type { DocumentGuidance, FrameTiming, FrameVerdict } from '../src/protocol/capture.js';
import type { FaceWorkerApi } from '../workers/api.js';
import { signCheck } from '../workers/assertions.js';
import { FacePipeline, loadRuntimes, requireFrame, type LazyModel, type PortraitFinding } from '../workers/pipeline.js';
import { modelIds } from '../workers/runtime/assets.js';
import { createFaceWorkerService } from '../workers/service.js';
import { DocumentMatch, sharpestPortraits } from '../workers/session/documentMatch.js';
import { parallaxPoints } from '../workers/session/planarMotion.js';
import { faceSize } from '../workers/stages/findDocumentPortrait.js';
import { assessQuality, measureCrop, type CropMeasures } from '../workers/stages/assessQuality.js';
import type { DetectedFace, HeadPose } from '../workers/stages/detectFace.js';
import { DEFAULT_EMBEDDING_OPTIONS, writeCropTensor, type EmbeddingOptions } from '../workers/stages/embedFace.js';
import { ALIGNED_SIZE } from '../workers/stages/alignFace.js';
import { l2Normalize, meanTemplate } from '../workers/stages/compareTemplates.js';
import type { OnnxModel } from '../workers/runtime/onnx.js';
import { cropAroundFace, runLiveness, type LivenessOutput } from '../workers/stages/passiveLiveness.js';
import { readPixels, type Pixels, type Point } from '../workers/stages/pixels.js';
import { preserveErrorCodes } from '../workers/transferErrors.js';
import { createDeviceKeys } from '../workers/vault.js';
import { measureRegions, variantCrop, type CropVariant, type RegionMeasures } from './cropVariants.js';
import { candidateTensor, type LivenessInputSpec } from './livenessInputs.js';

/** Milliseconds per stage of the pipeline's analysis of a frame. */
export interface StageTimings {
  /** MediaPipe landmarks and face selection. */
  readonly landmarksMs: number;
  /** Reading the frame's pixels and the 5-point alignment. */
  readonly alignMs: number;
  /** Photometric measures and the gates. */
  readonly qualityMs: number;
}

/** Everything the pipeline saw in one image. */
export interface ImageDescription {
  readonly width: number;
  readonly height: number;
  readonly quality: FrameVerdict;
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
  /** The selected face's landmark box in frame pixels (what the crop windows are built on); null without a face. */
  readonly box: DetectedFace['box'] | null;
  /** One output per requested spec, in order; null when no face was found. */
  readonly outputs: readonly LivenessOutput[] | null;
  /** The selected face's landmarks the planar-motion check fits (`parallaxPoints`), in frame pixels; null without a face. */
  readonly parallax: readonly Point[] | null;
}

/** What the document stages made of one camera frame of a held card. */
export interface DocumentFrameProbe {
  /** Whether the frame gave a usable portrait (found, no guidance). */
  readonly usable: boolean;
  /** Whether `DocumentMatch` gathered it (it looks at no more frames once done). */
  readonly kept: boolean;
  /** Sharpness of the aligned portrait, null without one. */
  readonly sharpness: number | null;
  readonly guidance: readonly DocumentGuidance[];
  /** Distance between the eye centres of the portrait, px; null without one. */
  readonly eyeDistancePx: number | null;
  /** Time of this frame's search, alignment and embedding. */
  readonly documentMs: number;
  /**
   * The usable portrait's embedding (unit length), null otherwise; also for the frames after the
   * match had its portraits (embedded by the probe itself), so the benchmark can try other
   * selections of frames. Test build only.
   */
  readonly embedding: Float32Array | null;
}

/**
 * What the identity-document stages made of the camera frames of one held card, in order, against
 * a template from one live frame. The fields of one frame (`foundInFullFrame`, `windowsSearched`,
 * `sharpness`, `eyeDistancePx`, `foundInLargeWindows`) are the first frame's; `guidance` is every
 * frame's (each once, in the order seen); `documentMs` the mean per frame.
 */
export interface DocumentProbe {
  /** Whether the live frame had a face (no template otherwise). */
  readonly liveFound: boolean;
  /** Whether a usable portrait was found in the card frame. */
  readonly portraitFound: boolean;
  /** Found in the whole frame, without windows. */
  readonly foundInFullFrame: boolean;
  readonly windowsSearched: number;
  /** Sharpness of the aligned portrait, null without one. */
  readonly sharpness: number | null;
  readonly guidance: readonly DocumentGuidance[];
  /** Cosine similarity of the mean portrait embedding (`DocumentMatch`'s) with the template; null when either is missing. */
  readonly similarity: number | null;
  /** Time of the card frame's search, alignment and embedding. */
  readonly documentMs: number;
  /** Distance between the eye centres of the face chosen as the portrait, px; null without one. */
  readonly eyeDistancePx: number | null;
  /** Whether the portrait was found only by the second search (larger windows). */
  readonly foundInLargeWindows: boolean;
  /**
   * The live frame's template and the portrait embedding `DocumentMatch` compares (the normalised
   * mean of the DOCUMENT_FRAMES sharpest portraits it gathered; unit length; null when missing), so the benchmark can score every
   * card against every other person's template. Test build only.
   */
  readonly template: Float32Array | null;
  readonly portraitEmbedding: Float32Array | null;
  /** Each card frame, in order. */
  readonly frames: readonly DocumentFrameProbe[];
}

/** The shipped fused embedding of one image's selected face under several crop variants (bench/crop-variants.ts). */
export interface CropVariantProbe {
  readonly faces: number;
  /** The quality gates' issues for the shipped crop (empty when it passes). */
  readonly issues: readonly string[];
  /** One embedding per requested variant, in order; null when no face was found. */
  readonly embeddings: readonly (Float32Array | null)[];
  /** Per variant, the plain and the mirrored view (unit length; the fused embedding is their normalised sum); null without a face. */
  readonly views: readonly ([Float32Array, Float32Array] | null)[];
  /** The selected face's head pose, landmark box side (px), blink scores and the shipped crop's photometric measures. */
  readonly pose: HeadPose | null;
  readonly faceSize: number | null;
  readonly blink: DetectedFace['blink'] | null;
  readonly measures: CropMeasures | null;
  /** Length of the model's raw output for each variant's plain view, before normalisation (a quality signal). */
  readonly rawNorms: readonly (number | null)[];
  /** The selected face's mouth blendshapes (open, smile): strong expressions. */
  readonly mouth: DetectedFace['mouth'] | null;
  /** Luma statistics of regions of the first variant's crop (eyes, cheeks, mouth, forehead): occlusion signals. */
  readonly regions: Record<string, RegionMeasures> | null;
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
  /**
   * Enrolls from one live frame (template: its fused embedding at portrait resolution, as an
   * enrollment with the identity document makes it; face size: its box) and runs the
   * production document phase (`DocumentMatch.submit`) on the camera frames of one held card, in
   * order, each closed once analysed; returns the similarity the production worker never returns.
   */
  documentProbe(live: ImageBitmap, cards: readonly ImageBitmap[]): Promise<DocumentProbe>;
  /** Embeds the selected face once per crop variant (landmarks found once), with the shipped embedding options. */
  cropVariantProbe(frame: ImageBitmap, variants: readonly CropVariant[]): Promise<CropVariantProbe>;
  /** Signs check assertions in a loop for `seconds` with a fresh device key, as `finishCheck` does. */
  measureSigning(seconds: number): Promise<{ signatures: number; seconds: number }>;
}

preserveErrorCodes();
/** The anti-spoof model of the loaded pipeline, for {@link FaceWorkerTestingApi.livenessProbe}. */
let antiSpoof: LazyModel | null = null;
/** The embedding model of the loaded pipeline, for the raw output norms of {@link FaceWorkerTestingApi.cropVariantProbe}. */
let embedder: OnnxModel | null = null;
const service = createFaceWorkerService(async (options, onProgress) => {
  const runtimes = await loadRuntimes(options, onProgress);
  antiSpoof = runtimes.antiSpoof;
  embedder = runtimes.embedder;
  return new FacePipeline(runtimes);
});

/** Runs `step` and adds its duration to `times[key]`. */
async function timed<T>(times: Record<string, number>, key: string, step: () => T | Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await step();
  } finally {
    times[key] = performance.now() - start;
  }
}

const testingApi: FaceWorkerTestingApi = {
  ...service.api,
  async describeImage(frame, variants, timing, timeLiveness = false) {
    const bitmap = requireFrame(frame);
    try {
      const pipeline = service.pipeline();
      // A warm-up still running is not part of any stage's time.
      await pipeline.ready();
      const times: Record<string, number> = { landmarksMs: 0, alignMs: 0, qualityMs: 0 };
      const selection = await timed(times, 'landmarksMs', () => pipeline.findFaces(bitmap, timing));
      const crop = selection ? await timed(times, 'alignMs', () => pipeline.alignSelected(bitmap, selection.primary)) : null;
      const [measures, quality] = await timed(times, 'qualityMs', () => {
        const measured = crop ? measureCrop(crop) : null;
        return [measured, assessQuality(selection, measured)] as const;
      });
      const stages: StageTimings = { landmarksMs: times.landmarksMs!, alignMs: times.alignMs!, qualityMs: times.qualityMs! };
      const landmarksAndAlignMs = stages.landmarksMs + stages.alignMs + stages.qualityMs;
      const embeddings: (Float32Array | null)[] = [];
      const embedMs: number[] = [];
      for (const variant of variants) {
        const t = performance.now();
        embeddings.push(crop ? await pipeline.embed(crop, variant) : null);
        embedMs.push(performance.now() - t);
      }
      let livenessMs: number | null = null;
      if (timeLiveness && selection) {
        const t = performance.now();
        await pipeline.passiveLiveness(bitmap, selection.primary);
        livenessMs = performance.now() - t;
      }
      return {
        width: bitmap.width,
        height: bitmap.height,
        quality,
        faces: selection ? 1 + selection.comparable.length + selection.background.length : 0,
        comparableFaces: selection?.comparable.length ?? 0,
        backgroundFaces: selection?.background.length ?? 0,
        pose: selection?.primary.pose ?? null,
        measures,
        embeddings,
        timings: { landmarksAndAlignMs, stages, embedMs, livenessMs },
      };
    } finally {
      bitmap.close();
    }
  },
  async livenessProbe(frame, specs) {
    const bitmap = requireFrame(frame);
    try {
      if (!antiSpoof) throw new Error('the testing worker is not initialised');
      const model = await antiSpoof.get();
      const selection = await service.pipeline().findFaces(bitmap);
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
          outputs.push(await runLiveness(model, crop, (c) => candidateTensor(c, spec)));
        }
      }
      return {
        width: bitmap.width,
        height: bitmap.height,
        faces,
        comparableFaces: selection?.comparable.length ?? 0,
        pose: selection?.primary.pose ?? null,
        box: selection?.primary.box ?? null,
        outputs: selection ? outputs : null,
        parallax: selection ? parallaxPoints(selection.primary.points) : null,
      };
    } finally {
      bitmap.close();
    }
  },
  async documentProbe(live, cards) {
    const liveFrame = requireFrame(live);
    if (!Array.isArray(cards) || cards.length === 0) throw new TypeError('documentProbe needs at least one card frame');
    const cardFrames = cards.map(requireFrame);
    try {
      const pipeline = service.pipeline();
      const analysis = await pipeline.analyze(liveFrame);
      const none = { portraitFound: false, foundInFullFrame: false, windowsSearched: 0, sharpness: null, guidance: [], similarity: null, documentMs: 0, eyeDistancePx: null, foundInLargeWindows: false, template: null, portraitEmbedding: null, frames: [] };
      if (!analysis.crop || !analysis.selection) return { liveFound: false, ...none };
      const template = await pipeline.embed(analysis.crop);
      const templateCopy = template.slice();
      const enrolledFaceSize = faceSize(analysis.selection.primary);
      const match = new DocumentMatch(template, enrolledFaceSize, 'required');
      const frames: DocumentFrameProbe[] = [];
      const findings: Pick<PortraitFinding, 'foundInFullFrame' | 'windowsSearched' | 'foundInLargeWindows'>[] = [];
      for (const cardFrame of cardFrames) {
        const start = performance.now();
        const finding = await pipeline.findDocumentPortrait(cardFrame, enrolledFaceSize);
        let embedding: Float32Array | null = null;
        const embedPortrait = async (crop: Pixels) => {
          const e = await pipeline.embed(crop);
          embedding = e.slice();
          return e;
        };
        const wasDone = match.done;
        await match.submit({ findDocumentPortrait: async () => finding, embed: embedPortrait }, cardFrame);
        const usable = finding.crop !== null && finding.guidance.length === 0;
        // A match that has its portraits looks at no more frames: the probe embeds this one itself.
        if (wasDone && usable) embedding = (await pipeline.embed(finding.crop!)).slice();
        finding.crop?.data.fill(0);
        cardFrame.close();
        const eyes = finding.portrait?.fivePoints;
        frames.push({
          usable,
          kept: usable && !wasDone,
          sharpness: finding.sharpness,
          guidance: finding.guidance,
          eyeDistancePx: eyes ? Math.hypot(eyes[1]!.x - eyes[0]!.x, eyes[1]!.y - eyes[0]!.y) : null,
          documentMs: performance.now() - start,
          embedding,
        });
        findings.push(finding);
      }
      const similarity = match.similarity();
      match.clear();
      // The portraits DocumentMatch compares (its own rule; it returns no embedding).
      const kept = sharpestPortraits(frames.flatMap((f) => (f.kept && f.embedding && f.sharpness !== null ? [{ embedding: f.embedding, sharpness: f.sharpness }] : []))).map((p) => p.embedding);
      const first = frames[0]!;
      return {
        liveFound: true,
        portraitFound: kept.length > 0,
        foundInFullFrame: findings[0]!.foundInFullFrame,
        windowsSearched: findings[0]!.windowsSearched,
        sharpness: first.sharpness,
        guidance: [...new Set(frames.flatMap((f) => f.guidance))],
        similarity,
        documentMs: frames.reduce((sum, f) => sum + f.documentMs, 0) / frames.length,
        foundInLargeWindows: findings[0]!.foundInLargeWindows,
        template: templateCopy,
        // One portrait is its own mean (bit for bit, as the single-frame benchmark had it).
        portraitEmbedding: kept.length === 0 ? null : kept.length === 1 ? kept[0]! : meanTemplate(kept),
        eyeDistancePx: first.eyeDistancePx,
        frames,
      };
    } finally {
      liveFrame.close();
      for (const frame of cardFrames) frame.close();
    }
  },
  async cropVariantProbe(frame, variants) {
    const bitmap = requireFrame(frame);
    try {
      const pipeline = service.pipeline();
      const analysis = await pipeline.analyze(bitmap);
      const selection = analysis.selection;
      const faces = selection ? 1 + selection.comparable.length + selection.background.length : 0;
      const none = variants.map(() => null);
      if (!selection || !embedder) {
        return { faces, issues: analysis.quality.issues, embeddings: none, views: none, pose: null, faceSize: null, blink: null, measures: null, rawNorms: none, mouth: null, regions: null };
      }
      const image = readPixels(bitmap);
      const embeddings: Float32Array[] = [];
      const views: [Float32Array, Float32Array][] = [];
      const rawNorms: number[] = [];
      let regions: Record<string, RegionMeasures> | null = null;
      const input = new Float32Array(3 * ALIGNED_SIZE * ALIGNED_SIZE);
      for (const variant of variants) {
        const crop = variantCrop(image, selection.primary.fivePoints, selection.primary.points, variant);
        regions ??= measureRegions(crop);
        // The plain view as embedView computes it, keeping the raw output's length.
        writeCropTensor(crop, DEFAULT_EMBEDDING_OPTIONS.channelOrder, false, input);
        const raw = await embedder.run(input, [1, 3, ALIGNED_SIZE, ALIGNED_SIZE]);
        rawNorms.push(Math.hypot(...raw));
        const plain = l2Normalize(raw);
        const mirrored = await pipeline.embedView(crop, 'mirrored');
        views.push([plain, mirrored]);
        embeddings.push(l2Normalize(plain.map((v, i) => v + mirrored[i]!)));
      }
      const { primary } = selection;
      return {
        faces,
        issues: analysis.quality.issues,
        embeddings,
        views,
        pose: primary.pose,
        faceSize: faceSize(primary),
        blink: primary.blink,
        measures: analysis.measures,
        rawNorms,
        mouth: primary.mouth,
        regions,
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
      models: modelIds(),
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
