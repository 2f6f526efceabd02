/**
 * What a student's browser downloads before the SDK is ready, as the README's CDN layout serves it:
 * dist/ on a "CDN" origin through service/sdkAssets.ts (precompressed brotli, content-hashed files
 * `immutable`, entry points revalidated) plus CORS, and a platform page on another origin that
 * loads the script-tag build with its SRI hash and calls `Presenza.create()`. Chromium loads the
 * page twice in one profile (disk cache): the first visit with an empty cache, then the second.
 * The network is throttled to 10 Mbit/s down, 40 ms latency (Chromium's network emulation).
 *
 *   npm run bench:download -- [--json]
 *
 * Bytes are counted where they leave the CDN (response bodies as sent, i.e. compressed, plus
 * headers), so they include the worker's fetches; the platform's own page is not counted. With --json the last line is one JSON object:
 * first_visit_bytes, second_visit_bytes, first_visit_requests, second_visit_requests,
 * first_visit_ready_ms, second_visit_ready_ms, second_visit_wasm_model_bytes,
 * second_visit_hashed_revalidations, first_capture_extra_bytes (the anti-spoof model, which the first
 * capture scoring passive liveness fetches after ready), files (per request of the first visit),
 * targets, load_average.
 * Written to bench/results/download.json. Timings depend on what else the machine runs.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { chromium } from 'playwright-core';
import { registerSdkAssets, sdkCacheControl, HASHED_FILE } from '../service/sdkAssets.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../tools/chromium.js';
import { DIST, ROOT } from '../tools/paths.js';
import { serveStatic } from '../tools/staticServer.js';
import { modelFile, publishedAssetName } from '../workers/runtime/assets.js';

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false } } });

/** The network: a home connection. */
export const THROTTLE = { downloadMbit: 10, latencyMs: 40 } as const;

/** The targets. */
export const TARGETS = { firstVisitBytes: 12_000_000, firstVisitReadyMs: 12_000, secondVisitReadyMs: 2_000 } as const;

interface Served {
  readonly path: string;
  readonly status: number;
  /** Body bytes as sent (compressed when the server sent a .br sibling) plus the header block. */
  readonly bytes: number;
  readonly encoding: string | null;
}

/** The CDN: dist/ through the service's own serving module, plus CORS for the platform's origin. */
async function startCdn(log: Served[]) {
  const app = Fastify({ logger: false });
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('Access-Control-Allow-Origin', '*');
    reply.header('Cross-Origin-Resource-Policy', 'cross-origin');
  });
  app.addHook('onResponse', async (request, reply) => {
    const raw = reply.raw;
    const header = raw.getHeader('content-length');
    const body = raw.statusCode === 304 || request.method === 'HEAD' ? 0 : Number(header ?? 0);
    const headerBytes = Object.entries(raw.getHeaders()).reduce((sum, [k, v]) => sum + k.length + String(v).length + 4, 17);
    const encoding = raw.getHeader('content-encoding');
    log.push({ path: request.url, status: raw.statusCode, bytes: body + headerBytes, encoding: encoding ? String(encoding) : null });
  });
  await registerSdkAssets(app, { root: DIST, prefix: '/', decorateReply: true });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  return { origin: `http://127.0.0.1:${port}`, close: () => app.close() };
}

const isWasmOrModel = (path: string) => /\/models\//.test(path);

async function main() {
  const cdnLog: Served[] = [];
  const cdn = await startCdn(cdnLog);
  const { integrity } = JSON.parse(readFileSync(join(DIST, 'cdn.json'), 'utf8')) as { integrity: Record<string, string> };
  const page = `<!doctype html><title>lesson</title>
<script src="${cdn.origin}/presenza.iife.js" integrity="${integrity['presenza.iife.js']}" crossorigin="anonymous"></script>
<script type="module">
  const sdk = await Presenza.create({ audience: 'https://school.example' });
  window.__ready = { ms: performance.now(), runtime: sdk.runtime };
</script>`;
  const site = await serveStatic({ mounts: {}, pages: { '/lesson.html': page }, isolated: true });
  const profile = mkdtempSync(join(tmpdir(), 'presenza-download-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  try {
    const visit = async () => {
      const from = cdnLog.length;
      const tab = await context.newPage();
      const cdp = await context.newCDPSession(tab);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: THROTTLE.latencyMs,
        downloadThroughput: (THROTTLE.downloadMbit * 1_000_000) / 8,
        uploadThroughput: (THROTTLE.downloadMbit * 1_000_000) / 8,
      });
      await tab.goto(`${site.origin}/lesson.html`);
      const ready = await tab.waitForFunction(() => (window as unknown as { __ready?: unknown }).__ready, undefined, { timeout: 180_000, polling: 100 });
      const { ms, runtime } = (await ready.jsonValue()) as { ms: number; runtime: { backend: string; threads: number } };
      await tab.close();
      const served = cdnLog.slice(from);
      return { ms, runtime, served };
    };
    const first = await visit();
    const second = await visit();
    const sum = (served: Served[]) => served.reduce((total, s) => total + s.bytes, 0);
    const result = {
      first_visit_bytes: sum(first.served),
      second_visit_bytes: sum(second.served),
      first_visit_requests: first.served.length,
      second_visit_requests: second.served.length,
      first_visit_ready_ms: Math.round(first.ms),
      second_visit_ready_ms: Math.round(second.ms),
      second_visit_wasm_model_bytes: sum(second.served.filter((s) => isWasmOrModel(s.path))),
      second_visit_hashed_revalidations: second.served.filter((s) => HASHED_FILE.test(s.path)).length,
      first_capture_extra_bytes: statSync(join(DIST, 'models', `${publishedAssetName(modelFile('anti-spoof'))}.br`)).size,
      throttle: { download_mbit: THROTTLE.downloadMbit, latency_ms: THROTTLE.latencyMs },
      runtime: first.runtime,
      files: first.served.map((s) => ({ path: s.path, status: s.status, bytes: s.bytes, encoding: s.encoding, cache_control: sdkCacheControl(s.path) })),
      second_visit_files: second.served.map((s) => ({ path: s.path, status: s.status, bytes: s.bytes })),
      targets: {
        first_visit_bytes_max: TARGETS.firstVisitBytes,
        first_visit_ready_ms_max: TARGETS.firstVisitReadyMs,
        second_visit_ready_ms_max: TARGETS.secondVisitReadyMs,
        met:
          sum(first.served) <= TARGETS.firstVisitBytes &&
          first.ms <= TARGETS.firstVisitReadyMs &&
          second.ms <= TARGETS.secondVisitReadyMs &&
          second.served.every((s) => !HASHED_FILE.test(s.path)),
      },
      load_average: loadavg().map((l) => Math.round(l * 100) / 100),
      date: new Date().toISOString(),
    };
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench', 'results', 'download.json'), `${JSON.stringify(result, null, 2)}\n`);
    const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
    console.log(`first visit:  ${mb(result.first_visit_bytes)} in ${result.first_visit_requests} requests, ready in ${result.first_visit_ready_ms} ms`);
    for (const f of result.files) console.log(`  ${f.status} ${mb(f.bytes).padStart(9)} ${f.encoding ?? '-'}  ${f.path}`);
    console.log(`second visit: ${mb(result.second_visit_bytes)} in ${result.second_visit_requests} requests, ready in ${result.second_visit_ready_ms} ms`);
    for (const f of result.second_visit_files) console.log(`  ${f.status} ${mb(f.bytes).padStart(9)}  ${f.path}`);
    console.log(`targets met: ${result.targets.met} (load average ${result.load_average.join(', ')})`);
    if (values.json) console.log(JSON.stringify(result));
  } finally {
    await context.close();
    await Promise.all([cdn.close(), site.close()]);
    rmSync(profile, { recursive: true, force: true });
  }
}

await main();
