/**
 * Presenza inside the LMS's iframe, in a real Chromium: the fake LMS (testing/fakeLms.ts) serves a
 * course page on http://127.0.0.1 that frames the tool on http://localhost, another site. Chromium
 * accepts `Secure` cookies (and the `__Host-` prefix) from http://localhost, so the partitioned
 * cookies work without TLS here; its test contexts block unpartitioned third-party cookies, as
 * Chrome's incognito does, so the frame works only through the `Partitioned` ones.
 *
 * Covered: a student launch in the frame lands on the student page and uses its session (GET and
 * a CSRF-protected POST); the frame without allow="camera" offers a new window, which opens
 * signed in; a frame without storage asks for it (Storage Access API) and, refused, offers the new
 * window; the teacher's dashboard in the frame offers a new window too; a browser keeping no cookie in the frame is offered the login in a new window; a
 * refused launch shows its page in the frame; other pages refuse to be framed. Every new page is
 * audited with axe and saved as e2e/screenshots/lti-<name>-<lang>-<width>.png at 1280×800 and
 * 390×844.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { request as apiRequest, expect, test, type Browser, type BrowserContext, type Frame, type Page } from '@playwright/test';
import { buildApp, type BuiltApp } from '../service/app.js';
import { openDatabase, type Db } from '../service/db.js';
import { parseLtiConfig } from '../service/lti/config.js';
import { loadToolKey } from '../service/lti/toolKey.js';
import { freePort } from '../testing/cluster.js';
import { FakeLms, INSTRUCTOR, LEARNER, type LmsUser } from '../testing/fakeLms.js';
import { PUBLIC_DIR } from './support/demoServer.js';

const SCREENSHOTS = join(import.meta.dirname, 'screenshots');
const LANGS = [
  { lang: 'it', locale: 'it-IT' },
  { lang: 'en', locale: 'en-US' },
] as const;

let lms: FakeLms;
let built: BuiltApp;
let db: Db;
let tool: string;
let users = 0;
/** Every context a test opened (closed before the server, whose event streams they hold), and the errors of their pages. */
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];
async function newContext(browser: Browser, options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
  const context = await browser.newContext(options);
  contexts.push(context);
  context.on('page', (page) => page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`)));
  return context;
}
const student = (): LmsUser => ({ sub: `student-${++users}`, roles: [LEARNER], name: `Studente ${users}` });

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  lms = await FakeLms.start();
  const dir = mkdtempSync(join(tmpdir(), 'presenza-lti-frame-'));
  await loadToolKey(join(dir, 'tool-key.json'), { create: true });
  const port = await freePort();
  tool = `http://localhost:${port}`;
  lms.browserTool = tool;
  db = await openDatabase({ file: join(dir, 'presenza.sqlite') });
  built = await buildApp({
    db,
    config: { publicUrl: tool, allowedOrigins: [], trustedIssuers: [], limits: { launchesPerMinute: 1000 } },
    publicDir: PUBLIC_DIR,
    lti: { config: parseLtiConfig({ toolKeyFile: 'tool-key.json', platforms: [lms.registration()], registrationHosts: ['127.0.0.1'] }, dir) },
  });
  await built.app.listen({ port, host: '127.0.0.1' });
});
test.afterEach(() => {
  // No script of the tool's pages failed, in the frame or in a new window.
  expect(pageErrors.splice(0)).toEqual([]);
});
test.afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await built?.app.close();
  await db?.close();
  await lms?.close();
});

/** The tool's frame in the LMS's course page, once it shows `path` (query included). */
async function toolFrame(page: Page, path: string): Promise<Frame> {
  await expect.poll(() => page.frames().find((f) => f.parentFrame())?.url(), { timeout: 60_000 }).toBe(`${tool}${path}`);
  const frame = page.frames().find((f) => f.parentFrame())!;
  await frame.waitForLoadState();
  return frame;
}

const sessionIn = (target: Page | Frame) => target.evaluate(() => fetch('/api/session').then(async (r) => ({ status: r.status, body: await r.json() })));

/** A lesson of the fake LMS's course, started by its teacher in a window of its own. */
async function startLesson(browser: Browser, title: string): Promise<string> {
  const context = await newContext(browser);
  const page = await context.newPage();
  await page.goto(lms.startUrl({ sub: 'teacher-1', roles: [INSTRUCTOR], name: 'Prof. Verdi' }));
  await page.waitForURL(`${tool}/teacher.html`);
  const lessonId = await page.evaluate(async (lessonTitle) => {
    const { csrfToken } = await fetch('/api/session').then((r) => r.json());
    const response = await fetch('/api/lessons', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken }, body: JSON.stringify({ title: lessonTitle }) });
    return (await response.json()).lessonId as string;
  }, title);
  await context.close();
  return lessonId;
}

/** axe finds nothing on the LMS page with the tool framed; screenshots at 1280×800 and 390×844. */
async function auditAndShoot(page: Page, name: string) {
  const violations = (await new AxeBuilder({ page }).analyze()).violations.map((v) => `${v.id}: ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
  expect(violations, name).toEqual([]);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: join(SCREENSHOTS, `lti-${name}-1280.png`) });
  await page.setViewportSize({ width: 390, height: 844 });
  // Nothing in the frame is wider than the phone.
  const frame = page.frames().find((f) => f.parentFrame())!;
  expect(await frame.evaluate(() => document.documentElement.scrollWidth <= innerWidth), `${name} at 390 px`).toBe(true);
  await page.screenshot({ path: join(SCREENSHOTS, `lti-${name}-390.png`) });
  await page.setViewportSize({ width: 1280, height: 800 });
}

test('a student launched in the LMS frame of another site reaches the student page and uses its session', async ({ browser }) => {
  const lessonId = await startLesson(browser, 'Biologia, lezione 1');
  const context = await newContext(browser);
  const page = await context.newPage();
  const user = student();
  await page.goto(lms.courseUrl(user, `camera ${tool}`));
  const frame = await toolFrame(page, '/student.html');
  const session = await sessionIn(frame);
  expect(session).toMatchObject({ status: 200, body: { role: 'student', displayName: user.name, course: 'fake-lms:course-42:link-7' } });
  // The session is the partitioned cookie, kept for the tool under the LMS's site only.
  const cookies = await context.cookies(tool);
  expect(cookies.map((c) => ({ name: c.name, sameSite: c.sameSite, secure: c.secure, partitionKey: c.partitionKey }))).toEqual([
    { name: '__Host-presenza-lti', sameSite: 'None', secure: true, partitionKey: 'http://127.0.0.1' },
  ]);
  // A state-changing request with its CSRF token works from the frame.
  const joined = await frame.evaluate(async (id) => {
    const { csrfToken } = await fetch('/api/session').then((r) => r.json());
    return (await fetch(`/api/lessons/${id}/join`, { method: 'POST', headers: { 'x-csrf-token': csrfToken } })).status;
  }, lessonId);
  expect(joined).toBe(200);
  // The same tool opened at the top level in this browser has no session: the cookie is the frame's.
  const top = await context.newPage();
  await top.goto(`${tool}/lti/page.css`);
  expect((await sessionIn(top)).status).toBe(401);
  await context.close();
});

for (const { lang, locale } of LANGS) {
  test(`without allow="camera" the student page offers a new window (${lang}), which opens signed in`, async ({ browser }) => {
    const lessonId = await startLesson(browser, 'Biologia, lezione 2');
    const context = await newContext(browser, { locale, viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const user = student();
    await page.goto(lms.courseUrl(user));
    let frame = await toolFrame(page, '/student.html');
    await frame.evaluate((id) => location.assign(`/student.html?lesson=${id}`), lessonId);
    frame = await toolFrame(page, `/student.html?lesson=${lessonId}`);
    const title = lang === 'it' ? 'La verifica del volto richiede una finestra separata' : 'The face check needs a window of its own';
    await expect(frame.getByRole('heading', { name: title })).toBeVisible();
    await auditAndShoot(page, `camera-offer-${lang}`);
    const [popup] = await Promise.all([context.waitForEvent('page'), frame.getByRole('button', { name: lang === 'it' ? 'Apri in una nuova finestra' : 'Open in a new window' }).click()]);
    await popup.waitForURL(`${tool}/student.html?lesson=${lessonId}`);
    expect(await sessionIn(popup)).toMatchObject({ status: 200, body: { role: 'student', displayName: user.name } });
    await expect(popup.locator('#lesson-title')).toHaveText('Biologia, lezione 2');
    // The new window is a page of its own: the camera is allowed there.
    expect(await popup.evaluate(() => (document as Document & { featurePolicy: { allowsFeature(f: string): boolean } }).featurePolicy.allowsFeature('camera'))).toBe(true);
    await expect(frame.getByRole('heading', { name: lang === 'it' ? 'Presenza è aperto in un’altra finestra' : 'Presenza is open in another window' })).toBeVisible();
    await context.close();
  });

  test(`a frame that keeps no storage asks the browser for it (${lang}); refused, it offers a new window`, async ({ browser }) => {
    const lessonId = await startLesson(browser, 'Biologia, lezione 3');
    const context = await newContext(browser, { locale, viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(lms.courseUrl(student(), `camera ${tool}`));
    let frame = await toolFrame(page, '/student.html');
    await frame.evaluate((id) => location.assign(`/student.html?lesson=${id}`), lessonId);
    frame = await toolFrame(page, `/student.html?lesson=${lessonId}`);
    // The camera is allowed, but Playwright's Chromium gives a frame of another site no storage at all
    // (third-party cookies blocked, storage partitioning off: see lti.spec.ts), as such browsers do.
    const it = lang === 'it';
    await expect(frame.getByRole('heading', { name: it ? 'Presenza non può conservare dati dentro la pagina del corso' : 'Presenza cannot keep data inside the course page' })).toBeVisible();
    await auditAndShoot(page, `storage-ask-${lang}`);
    // The Storage Access API, on the student's click; a test browser refuses without a prompt.
    await frame.getByRole('button', { name: it ? 'Consenti a Presenza di conservare dati qui' : 'Allow Presenza to keep data here' }).click();
    await expect(frame.getByRole('heading', { name: it ? 'Il browser non ha consentito a Presenza di conservare dati qui' : 'Your browser did not let Presenza keep data here' })).toBeVisible();
    await expect(frame.getByRole('heading', { name: it ? 'Il browser non ha consentito a Presenza di conservare dati qui' : 'Your browser did not let Presenza keep data here' })).toBeFocused();
    const newWindow = frame.getByRole('button', { name: it ? 'Apri in una nuova finestra' : 'Open in a new window' });
    await expect(newWindow).toBeVisible();
    await auditAndShoot(page, `storage-denied-${lang}`);
    // (The new window itself is the camera test's: the same handoff.)
    await context.close();
  });

  test(`the teacher's dashboard in the frame offers a new window (${lang}), which opens signed in on the same lesson`, async ({ browser }) => {
    const context = await newContext(browser, { locale, viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(lms.courseUrl({ sub: `teacher-frame-${lang}`, roles: [INSTRUCTOR], name: 'Prof. Neri' }, `camera ${tool}`));
    let frame = await toolFrame(page, '/teacher.html');
    const lessonId = await frame.evaluate(async () => {
      const { csrfToken } = await fetch('/api/session').then((r) => r.json());
      const response = await fetch('/api/lessons', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken }, body: JSON.stringify({ title: 'Chimica' }) });
      return (await response.json()).lessonId as string;
    });
    await frame.evaluate((id) => location.assign(`/teacher.html?lesson=${id}`), lessonId);
    frame = await toolFrame(page, `/teacher.html?lesson=${lessonId}`);
    const button = frame.getByRole('button', { name: lang === 'it' ? 'Apri in una nuova finestra' : 'Open in a new window' });
    await expect(button).toBeVisible();
    await auditAndShoot(page, `teacher-window-offer-${lang}`);
    const [popup] = await Promise.all([context.waitForEvent('page'), button.click()]);
    await popup.waitForURL(`${tool}/teacher.html?lesson=${lessonId}`);
    expect(await sessionIn(popup)).toMatchObject({ status: 200, body: { role: 'teacher', displayName: 'Prof. Neri' } });
    await expect(popup.locator('#lesson-title')).toHaveText('Chimica');
    // A window of its own has no such offer.
    await expect(popup.locator('#frame-bar')).toBeHidden();
    await expect(frame.locator('#frame-bar-status')).toHaveText(lang === 'it' ? 'Presenza è aperto in un’altra finestra. Anche questa pagina continua a funzionare.' : 'Presenza is open in another window. This page keeps working too.');
    await context.close();
  });

  test(`a browser that keeps no cookie in the frame is offered the login in a new window (${lang}), where it works`, async ({ browser }) => {
    const context = await newContext(browser, { locale, viewport: { width: 1280, height: 800 } });
    // The browser refuses every cookie the tool sets inside the frame (as one blocking even partitioned
    // cookies would): the frame's requests go through a client of their own, answered without Set-Cookie.
    // (Only the course page's requests: the LMS's own page is not the tool's, so these are the frame's.)
    const page = await context.newPage();
    await page.route(`${tool}/**`, async (route) => {
      const sent = route.request();
      const client = await apiRequest.newContext();
      try {
        // (Playwright hands over no fetch metadata; the frame's navigations say what the browser's would.)
        const headers = { ...(await sent.allHeaders()), ...(sent.isNavigationRequest() ? { 'sec-fetch-dest': 'iframe' } : {}) };
        const response = await client.fetch(sent.url(), { method: sent.method(), headers, maxRedirects: 0, ...(sent.postDataBuffer() ? { data: sent.postDataBuffer()! } : {}) });
        const kept = Object.fromEntries(Object.entries(response.headers()).filter(([name]) => name !== 'set-cookie'));
        await route.fulfill({ status: response.status(), headers: kept, body: await response.body() });
      } finally {
        await client.dispose();
      }
    });
    const user = student();
    await page.goto(lms.courseUrl(user, `camera ${tool}`));
    await expect.poll(() => page.frames().find((f) => f.parentFrame())?.url(), { timeout: 60_000 }).toMatch(/\/lti\/login\/check\?next=/);
    const frame = page.frames().find((f) => f.parentFrame())!;
    const link = frame.getByRole('link', { name: lang === 'it' ? 'Apri in una nuova finestra' : 'Open in a new window' });
    await expect(link).toBeVisible();
    await auditAndShoot(page, `cookies-blocked-${lang}`);
    const [popup] = await Promise.all([context.waitForEvent('page'), link.click()]);
    await popup.waitForURL(`${tool}/student.html`);
    expect(await sessionIn(popup)).toMatchObject({ status: 200, body: { role: 'student', displayName: user.name } });
    await context.close();
  });

  test(`a launch refused in the frame shows a page in plain words with its code (${lang})`, async ({ browser }) => {
    const context = await newContext(browser, { locale, viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(lms.courseUrl({ sub: `mentor-${++users}`, roles: ['http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor'] }));
    const frame = await toolFrame(page, '/lti/launch');
    await expect(frame.getByRole('heading', { name: lang === 'it' ? 'Non è stato possibile aprire Presenza' : 'Presenza could not be opened' }).first()).toBeVisible();
    await expect(frame.locator('code').first()).toHaveText('lti_roles');
    expect(await frame.evaluate(() => document.documentElement.lang)).toBe(lang);
    await auditAndShoot(page, `refused-${lang}`);
    await context.close();
  });
}

test('an LMS registers Presenza by Dynamic Registration in its frame: the page says so and closes by postMessage', async ({ browser }) => {
  for (const { lang, locale } of LANGS) {
    const other = await FakeLms.start({ clientId: `dyn-e2e-${lang}` });
    other.browserTool = tool;
    try {
      const context = await newContext(browser, { locale, viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      // The LMS's page listens for the tool's close message, as the LMS's registration dialog does.
      await page.addInitScript(() => {
        if (window.top === window.self) addEventListener('message', (event) => ((window as unknown as { closeMessages: unknown[] }).closeMessages ??= []).push(event.data));
      });
      const path = `/lti/register?${other.registrationQuery()}`;
      await page.goto(`${other.origin}/embed?path=${encodeURIComponent(path)}`);
      const frame = await toolFrame(page, path);
      await expect(frame.getByRole('heading', { name: lang === 'it' ? 'Presenza è registrato nella piattaforma' : 'Presenza is registered with the platform' }).first()).toBeVisible();
      await expect.poll(() => page.evaluate(() => (window as unknown as { closeMessages?: unknown[] }).closeMessages)).toEqual([{ subject: 'org.imsglobal.lti.close' }]);
      expect(other.registrations).toHaveLength(1);
      await auditAndShoot(page, `registered-${lang}`);
      await context.close();
    } finally {
      await other.close();
    }
  }
});

test('pages other than the LTI ones refuse to be framed, even by the registered LMS', async ({ browser }) => {
  const context = await newContext(browser);
  const page = await context.newPage();
  const framed = async (path: string) => {
    await page.goto(`${lms.origin}/embed?path=${encodeURIComponent(path)}`);
    await page.waitForLoadState('load');
    return page.frames().find((f) => f.parentFrame())!.url();
  };
  expect(await framed('/auditor.html')).toBe('chrome-error://chromewebdata/');
  expect(await framed('/student.html')).toBe(`${tool}/student.html`);
  await context.close();
});
