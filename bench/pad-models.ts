/**
 * Passive anti-spoof candidates on a labelled inventory, offline, to choose what bench:pad then
 * measures through `check()`. Usage:
 *
 *   npx tsx bench/pad-models.ts --inventory <file.jsonl> --root <dir> --models <dir> [--fps 1]
 *                               [--crops fit,black,edge,inside] [--use shipped,v2,v1se] [--frames <dir>]
 *                               [--out <file name>] [--json]
 *
 * 1. Frames: a still is placed in a 640×480 frame as bench:pad shows it (make-y4m.sh's `auto`
 *    fit: scaled to 480 px high, black bars at the sides) and, to measure framing effects, also
 *    scored as it is (its own size, no padding); a clip gives `--fps` frames a second of its
 *    first 8 s, in the 640×480 framing.
 * 2. The testing worker in Chromium finds the face (MediaPipe, as the check does); the face boxes
 *    are cached under `<root>/.pad-models-cache`, keyed by the frame's bytes.
 * 3. In Node (onnxruntime-web, wasm), each model from `--models` scores the box with its own
 *    input: the formerly shipped `fr_liveness.onnx` (faceplugin-face-recognition-js 0.0.1: 128×128
 *    square window 2.7× the longer box side, BGR raw, live class 0), Silent-Face's MiniFASNetV2
 *    (2.7× the box per axis) and MiniFASNetV1SE (4×) (80×80, BGR raw 0..255, live class 1). Each
 *    in these crops, resampled as the worker resamples (up to 4×4 bilinear samples a pixel):
 *    - `fit`: the window as each model's own code crops it (shrunk and shifted to fit inside the
 *      frame: the shipped stage, Silent-Face's `_crop_face`), which depends on the frame;
 *    - `black`: the fixed window around the box, black outside the frame;
 *    - `edge`: the fixed window, the picture's edge pixels repeated outside it, where the picture
 *      is the frame without the uniform black bars at its sides;
 *    - `inside` (fr_liveness; the MiniFASNets keep `fit`): the `fit` window kept inside the
 *      picture instead of the frame, so that black bars around a photo do not move it.
 * 4. Per candidate and fusion (mean live probability): ROC AUC per sample (mean over its frames),
 *    the threshold for BPCER ≤ 5 % on live samples and the APCER per species there, and how many
 *    stills change verdict between the two framings (at 0.5 and at that threshold).
 *
 * Results: bench/results/pad-models.json, or `--out <name>` under bench/results/.
 */
import { createHash } from 'node:crypto';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-web';
import { startBrowserPipeline } from '../tools/browserPipeline.js';
import { DIST, ROOT } from '../tools/paths.js';
import { SHIPPED_LIVENESS_INPUT } from '../testing/livenessInputs.js';
import { rocAuc, type ScoredPair } from './lib/metrics.js';
import { LIVE, parseInventory, wilson, type InventoryLine } from './lib/padSet.js';

const execFileAsync = promisify(execFile);
const STILL_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.bmp']);
const MAKE_Y4M_GEOMETRY = 'scale=-2:480:flags=lanczos,crop=min(iw\\,640):480,pad=640:480:(ow-iw)/2:0:black,setsar=1';
const CLIP_SECONDS = 8;
/** A row or column whose every channel value is at most this is part of a black bar. */
const BAR_LEVEL = 12;

type Box = { x: number; y: number; width: number; height: number };
type Rect = { x0: number; y0: number; x1: number; y1: number };
interface Image {
  readonly width: number;
  readonly height: number;
  /** RGB bytes, row-major. */
  readonly rgb: Buffer;
}

/** Decodes an image file to RGB bytes with ffmpeg (EXIF orientation applied as the browser does). */
async function decode(file: string, width: number, height: number): Promise<Image> {
  const { stdout: rgb } = await execFileAsync('ffmpeg', ['-v', 'error', '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    maxBuffer: 1 << 28,
    encoding: 'buffer',
  });
  if (rgb.length !== width * height * 3) throw new Error(`${file}: decoded ${rgb.length} bytes, expected ${width}×${height}×3 (orientation differs from the browser's?)`);
  return { width, height, rgb };
}

/** The picture inside the frame: the frame less the uniform black rows and columns at its edges. */
function pictureRect(image: Image): Rect {
  const dark = (x: number, y: number) => {
    const i = (y * image.width + x) * 3;
    return image.rgb[i]! <= BAR_LEVEL && image.rgb[i + 1]! <= BAR_LEVEL && image.rgb[i + 2]! <= BAR_LEVEL;
  };
  const column = (x: number) => { for (let y = 0; y < image.height; y += 1) if (!dark(x, y)) return false; return true; };
  const row = (y: number, x0: number, x1: number) => { for (let x = x0; x < x1; x += 1) if (!dark(x, y)) return false; return true; };
  let x0 = 0;
  let x1 = image.width;
  while (x0 < x1 && column(x0)) x0 += 1;
  while (x1 > x0 && column(x1 - 1)) x1 -= 1;
  let y0 = 0;
  let y1 = image.height;
  while (y0 < y1 && row(y0, x0, x1)) y0 += 1;
  while (y1 > y0 && row(y1 - 1, x0, x1)) y1 -= 1;
  return x1 > x0 && y1 > y0 ? { x0, y0, x1, y1 } : { x0: 0, y0: 0, x1: image.width, y1: image.height };
}

/**
 * A `size`×`size` BGR CHW tensor of raw values from the window [x0, x1) × [y0, y1) of `image`
 * (bilinear, pixel centres at integers). Outside the image: black, or with `edge` the nearest
 * pixel of that rectangle (the picture without its bars).
 */
function windowTensor(image: Image, [x0, y0, x1, y1]: readonly number[], size: number, edge: Rect | null): Float32Array {
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  const sx = (x1! - x0!) / size;
  const sy = (y1! - y0!) / size;
  const { width, height, rgb } = image;
  const [ex0, ey0, ex1, ey1] = edge ? [edge.x0, edge.y0, edge.x1 - 1, edge.y1 - 1] : [0, 0, width - 1, height - 1];
  const sum = [0, 0, 0];
  /** Adds weight × pixel (x, y) to sum: clamped to the rectangle with `edge`, black outside the image without. */
  const add = (x: number, y: number, weight: number) => {
    if (edge) {
      x = x < ex0 ? ex0 : x > ex1 ? ex1 : x;
      y = y < ey0 ? ey0 : y > ey1 ? ey1 : y;
    } else if (x < 0 || y < 0 || x >= width || y >= height) return;
    const i = (y * width + x) * 3;
    sum[0]! += weight * rgb[i]!;
    sum[1]! += weight * rgb[i + 1]!;
    sum[2]! += weight * rgb[i + 2]!;
  };
  // Up to 4×4 bilinear samples per output pixel when the window shrinks, as the worker's crops do.
  const nx = Math.min(4, Math.max(1, Math.ceil(sx)));
  const ny = Math.min(4, Math.max(1, Math.ceil(sy)));
  const w = 1 / (nx * ny);
  for (let v = 0; v < size; v += 1) {
    for (let u = 0; u < size; u += 1) {
      sum[0] = sum[1] = sum[2] = 0;
      for (let j = 0; j < ny; j += 1) {
        const y = y0! + (v + (j + 0.5) / ny) * sy - 0.5;
        const yi = Math.floor(y);
        const fy = y - yi;
        for (let i = 0; i < nx; i += 1) {
          const x = x0! + (u + (i + 0.5) / nx) * sx - 0.5;
          const xi = Math.floor(x);
          const fx = x - xi;
          add(xi, yi, w * (1 - fx) * (1 - fy));
          add(xi + 1, yi, w * fx * (1 - fy));
          add(xi, yi + 1, w * (1 - fx) * fy);
          add(xi + 1, yi + 1, w * fx * fy);
        }
      }
      // Planes in B, G, R order.
      out[v * size + u] = sum[2]!;
      out[plane + v * size + u] = sum[1]!;
      out[2 * plane + v * size + u] = sum[0]!;
    }
  }
  return out;
}

/** Silent-Face's crop: `scale`× the box per axis (shrunk so it fits), centred on the box, clipped to the image. */
function silentFaceWindow(image: Image, box: Box, scale: number): number[] {
  const s = Math.min((image.height - 1) / box.height, (image.width - 1) / box.width, scale);
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const w = box.width * s;
  const h = box.height * s;
  const x0 = Math.max(0, Math.trunc(cx - w / 2));
  const y0 = Math.max(0, Math.trunc(cy - h / 2));
  const x1 = Math.min(image.width - 1, Math.trunc(cx + w / 2));
  const y1 = Math.min(image.height - 1, Math.trunc(cy + h / 2));
  return [x0, y0, x1 + 1, y1 + 1];
}

/** The shipped stage's former window: a square 2.7× the longer box side, shrunk and shifted to stay inside the frame. */
function keptInsideWindow(image: Image, box: Box, scale: number): number[] {
  const side = Math.min(scale * Math.max(box.width, box.height), image.width, image.height);
  const clamp = (c: number, extent: number) => Math.min(Math.max(c, side / 2 - 0.5), extent - 0.5 - side / 2);
  const cx = clamp(box.x + box.width / 2, image.width);
  const cy = clamp(box.y + box.height / 2, image.height);
  // Pixel centres at integers: the window's edges in edge coordinates are centre ± side/2, + 0.5.
  return [cx - side / 2 + 0.5, cy - side / 2 + 0.5, cx + side / 2 + 0.5, cy + side / 2 + 0.5];
}

/**
 * The shipped stage's window kept inside the picture instead of the frame: a square 2.7× the
 * longer box side, shrunk to the picture's shorter side and shifted to stay inside it, so black
 * bars around the picture do not move it.
 */
function keptInsidePictureWindow(picture: Rect, box: Box, scale: number): number[] {
  const side = Math.min(scale * Math.max(box.width, box.height), picture.x1 - picture.x0, picture.y1 - picture.y0);
  // Pixel centres at integers: the picture spans x0 − 0.5 … x1 − 0.5.
  const clamp = (c: number, lo: number, hi: number) => Math.min(Math.max(c, lo - 0.5 + side / 2), hi - 0.5 - side / 2);
  const cx = clamp(box.x + box.width / 2, picture.x0, picture.x1);
  const cy = clamp(box.y + box.height / 2, picture.y0, picture.y1);
  return [cx - side / 2 + 0.5, cy - side / 2 + 0.5, cx + side / 2 + 0.5, cy + side / 2 + 0.5];
}

/** A window `scale`× the box (per axis, or square on the longer side), centred on it, wherever it falls. */
function fixedWindow(box: Box, scale: number, square: boolean): number[] {
  const w = scale * (square ? Math.max(box.width, box.height) : box.width);
  const h = scale * (square ? Math.max(box.width, box.height) : box.height);
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  return [cx - w / 2 + 0.5, cy - h / 2 + 0.5, cx + w / 2 + 0.5, cy + h / 2 + 0.5];
}

const softmax = (logits: ArrayLike<number>) => {
  const max = Math.max(...Array.from(logits));
  const e = Array.from(logits, (l) => Math.exp(l - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
};

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** One frame of one sample, in one framing. */
interface FrameJob {
  readonly sample: number;
  readonly framing: 'camera' | 'native';
  readonly file: string;
}

/** What the browser found in a frame: its size and the selected face's box (null without a face). */
interface FrameFace {
  readonly width: number;
  readonly height: number;
  readonly box: Box | null;
}

/** The models, each with its input: window scale and shape, input side, live class. */
const MODELS = {
  shipped: { scale: 2.7, square: true, size: 128, live: 0 },
  v2: { scale: 2.7, square: false, size: 80, live: 1 },
  v1se: { scale: 4, square: false, size: 80, live: 1 },
} as const;
type ModelName = keyof typeof MODELS;
const CROPS = ['fit', 'black', 'edge', 'inside'] as const;
type Crop = (typeof CROPS)[number];

async function main() {
  const { values } = parseArgs({
    options: {
      inventory: { type: 'string' },
      root: { type: 'string' },
      models: { type: 'string' },
      fps: { type: 'string', default: '1' },
      crops: { type: 'string', default: CROPS.join(',') },
      use: { type: 'string', default: Object.keys(MODELS).join(',') },
      frames: { type: 'string' },
      out: { type: 'string', default: 'pad-models.json' },
      json: { type: 'boolean', default: false },
    },
  });
  if (values.out!.includes('/')) throw new TypeError('--out is a file name under bench/results/');
  const crops = values.crops!.split(',') as Crop[];
  const used = values.use!.split(',') as ModelName[];
  if (used.some((m) => !(m in MODELS))) throw new TypeError(`--use takes some of ${Object.keys(MODELS).join(', ')}`);
  if (crops.some((c) => !CROPS.includes(c))) throw new TypeError(`--crops takes some of ${CROPS.join(', ')}`);
  if (!values.inventory || !values.root || !values.models) throw new TypeError('pad-models needs --inventory, --root and --models (a folder with fr_liveness.onnx, MiniFASNetV2.onnx and MiniFASNetV1SE.onnx)');
  if (!existsSync(join(DIST, 'testing', 'harness.iife.js'))) throw new Error('dist/testing is missing: run `npm run build` first');
  const root = resolve(values.root);
  const fps = Number(values.fps);
  const inventory: InventoryLine[] = parseInventory(readFileSync(values.inventory, 'utf8'));
  const boxCacheFile = join(root, '.pad-models-cache', 'faces.json');
  const boxCache: Record<string, FrameFace> = existsSync(boxCacheFile) ? JSON.parse(readFileSync(boxCacheFile, 'utf8')) : {};

  ort.env.wasm.numThreads = 1;
  const files: Record<ModelName, string> = { shipped: 'fr_liveness.onnx', v2: 'MiniFASNetV2.onnx', v1se: 'MiniFASNetV1SE.onnx' };
  const sessions = Object.fromEntries(await Promise.all(used.map(async (m) => [m, await ort.InferenceSession.create(join(values.models!, files[m]))] as const))) as Record<ModelName, ort.InferenceSession>;
  const liveOf = async (name: ModelName, tensor: Float32Array) => {
    const session = sessions[name];
    const { size, live } = MODELS[name];
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', tensor, [1, 3, size, size]) });
    return softmax(out[session.outputNames[0]!]!.data as Float32Array)[live]!;
  };

  // With --frames, the frames are extracted into (or, when already there, read from) that folder and kept.
  const dir = values.frames ? resolve(values.frames) : mkdtempSync(join(tmpdir(), 'presenza-pad-models-'));
  const jobs: FrameJob[] = [];
  try {
    for (const [i, line] of inventory.entries()) {
      const source = join(root, line.file);
      const target = join(dir, String(i));
      const extracted = existsSync(target) && readdirSync(target).length > 0;
      mkdirSync(target, { recursive: true });
      if (STILL_EXTENSIONS.has(extname(line.file).toLowerCase())) {
        if (!extracted) {
          execFileSync('ffmpeg', ['-v', 'error', '-i', source, '-vf', MAKE_Y4M_GEOMETRY, '-frames:v', '1', join(target, 'camera.png')]);
          execFileSync('ffmpeg', ['-v', 'error', '-i', source, '-frames:v', '1', join(target, 'native.png')]);
        }
        jobs.push({ sample: i, framing: 'camera', file: `${i}/camera.png` }, { sample: i, framing: 'native', file: `${i}/native.png` });
      } else {
        if (!extracted) execFileSync('ffmpeg', ['-v', 'error', '-t', String(CLIP_SECONDS), '-i', source, '-vf', `fps=${fps},${MAKE_Y4M_GEOMETRY}`, join(target, 'f%03d.png')]);
        for (const f of readdirSync(target).sort()) jobs.push({ sample: i, framing: 'camera', file: `${i}/${f}` });
      }
    }
    const keys = jobs.map((job) => sha256(readFileSync(join(dir, job.file))));
    const missing = jobs.filter((_, n) => !boxCache[keys[n]!]);
    console.error(`${jobs.length} frames of ${inventory.length} samples, ${missing.length} to find faces in…`);
    if (missing.length > 0) {
      const pipeline = await startBrowserPipeline({ imageRoot: dir, threads: 1 });
      try {
        for (const [n, job] of jobs.entries()) {
          if (boxCache[keys[n]!]) continue;
          const [probe] = await pipeline.livenessProbe([job.file], [SHIPPED_LIVENESS_INPUT]);
          boxCache[keys[n]!] = { width: probe!.width, height: probe!.height, box: probe!.box ?? null };
          if (n % 50 === 0) {
            console.error(`  ${n}/${jobs.length}`);
            mkdirSync(dirname(boxCacheFile), { recursive: true });
            writeFileSync(boxCacheFile, JSON.stringify(boxCache));
          }
        }
      } finally {
        await pipeline.close();
        mkdirSync(dirname(boxCacheFile), { recursive: true });
        writeFileSync(boxCacheFile, JSON.stringify(boxCache));
      }
    }
    console.error('scoring…');
    const scored: { job: FrameJob; scores: Record<string, number> | null }[] = [];
    // Frames are decoded a few ahead, in parallel with the scoring.
    const decodes = new Map<number, Promise<Image>>();
    const decodeAhead = (n: number) => {
      const face = n < jobs.length ? boxCache[keys[n]!]! : null;
      if (face?.box && !decodes.has(n)) decodes.set(n, decode(join(dir, jobs[n]!.file), face.width, face.height));
    };
    for (const [n, job] of jobs.entries()) {
      const face = boxCache[keys[n]!]!;
      for (let ahead = n; ahead < n + 4; ahead += 1) decodeAhead(ahead);
      if (!face.box) {
        scored.push({ job, scores: null });
        continue;
      }
      const image = await decodes.get(n)!;
      decodes.delete(n);
      const box = face.box;
      const picture = pictureRect(image);
      const scores: Record<string, number> = {};
      for (const name of used) {
        const { scale, square, size } = MODELS[name];
        const fixed = fixedWindow(box, scale, square);
        const windows: Record<Crop, () => [number[], Rect | null]> = {
          fit: () => [name === 'shipped' ? keptInsideWindow(image, box, scale) : silentFaceWindow(image, box, scale), null],
          black: () => [fixed, null],
          edge: () => [fixed, picture],
          inside: () => [name === 'shipped' ? keptInsidePictureWindow(picture, box, scale) : silentFaceWindow(image, box, scale), null],
        };
        for (const crop of crops) {
          const [window, edge] = windows[crop]();
          scores[`${name} ${crop}`] = await liveOf(name, windowTensor(image, window, size, edge));
        }
      }
      scored.push({ job, scores });
      if (n % 100 === 0) console.error(`  ${n}/${jobs.length}`);
    }
    report(inventory, scored, crops, used, values.out!, values.json!);
  } finally {
    if (!values.frames) rmSync(dir, { recursive: true, force: true });
  }
}

const BASE = (Object.keys(MODELS) as ModelName[]).flatMap((m) => CROPS.map((c) => `${m} ${c}`));
/** Fusions: the mean live probability of their members. */
const FUSIONS: Record<string, readonly string[]> = Object.fromEntries(
  CROPS.flatMap((c) => [
    [`v2+v1se ${c}`, [`v2 ${c}`, `v1se ${c}`]],
    [`shipped+v2+v1se ${c}`, [`shipped ${c}`, `v2 ${c}`, `v1se ${c}`]],
    [`shipped+v1se ${c}`, [`shipped ${c}`, `v1se ${c}`]],
  ]),
);

function report(inventory: InventoryLine[], scored: { job: FrameJob; scores: Record<string, number> | null }[], crops: readonly Crop[], used: readonly ModelName[], file: string, json: boolean) {
  const measured = (candidate: string) =>
    crops.some((c) => candidate.endsWith(` ${c}`)) && (FUSIONS[candidate] ?? [candidate]).every((m) => used.includes(m.split(' ')[0] as ModelName));
  const candidates = [...BASE, ...Object.keys(FUSIONS)].filter(measured);
  const frameScore = (scores: Record<string, number>, candidate: string) =>
    FUSIONS[candidate] ? mean(FUSIONS[candidate]!.map((m) => scores[m]!)) : scores[candidate]!;
  /** Per sample and framing: the mean over its frames with a face, or null. */
  const sampleScore = (sample: number, framing: FrameJob['framing'], candidate: string) => {
    const xs = scored.filter((s) => s.job.sample === sample && s.job.framing === framing && s.scores).map((s) => frameScore(s.scores!, candidate));
    return xs.length ? mean(xs) : null;
  };
  const species = [...new Set(inventory.map((l) => l.label).filter((l) => l !== LIVE))].sort();
  const results = candidates.map((candidate) => {
    const samples = inventory.map((line, i) => ({ line, score: sampleScore(i, 'camera', candidate), native: sampleScore(i, 'native', candidate) }));
    const withFace = samples.filter((s) => s.score !== null);
    const pairs: ScoredPair[] = withFace.map((s) => ({ score: s.score!, same: s.line.label === LIVE }));
    const nativePairs: ScoredPair[] = samples.filter((s) => s.native !== null).map((s) => ({ score: s.native!, same: s.line.label === LIVE }));
    const live = withFace.filter((s) => s.line.label === LIVE).map((s) => s.score!).sort((a, b) => a - b);
    // The highest threshold that keeps BPCER ≤ 5 % on the live samples with a face.
    const threshold = live.length ? live[Math.floor(0.05 * live.length)]! : Number.NaN;
    const perSpecies = Object.fromEntries(
      species.map((sp) => {
        const of = withFace.filter((s) => s.line.label === sp);
        const passed = of.filter((s) => s.score! >= threshold).length;
        return [sp, { attacks: of.length, passed, apcer: of.length ? passed / of.length : Number.NaN, ci95: wilson(passed, of.length) }];
      }),
    );
    const at = (t: number) => {
      const attacks = withFace.filter((s) => s.line.label !== LIVE);
      const liveS = withFace.filter((s) => s.line.label === LIVE);
      return { threshold: t, apcer: attacks.filter((s) => s.score! >= t).length / attacks.length, bpcer: liveS.filter((s) => s.score! < t).length / liveS.length };
    };
    const stills = samples.filter((s) => s.score !== null && s.native !== null);
    const flipsAt = (t: number) => stills.filter((s) => s.score! >= t !== s.native! >= t).length;
    return {
      candidate,
      auc: rocAuc(pairs),
      auc_native_stills: rocAuc(nativePairs),
      samples_with_face: withFace.length,
      at_bpcer5: { per_species: perSpecies, ...at(threshold) },
      at_half: at(0.5),
      framing_flips_at_half: { flips: flipsAt(0.5), stills: stills.length },
      framing_flips_at_bpcer5: { flips: flipsAt(threshold), stills: stills.length },
      mean_abs_framing_change: stills.length ? mean(stills.map((s) => Math.abs(s.score! - s.native!))) : Number.NaN,
      samples: samples.map((s) => ({ file: s.line.file, label: s.line.label, score: s.score, native: s.native })),
    };
  });
  const noFace = inventory.filter((_, i) => sampleScore(i, 'camera', candidates[0]!) === null).map((l) => l.file);
  const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : 'n/a');
  console.log(`\n${inventory.length} samples, ${inventory.length - noFace.length} with a face in the 640×480 framing`);
  console.log('candidate                   AUC   AUC(native) | at BPCER ≤ 5 %: thr   APCER  per species (passed/attacks)             | at 0.5: APCER  BPCER | flips 0.5  flips thr  mean |Δ|');
  for (const r of [...results].sort((a, b) => b.auc - a.auc)) {
    const sp = Object.entries(r.at_bpcer5.per_species).map(([k, v]) => `${k} ${v.passed}/${v.attacks}`).join(', ');
    console.log(
      `${r.candidate.padEnd(26)} ${r.auc.toFixed(3)}  ${r.auc_native_stills.toFixed(3)}      | ${r.at_bpcer5.threshold.toFixed(3)} ${pct(r.at_bpcer5.apcer).padStart(7)}  ${sp.padEnd(46)} | ${pct(r.at_half.apcer).padStart(7)} ${pct(r.at_half.bpcer).padStart(7)} | ${String(r.framing_flips_at_half.flips).padStart(3)}/${r.framing_flips_at_half.stills}  ${String(r.framing_flips_at_bpcer5.flips).padStart(3)}/${r.framing_flips_at_bpcer5.stills}  ${r.mean_abs_framing_change.toFixed(3)}`,
    );
  }
  const record = { date: new Date().toISOString(), samples: inventory.length, no_face: noFace, results };
  const out = join(ROOT, 'bench', 'results', file);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(record, null, 1)}\n`);
  console.log(`saved ${out}`);
  if (json) console.log(JSON.stringify(record));
}

await main();
