/** Drives the script-tag SDK on the platform page, in any engine, with photos injected as the camera. */
import type { Origins } from '../../tools/origins.js';
import type { ScriptedPage } from '../../tools/scriptedPage.js';

/** The platform origin the assertions are addressed to in tests. */
export const AUDIENCE = 'https://school.example';
/** One day in ms. */
export const DAY = 86_400_000;

/** Opens the platform page and creates an SDK instance (on `backend`) whose clock the test controls. */
export async function openSdk(page: ScriptedPage, origins: Origins, clockMs = Date.now(), backend: 'wasm' | 'webgpu' = 'wasm'): Promise<void> {
  await page.goto(`${origins.site.origin}/sdk.html`);
  await page.evaluate(
    async ({ audience, clockMs, backend }) => {
      const w = window as unknown as Record<string, unknown>;
      w.clock = clockMs;
      w.sdk = await window.Presenza.create({ audience, backend, now: () => w.clock as number });
      /** A "camera" that shows one photo, over and over. */
      w.photo = (url: string) => ({
        frames: async function* () {
          const blob = await (await fetch(url)).blob();
          for (;;) yield blob;
        },
      });
    },
    { audience: AUDIENCE, clockMs, backend },
  );
}

/** The SDK instance type. */
export type Sdk = Awaited<ReturnType<typeof window.Presenza.create>>;
/** What {@link openSdk} puts on `window`. */
export type Globals = { sdk: Sdk; clock: number; photo: (url: string) => { frames: () => AsyncIterable<Blob> } };

/**
 * Enrolls `student-42` from a photo injected as the camera. A still photo cannot make the
 * liveness gestures, so liveness is `off` here; e2e/liveness.spec.ts drives it with live clips.
 */
export function enroll(page: ScriptedPage, args: { photo: string; nonce: string; retainUntil: number | string; timeoutMs?: number }) {
  return page.evaluate(async ({ photo, nonce, retainUntil, timeoutMs }) => {
    const g = window as unknown as Globals;
    return g.sdk.enroll({ enrollmentId: 'student-42', nonce, retainUntil, camera: g.photo(`/faces/${photo}`), liveness: 'off', ...(timeoutMs ? { timeoutMs } : {}) });
  }, args);
}

/** Runs a check with a photo injected as the camera (liveness `off`, as for {@link enroll}). */
export function check(page: ScriptedPage, args: { photo: string; nonce: string; checkId: string; timeoutMs?: number }) {
  return page.evaluate(async ({ photo, nonce, checkId, timeoutMs }) => {
    const g = window as unknown as Globals;
    return g.sdk.check({ checkId, nonce, camera: g.photo(`/faces/${photo}`), liveness: 'off', ...(timeoutMs ? { timeoutMs } : {}) });
  }, args);
}

/** Moves the SDK's clock. */
export const setClock = (page: ScriptedPage, ms: number) => page.evaluate((ms) => void ((window as unknown as Globals).clock = ms), ms);

