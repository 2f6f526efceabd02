/**
 * The element's own camera stream: opened for the mirrored preview and handed to the SDK through
 * `camera: { openStream }`, then stopped by the element the moment the capture ends. Nothing is
 * ever drawn to a canvas and no frame is kept.
 */
import { openCamera } from '../sdk/camera.js';
import { untilAborted } from './abort.js';

/** Stops every track of a stream (the camera light goes off). */
export function stopStream(stream: MediaStream): void {
  for (const track of stream.getTracks()) track.stop();
}

/**
 * Opens the camera (throws the SDK's coded `ERR_CAMERA_*` errors). If `signal` aborts while the
 * browser is still asking for permission, rejects at once and stops the stream when it arrives.
 */
export async function openPreviewStream(signal: AbortSignal): Promise<MediaStream> {
  const pending = openCamera();
  try {
    return await untilAborted(pending, signal, 'opening the camera');
  } catch (error) {
    if (signal.aborted) pending.then(stopStream, () => undefined);
    throw error;
  }
}
