/**
 * Presentation-attack detection through the real `check()` in Chromium, on any labelled set.
 * Usage:
 *
 *   npm run bench:pad -- --inventory <file.jsonl> --root <dir> [--policy default|passive|active|both]
 *                        [--framing padded|alone] [--parallel N] [--only <substring>] [--limit N]
 *                        [--cache <dir>] [--name <suffix>] [--json]
 *
 * The inventory has one JSON object per line, `{"file": <path under root>, "label": "live" |
 * <attack species>}` (other members are ignored); bench/pad-set.ts writes one for the
 * development set. For every sample:
 *
 * 1. The device is enrolled with liveness off from the sample's own face (a still as it is; a
 *    frame 1 s into a clip), standing in for the real student's enrollment, so that only
 *    liveness, not the face match, decides.
 * 2. A clip plays as Chromium's fake webcam (../shared/faces/videos/make-y4m.sh: 640×480, 15 fps,
 *    its first 10 s, looped). A still is shown as a camera: the SDK's `camera` option yields the
 *    still placed in a 640×480 frame the way make-y4m.sh places it (full height, centred, side
 *    edges cut or black bars), over and over; that saves a browser per still. With
 *    `--framing alone` the still is the camera's frame as it is (its own size, no padding), and
 *    the run counts the stills whose verdict differs from the padded run of the same policy
 *    (read from the cache: run the padded framing first).
 * 3. `check()` runs with `--policy` (`default`: the SDK's own default) and its outcome, reason
 *    and liveness result are kept.
 *
 * Results are cached per sample under `--cache` (default `<root>/.pad-cache`), keyed by the
 * sample's bytes, the policy, the built SDK and models/manifest.json, so an interrupted run
 * resumes and a rerun after a change re-checks everything. APCER counts attacks whose liveness
 * passed; BPCER counts live samples whose liveness did not pass, undecided ones included. The
 * summary is saved to bench/results/pad-<policy>.json (pad-<policy>-alone.json for `--framing alone`;
 * `--name live-turns` appends `-live-turns`, so a run on part of a set leaves the full set's file
 * alone); with `--json` the last line printed is
 * `{apcer, bpcer, per_species: {species: {attacks, passed, …}}, samples: [{file, label, outcome,
 * reason, liveness, failure}], …}` (`failure`: the check's liveness failure code, e.g. `anti_spoof`,
 * `step_timeout`, or null).
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createChallenge } from '../src/server/challenge.js';
import { LIVENESS_POLICIES } from '../src/protocol/liveness.js';
import { CHROMIUM } from '../tools/chromium.js';
import { DIST, FACES, ROOT } from '../tools/paths.js';
import { startOrigins, type Origins } from '../tools/origins.js';
import { cameraArgs } from '../e2e/support/fakeCamera.js';
import { AUDIENCE } from '../e2e/support/sdkPage.js';
import { LIVE, padRates, paddingFlips, parseInventory, type InventoryLine, type SampleResult } from './lib/padSet.js';

const STILL_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.bmp']);
/** Seconds of a clip played as the webcam (looped). */
const CLIP_SECONDS = 10;
const MAKE_Y4M = join(FACES, 'videos', 'make-y4m.sh');
const DAY = 86_400_000;

type Policy = 'default' | (typeof LIVENESS_POLICIES)[number];
/** How a still is shown: placed in a 640×480 frame as make-y4m.sh does, or as it is. */
type Framing = 'padded' | 'alone';

/** URL prefixes the site origin serves the set and the cache under. */
const SET_URL = '/pad-set/';
const CACHE_URL = '/pad-cache/';
const urlOf = (prefix: string, file: string) => prefix + file.split('/').map(encodeURIComponent).join('/');

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** Opens the platform page with an SDK instance; `window.__name` is defined for tsx-compiled callbacks. */
async function openPage(browser: Browser, origins: Origins): Promise<Page> {
  const page = await browser.newPage();
  await page.addInitScript(() => void ((window as unknown as { __name: (f: unknown) => unknown }).__name = (f) => f));
  await page.goto(`${origins.site.origin}/sdk.html`);
  await page.evaluate(async (audience) => {
    (window as unknown as { sdk: unknown }).sdk = await window.Presenza.create({ audience });
  }, AUDIENCE);
  return page;
}

type Sdk = Awaited<ReturnType<typeof window.Presenza.create>>;

/**
 * Enrolls from the image at `enrollUrl` with liveness off, then checks with `policy` from the
 * webcam, or from the still at `stillUrl` placed in a 640×480 frame. Never throws: a failed
 * enrollment or a broken run comes back as outcome `error` with its message as the reason.
 */
function enrollAndCheck(page: Page, args: { enrollUrl: string; stillUrl?: string; alone?: boolean; policy: Policy; retainUntil: number; enrollNonce: string; checkNonce: string }) {
  return page.evaluate(async ({ enrollUrl, stillUrl, alone, policy, retainUntil, enrollNonce, checkNonce }) => {
    const sdk = (window as unknown as { sdk: Sdk }).sdk;
    const repeat = (blob: Blob) => ({ frames: async function* () { for (;;) yield blob; } });
    const fetchBlob = async (url: string) => (await fetch(url)).blob();
    try {
      await sdk.enroll({ enrollmentId: 'student-42', nonce: enrollNonce, retainUntil, camera: repeat(await fetchBlob(enrollUrl)), liveness: 'off' });
    } catch (error) {
      const e = error as { code?: string; message?: string };
      return { outcome: 'error', reason: `enrollment: ${e.code ?? e.message}`, liveness: 'not_run', failure: null };
    }
    let camera: ReturnType<typeof repeat> | undefined;
    if (stillUrl && alone) camera = repeat(await fetchBlob(stillUrl));
    else if (stillUrl) {
      // The still as make-y4m.sh's `auto` fit places it: scaled to 480 px high, centred, side
      // edges cut when wider than 640, black bars when narrower.
      const bitmap = await createImageBitmap(await fetchBlob(stillUrl));
      const width = Math.round((bitmap.width * 480) / bitmap.height);
      const canvas = new OffscreenCanvas(640, 480);
      const context = canvas.getContext('2d')!;
      context.fillStyle = 'black';
      context.fillRect(0, 0, 640, 480);
      context.drawImage(bitmap, Math.round((640 - width) / 2), 0, width, 480);
      camera = repeat(await canvas.convertToBlob({ type: 'image/png' }));
    }
    try {
      const result = await sdk.check({ checkId: 'pad', nonce: checkNonce, ...(policy === 'default' ? {} : { liveness: policy }), ...(camera ? { camera } : {}) });
      return { outcome: result.outcome, reason: result.reason ?? null, liveness: result.liveness, failure: result.livenessFailure ?? null };
    } catch (error) {
      const e = error as { code?: string; message?: string };
      return { outcome: 'error', reason: `check: ${e.code ?? e.message}`, liveness: 'not_run', failure: null };
    }
  }, args);
}

function main(): Promise<void> | void {
  const { values } = parseArgs({
    options: {
      inventory: { type: 'string' },
      root: { type: 'string' },
      policy: { type: 'string', default: 'default' },
      framing: { type: 'string', default: 'padded' },
      parallel: { type: 'string', default: '1' },
      only: { type: 'string' },
      limit: { type: 'string' },
      cache: { type: 'string' },
      name: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (!values.inventory || !values.root) throw new TypeError('bench:pad needs --inventory <file.jsonl> and --root <dir>');
  const policy = values.policy as Policy;
  if (policy !== 'default' && !(LIVENESS_POLICIES as readonly string[]).includes(policy)) {
    throw new TypeError(`--policy must be default or one of ${LIVENESS_POLICIES.join(', ')}`);
  }
  const framing = values.framing as Framing;
  if (framing !== 'padded' && framing !== 'alone') throw new TypeError('--framing must be padded or alone');
  const parallel = Number(values.parallel);
  if (!(Number.isInteger(parallel) && parallel > 0)) throw new TypeError('--parallel must be a positive integer');
  const limit = values.limit === undefined ? Infinity : Number(values.limit);
  if (!(limit > 0)) throw new TypeError('--limit must be a positive number');
  if (!existsSync(join(DIST, 'presenza.iife.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const root = resolve(values.root);
  const cache = resolve(values.cache ?? join(root, '.pad-cache'));
  if (values.name !== undefined && !/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(values.name)) throw new TypeError('--name must be lowercase letters, digits and single hyphens (a file-name suffix)');
  const inventory = parseInventory(readFileSync(values.inventory, 'utf8'));
  for (const line of inventory) if (!existsSync(join(root, line.file))) throw new Error(`${line.file} is not under ${root}`);
  return run({ inventory, root, cache, policy, framing, parallel, only: values.only, limit, name: values.name, json: values.json! });
}

async function run(options: { inventory: InventoryLine[]; root: string; cache: string; policy: Policy; framing: Framing; parallel: number; only?: string; limit: number; name?: string; json: boolean }) {
  const { root, cache, policy, framing } = options;
  const isStill = (line: InventoryLine) => STILL_EXTENSIONS.has(extname(line.file).toLowerCase());
  // Only stills can be shown alone: clips are always the webcam's 640×480 frames.
  const inventory = framing === 'alone' ? options.inventory.filter(isStill) : options.inventory;
  mkdirSync(join(cache, 'results'), { recursive: true });
  // A change to the SDK build or to the models re-checks every sample.
  const build = sha256(readFileSync(join(DIST, 'presenza.iife.js')) + readFileSync(join(ROOT, 'models', 'manifest.json'), 'utf8'));
  // The padded framing keeps the key it had before framings existed, so earlier caches stay valid.
  const keyOf = (line: InventoryLine, of: Framing = framing) =>
    sha256(`${build}\n${policy}${of === 'alone' ? '\nalone' : ''}\n${sha256(readFileSync(join(root, line.file)))}`);
  const resultPath = (line: InventoryLine, of: Framing = framing) => join(cache, 'results', `${keyOf(line, of)}.json`);
  const cached = (line: InventoryLine, of: Framing = framing): SampleResult | undefined =>
    existsSync(resultPath(line, of)) ? { ...(JSON.parse(readFileSync(resultPath(line, of), 'utf8')) as SampleResult), file: line.file, label: line.label } : undefined;

  // In a fixed pseudo-random order, so that a run cut short (or --limit) still spans every source.
  const todo = inventory
    .filter((line) => !cached(line) && (!options.only || line.file.includes(options.only)))
    .sort((a, b) => sha256(a.file).localeCompare(sha256(b.file)))
    .slice(0, options.limit);
  console.error(`${inventory.length} samples, ${inventory.length - todo.length} already checked or skipped, checking ${todo.length} with policy ${policy}, framing ${framing}…`);

  const origins = await startOrigins({ mounts: { [SET_URL]: root, [CACHE_URL]: cache } });
  const save = (line: InventoryLine, result: Omit<SampleResult, 'file' | 'label'>, ms: number) => {
    writeFileSync(resultPath(line), JSON.stringify(result));
    console.error(`  ${line.label.padEnd(14)} ${line.file}: liveness ${result.liveness} (${result.outcome}${result.reason ? `/${result.reason}` : ''}) in ${(ms / 1000).toFixed(1)} s`);
  };
  const stamp = () => ({ retainUntil: Date.now() + DAY, enrollNonce: createChallenge(), checkNonce: createChallenge() });
  try {
    const stills = todo.filter(isStill);
    const clips = todo.filter((line) => !stills.includes(line));
    if (stills.length > 0) {
      // Stills need no webcam: one browser for all of them, with `--parallel` pages (each its own
      // context, so its own enrollment) taking stills from one queue. A check of a still mostly
      // waits for a gesture it cannot make, so pages in parallel save time, not CPU.
      const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: cameraArgs() });
      try {
        const queue = [...stills];
        const worker = async () => {
          const page = await openPage(browser, origins);
          for (let line = queue.shift(); line; line = queue.shift()) {
            const start = performance.now();
            const url = urlOf(SET_URL, line.file);
            save(line, await enrollAndCheck(page, { enrollUrl: url, stillUrl: url, alone: framing === 'alone', policy, ...stamp() }), performance.now() - start);
          }
        };
        await Promise.all(Array.from({ length: Math.min(options.parallel, stills.length) }, worker));
      } finally {
        await browser.close();
      }
    }
    for (const line of clips) {
      const start = performance.now();
      const key = keyOf(line);
      const camera = join(cache, `${key}.y4m`);
      const enrollFrame = `${key}-enroll.png`;
      try {
        execFileSync(MAKE_Y4M, [join(root, line.file), camera, '--seconds', String(CLIP_SECONDS)], { stdio: 'pipe' });
        // The enrollment photo: the camera's own frame 1 s in (same framing as the check sees).
        execFileSync('ffmpeg', ['-v', 'error', '-y', '-ss', '1', '-i', camera, '-frames:v', '1', join(cache, enrollFrame)]);
        const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: cameraArgs({ file: camera }) });
        try {
          const page = await openPage(browser, origins);
          save(line, await enrollAndCheck(page, { enrollUrl: urlOf(CACHE_URL, enrollFrame), policy, ...stamp() }), performance.now() - start);
        } finally {
          await browser.close();
        }
      } finally {
        rmSync(camera, { force: true });
        rmSync(join(cache, enrollFrame), { force: true });
      }
    }
  } finally {
    await origins.close();
  }

  // Every line of the inventory, undecided ones included (a sample not run yet is `not_run`).
  const samples: SampleResult[] = inventory.map(
    (line) => cached(line) ?? { file: line.file, label: line.label, outcome: 'not_checked', reason: null, liveness: 'not_run' },
  );
  const notChecked = samples.filter((s) => s.outcome === 'not_checked').length;
  const rates = padRates(samples.filter((s) => s.outcome !== 'not_checked'));
  const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : 'n/a');
  const ci = ([lo, hi]: [number, number]) => `[${pct(lo)}, ${pct(hi)}]`;
  console.log(`\npolicy ${policy}: ${samples.length - notChecked} of ${samples.length} samples checked${notChecked ? ` (${notChecked} not yet: rerun to continue)` : ''}`);
  console.log(`APCER ${pct(rates.apcer)} ${ci(rates.apcer_ci95)}   BPCER ${pct(rates.bpcer)} ${ci(rates.bpcer_ci95)} (${rates.live_rejected}/${rates.live} live, ${rates.live_undecided} undecided)`);
  for (const [species, r] of Object.entries(rates.per_species)) {
    console.log(`  ${species.padEnd(14)} ${String(r.passed).padStart(3)}/${String(r.attacks).padEnd(3)} passed  APCER ${pct(r.apcer)} ${ci(r.ci95)}`);
  }
  const reasons = new Map<string, number>();
  for (const s of samples) {
    if (s.label !== LIVE || s.outcome === 'not_checked' || s.liveness === 'passed') continue;
    const why = `${s.outcome}/${s.reason}${s.failure ? `/${s.failure}` : ''}`;
    reasons.set(why, (reasons.get(why) ?? 0) + 1);
  }
  if (reasons.size > 0) console.log(`  live not passed: ${[...reasons].map(([r, n]) => `${r} ×${n}`).join(', ')}`);

  const flips = framing === 'alone' ? paddingFlips(samples, inventory.map((line) => cached(line, 'padded'))) : undefined;
  if (flips) {
    console.log(`padding: ${flips.flipped.length} of ${flips.compared} stills decided in both framings changed verdict (liveness passed or not)${flips.missing ? `; ${flips.missing} not run padded yet` : ''}`);
  }
  const record = { date: new Date().toISOString(), policy, framing, build: build.slice(0, 12), not_checked: notChecked, ...rates, ...(flips ? { padding_flips: flips } : {}), samples };
  const out = join(ROOT, 'bench', 'results', `pad-${policy}${framing === 'alone' ? '-alone' : ''}${options.name ? `-${options.name}` : ''}.json`);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(out, `${JSON.stringify(record, null, 1)}\n`);
  console.log(`saved ${out}`);
  if (options.json) console.log(JSON.stringify(record));
}

await main();
