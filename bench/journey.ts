/**
 * The student's journey on the demo page, timed: a live clip of ../shared/faces/videos plays as
 * Chromium's webcam, the student opens the lesson page, enrolls (click on "Use the face check" to
 * the enrolled screen, the key registered at the service), then answers `--checks` checks the
 * teacher sends (click to the result shown, the answer recorded). The real demo service, pages,
 * SDK build and default liveness policy (`both`: gestures and the anti-spoof model).
 *
 *   npm run build && flock /tmp/presenza-bench.lock npx tsx bench/journey.ts [--clip anit-spoofing/real.mov] [--seconds 14] [--checks 3] [--label after] [--json]
 *
 * Where the seconds go, per journey, measured in the page (no change to the SDK): the worker calls
 * (Comlink messages to and from the face worker: model load, each frame, finish = compare + sign),
 * the element's screens, its `presenza-frame` events (face found, good frames collected, each
 * gesture prompted and seen) and the page's API calls (network + server). A looping clip makes
 * its gestures at fixed moments, so each gesture's time is split into the wait for the clip to
 * reach that gesture after the prompt (from the clip's measured gesture times in
 * videos/manifest.json, with the clip's start taken as the camera's opening) and the rest, which is
 * the system's own delay. Results: bench/results/journey-<label>.json, with the load average.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { demoSession, startDemoServer } from '../e2e/support/demoServer.js';
import { cameraArgs, fakeCameraFile } from '../e2e/support/fakeCamera.js';
import { CHROMIUM } from '../tools/chromium.js';
import { FACES, ROOT } from '../tools/paths.js';

const { values } = parseArgs({
  options: {
    clip: { type: 'string', default: 'anit-spoofing/real.mov' },
    seconds: { type: 'string', default: '14' },
    checks: { type: 'string', default: '3' },
    label: { type: 'string', default: 'current' },
    json: { type: 'boolean', default: false },
  },
});
const CHECKS = Number(values.checks);
/** The element's default number of attempts (src/ui/options.ts). */
const MAX_ATTEMPTS = 3;
const CLIP_SECONDS = Number(values.seconds);
if (!(Number.isInteger(CHECKS) && CHECKS > 0)) throw new TypeError('--checks must be a positive integer');
if (!(CLIP_SECONDS > 0)) throw new TypeError('--seconds must be positive');
if (!/^[\w-]+$/.test(values.label)) throw new TypeError('--label: letters, digits, - and _ only');

interface ClipAnalysis {
  readonly blink_times_s: readonly number[];
  readonly left_turn_s: readonly (readonly [number, number])[];
  readonly right_turn_s: readonly (readonly [number, number])[];
}
const manifest = JSON.parse(readFileSync(join(FACES, 'videos', 'manifest.json'), 'utf8')) as { file: string; analysis: ClipAnalysis }[];
const clip = manifest.find((entry) => entry.file === values.clip);
if (!clip) throw new TypeError(`--clip: ${values.clip} is not in ../shared/faces/videos/manifest.json`);

/**
 * Records, in the page, with `performance.now()`: every Comlink call to a worker and its reply,
 * the element's screens, its frame and result events, the page's API calls and the student's clicks.
 * A plain string: tsx would otherwise add helpers the page lacks.
 */
const INSTRUMENT = `
(() => {
  const log = (window.__journey = []);
  const now = () => performance.now();
  const pending = new Map();
  const NativeWorker = window.Worker;
  window.Worker = class extends NativeWorker {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        const id = event.data && event.data.id;
        const call = pending.get(id);
        if (!call) return;
        pending.delete(id);
        log.push({ t: now(), kind: 'worker', method: call.method, ms: now() - call.t, error: event.data.type === 'HANDLER' });
      });
    }
    postMessage(message, ...rest) {
      if (message && message.id && Array.isArray(message.path) && message.path.length) pending.set(message.id, { method: message.path.join('.'), t: now() });
      return super.postMessage(message, ...rest);
    }
  };
  const nativeFetch = window.fetch;
  window.fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input.url, location.href);
    const started = now();
    try {
      return await nativeFetch(input, init);
    } finally {
      if (url.pathname.startsWith('/api/')) log.push({ t: now(), kind: 'api', method: (init && init.method) || 'GET', path: url.pathname, ms: now() - started });
    }
  };
  addEventListener('click', (event) => {
    const target = event.composedPath()[0];
    log.push({ t: now(), kind: 'click', text: target && target.textContent ? target.textContent.trim() : '' });
  }, true);
  addEventListener('presenza-frame', (event) => {
    const p = event.detail;
    log.push({ t: now(), kind: 'frame', face: !p.verdict.issues.includes('no_face'), ok: p.verdict.ok, collected: p.collected, needed: p.needed, done: p.done,
      step: p.liveness && p.liveness.step, stepIndex: p.liveness && p.liveness.stepIndex, steps: p.liveness && p.liveness.steps, liveness: p.liveness && p.liveness.status, failure: p.liveness && p.liveness.failure });
  });
  addEventListener('presenza-result', (event) => {
    const d = event.detail;
    log.push({ t: now(), kind: 'result', operation: d.operation, outcome: d.result && (d.result.outcome || (d.result.assertion ? 'enrolled' : undefined)), reason: d.result && d.result.reason, error: d.error && d.error.code });
  });
  new MutationObserver((records) => {
    for (const record of records) if (record.target.localName === 'presenza-check') log.push({ t: now(), kind: 'screen', state: record.target.getAttribute('state') });
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['state'] });
})();
`;

type Entry =
  | { t: number; kind: 'worker'; method: string; ms: number; error: boolean }
  | { t: number; kind: 'api'; method: string; path: string; ms: number }
  | { t: number; kind: 'click'; text: string }
  | { t: number; kind: 'frame'; face: boolean; ok: boolean; collected: number; needed: number; done: boolean; step?: string; stepIndex?: number; steps?: number; liveness?: string; failure?: string }
  | { t: number; kind: 'result'; operation: string; outcome?: string; reason?: string; error?: string }
  | { t: number; kind: 'screen'; state: string };

const round = (ms: number) => Math.round(ms);
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)]! : NaN;
};

/** A turn held this long counts (the challenge's `holdMs`, 200 ms, plus a frame). */
const TURN_HOLD_S = 0.3;

/**
 * Seconds from clip time `at` (looping every `length` s) until the clip makes the gesture: 0 inside
 * a turn still held long enough, else the time to the next blink or turn start.
 */
function clipWait(at: number, windows: readonly (readonly [number, number])[], length: number): number {
  const phase = at % length;
  if (windows.some(([from, to]) => from <= phase && phase <= to - TURN_HOLD_S)) return 0;
  return Math.min(...windows.map(([from]) => (from >= phase ? from - phase : from + length - phase)));
}

/** When the clip makes each gesture (seconds from its start): blinks as instants, turns as intervals. */
function gestureWindows(step: string): (readonly [number, number])[] {
  const a = clip!.analysis;
  if (step === 'blink') return a.blink_times_s.filter((s) => s < CLIP_SECONDS).map((s) => [s, s] as const);
  // The manifest names turns as the person makes them, as the challenge does.
  const turns = step === 'turn_left' ? a.left_turn_s : step === 'turn_right' ? a.right_turn_s : [];
  return turns.filter(([from]) => from < CLIP_SECONDS).map(([from, to]) => [from, Math.min(to, CLIP_SECONDS)] as const);
}

/** One operation's timeline, from the student's click to the answer recorded, in ms from the click. */
function phases(log: Entry[], from: number, operation: 'enroll' | 'check', postPath: RegExp) {
  const events = log.filter((e) => e.t >= from);
  const click = events.find((e) => e.kind === 'click')!;
  const at = (e: Entry | undefined) => (e ? round(e.t - click.t) : null);
  const frames = events.filter((e): e is Extract<Entry, { kind: 'frame' }> => e.kind === 'frame');
  const result = events.find((e): e is Extract<Entry, { kind: 'result' }> => e.kind === 'result');
  const post = events.find((e): e is Extract<Entry, { kind: 'api' }> => e.kind === 'api' && e.method === 'POST' && postPath.test(e.path) && e.t >= (result?.t ?? 0));
  const shown = events.find((e) => e.kind === 'screen' && ['enrolled', 'passed', 'failed', 'inconclusive'].includes((e as { state: string }).state));
  const camera = events.find((e) => e.kind === 'screen' && (e as { state: string }).state === 'capturing');
  const calls = events.filter((e): e is Extract<Entry, { kind: 'worker' }> => e.kind === 'worker' && e.t <= (result?.t ?? Infinity));
  const submits = calls.filter((c) => c.method === 'submitFrame');
  const finish = calls.find((c) => c.method === (operation === 'enroll' ? 'finishEnrollment' : 'finishCheck'));
  const begin = calls.find((c) => c.method === (operation === 'enroll' ? 'beginEnrollment' : 'beginCheck'));
  const gestures: { step: string; prompted: number; seen: number | null; ms: number | null; clipWaitMs: number | null; systemMs: number | null }[] = [];
  for (const frame of frames) {
    if (frame.step === undefined || frame.stepIndex === undefined) continue;
    if (!gestures[frame.stepIndex] || gestures[frame.stepIndex]!.step !== frame.step) gestures[frame.stepIndex] = { step: frame.step, prompted: frame.t, seen: null, ms: null, clipWaitMs: null, systemMs: null };
  }
  for (const [index, gesture] of gestures.entries()) {
    const next = frames.find((f) => f.t > gesture.prompted && (f.done || (f.stepIndex ?? -1) > index || (f.liveness === 'pending' && f.step === undefined)));
    gesture.seen = next ? next.t : null;
    gesture.ms = next ? round(next.t - gesture.prompted) : null;
    const windows = gestureWindows(gesture.step);
    if (camera && windows.length) {
      gesture.clipWaitMs = round(1000 * clipWait((gesture.prompted - camera.t) / 1000, windows, CLIP_SECONDS));
      gesture.systemMs = gesture.ms === null ? null : gesture.ms - gesture.clipWaitMs;
    }
    gesture.prompted = round(gesture.prompted - click.t);
    if (gesture.seen !== null) gesture.seen = round(gesture.seen - click.t);
  }
  const keptFrames = frames.filter((f, i) => f.collected > (frames[i - 1]?.collected ?? 0));
  const keptSet = new Set(keptFrames.map((f) => f.t));
  // A submitFrame reply arrives just before its frame event: pair them by order.
  const submitMs = submits.map((s) => s.ms);
  const keptSubmitMs = submits.filter((_, i) => frames[i] && keptSet.has(frames[i]!.t)).map((s) => s.ms);
  const otherSubmitMs = submits.filter((_, i) => frames[i] && !keptSet.has(frames[i]!.t)).map((s) => s.ms);
  return {
    operation,
    outcome: result?.outcome ?? result?.error ?? null,
    reason: result?.reason ?? null,
    liveness_failure: frames.find((f) => f.failure)?.failure ?? null,
    /** ms from the click. */
    camera_open_ms: at(camera),
    begin_ms: begin ? round(begin.ms) : null,
    first_frame_ms: at(frames[0]),
    first_frame_worker_ms: submitMs.length ? round(submitMs[0]!) : null,
    face_found_ms: at(frames.find((f) => f.face)),
    frames_collected_ms: at(frames.find((f) => f.collected >= f.needed)),
    gestures,
    capture_done_ms: at(frames.find((f) => f.done)),
    result_ms: at(result),
    finish_worker_ms: finish ? round(finish.ms) : null,
    post_ms: post ? round(post.ms) : null,
    recorded_ms: post ? round(post.t - click.t) : null,
    shown_ms: at(shown),
    frames: frames.length,
    frame_worker_ms: { median: round(median(submitMs)), kept_median: round(median(keptSubmitMs)), other_median: round(median(otherSubmitMs)) },
    total_ms: round(Math.max(post?.t ?? 0, shown?.t ?? 0, result?.t ?? 0) - click.t),
  };
}

async function main() {
  const server = await startDemoServer();
  const teacher = await demoSession(server.origin, 'Bench teacher', 'teacher');
  const { lessonId } = (await teacher.send('POST', '/api/lessons', { title: 'Bench lesson' })).body as { lessonId: string };
  const camera = fakeCameraFile(join('videos', values.clip), CLIP_SECONDS);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: cameraArgs({ file: camera }) });
  const journeys: (ReturnType<typeof phases> & { attempt: number; problem: string | null })[] = [];
  let open: Record<string, number | null> = {};
  try {
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
    await context.addInitScript(INSTRUMENT);
    const page = await context.newPage();
    await page.goto(`${server.origin}/student.html?lesson=${lessonId}`);
    await page.getByLabel('Your name').fill('Bench student');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/student\.html/);
    const log = (): Promise<Entry[]> => page.evaluate(() => (window as unknown as { __journey: Entry[] }).__journey);
    const element = page.locator('presenza-check');
    await element.and(page.locator('[state="notice"]')).waitFor({ timeout: 120_000 });
    const opened = await log();
    const init = opened.find((e) => e.kind === 'worker' && e.method === 'init');
    const notice = opened.find((e) => e.kind === 'screen');
    open = { models_loaded_ms: init ? round(init.t) : null, init_worker_ms: init && 'ms' in init ? round(init.ms) : null, notice_shown_ms: notice ? round(notice.t) : null };

    /** Attempts until one succeeds or none is left: the element offers "Try again" after a failed one. */
    const attempts = async (operation: 'enroll' | 'check', success: string, postPath: RegExp) => {
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
        const from = await page.evaluate(() => performance.now());
        await element.getByRole('button', { name: attempt === 1 ? 'Use the face check' : 'Try again', exact: true }).click();
        await element.and(page.locator(`[state="${success}"], [state="failed"], [state="inconclusive"]`)).waitFor({ timeout: 120_000 });
        const passed = (await element.getAttribute('state')) === success;
        const problem = passed ? null : await element.getByRole('heading').first().innerText();
        // A check posts every attempt's answer; an enrollment only a successful one.
        if (passed || operation === 'check') await waitForPost(page, postPath, from);
        journeys.push({ ...phases(await log(), from, operation, postPath), attempt, problem });
        if (passed) return true;
        if (!(await element.getByRole('button', { name: 'Try again', exact: true }).isVisible())) return false;
      }
      return false;
    };
    const enrolled = await attempts('enroll', 'enrolled', /\/api\/me\/enrollment$/);
    for (let n = 0; enrolled && n < CHECKS; n += 1) {
      await teacher.send('POST', `/api/lessons/${lessonId}/checks`, { withinMinutes: 0 });
      await element.and(page.locator('[state="intro"]')).waitFor({ timeout: 60_000 });
      await attempts('check', 'passed', /\/api\/checks\/[^/]+\/result$/);
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const load = loadavg().map((l) => Math.round(l * 100) / 100);
  const result = { label: values.label, clip: values.clip, clip_seconds: CLIP_SECONDS, page_open: open, journeys, load_average: load, date: new Date().toISOString() };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', `journey-${values.label}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const s = (ms: number | null) => (ms === null ? '  –  ' : `${(ms / 1000).toFixed(2)} s`);
  console.log(`${values.clip} (${CLIP_SECONDS} s loop), label ${values.label}, load average ${load.join(', ')}`);
  console.log(`page open → models loaded ${s(open.models_loaded_ms ?? null)} (init ${s(open.init_worker_ms ?? null)}), notice shown ${s(open.notice_shown_ms ?? null)}`);
  for (const j of journeys) {
    console.log(`\n${j.operation} (attempt ${j.attempt}): ${j.outcome}${j.reason ? ` (${j.reason})` : ''}${j.liveness_failure ? ` [${j.liveness_failure}]` : ''}${j.problem ? ` “${j.problem}”` : ''}, click → recorded ${s(j.total_ms)}`);
    console.log(`  camera open ${s(j.camera_open_ms)}, first frame ${s(j.first_frame_ms)} (worker ${j.first_frame_worker_ms} ms), face found ${s(j.face_found_ms)}, good frames ${s(j.frames_collected_ms)}`);
    for (const g of j.gestures) console.log(`  ${g.step.padEnd(10)} prompted ${s(g.prompted)}, seen ${s(g.seen)}: ${s(g.ms)} = clip wait ${s(g.clipWaitMs)} + system ${s(g.systemMs)}`);
    console.log(`  capture done ${s(j.capture_done_ms)}, result ${s(j.result_ms)} (finish in worker ${j.finish_worker_ms} ms), answer posted in ${j.post_ms} ms, shown ${s(j.shown_ms)}`);
    console.log(`  ${j.frames} frames, worker per frame: median ${j.frame_worker_ms.median} ms, kept frames ${j.frame_worker_ms.kept_median} ms, others ${j.frame_worker_ms.other_median} ms`);
  }
  if (values.json) console.log(JSON.stringify(result));
}

/** Waits until the page's POST to `path` (after `from`, page clock) has its answer. */
async function waitForPost(page: Page, path: RegExp, from = 0) {
  await page.waitForFunction(
    ({ source, from }) => (window as unknown as { __journey: { kind: string; method?: string; path?: string; t: number }[] }).__journey.some((e) => e.kind === 'api' && e.method === 'POST' && new RegExp(source).test(e.path!) && e.t >= from),
    { source: path.source, from },
    { timeout: 60_000, polling: 100 },
  );
}

await main();
