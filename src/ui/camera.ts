/**
 * The element's own camera: opened when the SDK asks for frames (the element shows the mirrored
 * preview of the same stream) and stopped the moment the capture ends. Nothing is ever drawn to a
 * canvas and no frame is kept.
 */
import { openCamera } from '../sdk/camera.js';
import { abortedError, untilAborted } from './abort.js';

function stopStream(stream: MediaStream): void {
  for (const track of stream.getTracks()) track.stop();
}

/** At most one camera stream, with its tracks stopped on {@link PreviewCamera.stop}. */
export class PreviewCamera {
  #stream: MediaStream | undefined;

  /**
   * Opens the camera (throws the SDK's coded `ERR_CAMERA_*` errors). Once `signal` has aborted
   * (the student left the attempt), the camera is not asked for at all; if it aborts while the
   * browser is still asking for permission, rejects at once and stops the stream when it arrives.
   */
  async open(signal: AbortSignal): Promise<MediaStream> {
    if (signal.aborted) throw abortedError('opening the camera');
    const pending = openCamera();
    try {
      this.#stream = await untilAborted(pending, signal, 'opening the camera');
      return this.#stream;
    } catch (error) {
      if (signal.aborted) pending.then(stopStream, () => undefined);
      throw error;
    }
  }

  /** Stops every track of the open stream (the camera light goes off); does nothing when none is open. */
  stop(): void {
    if (this.#stream) stopStream(this.#stream);
    this.#stream = undefined;
  }
}
