/**
 * The capture loop on the main thread: takes frames from the camera (or from a stream or images
 * the host page provides), transfers each into the worker, and stops as soon as the worker has
 * enough, the time is up or the caller aborts. Camera tracks the SDK opened are stopped the
 * moment the loop ends; nothing is drawn into the page and no frame is kept.
 */
import { openCamera } from './camera.js';
import { FRAME_INTERVAL_MS } from '../protocol/capture.js';
import { PresenzaError } from '../protocol/errors.js';

/**
 * Where frames come from. Default: the camera (optionally a given `deviceId`). A platform that
 * already holds a webcam stream passes `stream`; one that wants to open the camera itself, but
 * only when frames are really needed (not for a device with nothing enrolled), passes
 * `openStream`. The SDK never stops the tracks of a stream it did not open. Tests and custom
 * pipelines pass `frames`, an async source of images.
 */
export type CameraOption =
  | { readonly deviceId?: string }
  | { readonly stream: MediaStream }
  | { readonly openStream: () => Promise<MediaStream> }
  | { readonly frames: () => AsyncIterable<ImageBitmapSource> };

/** A started source of frames. */
export interface FrameSource {
  /** The next frame, or null when the source has no more. */
  next(): Promise<ImageBitmap | null>;
  /** Releases the source (and stops camera tracks the SDK opened). */
  stop(): void;
  /**
   * Asks the camera for other track constraints (a camera source only); resolves with the function
   * that puts the previous ones back.
   */
  requestConstraints?(constraints: MediaTrackConstraints): Promise<() => Promise<void>>;
}

/**
 * Applies `constraints` to `tracks` and resolves with the function that puts each track's
 * previous constraints back. A track that refuses keeps its mode: the capture goes on with the
 * frames it has.
 */
export async function requestTrackConstraints(tracks: readonly MediaStreamTrack[], constraints: MediaTrackConstraints): Promise<() => Promise<void>> {
  const previous = tracks.map((track) => track.getConstraints());
  await Promise.all(tracks.map((track) => track.applyConstraints(constraints).catch(() => undefined)));
  return async () => {
    await Promise.all(tracks.map((track, i) => (track.readyState === 'live' ? track.applyConstraints(previous[i]).catch(() => undefined) : undefined)));
  };
}

async function videoSource(stream: MediaStream, ownsStream: boolean): Promise<FrameSource> {
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = stream;
  const stop = () => {
    video.pause();
    video.srcObject = null;
    if (ownsStream) for (const track of stream.getTracks()) track.stop();
  };
  try {
    await video.play();
    if (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA) {
      await new Promise((resolve) => video.addEventListener('loadeddata', resolve, { once: true }));
    }
  } catch (error) {
    stop();
    throw new PresenzaError('ERR_CAMERA_FAILED', `the camera stream could not be played: ${String(error)}`, { cause: error });
  }
  return {
    async next() {
      if (stream.getVideoTracks().every((track) => track.readyState === 'ended')) {
        throw new PresenzaError('ERR_CAMERA_FAILED', 'the camera stopped during the capture (unplugged, or taken by another application)');
      }
      return createImageBitmap(video);
    },
    stop,
    requestConstraints: (constraints) => requestTrackConstraints(stream.getVideoTracks(), constraints),
  };
}

function imageSource(frames: () => AsyncIterable<ImageBitmapSource>): FrameSource {
  const iterator = frames()[Symbol.asyncIterator]();
  return {
    async next() {
      const item = await iterator.next();
      if (item.done) return null;
      return item.value instanceof ImageBitmap ? item.value : createImageBitmap(item.value);
    },
    stop: () => void iterator.return?.(),
  };
}

/** Opens the frame source the caller chose (the camera by default). Throws coded camera errors. */
export async function openFrameSource(camera: CameraOption = {}): Promise<FrameSource> {
  if ('frames' in camera) return imageSource(camera.frames);
  if ('stream' in camera) return videoSource(camera.stream, false);
  if ('openStream' in camera) return videoSource(await camera.openStream(), false);
  return videoSource(await openCamera(camera.deviceId), true);
}

/**
 * Runs the capture loop; `submit` transfers a frame to the worker and says whether it has enough.
 * `intervalMs` gives the time between frames (default {@link FRAME_INTERVAL_MS}); it is asked
 * again before every frame.
 */
export async function runCapture(
  source: FrameSource,
  submit: (frame: ImageBitmap, timestampMs: number) => Promise<boolean>,
  options: { timeoutMs: number; signal?: AbortSignal | undefined; intervalMs?: () => number },
): Promise<'complete' | 'timeout'> {
  const deadline = performance.now() + options.timeoutMs;
  try {
    while (performance.now() < deadline) {
      if (options.signal?.aborted) throw new PresenzaError('ERR_ABORTED', 'the capture was aborted by the caller');
      const started = performance.now();
      const frame = await source.next();
      if (!frame) return 'timeout';
      if (await submit(frame, started)) return 'complete';
      const wait = (options.intervalMs?.() ?? FRAME_INTERVAL_MS) - (performance.now() - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    return 'timeout';
  } finally {
    source.stop();
  }
}
