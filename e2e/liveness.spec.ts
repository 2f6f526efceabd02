/**
 * Liveness end to end in Chromium, with clips of ../shared/faces/videos played as the webcam:
 * a live clip passes the default policy (passive score plus the random gestures), a still photo
 * of the enrolled person fails, and attack clips fail the passive check or show no usable face.
 */
import { expect, test } from '@playwright/test';
import { verifyCheck, verifyEnrollment, MemoryNonceStore } from '../src/server/index.js';
import { createChallenge } from '../src/server/challenge.js';
import { checkFromCamera, enrollFromCamera, enrollFromPhoto, withCameraSdk } from './support/cameraSdk.js';
import { startOrigins, type Origins } from '../tools/origins.js';
import { AUDIENCE } from './support/sdkPage.js';

/** A live clip with blinks and head turns both ways (see ../shared/faces/videos/manifest.json). */
const LIVE_CLIP = 'videos/anit-spoofing/real.mov';
/** A screen replay of a live clip (it repeats the same head turns). */
const SCREEN_REPLAY = 'videos/tranvanluyt-fas/fake.mp4';
/** A phone held up in front of a real person. */
const PHONE_IN_FRONT = 'videos/anit-spoofing/fake.mp4';

let origins: Origins;
test.beforeAll(async () => {
  origins = await startOrigins();
});
test.afterAll(async () => origins.close());

test('a live clip passes the default policy: a blink at enrollment, three random gestures at the check; a still photo of the same person fails', async () => {
  test.setTimeout(240_000);
  await withCameraSdk(origins, LIVE_CLIP, 14, async (page) => {
    const enrollNonce = createChallenge();
    // The clip blinks every 2–3 s, but not on cue: a second enrollment is allowed when the first
    // sees no blink in time (ERR_LIVENESS_FAILED); any other error fails the test.
    const enrolled = await enrollFromCamera(page, enrollNonce).catch((error: Error) => {
      expect(error.message).toMatch(/liveness check failed/);
      return enrollFromCamera(page, enrollNonce);
    });
    expect(enrolled.prompts).toEqual(['blink']);
    const registration = await verifyEnrollment(enrolled.assertion, { audience: AUDIENCE, expectedNonce: enrollNonce });

    const nonces = new MemoryNonceStore();
    const verify = (assertion: string, nonce: string, checkId: string) =>
      verifyCheck(assertion, { audience: AUDIENCE, publicJwk: registration.publicJwk, expectedNonce: nonce, checkId, nonceStore: nonces });

    // A recording cannot follow the prompts: its gestures come at fixed times in a 14 s loop, so a
    // random order can leave a gesture outside its 12 s. Up to three checks (fresh nonces); every
    // one that fails must fail on time alone, never as a jump or another person.
    let live: Awaited<ReturnType<typeof checkFromCamera>> | undefined;
    let liveNonce = '';
    let liveCheckId = '';
    for (let attempt = 1; attempt <= 3 && live?.outcome !== 'pass'; attempt += 1) {
      liveNonce = createChallenge();
      liveCheckId = `live-${attempt}`;
      live = await checkFromCamera(page, { nonce: liveNonce, checkId: liveCheckId });
      if (live.outcome !== 'pass') expect(live).toMatchObject({ reason: 'liveness_failed', failure: 'step_timeout' });
      else expect([...live.prompts].sort()).toEqual(['blink', 'turn_left', 'turn_right']);
    }
    expect(live).toMatchObject({ outcome: 'pass', liveness: 'passed' });
    expect(await verify(live!.assertion!, liveNonce, liveCheckId)).toMatchObject({ outcome: 'pass', liveness: 'passed' });

    const photoNonce = createChallenge();
    const photo = await checkFromCamera(page, { nonce: photoNonce, checkId: 'photo', still: true });
    // Failed by the anti-spoof model at once, or, when its score is only doubtful, by the gestures it cannot make.
    expect(photo).toMatchObject({ outcome: 'fail', reason: 'liveness_failed', liveness: 'failed' });
    expect(['anti_spoof', 'step_timeout']).toContain(photo.failure);
    expect(await verify(photo.assertion!, photoNonce, 'photo')).toMatchObject({ outcome: 'fail', reason: 'liveness_failed', liveness: 'failed' });
  });
});

test('a screen replay fails the passive check', async () => {
  await withCameraSdk(origins, SCREEN_REPLAY, 8, async (page) => {
    await enrollFromPhoto(page);
    const result = await checkFromCamera(page, { nonce: createChallenge(), checkId: 'replay', liveness: 'passive' });
    expect(result).toMatchObject({ outcome: 'fail', reason: 'liveness_failed', liveness: 'failed' });
    expect(result.prompts).toEqual([]);
  });
});

test('a phone held in front of a real person never passes: no usable face, or a liveness failure', async () => {
  await withCameraSdk(origins, PHONE_IN_FRONT, 8, async (page) => {
    await enrollFromPhoto(page);
    const result = await checkFromCamera(page, { nonce: createChallenge(), checkId: 'phone', liveness: 'both', timeoutMs: 20_000 });
    expect(result.outcome).not.toBe('pass');
    expect(['no_face', 'multiple_faces', 'liveness_failed', 'timeout']).toContain(result.reason);
  });
});
