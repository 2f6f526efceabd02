/**
 * Why the passive verdict on a still changes with its framing. Usage:
 *
 *   npx tsx bench/pad-framing.ts --inventory <file.jsonl> --root <dir> [--threshold 0.02] [--json]
 *
 * Every still of the inventory is scored by the shipped passive stage (the testing worker's
 * liveness probe: MediaPipe's face box, the shipped window and tensor) in three framings, made
 * with ffmpeg (bilinear, as a canvas draws):
 *
 * - `alone`: the still as it is (bench:pad `--framing alone`);
 * - `scaled`: the still scaled to 480 px high, side edges cut beyond 640 px, no black bars;
 * - `padded`: `scaled` placed in a 640×480 frame with black side bars (bench:pad's default framing).
 *
 * `alone` → `scaled` changes only the scale and the resampling; `scaled` → `padded` changes only
 * what lies around the picture. Counting the stills whose verdict (score ≥ threshold) flips
 * across each step tells which of the two moves verdicts. Results, with every still's three
 * scores: bench/results/pad-framing.json.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { startBrowserPipeline } from '../tools/browserPipeline.js';
import { DIST, ROOT } from '../tools/paths.js';
import { SHIPPED_LIVENESS_INPUT } from '../testing/livenessInputs.js';
import { LIVE, parseInventory } from './lib/padSet.js';

const execFileAsync = promisify(execFile);
const STILL_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.bmp']);
const FRAMINGS = {
  alone: 'format=rgb24',
  scaled: 'scale=-2:480:flags=bilinear,crop=min(iw\\,640):480,format=rgb24',
  padded: 'scale=-2:480:flags=bilinear,crop=min(iw\\,640):480,pad=640:480:(ow-iw)/2:0:black,format=rgb24',
} as const;
type Framing = keyof typeof FRAMINGS;
const NAMES = Object.keys(FRAMINGS) as Framing[];

async function main() {
  const { values } = parseArgs({
    options: {
      inventory: { type: 'string' },
      root: { type: 'string' },
      threshold: { type: 'string', default: '0.02' },
      json: { type: 'boolean', default: false },
    },
  });
  if (!values.inventory || !values.root) throw new TypeError('pad-framing needs --inventory <file.jsonl> and --root <dir>');
  const threshold = Number(values.threshold);
  if (!(threshold > 0 && threshold < 1)) throw new TypeError('--threshold must be between 0 and 1');
  if (!existsSync(join(DIST, 'testing', 'harness.iife.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const root = resolve(values.root);
  const stills = parseInventory(readFileSync(values.inventory, 'utf8')).filter((l) => STILL_EXTENSIONS.has(extname(l.file).toLowerCase()));
  const work = mkdtempSync(join(tmpdir(), 'pad-framing-'));
  try {
    const names = (i: number) => NAMES.map((f) => `${String(i).padStart(4, '0')}-${f}.png`);
    for (const [i, line] of stills.entries()) {
      await Promise.all(NAMES.map((f, k) => execFileAsync('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-i', join(root, line.file), '-vf', FRAMINGS[f], join(work, names(i)[k]!)])));
    }
    console.error(`${stills.length} stills in ${NAMES.length} framings; scoring…`);
    const pipeline = await startBrowserPipeline({ imageRoot: work });
    const scores = new Map<string, number | null>();
    try {
      const files = stills.flatMap((_, i) => names(i));
      for (let i = 0; i < files.length; i += 60) {
        const chunk = files.slice(i, i + 60);
        const probes = await pipeline.livenessProbe(chunk, [SHIPPED_LIVENESS_INPUT]);
        chunk.forEach((file, j) => scores.set(file, probes[j]!.outputs?.[0]!.probabilities[0] ?? null));
      }
    } finally {
      await pipeline.close();
    }
    const samples = stills.map((line, i) => ({
      file: line.file,
      label: line.label,
      ...Object.fromEntries(NAMES.map((f, k) => [f, scores.get(names(i)[k]!) ?? null])),
    })) as ({ file: string; label: string } & Record<Framing, number | null>)[];
    const passes = (x: number | null) => x !== null && x >= threshold;
    const flips = (a: Framing, b: Framing) => {
      const both = samples.filter((s) => s[a] !== null && s[b] !== null);
      return { compared: both.length, flipped: both.filter((s) => passes(s[a]) !== passes(s[b])).length };
    };
    const rates = Object.fromEntries(
      NAMES.map((f) => {
        const found = samples.filter((s) => s[f] !== null);
        const live = found.filter((s) => s.label === LIVE);
        const attacks = found.filter((s) => s.label !== LIVE);
        return [f, { live: live.length, live_rejected: live.filter((s) => !passes(s[f])).length, attacks: attacks.length, attacks_passed: attacks.filter((s) => passes(s[f])).length }];
      }),
    );
    const record = {
      date: new Date().toISOString(),
      threshold,
      stills: stills.length,
      flips: { 'alone→scaled': flips('alone', 'scaled'), 'scaled→padded': flips('scaled', 'padded'), 'alone→padded': flips('alone', 'padded') },
      rates,
      samples,
    };
    for (const [step, f] of Object.entries(record.flips)) console.log(`${step.padEnd(14)} ${f.flipped} of ${f.compared} stills change verdict at ${threshold}`);
    for (const [f, r] of Object.entries(rates)) console.log(`${f.padEnd(7)} live rejected ${r.live_rejected}/${r.live}, attacks passed ${r.attacks_passed}/${r.attacks}`);
    const out = join(ROOT, 'bench', 'results', 'pad-framing.json');
    writeFileSync(out, `${JSON.stringify(record, null, 1)}\n`);
    console.log(`saved ${out}`);
    if (values.json) console.log(JSON.stringify(record));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
