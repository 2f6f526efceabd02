/**
 * The planar-motion check of head turns on live turns and on turning attacks: the face's texture
 * (`workers/session/textureParallax.ts`, what the challenge judges by) and the mesh's landmarks
 * (`workers/session/planarMotion.ts`, its fallback). Usage:
 *
 *   npx tsx bench/pad-geometry.ts --inventory <file.jsonl> --root <dir> [--stills 30] [--json]
 *
 * 1. Live turns and replays: every clip of the inventory (live or attack; with `--clips`, those
 *    whose path contains one of the substrings), `--fps` frames a second of its first 15 s in the
 *    640×480 framing of make-y4m.sh.
 * 2. Turning attacks, synthesised (the set has none on video): up to `--stills` stills of the
 *    inventory, one per recording session, each placed in a 640×480 frame as a camera shows it,
 *    printed on a sheet that turns about its vertical axis in front of a pinhole camera (focal 560
 *    px, the sheet 560 px away: a webcam at arm's length): frontal, +45° held, frontal, −45° held,
 *    frontal (SHEET_YAWS), at 10 frames a second, with camera noise (σ 3 grey levels) drawn anew
 *    for each frame. Twice: a flat sheet, and the same sheet bent into a cylinder of radius
 *    1.5 face widths (a sheet held curved, the case a plane fit could miss).
 * 3. The testing worker finds the face in each frame (MediaPipe, IMAGE mode) and reports its yaw,
 *    box and the landmarks the check fits; the bench reads each frame's grey levels itself and
 *    keeps the region around the face the worker would read (`textureRegion`). As the challenge
 *    does, the reference is the last frontal frame (|yaw| ≤ 10°) before the turn, and a sequence's
 *    parallax is the largest residual (in inter-ocular distances) over its first frames turned 15°
 *    or more: by the texture, and by the landmarks under a homography and an affine map.
 * 4. Per kind: sequences, how many reach a 15° turn at all, and the parallax distribution; the
 *    threshold that passes every live turn and what it stops.
 * 5. Each sequence is also replayed through the real `ActiveChallenge`, once asking `turn_left` and
 *    once `turn_right` from its first frame (eyes and mouth at rest: only turns are judged; no
 *    identity samples): `passed`, a failure's code (`planar_motion`, `face_jump`, `step_timeout`),
 *    or `no_turn` when the sequence ended before the turn was made. Once as shipped, and once with
 *    the landmarks' rule alone (`challenge_landmarks_only`: the check before the texture).
 *
 * Results: bench/results/pad-geometry.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startBrowserPipeline } from '../tools/browserPipeline.js';
import { DIST, ROOT } from '../tools/paths.js';
import { planarResidual } from '../workers/session/planarMotion.js';
import { textureParallax } from '../workers/session/textureParallax.js';
import { cropTexture, textureRegion } from '../workers/stages/faceTexture.js';
import type { GrayImage } from '../workers/stages/cardAroundPortrait.js';
import type { Point } from '../workers/stages/pixels.js';
import { ActiveChallenge, DEFAULT_CHALLENGE_LIMITS } from '../workers/session/activeChallenge.js';
import { LIVE, parseInventory, type InventoryLine } from './lib/padSet.js';

const STILL_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.bmp']);
const CAMERA = 'scale=-2:480:flags=lanczos,crop=min(iw\\,640):480,pad=640:480:(ow-iw)/2:0:black,setsar=1';
const WIDTH = 640;
const HEIGHT = 480;
const FOCAL = 560;
const FPS = 10;
const CLIP_SECONDS = 15;
/**
 * Yaw of the sheet over the synthesised sequence (degrees), one value per frame at 10 frames a
 * second: frontal, turned to +45° and held 0.4 s, back to frontal, the same to −45°, frontal again,
 * as an attacker turns a sheet for a prompt and holds it (the mesh reports about half a sheet's
 * turn, so 45° is what a 15° prompt takes).
 */
const SHEET_YAWS = [0, 0, 0, 15, 30, 45, 45, 45, 45, 30, 15, 0, 0, -15, -30, -45, -45, -45, -45, -30, -15, 0, 0];

/** Standard deviation of the camera noise added to each synthesised frame (grey levels; a webcam indoors shows 2–4). */
const SHEET_NOISE = 3;

/** Adds Gaussian noise of {@link SHEET_NOISE} to an RGB frame, seeded (each frame its own draw). */
function addNoise(rgb: Buffer, seed: number): Buffer {
  let state = seed >>> 0 || 1;
  const uniform = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) + 0.5) / 2 ** 32;
  };
  const out = Buffer.alloc(rgb.length);
  for (let i = 0; i < rgb.length; i += 1) {
    const gauss = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    out[i] = Math.min(255, Math.max(0, Math.round(rgb[i]! + SHEET_NOISE * gauss)));
  }
  return out;
}

interface Sequence {
  readonly name: string;
  /** `live`, a species of the inventory (a replay clip), or the synthesised `flat-sheet` / `bent-sheet`. */
  readonly kind: string;
  readonly frames: string[];
}

interface FrameFace {
  readonly yaw: number;
  readonly box: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  readonly parallax: readonly Point[];
  /** The whole frame's grey levels (the texture check reads the face's part, as the worker does). */
  readonly grey: GrayImage;
}

/** Decodes a frame to its grey levels. */
function decodeGrey(file: string): GrayImage {
  const bytes = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', '-'], { maxBuffer: 1 << 26 });
  return { width: WIDTH, height: HEIGHT, data: Float32Array.from(bytes) };
}

/** The texture the worker would keep of a frame's face. */
const textureOf = (face: FrameFace) => cropTexture(face.grey, textureRegion(face.parallax, WIDTH, HEIGHT));

/** The parallax measures compared: the mesh's landmarks under both plane models, and the face's texture. */
const MEASURES = ['projective', 'affine', 'texture'] as const;
type Measure = (typeof MEASURES)[number];

function residual(measure: Measure, reference: FrameFace, face: FrameFace): number | null {
  if (measure === 'texture') return textureParallax(textureOf(reference), reference.parallax, textureOf(face), face.parallax);
  return planarResidual(reference.parallax, face.parallax, measure);
}

/** The two turns a check asks for. */
const TURNS = ['turn_left', 'turn_right'] as const;

/**
 * Replays a sequence through the challenge asking for one turn from its first frame, as the worker
 * would feed it (texture included); `no_turn` when the sequence ends with the step still open.
 */
function replayTurn(faces: readonly (FrameFace | null)[], step: (typeof TURNS)[number], fps: number, judge: 'texture' | 'landmarks'): string {
  // `landmarks`: the texture never measurable, so the landmarks' rule alone decides (before the texture check).
  const challenge = judge === 'texture' ? new ActiveChallenge([step]) : new ActiveChallenge([step], DEFAULT_CHALLENGE_LIMITS, undefined, () => null);
  let state = challenge.state;
  faces.forEach((face, n) => {
    const timestampMs = (n * 1000) / fps;
    if (!face) {
      state = challenge.tick(timestampMs);
      return;
    }
    const { box } = face;
    state = challenge.observe({
      timestampMs,
      blink: { left: 0.05, right: 0.05 },
      mouth: { open: 0, smile: 0 },
      yaw: face.yaw,
      faceCenter: { x: box.x + box.width / 2, y: box.y + box.height / 2 },
      faceSize: Math.max(box.width, box.height),
      parallax: face.parallax,
      texture: textureOf(face),
    });
  });
  return state.status === 'failed' ? state.reason : state.status === 'passed' ? 'passed' : 'no_turn';
}

/** Decodes an image to RGB bytes of the given size. */
function decodeRgb(file: string): Buffer {
  return execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 1 << 26 });
}

/**
 * Renders the 640×480 `source` printed on a sheet turned `yawDegrees` about the vertical axis
 * through the frame's centre, FOCAL px from the camera; with `radius` the sheet is bent into a
 * cylinder of that radius (its middle nearest the camera). Outside the sheet: a dark grey room.
 * Each pixel averages 2×2 rays, each reading the print bilinearly, as a sensor's pixel integrates
 * light (point samples would alias fine patterns into a texture that changes with the turn).
 */
function renderSheet(source: Buffer, yawDegrees: number, radius: number | null): Buffer {
  const out = Buffer.alloc(WIDTH * HEIGHT * 3);
  const t = (yawDegrees * Math.PI) / 180;
  const [cos, sin] = [Math.cos(t), Math.sin(t)];
  const cx = (WIDTH - 1) / 2;
  const cy = (HEIGHT - 1) / 2;
  const ox = FOCAL * sin;
  const oz = -FOCAL * cos;
  // Where the ray through (u, v) meets the sheet, in the print's pixels; null when it misses.
  const onSheet = (u: number, v: number): [number, number] | null => {
    const dx = u - cx;
    const dy = v - cy;
    const rx = dx * cos - FOCAL * sin;
    const rz = dx * sin + FOCAL * cos;
    let sx: number;
    let s: number;
    if (radius === null) {
      // Plane z = 0 of the sheet's frame.
      s = -oz / rz;
      sx = ox + s * rx;
    } else {
      // Cylinder x² + (z − radius)² = radius², nearest intersection; x along the sheet is the arc length.
      const a = rx * rx + rz * rz;
      const b = 2 * (ox * rx + (oz - radius) * rz);
      const c = ox * ox + (oz - radius) ** 2 - radius * radius;
      const disc = b * b - 4 * a * c;
      if (disc < 0) return null;
      s = (-b - Math.sqrt(disc)) / (2 * a);
      const x = ox + s * rx;
      const z = oz + s * rz;
      sx = radius * Math.atan2(x, radius - z);
    }
    if (!(s > 0)) return null;
    const px = sx + cx;
    const py = s * dy + cy;
    return px >= 0 && py >= 0 && px <= WIDTH - 1 && py <= HEIGHT - 1 ? [px, py] : null;
  };
  const colour = [0, 0, 0];
  for (let v = 0; v < HEIGHT; v += 1) {
    for (let u = 0; u < WIDTH; u += 1) {
      colour.fill(0);
      for (const [su, sv] of [[-0.25, -0.25], [0.25, -0.25], [-0.25, 0.25], [0.25, 0.25]] as const) {
        const hit = onSheet(u + su, v + sv);
        if (!hit) {
          for (let c = 0; c < 3; c += 1) colour[c]! += 40 / 4;
          continue;
        }
        const x0 = Math.min(Math.floor(hit[0]), WIDTH - 2);
        const y0 = Math.min(Math.floor(hit[1]), HEIGHT - 2);
        const fx = hit[0] - x0;
        const fy = hit[1] - y0;
        for (let c = 0; c < 3; c += 1) {
          const at = (x: number, y: number) => source[(y * WIDTH + x) * 3 + c]!;
          const top = at(x0, y0) + (at(x0 + 1, y0) - at(x0, y0)) * fx;
          const bottom = at(x0, y0 + 1) + (at(x0 + 1, y0 + 1) - at(x0, y0 + 1)) * fx;
          colour[c]! += (top + (bottom - top) * fy) / 4;
        }
      }
      for (let c = 0; c < 3; c += 1) out[(v * WIDTH + u) * 3 + c] = Math.round(colour[c]!);
    }
  }
  return out;
}

/** Writes 640×480 RGB frames as `<folder>/f000.png`, … with one ffmpeg run. */
function writePngs(frames: readonly Buffer[], folder: string): void {
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${WIDTH}x${HEIGHT}`, '-i', '-', '-start_number', '0', join(folder, 'f%03d.png')], {
    input: Buffer.concat(frames),
    maxBuffer: 1 << 26,
  });
}

/**
 * The parallax of a sequence as the challenge measures it: against the last frontal frame
 * (|yaw| ≤ 10°), the largest residual over the first frames turned 15° or more, as many as a turn
 * held 0.2 s spans at the sequence's frame rate; null when no frame turned far enough after a frontal one.
 */
function sequenceParallax(faces: readonly (FrameFace | null)[], model: Measure, fps: number): { parallax: number | null; maxYaw: number } {
  const { frontalDegrees, turnDegrees } = DEFAULT_CHALLENGE_LIMITS;
  const held = Math.round((DEFAULT_CHALLENGE_LIMITS.holdMs * fps) / 1000) + 1;
  let reference: FrameFace | null = null;
  let parallax: number | null = null;
  let turned = 0;
  let maxYaw = 0;
  for (const face of faces) {
    if (!face || face.parallax.length === 0 || !Number.isFinite(face.yaw)) continue;
    maxYaw = Math.max(maxYaw, Math.abs(face.yaw));
    if (turned >= held) continue;
    if (Math.abs(face.yaw) <= frontalDegrees && turned === 0) reference = face;
    else if (reference && Math.abs(face.yaw) >= turnDegrees) {
      const value = residual(model, reference, face);
      if (value !== null) parallax = Math.max(parallax ?? 0, value);
      turned += 1;
    } else if (turned > 0) turned = held;
  }
  return { parallax, maxYaw };
}

async function main() {
  const { values } = parseArgs({
    options: {
      inventory: { type: 'string' },
      root: { type: 'string' },
      stills: { type: 'string', default: '30' },
      clips: { type: 'string' },
      fps: { type: 'string', default: String(FPS) },
      json: { type: 'boolean', default: false },
    },
  });
  if (!values.inventory || !values.root) throw new TypeError('pad-geometry needs --inventory <file.jsonl> and --root <dir>');
  if (!existsSync(join(DIST, 'testing', 'harness.iife.js'))) throw new Error('dist/testing is missing: run `npm run build` first');
  const root = resolve(values.root);
  const inventory: InventoryLine[] = parseInventory(readFileSync(values.inventory, 'utf8'));
  // One still per recording session (the inventory's optional `session` member; parseInventory keeps only file and label).
  const sessionOf = new Map<string, string>();
  for (const raw of readFileSync(values.inventory, 'utf8').split('\n')) {
    if (!raw.trim()) continue;
    const { file, session } = JSON.parse(raw) as { file: string; session?: string };
    sessionOf.set(file, session ?? file);
  }
  const sessions = new Map<string, InventoryLine>();
  for (const line of inventory) {
    const session = sessionOf.get(line.file) ?? line.file;
    if (STILL_EXTENSIONS.has(extname(line.file).toLowerCase()) && !sessions.has(session)) sessions.set(session, line);
  }
  const stills = [...sessions.values()].slice(0, Number(values.stills));
  const fps = Number(values.fps);
  const dir = mkdtempSync(join(tmpdir(), 'presenza-pad-geometry-'));
  const sequences: Sequence[] = [];
  try {
    // Live clips first: they set the threshold.
    const clipFilter = values.clips?.split(',');
    const clips = inventory
      .map((line, i) => ({ line, i }))
      .filter(({ line }) => !STILL_EXTENSIONS.has(extname(line.file).toLowerCase()) && (!clipFilter || clipFilter.some((c) => line.file.includes(c))))
      .sort((a, b) => Number(b.line.label === LIVE) - Number(a.line.label === LIVE));
    for (const { line, i } of clips) {
      const target = join(dir, `clip${i}`);
      mkdirSync(target);
      execFileSync('ffmpeg', ['-v', 'error', '-t', String(CLIP_SECONDS), '-i', join(root, line.file), '-vf', `fps=${fps},${CAMERA}`, join(target, 'f%03d.png')]);
      sequences.push({ name: line.file, kind: line.label, frames: readdirSync(target).sort().map((f) => `clip${i}/${f}`) });
    }
    for (const [i, line] of stills.entries()) {
      const framed = join(dir, `still${i}.png`);
      execFileSync('ffmpeg', ['-v', 'error', '-i', join(root, line.file), '-vf', CAMERA, '-frames:v', '1', framed]);
      const rgb = decodeRgb(framed);
      for (const [kind, radius] of [['flat-sheet', null], ['bent-sheet', 1.5 * 0.35 * WIDTH]] as const) {
        const target = join(dir, `${kind}${i}`);
        mkdirSync(target);
        writePngs(SHEET_YAWS.map((yaw, n) => addNoise(renderSheet(rgb, yaw, radius), 1 + n + 100 * i)), target);
        const frames = SHEET_YAWS.map((_, n) => `${kind}${i}/f${String(n).padStart(3, '0')}.png`);
        sequences.push({ name: `${line.file} (${line.label}) as a ${kind}`, kind, frames });
      }
    }
    console.error(`${sequences.length} sequences, ${sequences.reduce((n, s) => n + s.frames.length, 0)} frames`);
    const pipeline = await startBrowserPipeline({ imageRoot: dir, threads: 1 });
    const measured: Measured[] = [];
    try {
      for (const sequence of sequences) {
        const probes = await pipeline.livenessProbe(sequence.frames, []);
        const faces = probes.map((p, n) =>
          p.parallax && p.parallax.length > 0 && p.pose && p.box ? { yaw: p.pose.yaw, box: p.box, parallax: p.parallax, grey: decodeGrey(join(dir, sequence.frames[n]!)) } : null,
        );
        const rate = sequence.kind.endsWith('-sheet') ? FPS : fps;
        const results = MEASURES.map((measure) => sequenceParallax(faces, measure, rate));
        const [projective, affine, texture] = results.map((r) => r.parallax) as [number | null, number | null, number | null];
        const replay = (judge: 'texture' | 'landmarks') => Object.fromEntries(TURNS.map((step) => [step, replayTurn(faces, step, rate, judge)])) as Record<(typeof TURNS)[number], string>;
        const challenge = replay('texture');
        const landmarksOnly = replay('landmarks');
        measured.push({ name: sequence.name, kind: sequence.kind, maxYaw: results[0]!.maxYaw, projective, affine, texture, challenge, challenge_landmarks_only: landmarksOnly });
        const show = (v: number | null) => v?.toFixed(3) ?? '—';
        console.error(
          `  ${sequence.kind.padEnd(13)} max |yaw| ${results[0]!.maxYaw.toFixed(0).padStart(3)}°  parallax ${show(projective)} (affine ${show(affine)}, texture ${show(texture)})  challenge ${challenge.turn_left} / ${challenge.turn_right} (landmarks only ${landmarksOnly.turn_left} / ${landmarksOnly.turn_right})  ${sequence.name}`,
        );
      }
    } finally {
      await pipeline.close();
    }
    report(measured, values.json!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One sequence's largest parallax while turned, by each measure (null: no countable turn). */
type Turns = Record<(typeof TURNS)[number], string>;
type Measured = { name: string; kind: string; maxYaw: number; challenge: Turns; challenge_landmarks_only: Turns } & Record<Measure, number | null>;

function report(measured: Measured[], json: boolean) {
  const kinds = [...new Set(measured.map((m) => m.kind))];
  const summary = MEASURES.map((model) => {
    const liveTurns = measured.filter((m) => m.kind === LIVE && m[model] !== null).map((m) => m[model]!);
    // The largest threshold that passes every live turn measured here.
    const threshold = liveTurns.length ? Math.min(...liveTurns) : Number.NaN;
    const perKind = Object.fromEntries(
      kinds.map((kind) => {
        const of = measured.filter((m) => m.kind === kind);
        const turned = of.filter((m) => m[model] !== null);
        const values = turned.map((m) => m[model]!).sort((a, b) => a - b);
        return [
          kind,
          {
            sequences: of.length,
            turned_15: turned.length,
            parallax_min: values[0] ?? null,
            parallax_median: values.length ? values[Math.floor(values.length / 2)]! : null,
            parallax_max: values[values.length - 1] ?? null,
            below_live_min: values.filter((v) => v < threshold).length,
          },
        ];
      }),
    );
    return { model, live_turn_min: threshold, per_kind: perKind };
  });
  for (const s of summary) {
    console.log(`\n${s.model} fit: smallest live-turn parallax ${s.live_turn_min.toFixed(3)}`);
    for (const [kind, k] of Object.entries(s.per_kind)) {
      console.log(
        `  ${kind.padEnd(14)} ${String(k.sequences).padStart(3)} sequences, ${String(k.turned_15).padStart(3)} turned ≥ 15°; parallax min ${k.parallax_min?.toFixed(3) ?? '—'} median ${k.parallax_median?.toFixed(3) ?? '—'} max ${k.parallax_max?.toFixed(3) ?? '—'}; below the live minimum ${k.below_live_min}`,
      );
    }
  }
  // What the challenge made of each kind's turns (both directions of every sequence), as shipped and by the landmarks alone.
  const outcomesOf = (of: 'challenge' | 'challenge_landmarks_only') =>
    Object.fromEntries(
      kinds.map((kind) => {
        const outcomes: Record<string, number> = {};
        for (const m of measured.filter((x) => x.kind === kind)) for (const step of TURNS) outcomes[m[of][step]] = (outcomes[m[of][step]] ?? 0) + 1;
        return [kind, outcomes];
      }),
    );
  const challenge = outcomesOf('challenge');
  const landmarksOnly = outcomesOf('challenge_landmarks_only');
  console.log('\nthrough ActiveChallenge (turn_left and turn_right of each sequence), as shipped | landmarks only:');
  const show = (outcomes: Record<string, number>) => Object.entries(outcomes).map(([o, n]) => `${o} ${n}`).join(', ');
  for (const kind of kinds) console.log(`  ${kind.padEnd(14)} ${show(challenge[kind]!)} | ${show(landmarksOnly[kind]!)}`);
  const record = { date: new Date().toISOString(), sheet_yaws: SHEET_YAWS, summary, challenge, challenge_landmarks_only: landmarksOnly, sequences: measured };
  const out = join(ROOT, 'bench', 'results', 'pad-geometry.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(record, null, 1)}\n`);
  console.log(`saved ${out}`);
  if (json) console.log(JSON.stringify(record));
}

await main();
