/**
 * The same pipeline in each engine this machine has: Chromium (Playwright, headless), Firefox ESR
 * (Puppeteer over WebDriver BiDi, headed on Xvfb for WebGL) and WebKitGTK's MiniBrowser (WebDriver,
 * on Xvfb, WebGL in workers switched on). The SDK's assets come from another origin and the page is
 * cross-origin isolated, as in the tests. Per engine: median and p95 of landmarks + alignment and
 * of the shipped embedding (mirror fusion, 2 runs) over LFW photos, after a warm-up.
 *
 *   npx tsx bench/engines.ts [--photos N] [--only chromium,firefox,webkit] [--json]
 *
 * Results: bench/results/engines.json, with the load average (the engines run one after the other
 * on a shared machine, so compare them within one run).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../tools/chromium.js';
import { startOrigins } from '../tools/origins.js';
import { ROOT } from '../tools/paths.js';
import { describeImages } from '../e2e/support/scenarios.js';
import type { ScriptedPage } from '../tools/scriptedPage.js';
import { startFirefox } from '../e2e-engines/support/firefox.js';
import { startWebKit } from '../e2e-engines/support/webdriver.js';
import { startDisplay } from '../e2e-engines/support/xvfb.js';
import { lfwImages, stats } from '../tools/samples.js';

const { values } = parseArgs({
  options: { photos: { type: 'string', default: '30' }, only: { type: 'string', default: 'chromium,firefox,webkit' }, json: { type: 'boolean', default: false } },
});
const PHOTOS = lfwImages(Number(values.photos) + 3);

/** A page in one engine, and how to close the engine. */
type Opened = { version: string; page: ScriptedPage; close(): Promise<void> };

const ENGINES: Record<string, (display: string) => Promise<Opened>> = {
  async chromium() {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    return { version: `Chromium ${browser.version()}`, page: await browser.newPage(), close: () => browser.close() };
  },
  async firefox(display) {
    const session = await startFirefox({ display });
    return { version: `Firefox ${session.version}`, page: await session.newPage(), close: () => session.close() };
  },
  async webkit(display) {
    const session = await startWebKit({ display, args: ['--features=+AllowWebGLInWorkers'] });
    return { version: `WebKitGTK ${session.version}`, page: session, close: () => session.close() };
  },
};

const display = await startDisplay();
const origins = await startOrigins();
const results: Record<string, unknown> = { photos: PHOTOS.length - 3, load_average_start: loadavg()[0] };
try {
  for (const name of values.only.split(',')) {
    const engine = await ENGINES[name]!(display.name);
    try {
      await describeImages(engine.page, origins, PHOTOS.slice(0, 3)); // warm-up, not counted
      const described = (await describeImages(engine.page, origins, PHOTOS.slice(3))).filter((d) => d.faces > 0);
      results[name] = {
        version: engine.version,
        landmarks_and_align_ms: stats(described.map((d) => d.timings.landmarksAndAlignMs)),
        embed_mirror_fused_ms: stats(described.map((d) => d.timings.embedMs[0]!)),
      };
      if (!values.json) console.log(name, JSON.stringify(results[name]));
    } finally {
      await engine.close();
    }
  }
} finally {
  await origins.close();
  await display.close();
}
results.load_average_end = loadavg()[0];
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(join(ROOT, 'bench', 'results', 'engines.json'), `${JSON.stringify(results, null, 2)}\n`);
if (values.json) console.log(JSON.stringify(results));
