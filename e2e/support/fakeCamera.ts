/**
 * Fake webcams for Chromium: turns a face photo or clip from ../shared/faces into a .y4m file with
 * the shared make-y4m.sh (ffmpeg), in a temp folder, and gives the launch flags that play it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS } from '../../tools/chromium.js';
import { FACES } from '../../tools/paths.js';

const folder = mkdtempSync(join(tmpdir(), 'presenza-cam-'));

/** Converts `file` (relative to ../shared/faces) to a y4m fake camera and returns its path. */
export function fakeCameraFile(file: string, seconds = 3): string {
  // Named after the whole relative path: clips in different folders share names (fake.mp4).
  const out = join(folder, `${file.replace(/\W+/g, '_')}-${seconds}s.y4m`);
  if (!existsSync(out)) {
    execFileSync(join(FACES, 'videos', 'make-y4m.sh'), [join(FACES, file), out, '--seconds', String(seconds)], { stdio: 'pipe' });
  }
  return out;
}

/** Chromium flags for a fake camera: `file` plays as the webcam; without it, Chromium's test pattern (no face). */
export function cameraArgs(options: { file?: string; grant?: boolean } = {}): string[] {
  return [
    ...CHROMIUM_ARGS,
    '--use-fake-device-for-media-stream',
    ...(options.grant === false ? ['--deny-permission-prompts'] : ['--use-fake-ui-for-media-stream']),
    ...(options.file ? [`--use-file-for-fake-video-capture=${options.file}`] : []),
  ];
}
