// Student page of the demo: joins the lesson, enrolls, answers checks that arrive by
// Server-Sent Events and posts the signed assertions. The SDK part is a few calls on
// window.Presenza; the rest is page glue. Who the student is comes from the session.
import { api, requireSession } from './session.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const lessonId = params.get('lesson');
// Developer option: ?liveness=passive|active|off (off lets a still photo through, for trying the demo).
const liveness = params.get('liveness') ?? undefined;

const GUIDANCE = {
  no_face: 'Look at the camera: no face found.',
  multiple_faces: 'Only you should be in front of the camera.',
  face_too_small: 'Move closer to the camera.',
  head_turned: 'Face the camera.',
  too_dark: 'More light on your face, please.',
  too_bright: 'Too much light behind or on you.',
  low_contrast: 'More light on your face, please.',
  blurry: 'Hold still.',
};
const GESTURES = {
  blink: 'Blink once, slowly.',
  turn_left: 'Turn your head slowly to your left, then back to the camera.',
  turn_right: 'Turn your head slowly to your right, then back to the camera.',
  open_mouth: 'Open your mouth wide for a moment, then close it.',
  smile: 'Smile for a moment.',
};
const CAMERA_HELP = {
  ERR_CAMERA_DENIED: 'Camera permission was denied. Allow the camera for this site (the camera icon in the address bar), or use the alternative.',
  ERR_CAMERA_BUSY: 'Another application (Zoom, Teams…) is using the camera. Close it there and try again, or use the alternative.',
  ERR_CAMERA_NOT_FOUND: 'No camera found. Connect one and try again, or use the alternative.',
};
const REASON_TEXT = {
  mismatch: 'The face check did not recognise you.',
  no_face: 'No face was seen.',
  multiple_faces: 'More than one person was in view.',
  timeout: 'The camera image was not clear enough in time.',
  camera_unavailable: 'The camera could not be used.',
  not_enrolled: 'The face check is not set up on this device.',
  enrollment_expired: 'Your face check setup has expired and was deleted.',
  liveness_failed: 'The check could not confirm a live person.',
};

const SERVER_HELP = {
  key_pending: 'Your teacher has not approved this new device yet. Use the alternative, or your other device.',
  not_enrolled: 'The face check is not set up for you on the server. Set it up again, or use the alternative.',
};

const say = (id, text, className = '') => {
  $(id).textContent = text;
  $(id).className = `status ${className}`;
};
const guide = (progress) => {
  const issue = progress.verdict.issues[0];
  const gesture = progress.liveness?.step;
  $('other-gesture').hidden = !progress.liveness?.alternativeAvailable;
  if (gesture && issue !== 'no_face' && issue !== 'multiple_faces') {
    $('guidance').textContent = `Movement ${progress.liveness.stepIndex + 1} of ${progress.liveness.steps}: ${GESTURES[gesture]}`;
  } else {
    $('guidance').textContent = issue ? GUIDANCE[issue] : `Hold still… ${progress.collected}/${progress.needed}`;
  }
};
const endGuide = () => {
  $('guidance').textContent = '';
  $('other-gesture').hidden = true;
};

let presenza;
let session;
let current = null;
/** This device's key id at the service (per signed-in student). */
const keyStorage = () => `presenza-demo-key:${session.userId}`;

async function showDevices() {
  const { keys } = await api('GET', '/api/me/enrollment');
  $('devices-section').hidden = keys.length === 0;
  const mine = localStorage.getItem(keyStorage());
  $('devices').replaceChildren(
    ...keys.map((key) => {
      const item = document.createElement('li');
      const label = `Device ${key.fingerprint}${key.keyId === mine ? ' (this one)' : ''}, set up ${new Date(key.createdAt).toLocaleDateString()}: ${
        key.status === 'active' ? 'active' : 'waiting for your teacher’s approval'
      } `;
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'secondary';
      remove.textContent = 'Remove';
      remove.addEventListener('click', async () => {
        await api('POST', `/api/me/keys/${key.keyId}/revoke`);
        if (key.keyId === mine) {
          await presenza?.forget();
          localStorage.removeItem(keyStorage());
        }
        await refreshStatus();
      });
      item.append(label, remove);
      return item;
    }),
  );
  return keys;
}

async function refreshStatus() {
  const [device, keys] = await Promise.all([presenza ? presenza.status() : { enrolled: false }, showDevices()]);
  const mine = keys.find((key) => key.keyId === localStorage.getItem(keyStorage()));
  const enrolled = device.enrolled && mine?.status === 'active';
  const pending = device.enrolled && mine?.status === 'pending';
  $('enrolled').hidden = !enrolled;
  $('pending').hidden = !pending;
  $('forget').hidden = !device.enrolled;
  $('notice').hidden = enrolled || pending;
}

async function enroll() {
  $('enroll').disabled = true;
  say('result', '');
  try {
    const challenge = await api('POST', '/api/me/enrollment-challenge');
    const { assertion } = await presenza.enroll({ ...challenge, onFrame: guide, liveness });
    const registered = await api('POST', '/api/me/enrollment', { assertion });
    localStorage.setItem(keyStorage(), registered.keyId);
    await refreshStatus();
    say('result', registered.status === 'active' ? 'Face check set up.' : 'Face check set up on this device: waiting for your teacher’s approval.', 'ok');
  } catch (error) {
    say('result', `${CAMERA_HELP[error.code] ?? SERVER_HELP[error.code] ?? error.message}`, 'warn');
    $('enroll').disabled = false;
  } finally {
    endGuide();
  }
}

async function runCheck() {
  $('start-check').disabled = true;
  say('result', '');
  try {
    const result = await presenza.check({ checkId: current.checkId, nonce: current.nonce, onFrame: guide, liveness });
    if (result.assertion) await api('POST', `/api/checks/${current.checkId}/result`, { assertion: result.assertion });
    if (result.outcome === 'pass') {
      say('result', 'Presence confirmed. Thank you!', 'ok');
      $('check').hidden = true;
      current = null;
      return;
    }
    const help = result.cameraError ? CAMERA_HELP[result.cameraError] : REASON_TEXT[result.reason];
    say('result', `${help ?? 'The check did not pass.'} Nothing was kept. Try again, or use the alternative.`, 'warn');
    current = { ...current, ...(await api('POST', `/api/checks/${current.checkId}/retry`)) };
    $('start-check').textContent = 'Try again';
  } catch (error) {
    say('result', SERVER_HELP[error.code] ?? error.message, 'warn');
  } finally {
    endGuide();
    $('start-check').disabled = false;
  }
}

async function chooseAlternative() {
  if (!current) {
    say('result', 'Noted: when a check comes, choose “Use the alternative”.', 'ok');
    return;
  }
  await api('POST', `/api/checks/${current.checkId}/alternative`);
  say('result', 'Your teacher will confirm your presence.', 'ok');
  $('check').hidden = true;
  current = null;
}

function showCheck(check) {
  current = check;
  $('check').hidden = false;
  $('start-check').textContent = 'Verify with the face check';
  $('check-text').textContent = `Your teacher asks you to confirm you are present (until ${new Date(check.closesAt).toLocaleTimeString()}).`;
  $('check-title').focus();
}

async function start() {
  $('lesson').hidden = false;
  const lesson = await api('POST', `/api/lessons/${lessonId}/join`);
  $('lesson-title').textContent = lesson.title;
  const events = new EventSource(`/api/lessons/${lessonId}/me/events`);
  events.addEventListener('check', (event) => showCheck(JSON.parse(event.data)));
  events.addEventListener('lesson', (event) => {
    if (JSON.parse(event.data).status !== 'ended') return;
    $('check').hidden = true;
    current = null;
    say('result', 'The lesson has ended: no more checks will come.', 'ok');
  });
  events.addEventListener('result', (event) => {
    const { status } = JSON.parse(event.data);
    if (status === 'alternative_confirmed' || status === 'confirmed_in_person') say('result', 'Your teacher confirmed your presence.', 'ok');
  });
  $('start-check').addEventListener('click', runCheck);
  $('alternative').addEventListener('click', chooseAlternative);
  $('prefer-alternative').addEventListener('click', chooseAlternative);
  $('enroll').addEventListener('click', enroll);
  $('other-gesture').addEventListener('click', () => presenza.useAlternativeGesture());
  $('forget').addEventListener('click', async () => {
    await presenza.forget();
    // The key is gone with the face data: remove it at the service too.
    const mine = localStorage.getItem(keyStorage());
    if (mine) await api('POST', `/api/me/keys/${mine}/revoke`).catch(() => undefined);
    localStorage.removeItem(keyStorage());
    await refreshStatus();
    say('result', 'Your face data was deleted from this device.', 'ok');
  });
  try {
    presenza = await window.Presenza.create({
      onProgress: ({ loaded, total }) => total && say('sdk-status', `Loading the face check… ${Math.round((100 * loaded) / total)}%`),
    });
    say('sdk-status', 'Face check ready.');
  } catch (error) {
    say('sdk-status', `The face check cannot run in this browser (${error.code ?? error.message}). Use the alternative.`, 'warn');
    await showDevices();
    return;
  }
  $('retain-until').textContent = new Date(Date.now() + 90 * 86400000).toLocaleDateString();
  await refreshStatus();
}

if (!lessonId) {
  document.querySelector('main').innerHTML = '<h1>No lesson</h1><p>Open the link your teacher shared.</p>';
} else if ((session = await requireSession('student'))) {
  start().catch((error) => say('sdk-status', error.message, 'warn'));
}
