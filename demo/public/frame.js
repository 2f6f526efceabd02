// The demo pages inside the LMS's iframe (an LTI launch): whether the frame forbids the camera
// (the LMS's iframe needs allow="camera *", or the tool's origin: a bare allow="camera" allows only
// the iframe's first, LMS, address) or keeps no storage (asked for with the Storage Access API
// where the browser has it), and opening the same page in a window of its own with the session
// handed over (a single-use code from the service, posted into the new window).
import { api } from './session.js';
import { storageAvailable } from './storage.js';

/**
 * Why the face check cannot run in this page, framed by another site: `camera` (the frame does
 * not allow it), `storage` (the browser keeps no data here, so no template), or null.
 */
export function faceCheckNeedsOwnWindow() {
  if (window.top === window.self) return null;
  // Chromium exposes the frame's policy; elsewhere the SDK's camera error (ERR_CAMERA_POLICY) tells.
  const policy = document.permissionsPolicy ?? document.featurePolicy;
  if (policy && !policy.allowsFeature('camera')) return 'camera';
  return storageAvailable() ? null : 'storage';
}

/**
 * Asks the browser for this frame's storage (the Storage Access API), where it has one. Without
 * `prompt` it only takes access already granted (a later visit: no gesture needed); with `prompt`
 * (call it from a click) the browser may ask the user. Resolves with `granted` when the page now
 * has storage, `denied` when the browser refused, `no_storage` when access was granted but storage
 * still is not (a browser granting cookies only), `unsupported` without the API.
 */
export async function requestFrameStorage({ prompt }) {
  if (typeof document.requestStorageAccess !== 'function') return 'unsupported';
  if (!prompt) {
    const permission = await navigator.permissions?.query({ name: 'storage-access' }).catch(() => null);
    if (permission?.state !== 'granted') return 'denied';
  }
  try {
    await document.requestStorageAccess();
  } catch {
    return 'denied';
  }
  return storageAvailable() ? 'granted' : 'no_storage';
}

/**
 * Opens this page in a new window, signed in as the same user. Call it from a click: the window
 * is opened first (a browser allows that only right after the user's gesture), then the code is
 * asked and posted into it. Throws an Error with code `popup_blocked` when the browser (or the
 * frame's sandbox) refused the window, or the service's code when it refused the handoff.
 */
export async function openInNewWindow() {
  const name = `presenza-${crypto.randomUUID()}`;
  const opened = window.open('about:blank', name);
  if (!opened) throw Object.assign(new Error('the browser blocked the new window'), { code: 'popup_blocked' });
  let code;
  try {
    ({ code } = await api('POST', '/api/session/handoff'));
  } catch (error) {
    opened.close();
    throw error;
  }
  const form = Object.assign(document.createElement('form'), { method: 'post', action: '/lti/handoff', target: name });
  for (const [field, value] of Object.entries({ code, next: location.pathname + location.search })) {
    form.append(Object.assign(document.createElement('input'), { type: 'hidden', name: field, value }));
  }
  document.body.append(form);
  form.submit();
  form.remove();
}
