/**
 * Passive anti-spoof candidates on a labelled inventory, offline, to choose what bench:pad then
 * measures through `check()`. Usage:
 *
 *   npx tsx bench/pad-models.ts --inventory <file.jsonl> --root <dir> --models <dir> [--fps 1] [--json]
 *
 * 1. Frames: a still is placed in a 640×480 frame as bench:pad shows it (make-y4m.sh's `auto`
 *    fit) and, to measure framing effects, also scored as it is (its own size, no padding); a
 *    clip gives `--fps` frames a second of its first 8 s, in the 640×480 framing.
 * 2. The testing worker in Chromium finds the face (MediaPipe, as the check does) and scores the
 *    shipped `fr_liveness.onnx` (128×128, BGR raw, 2.7× the landmark box kept inside the frame,
 *    live class 0) and the same with the window padded black instead of kept inside.
 * 3. In Node (onnxruntime-web, wasm), Silent-Face's MiniFASNetV2 (2.7×) and MiniFASNetV1SE (4×)
 *    from `--models` (80×80, BGR raw 0..255, live class 1) score the same face box, each with the
 *    crop they were trained with (a window `scale`× the box per axis, shrunk to fit inside the
 *    frame, resized to 80×80) and with a square window padded black (the same pixels whatever
 *    the frame around the face).
 * 4. Per candidate and fusion (mean live probability): ROC AUC per sample (mean over its frames),
 *    the threshold for BPCER ≤ 5 % on live samples and the APCER per species there, and how many
 *    stills change verdict between the two framings.
 *
 * Results: bench/results/pad-models.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-web';
import { startBrowserPipeline } from '../tools/browserPipeline.js';
import { DIST, ROOT } from '../tools/paths.js';
import { SHIPPED_LIVENESS_INPUT } from '../testing/livenessInputs.js';
import { LIVE_CLASS } from '../workers/stages/passiveLiveness.js';
import { rocAuc, type ScoredPair } from './lib/metrics.js';
import { LIVE, parseInventory, wilson, type InventoryLine } from './lib/padSet.js';

const STILL_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.bmp']);
const MAKE_Y4M_GEOMETRY = 'scale=-2:480:flags=lanczos,crop=min(iw\\,640):480,pad=640:480:(ow-iw)/2:0:black,setsar=1';
const CLIP_SECONDS = 8;

type Box = { x: number; y: number; width: number; height: number };
interface Image {
  readonly width: number;
  readonly height: number;
  /** RGB bytes, row-major. */
  readonly rgb: Buffer;
}

/** Decodes an image file to RGB bytes with ffmpeg (EXIF orientation applied as the browser does). */
function decode(file: string, width: number, height: number): Image {
  const rgb = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 1 << 28 });
  if (rgb.length !== width * height * 3) throw new Error(`${file}: decoded ${rgb.length} bytes, expected ${width}×${height}×3 (orientation differs from the browser's?)`);
  return { width, height, rgb };
}

/**
 * A `size`×`size` BGR CHW tensor of raw values from the window [x0, x1) × [y0, y1) of `image`
 * (bilinear, pixel centres at integers; black outside the image).
 */
function windowTensor(image: Image, x0: number, y0: number, x1: number, y1: number, size: number): Float32Array {
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  const sx = (x1 - x0) / size;
  const sy = (y1 - y0) / size;
  const at = (x: number, y: number, c: number) =>
    x < 0 || y < 0 || x >= image.width || y >= image.height ? 0 : image.rgb[(y * image.width + x) * 3 + c]!;
  for (let v = 0; v < size; v += 1) {
    for (let u = 0; u < size; u += 1) {
      const x = x0 + (u + 0.5) * sx - 0.5;
      const y = y0 + (v + 0.5) * sy - 0.5;
      const xi = Math.floor(x);
      const yi = Math.floor(y);
      const fx = x - xi;
      const fy = y - yi;
      for (let c = 0; c < 3; c += 1) {
        const value =
          at(xi, yi, c) * (1 - fx) * (1 - fy) + at(xi + 1, yi, c) * fx * (1 - fy) + at(xi, yi + 1, c) * (1 - fx) * fy + at(xi + 1, yi + 1, c) * fx * fy;
        // Planes in B, G, R order.
        out[(2 - c) * plane + v * size + u] = value;
      }
    }
  }
  return out;
}

/** Silent-Face's crop: `scale`× the box per axis (shrunk so it fits), centred on the box, clipped to the image. */
function silentFaceWindow(image: Image, box: Box, scale: number): [number, number, number, number] {
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

/** A square window `scale`× the longer side of the box, centred on it, black where it leaves the image. */
function paddedWindow(box: Box, scale: number): [number, number, number, number] {
  const side = scale * Math.max(box.width, box.height);
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  return [cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2];
}

const softmax = (logits: ArrayLike<number>) => {
  const max = Math.max(...Array.from(logits));
  const e = Array.from(logits, (l) => Math.exp(l - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
};

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** One frame of one sample, in one framing. */
interface FrameJob {
  readonly sample: number;
  readonly framing: 'camera' | 'native';
  readonly file: string;
}

async function main() {
  const { values } = parseArgs({
    options: {
      inventory: { type: 'string' },
      root: { type: 'string' },
      models: { type: 'string' },
      fps: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
    },
  });
  if (!values.inventory || !values.root || !values.models) throw new TypeError('pad-models needs --inventory, --root and --models (a folder with MiniFASNetV2.onnx and MiniFASNetV1SE.onnx)');
  if (!existsSync(join(DIST, 'testing', 'harness.iife.js'))) throw new Error('dist/testing is missing: run `npm run build` first');
  const root = resolve(values.root);
  const fps = Number(values.fps);
  const inventory: InventoryLine[] = parseInventory(readFileSync(values.inventory, 'utf8'));

  ort.env.wasm.numThreads = 1;
  const sessions = {
    v2: await ort.InferenceSession.create(join(values.models, 'MiniFASNetV2.onnx')),
    v1se: await ort.InferenceSession.create(join(values.models, 'MiniFASNetV1SE.onnx')),
  };
  const liveOf = async (session: ort.InferenceSession, tensor: Float32Array) => {
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', tensor, [1, 3, 80, 80]) });
    return softmax(out[session.outputNames[0]!]!.data as Float32Array)[1]!;
  };

  const dir = mkdtempSync(join(tmpdir(), 'presenza-pad-models-'));
  const jobs: FrameJob[] = [];
  try {
    for (const [i, line] of inventory.entries()) {
      const source = join(root, line.file);
      const target = join(dir, String(i));
      mkdirSync(target, { recursive: true });
      if (STILL_EXTENSIONS.has(extname(line.file).toLowerCase())) {
        execFileSync('ffmpeg', ['-v', 'error', '-i', source, '-vf', MAKE_Y4M_GEOMETRY, '-frames:v', '1', join(target, 'camera.png')]);
        execFileSync('ffmpeg', ['-v', 'error', '-i', source, '-frames:v', '1', join(target, 'native.png')]);
        jobs.push({ sample: i, framing: 'camera', file: `${i}/camera.png` }, { sample: i, framing: 'native', file: `${i}/native.png` });
      } else {
        execFileSync('ffmpeg', ['-v', 'error', '-t', String(CLIP_SECONDS), '-i', source, '-vf', `fps=${fps},${MAKE_Y4M_GEOMETRY}`, join(target, 'f%03d.png')]);
        for (const f of readdirSync(target).sort()) jobs.push({ sample: i, framing: 'camera', file: `${i}/${f}` });
      }
    }
    console.error(`scoring ${jobs.length} frames of ${inventory.length} samples…`);
    const pipeline = await startBrowserPipeline({ imageRoot: dir, threads: 1 });
    const specs = [SHIPPED_LIVENESS_INPUT, { ...SHIPPED_LIVENESS_INPUT, keepInside: false }];
    const scored: { job: FrameJob; scores: Record<string, number> | null }[] = [];
    try {
      for (const [n, job] of jobs.entries()) {
        const [probe] = await pipeline.livenessProbe([job.file], specs);
        if (!probe?.outputs || !probe.box) {
          scored.push({ job, scores: null });
          continue;
        }
        const image = decode(join(dir, job.file), probe.width, probe.height);
        const box = probe.box;
        scored.push({
          job,
          scores: {
            shipped: probe.outputs[0]!.probabilities[LIVE_CLASS]!,
            shipped_padded: probe.outputs[1]!.probabilities[LIVE_CLASS]!,
            v2: await liveOf(sessions.v2, windowTensor(image, ...silentFaceWindow(image, box, 2.7), 80)),
            v2_padded: await liveOf(sessions.v2, windowTensor(image, ...paddedWindow(box, 2.7), 80)),
            v1se: await liveOf(sessions.v1se, windowTensor(image, ...silentFaceWindow(image, box, 4), 80)),
            v1se_padded: await liveOf(sessions.v1se, windowTensor(image, ...paddedWindow(box, 4), 80)),
          },
        });
        if (n % 50 === 0) console.error(`  ${n}/${jobs.length}`);
      }
    } finally {
      await pipeline.close();
    }
    report(inventory, scored, values.json!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const BASE = ['shipped', 'shipped_padded', 'v2', 'v2_padded', 'v1se', 'v1se_padded'] as const;
/** Fusions: the mean live probability of their members. */
const FUSIONS: Record<string, readonly string[]> = {
  'v2+v1se': ['v2', 'v1se'],
  'v2+v1se padded': ['v2_padded', 'v1se_padded'],
  'shipped+v2+v1se': ['shipped', 'v2', 'v1se'],
  'shipped+v2+v1se padded': ['shipped_padded', 'v2_padded', 'v1se_padded'],
  'shipped+v2': ['shipped', 'v2'],
};

function report(inventory: InventoryLine[], scored: { job: FrameJob; scores: Record<string, number> | null }[], json: boolean) {
  const candidates = [...BASE, ...Object.keys(FUSIONS)];
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
    const flips = stills.filter((s) => s.score! >= 0.5 !== s.native! >= 0.5).length;
    return { candidate, auc: rocAuc(pairs), samples_with_face: withFace.length, at_bpcer5: { per_species: perSpecies, ...at(threshold) }, at_half: at(0.5), framing_flips_at_half: { flips, stills: stills.length } };
  });
  const noFace = inventory.filter((_, i) => sampleScore(i, 'camera', 'shipped') === null).map((l) => l.file);
  const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : 'n/a');
  console.log(`\n${inventory.length} samples, ${inventory.length - noFace.length} with a face in the 640×480 framing`);
  console.log('candidate                   AUC    | at BPCER ≤ 5 %: thr   APCER  per species (passed/attacks)                 | at 0.5: APCER  BPCER | framing flips');
  for (const r of [...results].sort((a, b) => b.auc - a.auc)) {
    const sp = Object.entries(r.at_bpcer5.per_species).map(([k, v]) => `${k} ${v.passed}/${v.attacks}`).join(', ');
    console.log(
      `${r.candidate.padEnd(26)} ${r.auc.toFixed(3)}  | ${r.at_bpcer5.threshold.toFixed(3)} ${pct(r.at_bpcer5.apcer).padStart(7)}  ${sp.padEnd(50)} | ${pct(r.at_half.apcer).padStart(7)} ${pct(r.at_half.bpcer).padStart(7)} | ${r.framing_flips_at_half.flips}/${r.framing_flips_at_half.stills}`,
    );
  }
  const record = { date: new Date().toISOString(), samples: inventory.length, no_face: noFace, results };
  const out = join(ROOT, 'bench', 'results', 'pad-models.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(record, null, 1)}\n`);
  console.log(`saved ${out}`);
  if (json) console.log(JSON.stringify(record));
}

await main();
