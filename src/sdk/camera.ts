/**
 * Camera access on the main thread: opens the webcam and turns getUserMedia's DOMExceptions into
 * coded errors a host page can explain (denied, held by Zoom or Teams, missing, constraints,
 * insecure page, an iframe without `allow="camera"`).
 */
import { PresenzaError, type CameraErrorCode } from '../protocol/errors.js';

/** Resolution asked of the camera: enough for a face at arm's length, light on a cheap laptop. */
export const CAMERA_CONSTRAINTS: MediaTrackConstraints = {
  width: { ideal: 640 },
  height: { ideal: 480 },
  frameRate: { ideal: 15, max: 30 },
  facingMode: 'user',
};

/**
 * Resolution asked of the camera while the student holds the identity document to it: the card's
 * small printed portrait gets about twice the pixels of a 640×480 frame (the worker searches a
 * 640 px copy and aligns the portrait at full resolution; measured: README, identity document).
 * Asked as `ideal`, among the camera's own modes only (`resizeMode: 'none'`, which Chromium
 * knows; others ignore it): a camera without such a mode keeps a native one rather than a 640×360
 * cut of its 640×480, which would lose the top and bottom of the view and gain no pixel.
 */
export const DOCUMENT_CAMERA_CONSTRAINTS: MediaTrackConstraints = {
  ...CAMERA_CONSTRAINTS,
  width: { ideal: 1280 },
  height: { ideal: 720 },
  ...({ resizeMode: 'none' } as MediaTrackConstraints),
};

const MESSAGES: Record<CameraErrorCode, string> = {
  ERR_CAMERA_DENIED: 'camera permission was denied; allow the camera for this site in the browser settings, then retry',
  ERR_CAMERA_BUSY: 'the camera is in use by another application (for example Zoom or Teams) or could not be started; close it there, then retry',
  ERR_CAMERA_NOT_FOUND: 'no camera was found; connect a webcam, then retry',
  ERR_CAMERA_CONSTRAINTS: 'the camera cannot provide a suitable video mode',
  ERR_CAMERA_INSECURE_CONTEXT: 'the camera is only available on https:// pages (or localhost)',
  ERR_CAMERA_POLICY: 'this page is embedded in a frame that does not allow the camera; the platform must add allow="camera" to the iframe',
  ERR_CAMERA_FAILED: 'the camera could not be opened',
};

/** Whether a permissions policy (e.g. an iframe without `allow="camera"`) blocks the camera here. */
function cameraBlockedByPolicy(): boolean {
  const policy = (document as Document & { permissionsPolicy?: { allowsFeature(f: string): boolean } }).permissionsPolicy ??
    (document as Document & { featurePolicy?: { allowsFeature(f: string): boolean } }).featurePolicy;
  return policy ? !policy.allowsFeature('camera') : false;
}

/** Maps an error of `getUserMedia` to a coded {@link PresenzaError}. */
export function cameraError(error: unknown): PresenzaError {
  if (error instanceof PresenzaError) return error;
  const name = (error as { name?: unknown } | null)?.name;
  let code: CameraErrorCode;
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      code = cameraBlockedByPolicy() ? 'ERR_CAMERA_POLICY' : 'ERR_CAMERA_DENIED';
      break;
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      code = 'ERR_CAMERA_BUSY';
      break;
    case 'NotFoundError':
    case 'DevicesNotFoundError':
      code = 'ERR_CAMERA_NOT_FOUND';
      break;
    case 'OverconstrainedError':
    case 'ConstraintNotSatisfiedError':
      code = 'ERR_CAMERA_CONSTRAINTS';
      break;
    default:
      code = 'ERR_CAMERA_FAILED';
  }
  return new PresenzaError(code, `${MESSAGES[code]} (${String(name ?? error)})`, { cause: error });
}

/** Opens the camera (optionally a given device). Throws a coded error when it cannot. */
export async function openCamera(deviceId?: string): Promise<MediaStream> {
  if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) {
    throw new PresenzaError('ERR_CAMERA_INSECURE_CONTEXT', MESSAGES.ERR_CAMERA_INSECURE_CONTEXT);
  }
  if (cameraBlockedByPolicy()) throw new PresenzaError('ERR_CAMERA_POLICY', MESSAGES.ERR_CAMERA_POLICY);
  try {
    const video = deviceId ? { ...CAMERA_CONSTRAINTS, deviceId: { exact: deviceId } } : CAMERA_CONSTRAINTS;
    return await navigator.mediaDevices.getUserMedia({ video, audio: false });
  } catch (error) {
    throw cameraError(error);
  }
}
