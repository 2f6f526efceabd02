/**
 * Drives `<presenza-check>` from Playwright: a lesson page in English or Italian on the platform's
 * origin, the script-tag SDK from the "CDN" origin, pages that embed the element in a cross-origin
 * iframe (with and without `allow="camera"`), a scriptable camera (a photo, an error, or a
 * permission prompt that waits) and a scriptable fake SDK for the screens that need exact timing.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, type Frame, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DIST, FACES, ROOT } from '../../tools/paths.js';
import { serveStatic, type StaticServer } from '../../tools/staticServer.js';

/** Languages the UI is tested in. */
export const LANGS = ['en', 'it'] as const;
export type Lang = (typeof LANGS)[number];

/** Where screenshots go (gitignored). */
export const SCREENSHOTS = join(ROOT, 'e2e', 'screenshots');

/** What the test pages tell the notice, per language. */
export const NOTICE = {
  controller: 'Università Telematica Esempio',
  purpose: {
    en: 'To record attendance at live lessons, as the course regulations require.',
    it: 'Registrare la presenza alle lezioni dal vivo, come richiede il regolamento del corso.',
  },
  noticeUrl: '/privacy.html',
} as const;

const lessonPage = (lang: Lang, sdkUrl: string) => `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><title>${lang === 'it' ? 'Lezione dal vivo' : 'Live lesson'}</title>
<style>body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1f2328; background: #f6f8fa; }</style></head>
<body><main><h1>${lang === 'it' ? 'Diritto amministrativo, lezione 7' : 'Administrative law, lesson 7'}</h1><div id="slot"></div></main>
<script src="${sdkUrl}"></script></body></html>`;

/** The page inside the iframe: just the element (the embedding page holds the landmarks and the title). */
const framedPage = (lang: Lang, sdkUrl: string) => `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><title>Presenza</title></head>
<body style="margin: 0; font-family: system-ui, sans-serif"><div id="slot"></div><script src="${sdkUrl}"></script></body></html>`;

const embedPage = (lang: Lang, frameUrl: string, allow: boolean) => `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><title>${lang === 'it' ? 'Piattaforma' : 'Platform'}</title></head>
<body><main><h1>${lang === 'it' ? 'Piattaforma' : 'Platform'}</h1>
<iframe src="${frameUrl}" title="Presenza" ${allow ? 'allow="camera"' : ''} style="width: 100%; height: 720px; border: 0"></iframe>
</main></body></html>`;

/** The origins: `site` serves `/lesson-<lang>.html`, `/embed-<lang>.html` and `/embed-allowed-<lang>.html`; `cdn` the SDK and the framed page. */
export interface UiOrigins {
  readonly cdn: StaticServer;
  readonly site: StaticServer;
  close(): Promise<void>;
}

/** Starts both origins, cross-origin isolated like a production platform page. */
export async function startUiOrigins(): Promise<UiOrigins> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const cdnPages: Record<string, string> = {};
  const sitePages: Record<string, string> = {};
  const cdn = await serveStatic({ mounts: { '/': DIST }, cors: true, isolated: true, pages: cdnPages });
  for (const lang of LANGS) {
    cdnPages[`/frame-${lang}.html`] = framedPage(lang, `${cdn.origin}/presenza.iife.js`);
    sitePages[`/lesson-${lang}.html`] = lessonPage(lang, `${cdn.origin}/presenza.iife.js`);
    sitePages[`/embed-${lang}.html`] = embedPage(lang, `${cdn.origin}/frame-${lang}.html`, false);
    sitePages[`/embed-allowed-${lang}.html`] = embedPage(lang, `${cdn.origin}/frame-${lang}.html`, true);
  }
  const site = await serveStatic({ mounts: { '/faces/': FACES }, pages: sitePages, isolated: true });
  return { cdn, site, close: async () => void (await Promise.all([cdn.close(), site.close()])) };
}

/** What `getUserMedia` does in the page: show a photo, throw a DOMException, or wait (a permission prompt). */
export type CameraScript = { mode: 'photo'; photo: string; scale?: number } | { mode: 'error'; name: string } | { mode: 'prompt' };

/**
 * Replaces `getUserMedia` in every frame with a scriptable camera (before any page script runs).
 * In photo mode it streams a face photo drawn on an off-DOM canvas (test scaffolding only) and
 * records each stream, so tests can check that every track was stopped.
 */
export async function installCamera(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as TestGlobals;
    let answer: (() => void) | undefined;
    w.__camera = { mode: 'prompt' };
    w.__streams = [];
    w.__answerPrompt = () => answer?.();
    navigator.mediaDevices.getUserMedia = async () => {
      if (w.__camera.mode === 'prompt') await new Promise<void>((resolve) => (answer = resolve));
      // Read after the "prompt": the test sets what the camera does, then answers.
      const script = w.__camera;
      if (script.mode === 'error') throw new DOMException('simulated camera error', script.name);
      if (script.mode !== 'photo') throw new DOMException('no photo', 'NotFoundError');
      const image = new Image();
      image.src = script.photo;
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = 640;
      canvas.height = 480;
      const context = canvas.getContext('2d')!;
      const size = 250 * (script.scale ?? 1);
      const stream = canvas.captureStream(15);
      const draw = () => {
        if (stream.getVideoTracks()[0]!.readyState === 'ended') return clearInterval(timer);
        context.fillStyle = '#6e7681';
        context.fillRect(0, 0, 640, 480);
        context.drawImage(image, 320 - size / 2, 240 - size / 2, size, size);
      };
      const timer = setInterval(draw, 60);
      draw();
      w.__streams.push(stream);
      return stream;
    };
  });
}

/** What the helpers keep on the test page's `window`. */
export interface TestGlobals {
  __camera: CameraScript;
  __streams: MediaStream[];
  __answerPrompt: () => void;
  __element: HTMLElementTagNameMap['presenza-check'];
  __outcome: unknown;
  __events: { type: string; detail: unknown }[];
  __fake: FakeSdk;
}

/**
 * A scriptable stand-in for a Presenza instance: like the SDK it opens the camera through
 * `camera.openStream` only when it needs frames; each capture then waits until the test ends it.
 */
export interface FakeSdk {
  enrolled: boolean;
  /** How many times the element asked for another gesture, and how many more it will get. */
  gestureRequests: number;
  gesturesLeft: number;
  /** How many times the element declined the identity document. */
  documentDeclines: number;
  sdk: {
    enroll: (o: unknown) => Promise<unknown>;
    check: (o: unknown) => Promise<unknown>;
    useAlternativeGesture: () => Promise<boolean>;
    declineIdentityDocument: () => boolean;
  };
  frame(progress: unknown): void;
  finish(value: unknown): void;
  fail(code: string): void;
}

/** Sets what the camera does next. */
export function setCamera(target: Page | Frame, script: CameraScript): Promise<void> {
  return target.evaluate((script) => void ((window as unknown as TestGlobals).__camera = script), script);
}

/** Installs the fake SDK in a page or frame. */
export function installFakeSdk(target: Page | Frame): Promise<void> {
  return target.evaluate(() => {
    let pending: { resolve: (v: unknown) => void; reject: (e: unknown) => void } | undefined;
    let onFrame: ((p: unknown) => void) | undefined;
    const coded = (code: string) => Object.assign(new Error(`simulated ${code}`), { name: 'PresenzaError', code });
    const capture = async (options: { onFrame?: (p: unknown) => void; signal?: AbortSignal; camera: { openStream: () => Promise<MediaStream> } }) => {
      await options.camera.openStream();
      return new Promise((resolve, reject) => {
        onFrame = options.onFrame;
        pending = { resolve, reject };
        options.signal?.addEventListener('abort', () => reject(coded('ERR_ABORTED')));
      });
    };
    const fake: FakeSdk = {
      enrolled: true,
      gestureRequests: 0,
      gesturesLeft: 1,
      documentDeclines: 0,
      sdk: {
        declineIdentityDocument: () => {
          fake.documentDeclines += 1;
          return true;
        },
        useAlternativeGesture: async () => {
          fake.gestureRequests += 1;
          return fake.gesturesLeft-- > 0;
        },
        enroll: (o) => capture(o as never),
        check: (o) =>
          fake.enrolled ? capture(o as never) : Promise.resolve({ outcome: 'inconclusive', reason: 'not_enrolled', liveness: 'not_run', assertion: null }),
      },
      frame: (progress) => onFrame?.(progress),
      finish: (value) => pending?.resolve(value),
      fail: (code) => pending?.reject(coded(code)),
    };
    (window as unknown as TestGlobals).__fake = fake;
  });
}

/** Mounts the element with the fake SDK (`fake`) or with create options for the real one (`real`), and records its events. */
export function mount(
  target: Page | Frame,
  options: { sdk: 'fake' | 'real'; lang: Lang; passLang?: boolean; maxAttempts?: number; texts?: Record<string, string> },
): Promise<void> {
  return target.evaluate(
    ({ options, notice }) => {
      const w = window as unknown as TestGlobals;
      if (!w.__events) {
        w.__events = [];
        for (const type of ['presenza-progress', 'presenza-frame', 'presenza-result', 'presenza-alternative']) {
          document.addEventListener(type, (event) => w.__events.push({ type, detail: (event as CustomEvent).detail }));
        }
      }
      w.__element = window.Presenza.mount(document.getElementById('slot')!, {
        presenza: options.sdk === 'fake' ? (w.__fake.sdk as never) : {},
        controller: notice.controller,
        purpose: notice.purpose[options.lang],
        noticeUrl: notice.noticeUrl,
        ...(options.passLang ? { lang: options.lang } : {}),
        ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
        ...(options.texts ? { texts: options.texts } : {}),
      });
    },
    { options, notice: NOTICE },
  );
}

/** The default retention of test enrollments: 60 days from now, at noon UTC (the same date in every time zone near Europe). */
export const RETAIN_UNTIL = (() => {
  const date = new Date(Date.now() + 60 * 86_400_000);
  date.setUTCHours(12, 0, 0, 0);
  return date.getTime();
})();

/** Calls `enroll()` or `check()` without waiting; the outcome lands in `window.__outcome`. */
export function start(target: Page | Frame, operation: 'enroll' | 'check', args: Record<string, unknown> = {}): Promise<void> {
  const defaults =
    operation === 'enroll'
      ? { enrollmentId: 'student-42', nonce: 'enroll-nonce-0123456789', retainUntil: RETAIN_UNTIL }
      : { checkId: `check-${Math.random().toString(36).slice(2)}`, nonce: 'check-nonce-0123456789' };
  return target.evaluate(
    ({ operation, args }) => {
      const w = window as unknown as TestGlobals;
      w.__outcome = undefined;
      const call = operation === 'enroll' ? w.__element.enroll(args as never) : w.__element.check(args as never);
      call.then(
        (value) => (w.__outcome = value),
        (error: { code?: string }) => (w.__outcome = { error: error.code ?? String(error) }),
      );
    },
    { operation, args: { ...defaults, ...args } },
  );
}

/** Waits for the element's promise and returns what it settled with. */
export async function outcome(target: Page | Frame): Promise<Record<string, unknown>> {
  const handle = await target.waitForFunction(() => (window as unknown as TestGlobals).__outcome, undefined, { timeout: 60_000 });
  return (await handle.jsonValue()) as Record<string, unknown>;
}

/** Waits for a state, and checks that focus moved to the new screen's heading. */
export async function expectState(target: Page | Frame, state: string, timeout = 10_000): Promise<void> {
  await expect(target.locator('presenza-check')).toHaveAttribute('state', state, { timeout });
  if (state === 'idle') return;
  await expect.poll(() => target.evaluate(() => (window as unknown as TestGlobals).__element.shadowRoot!.activeElement?.tagName)).toBe('H2');
}

/** The text of the element's current screen. */
export function screenText(target: Page | Frame): Promise<string> {
  return target.evaluate(() => (window as unknown as TestGlobals).__element.shadowRoot!.querySelector('.view')!.textContent ?? '');
}

/** The text of the element's polite (guidance) and assertive (results, errors) live regions. */
export function liveRegions(target: Page | Frame): Promise<{ polite: string; assertive: string }> {
  return target.evaluate(() => {
    const root = (window as unknown as TestGlobals).__element.shadowRoot!;
    const text = (politeness: string) => root.querySelector(`[aria-live="${politeness}"]`)?.textContent ?? '';
    return { polite: text('polite'), assertive: text('assertive') };
  });
}

/** The labels of the buttons on the current screen, in order. */
export function buttons(target: Page | Frame): Promise<string[]> {
  return target.evaluate(() =>
    [...(window as unknown as TestGlobals).__element.shadowRoot!.querySelectorAll('button')].filter((b) => b.checkVisibility()).map((b) => b.textContent ?? ''),
  );
}

/** Runs axe-core on the whole page, open shadow roots and frames included: no violation allowed. */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const violations = results.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
  expect(violations, label).toEqual([]);
  // The element's shadow DOM was audited: some passing nodes are addressed through the shadow root.
  const inShadow = results.passes.some((rule) => rule.nodes.some((node) => node.target.some((part) => Array.isArray(part))));
  expect(inShadow, `${label}: axe saw into the shadow root`).toBe(true);
}

/** Audits the page with axe and saves a screenshot as `e2e/screenshots/<lang>-<name>.png`. */
export async function auditAndCapture(page: Page, lang: Lang, name: string): Promise<void> {
  await expectAccessible(page, `${lang} ${name}`);
  // No hover highlight in the pictures: both choices must look the same.
  await page.mouse.move(0, 0);
  await page.screenshot({ path: join(SCREENSHOTS, `${lang}-${name}.png`), fullPage: true });
}

/**
 * Visible elements, inside open shadow roots too, whose box leaves the viewport sideways (WCAG
 * reflow), outside any box that scrolls or clips horizontally (a wide table's wrapper is fine).
 */
export function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const all: Element[] = [];
    const walk = (root: Document | ShadowRoot) => {
      for (const e of root.querySelectorAll(root === document ? 'body *' : '*')) {
        all.push(e);
        if (e.shadowRoot) walk(e.shadowRoot);
      }
    };
    walk(document);
    const up = (e: Element) => e.parentElement ?? ((e.getRootNode() as ShadowRoot).host as Element | undefined) ?? null;
    return all
      .filter((e) => e.checkVisibility())
      .filter((e) => {
        const box = e.getBoundingClientRect();
        if (box.width === 0 || (box.right <= innerWidth + 0.5 && box.left >= -0.5)) return false;
        for (let parent = up(e); parent && parent !== document.body; parent = up(parent)) {
          if (getComputedStyle(parent).overflowX !== 'visible') return false;
        }
        return true;
      })
      .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`);
  });
}

/**
 * {@link auditAndCapture}, then the same screen at 1280×800 and at 390×844 (where nothing may
 * overflow), saved as `<lang>-<name>-1280.png` and `<lang>-<name>-390.png`.
 */
export async function auditAndCaptureSizes(page: Page, lang: Lang, name: string): Promise<void> {
  await auditAndCapture(page, lang, name);
  const size = page.viewportSize()!;
  for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
    await page.setViewportSize(viewport);
    if (viewport.width === 390) expect(await overflowing(page), `${lang} ${name} at 390 px`).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, `${lang}-${name}-${viewport.width}.png`), fullPage: true });
  }
  await page.setViewportSize(size);
}

/** Presses Tab until the focused control inside the element is the named one (at most 8 presses); checks its focus ring. */
export async function tabTo(page: Page, name: string): Promise<void> {
  for (let presses = 0; presses < 8; presses += 1) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const active = (window as unknown as TestGlobals).__element.shadowRoot!.activeElement as HTMLElement | null;
      return active ? { text: active.textContent ?? '', outline: getComputedStyle(active).outlineStyle } : null;
    });
    if (focused?.text === name) {
      expect(focused.outline, `focus ring on "${name}"`).not.toBe('none');
      return;
    }
  }
  throw new Error(`"${name}" was not reached with Tab`);
}
