/**
 * The script-tag SDK with a clip of ../shared/faces played as Chromium's webcam: enrollment and
 * checks from the camera (or from one still frame of it), recording the gestures prompted. Used
 * by e2e/liveness.spec.ts and bench/liveness-policy.ts.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { createChallenge } from '../../src/server/challenge.js';
import { CHROMIUM } from '../../tools/chromium.js';
import { cameraArgs, fakeCameraFile } from './fakeCamera.js';
import type { Origins } from '../../tools/origins.js';
import { DAY, enroll, openSdk, type Globals } from './sdkPage.js';

/** A browser whose webcam plays `clip` (looped), with the SDK page open. */
export async function withCameraSdk(origins: Origins, clip: string, seconds: number, run: (page: Page) => Promise<void>): Promise<void> {
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: cameraArgs({ file: fakeCameraFile(clip, seconds) }) });
  try {
    const page = await browser.newPage();
    // Under tsx (the benchmarks) esbuild names inner functions with a __name helper the page lacks.
    await page.addInitScript(() => void ((window as unknown as { __name: (f: unknown) => unknown }).__name = (f) => f));
    await openSdk(page, origins);
    await run(page);
  } finally {
    await browser.close();
  }
}

/** Enrolls `student-42` from the webcam with `liveness`, recording the gestures prompted. */
export function enrollFromCamera(page: Page, nonce: string, liveness?: string) {
  return page.evaluate(
    async ({ nonce, liveness, retainUntil }) => {
      const g = window as unknown as Globals;
      const prompts: string[] = [];
      const result = await g.sdk.enroll({
        enrollmentId: 'student-42',
        nonce,
        retainUntil,
        ...(liveness ? { liveness: liveness as 'off' } : {}),
        onFrame: (p) => p.liveness?.step && prompts.push(p.liveness.step),
      });
      return { ...result, prompts: [...new Set(prompts)] };
    },
    { nonce, liveness, retainUntil: Date.now() + 30 * DAY },
  );
}

/**
 * Enrolls from someone's photo (liveness off): the attack tests need an enrollment, and their
 * checks must fail before any comparison with it.
 */
export const enrollFromPhoto = (page: Page) =>
  enroll(page, { photo: 'lfw/Abel_Pacheco/Abel_Pacheco_0001.jpg', nonce: createChallenge(), retainUntil: Date.now() + DAY });

/** Runs a check with `liveness` from the webcam, or from one still frame of it (`still`), recording the gestures prompted. */
export function checkFromCamera(page: Page, args: { nonce: string; checkId: string; liveness?: string; still?: boolean; timeoutMs?: number }) {
  return page.evaluate(async ({ nonce, checkId, liveness, still, timeoutMs }) => {
    const g = window as unknown as Globals;
    const prompts: string[] = [];
    let failure: string | undefined;
    let camera: { frames: () => AsyncIterable<Blob> } | undefined;
    if (still) {
      // A photo of the enrolled student: one frame of the webcam, shown over and over.
      const stream = await navigator.mediaDevices.getUserMedia({ video: true });
      const video = Object.assign(document.createElement('video'), { srcObject: stream, muted: true });
      await video.play();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const canvas = new OffscreenCanvas(video.videoWidth, video.videoHeight);
      canvas.getContext('2d')!.drawImage(video, 0, 0);
      for (const track of stream.getTracks()) track.stop();
      const photo = await canvas.convertToBlob({ type: 'image/png' });
      camera = { frames: async function* () { for (;;) yield photo; } };
    }
    const result = await g.sdk.check({
      checkId,
      nonce,
      ...(liveness ? { liveness: liveness as 'off' } : {}),
      ...(camera ? { camera } : {}),
      ...(timeoutMs ? { timeoutMs } : {}),
      onFrame: (p) => {
        if (p.liveness?.step) prompts.push(p.liveness.step);
        if (p.liveness?.failure) failure = p.liveness.failure;
      },
    });
    return { ...result, prompts: [...new Set(prompts)], ...(failure ? { failure } : {}) };
  }, args);
}

