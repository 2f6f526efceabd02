/**
 * Page-side harness for tests and benchmarks (built to dist/testing/harness.iife.js, never
 * published). Boots the testing worker through the SDK's own Blob bootstrap and exposes
 * `window.PresenzaHarness` to Playwright.
 */
import * as Comlink from 'comlink';
import type { LivenessInputSpec } from './livenessInputs.js';
import type { CropVariant } from './cropVariants.js';
import type { EmbeddingOptions } from '../workers/stages/embedFace.js';
import type { DocumentFrameProbe, DocumentProbe, FaceWorkerTestingApi, ImageDescription, LivenessProbe } from './worker.js';
import { cardFrame, cardParams, synthesizeBackgroundPersonScene, synthesizeCardFrames, withoutDegradations, type Degradation } from './cardSynthesis.js';
import type { Pixels } from '../workers/stages/pixels.js';
import type { FrameTiming, RuntimeReport } from '../src/protocol/capture.js';
import { startWorker } from '../src/sdk/workerClient.js';

/** Plain-JSON image description (embeddings as number arrays) for `page.evaluate`. */
export type DescribedImage = Omit<ImageDescription, 'embeddings'> & { embeddings: (number[] | null)[] };

/** Plain-JSON liveness probe (logits and probabilities as number arrays) for `page.evaluate`. */
export type ProbedLiveness = Omit<LivenessProbe, 'outputs'> & { outputs: { logits: number[]; probabilities: number[] }[] | null };

/** A {@link DocumentProbe} as it crosses to Node (embeddings as plain arrays), with the printed portrait's width in frame px. */
export type DocumentScore = Omit<DocumentProbe, 'template' | 'portraitEmbedding' | 'frames'> & {
  template: number[] | null;
  portraitEmbedding: number[] | null;
  frames: (Omit<DocumentFrameProbe, 'embedding'> & { embedding: number[] | null })[];
  portraitWidthPx: number;
};

async function decode(url: string): Promise<ImageBitmap> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return createImageBitmap(await response.blob());
}

/** Size of the synthesised webcam frames of the enrollment (the SDK's camera resolution). */
const SCENE = { width: 640, height: 480 } as const;

/** A webcam mode: frame size in px. Every mode sees the same horizontal field of view. */
export interface CameraMode {
  readonly width: number;
  readonly height: number;
}

function pixelsOf(image: ImageBitmap): Pixels {
  const canvas = new OffscreenCanvas(image.width, image.height);
  const context = canvas.getContext('2d', { willReadFrequently: true })!;
  context.drawImage(image, 0, 0);
  const data = context.getImageData(0, 0, image.width, image.height);
  return { width: data.width, height: data.height, data: data.data };
}

/**
 * The student's webcam frame in `mode`: `live` scaled to the height of a 640×480 frame and centred,
 * on a plain grey wall. A wider mode sees the same horizontal field of view with more pixels (the
 * person is as big a share of the width), and a 16:9 mode loses the top and bottom of the 4:3 view.
 */
function liveScene(live: ImageBitmap, mode: CameraMode = SCENE): Pixels {
  const canvas = new OffscreenCanvas(mode.width, mode.height);
  const context = canvas.getContext('2d', { willReadFrequently: true })!;
  context.fillStyle = 'rgb(128,124,118)';
  context.fillRect(0, 0, mode.width, mode.height);
  const height = (SCENE.height * mode.width) / SCENE.width;
  const scale = height / live.height;
  context.drawImage(live, (mode.width - live.width * scale) / 2, (mode.height - height) / 2, live.width * scale, height);
  const data = context.getImageData(0, 0, mode.width, mode.height);
  return { width: data.width, height: data.height, data: data.data };
}

async function jpeg(image: Pixels, quality: number): Promise<Blob> {
  const canvas = new OffscreenCanvas(image.width, image.height);
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(image.data), image.width, image.height), 0, 0);
  return canvas.convertToBlob({ type: 'image/jpeg', quality });
}

/**
 * How a synthesised card is filmed: the `camera` mode of the card frame (default 640×480) and the
 * `side` of the raw frame the card is held on (default: drawn from the seed).
 */
export interface CardView {
  readonly camera?: CameraMode;
  readonly side?: 'left' | 'right';
  /** No card: the photo's person blended in, where the card would be, as small as its portrait (the attack the card check stops). */
  readonly backgroundPerson?: boolean;
  /** Degradations of the card switched off (a benchmark ablation; default none). */
  readonly synthesisOff?: readonly Degradation[];
  /** Consecutive camera frames of the held card (default 1): frame k is `cardFrame(params, k)`'s view. */
  readonly frames?: number;
}

/**
 * Synthesises, deterministically from `seed`, the webcam frame of a student (`liveUrl`) holding
 * an identity card whose portrait is `photoUrl` `distanceCm` from the camera (default: the
 * unguided range), filmed as `view` says (`cards`: `view.frames` consecutive camera frames of it,
 * `card` the first), and the same student without the card at 640×480 (the enrollment frame).
 * All are JPEG, at the card's drawn quality (each frame encoded on its own, as a webcam does).
 */
export async function cardScenes(
  photoUrl: string,
  liveUrl: string,
  seed: number,
  distanceCm?: readonly [number, number],
  view: CardView = {},
): Promise<{ card: Blob; cards: Blob[]; live: Blob; portraitWidthPx: number }> {
  const { camera = SCENE, side, backgroundPerson = false, synthesisOff = [], frames: count = 1 } = view;
  const [photo, live] = await Promise.all([decode(photoUrl), decode(liveUrl)]);
  try {
    const drawn = cardParams(seed, distanceCm, side);
    const params = withoutDegradations(drawn, synthesisOff);
    const scene = liveScene(live);
    const photoPixels = pixelsOf(photo);
    const cardScene = liveScene(live, camera);
    const { frames, portraitWidthPx } = backgroundPerson
      ? (() => {
          const seen = Array.from({ length: count }, (_, k) => synthesizeBackgroundPersonScene(photoPixels, cardScene, params, cardFrame(params, k)));
          return { frames: seen.map((f) => f.frame), portraitWidthPx: seen[0]!.portraitWidthPx };
        })()
      : synthesizeCardFrames(photoPixels, cardScene, params, count);
    const cards = await Promise.all(frames.map((frame) => jpeg(frame, params.jpegQuality)));
    // The enrollment frame keeps the drawn quality: an ablation changes the card only.
    return { card: cards[0]!, cards, live: await jpeg(scene, drawn.jpegQuality), portraitWidthPx };
  } finally {
    photo.close();
    live.close();
  }
}

/** Base64 of a blob's bytes (for Node). */
export async function base64Of(blob: Blob): Promise<string> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

/** Starts the testing worker from `assetsBaseUrl` (the dist/ folder, possibly on another origin). */
export async function start(options: { assetsBaseUrl: string; backend?: 'wasm' | 'webgpu'; threads?: number }) {
  const worker = startWorker<FaceWorkerTestingApi>(new URL('testing/presenza-testing-worker.js', options.assetsBaseUrl).href);
  const runtime: RuntimeReport = await worker.call('init', {
    nowMs: Date.now(),
    assetsBaseUrl: options.assetsBaseUrl,
    backend: options.backend ?? 'wasm',
    ...(options.threads ? { threads: options.threads } : {}),
  });
  return {
    runtime,
    async describe(url: string, variants: EmbeddingOptions[], timing?: FrameTiming, timeLiveness = false): Promise<DescribedImage> {
      const frame = await decode(url);
      const result = await worker.call('describeImage', Comlink.transfer(frame, [frame]), variants, timing, timeLiveness);
      return { ...result, embeddings: result.embeddings.map((e) => (e ? Array.from(e) : null)) };
    },
    /** The anti-spoof model's outputs for the selected face of an image, once per candidate input spec. */
    async livenessProbe(url: string, specs: LivenessInputSpec[]): Promise<ProbedLiveness> {
      const frame = await decode(url);
      const result = await worker.call('livenessProbe', Comlink.transfer(frame, [frame]), specs);
      const outputs = result.outputs?.map((o) => ({ logits: Array.from(o.logits), probabilities: Array.from(o.probabilities) })) ?? null;
      return { ...result, outputs };
    },
    /**
     * Synthesises the card of `photoUrl` held by `liveUrl` (seeded), `view.frames` camera frames of
     * it (default 1), and runs the document stages on them, in order.
     */
    async documentProbe(photoUrl: string, liveUrl: string, seed: number, distanceCm?: readonly [number, number], view?: CardView): Promise<DocumentScore> {
      const scenes = await cardScenes(photoUrl, liveUrl, seed, distanceCm, view);
      const [live, ...cards] = await Promise.all([createImageBitmap(scenes.live), ...scenes.cards.map((c) => createImageBitmap(c))]);
      const probe = await worker.call('documentProbe', Comlink.transfer(live!, [live!]), Comlink.transfer(cards, cards));
      const array = (v: Float32Array | null) => (v ? Array.from(v) : null);
      return {
        ...probe,
        template: array(probe.template),
        portraitEmbedding: array(probe.portraitEmbedding),
        frames: probe.frames.map((f) => ({ ...f, embedding: array(f.embedding) })),
        portraitWidthPx: scenes.portraitWidthPx,
      };
    },
    /** The selected face's fused embedding under each crop variant (bench/crop-variants.ts). */
    async cropVariantProbe(url: string, variants: CropVariant[]) {
      const frame = await decode(url);
      const result = await worker.call('cropVariantProbe', Comlink.transfer(frame, [frame]), variants);
      return {
        ...result,
        embeddings: result.embeddings.map((e) => (e ? Array.from(e) : null)),
        views: result.views.map((v) => (v ? v.map((e) => Array.from(e)) : null)),
      };
    },
    /** Check-assertion signatures per second in the worker. */
    measureSigning: (seconds: number) => worker.call('measureSigning', seconds),
    async close() {
      await worker.call('close');
      worker.terminate();
    },
  };
}
