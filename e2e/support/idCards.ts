/**
 * Fake webcams showing a student holding a synthesised identity card (testing/cardSynthesis.ts):
 * the card scene is drawn in headless Chromium by the testing harness, written as a JPEG to a temp
 * folder, and turned into a y4m with the shared make-y4m.sh. Third-party photos stay outside the repo.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageUrl, startBrowserPipeline } from '../../tools/browserPipeline.js';
import { FACES } from '../../tools/paths.js';

const folder = mkdtempSync(join(tmpdir(), 'presenza-card-'));

/**
 * One card scene to film: the live student's photo, the card's portrait photo (both relative to
 * ../shared/faces), the seed, the card's distance range (default: the unguided 25–40 cm), and
 * `withoutCard` to film the same student without any card.
 */
export interface CardScene {
  readonly live: string;
  readonly portrait: string;
  readonly seed: number;
  readonly distanceCm?: readonly [number, number];
  readonly withoutCard?: boolean;
  /** The webcam mode the scene is filmed in (default 640×480). */
  readonly camera?: { readonly width: number; readonly height: number };
  /** No card: the portrait photo's person blended in small where the card would be (a person far behind the student). */
  readonly backgroundPerson?: boolean;
}

/** Builds one y4m fake camera per scene (in order) and returns their paths. */
export async function cardCameraFiles(scenes: readonly CardScene[], seconds = 3): Promise<string[]> {
  const pipeline = await startBrowserPipeline({ imageRoot: FACES });
  try {
    const files: string[] = [];
    for (const scene of scenes) {
      const size = `${scene.camera?.width ?? 640}x${scene.camera?.height ?? 480}`;
      const name = `${scene.live}-${scene.withoutCard ? 'alone' : scene.portrait}${scene.backgroundPerson ? '-behind' : ''}-${scene.seed}-${scene.distanceCm?.join('-') ?? 'unguided'}-${size}`.replace(/\W+/g, '_');
      const jpeg = join(folder, `${name}.jpg`);
      const y4m = join(folder, `${name}-${seconds}s.y4m`);
      if (!existsSync(y4m)) {
        const base64 = await pipeline.page.evaluate(
          async ({ portrait, live, seed, distanceCm, withoutCard, camera, backgroundPerson }) => {
            const harness = window.PresenzaHarness;
            const scenes = await harness.cardScenes(portrait, live, seed, distanceCm, { ...(camera ? { camera } : {}), backgroundPerson });
            return harness.base64Of(withoutCard ? scenes.live : scenes.card);
          },
          { portrait: imageUrl(scene.portrait), live: imageUrl(scene.live), seed: scene.seed, distanceCm: scene.distanceCm, withoutCard: scene.withoutCard ?? false, camera: scene.camera, backgroundPerson: scene.backgroundPerson ?? false },
        );
        writeFileSync(jpeg, Buffer.from(base64, 'base64'));
        execFileSync(join(FACES, 'videos', 'make-y4m.sh'), [jpeg, y4m, '--seconds', String(seconds), '--size', size], { stdio: 'pipe' });
      }
      files.push(y4m);
    }
    return files;
  } finally {
    await pipeline.close();
  }
}

/**
 * One y4m fake camera playing `files` one after the other (same size and rate: the header of the
 * first, then every file's frames). Chromium loops it, so the whole sequence comes back.
 */
export function cameraSequence(files: readonly string[]): string {
  const headerOf = (data: Buffer) => data.subarray(0, data.indexOf(0x0a) + 1);
  const parts = files.map((file) => readFileSync(file));
  const header = headerOf(parts[0]!);
  for (const [i, data] of parts.entries()) {
    if (!headerOf(data).equals(header)) throw new Error(`${files[i]} is not filmed like ${files[0]}: ${headerOf(data).toString().trim()}`);
  }
  const out = join(folder, `sequence-${files.map((f) => f.replace(/^.*\//, '').replace(/\.y4m$/, '')).join('+')}.y4m`);
  if (!existsSync(out)) writeFileSync(out, Buffer.concat([header, ...parts.map((data) => data.subarray(headerOf(data).length))]));
  return out;
}
