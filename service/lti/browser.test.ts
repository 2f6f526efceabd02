/**
 * The LTI launch in a real Chromium, across two sites: the fake LMS on 127.0.0.1 posts the login
 * initiation and the id_token to the tool on localhost, as an LMS page does. The session cookie is
 * SameSite=Strict and set on the answer to that cross-site POST; the test proves that the
 * navigation to the teacher's page (started by the tool's own continuation page) carries it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS } from '../../tools/chromium.js';
import { FakeLms, INSTRUCTOR } from '../../testing/fakeLms.js';
import { buildApp, type BuiltApp } from '../app.js';
import { openDatabase, type Db } from '../db.js';
import { parseLtiConfig } from './config.js';
import { loadToolKey } from './toolKey.js';

let lms: FakeLms;
let built: BuiltApp;
let db: Db;
let browser: Browser;
let tool: string;

/** A free port (the tool's public URL must name it before it listens). */
const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

beforeAll(async () => {
  lms = await FakeLms.start();
  const dir = mkdtempSync(join(tmpdir(), 'presenza-lti-browser-'));
  writeFileSync(join(dir, 'teacher.html'), '<!doctype html><title>Teacher</title><p>teacher page</p>');
  await loadToolKey(join(dir, 'tool-key.json'), { create: true });
  const port = await freePort();
  tool = `http://localhost:${port}`;
  lms.browserTool = tool;
  db = await openDatabase({ file: ':memory:' });
  built = await buildApp({
    db,
    config: { publicUrl: tool, allowedOrigins: [], trustedIssuers: [] },
    publicDir: dir,
    lti: { config: parseLtiConfig({ toolKeyFile: 'tool-key.json', platforms: [lms.registration()] }, dir) },
  });
  await built.app.listen({ port, host: '127.0.0.1' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await built?.app.close();
  await db?.close();
  await lms?.close();
});

it('a launch from another site lands on the teacher page with its SameSite=Strict session cookie', async () => {
  const page = await browser.newPage();
  const cookies: Record<string, string | undefined> = {};
  page.on('request', (request) => {
    void request.allHeaders().then((headers) => {
      cookies[new URL(request.url()).pathname] = headers.cookie;
    });
  });
  await page.goto(lms.startUrl({ sub: 'moodle-teacher', roles: [INSTRUCTOR], name: 'Prof. Verdi' }));
  await page.waitForURL(`${tool}/teacher.html`);
  await expect.poll(() => cookies['/teacher.html']).toMatch(/presenza=[A-Za-z0-9_-]{43}/);
  // The cookie was not sent on the cross-site launch POST itself (there was none yet), and the session works.
  const session = await page.evaluate(() => fetch('/api/session').then(async (r) => ({ status: r.status, body: await r.json() })));
  expect(session).toMatchObject({ status: 200, body: { role: 'teacher', displayName: 'Prof. Verdi', course: 'fake-lms:course-42:link-7' } });
  await page.close();
}, 60_000);
