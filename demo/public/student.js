// Student page of the demo: joins the lesson and answers the checks that arrive by Server-Sent
// Events through the SDK's own <presenza-check> element (notice, choice, camera preview with
// the framing oval, guidance, results), posting every signed assertion. The page adds what the
// element cannot know: the service's answers, the teacher's confirmations, the lesson's end,
// the student's devices. Who the student is comes from the session.
import { api, requireSession } from './session.js';
import { faceCheckNeedsOwnWindow, openInNewWindow, requestFrameStorage } from './frame.js';
import { local, session as sessionStore } from './storage.js';
import { currentLanguage, formatDate, languageSwitch, onLanguageChange, pageTexts } from './i18n.js';

const TEXTS = {
  en: {
    pageTitle: 'Student · Presenza demo',
    heading: 'Live lesson',
    signedInAs: 'Signed in as',
    signOut: 'Sign out',
    languageLabel: 'Language',
    role_student: 'student',
    loadingLabel: 'Preparing the face check on this device',
    loadingMilestone: 'Preparing the face check: {percent}%.',
    ready: 'Face check ready.',
    enrollAgain: 'Set up the face check',
    forget: 'Delete my face data from this device',
    devicesTitle: 'Your devices',
    devicesIntro: 'Each device where you set up the face check has its own key (at most three). Remove one you no longer use.',
    device: 'Device {fingerprint}{mine}, set up on {date}: {status}',
    thisDevice: ' (this one)',
    deviceActive: 'active',
    devicePending: 'waiting for your teacher’s approval',
    removeDevice: 'Remove device {fingerprint}',
    noLessonTitle: 'No lesson',
    noLessonBody: 'Open the link your teacher shared.',
    enrolledTitle: 'The face check is set up on this device',
    enrolledBody: 'Nothing to do now. When your teacher asks, choose the face check or the alternative: both count the same.',
    pendingTitle: 'Waiting for your teacher’s approval',
    pendingBody: 'The face check is set up on this new device, but your teacher has not approved it yet. Until then, use your other device or the alternative: it counts the same.',
    preferAltTitle: 'You chose the alternative',
    preferAltBody: 'When your teacher asks, choose “Use the alternative”: your teacher confirms your presence another way, and it counts the same. You can set up the face check later if you change your mind.',
    tooManyKeysTitle: 'You already have three devices',
    tooManyKeysBody: 'Remove a device you no longer use under “Your devices”, then set up the face check again. Or use the alternative: it counts the same.',
    saveFailedTitle: 'The face check could not be saved',
    saveFailedBody: 'The school’s service did not accept the setup ({code}). Nothing was kept. Try again in a moment, or use the alternative: it counts the same.',
    tryAgain: 'Try again',
    useAlternative: 'Use the alternative',
    keyPendingTitle: 'Your presence was not recorded: this device is not approved yet',
    keyPendingBody: 'Your teacher has not approved this new device. Choose the alternative now (it counts the same), or answer from your other device.',
    notEnrolledTitle: 'Your presence was not recorded: the face check is not set up for you',
    notEnrolledBody: 'The school has no face check key for you (it may have been removed). Choose the alternative now; after the check, set up the face check again.',
    checkClosedTitle: 'This check has closed',
    checkClosedBody: 'Your answer arrived after the check closed. Tell your teacher: they can confirm you in person.',
    sendFailedTitle: 'Your answer could not be sent',
    sendFailedBody: 'Check your internet connection ({code}), then choose the alternative, or tell your teacher.',
    altSentTitle: 'Your teacher will confirm your presence',
    altSentBody: 'You chose the alternative. This page tells you when your teacher has confirmed.',
    altFailedTitle: 'The alternative could not be sent',
    altFailedBody: 'Check your internet connection ({code}) and try again, or tell your teacher in the lesson chat.',
    confirmedTitle: 'Your teacher confirmed your presence',
    confirmedBody: 'Nothing else to do for this check.',
    absentTitle: 'Your teacher marked you absent for this check',
    absentBody: 'If you are in the lesson, tell your teacher now (for example in the lesson chat).',
    endedTitle: 'The lesson has ended',
    endedBody: 'No more presence checks will come. You can close this page.',
    unsupportedTitle: 'The face check cannot run in this browser',
    unsupportedBody: 'When your teacher asks, use the alternative: it counts the same. To use the face check, open this page in a recent Chrome, Edge, Firefox or Safari. ({code})',
    checkNoSdkTitle: 'Your teacher asks you to confirm that you are present',
    checkNoSdkBody: 'The face check cannot run in this browser: use the alternative, it counts the same.',
    forgottenTitle: 'Your face data was deleted from this device',
    forgottenBody: 'This device’s key was removed at the school too. Set up the face check again, or use the alternative: it counts the same.',
    joinFailedTitle: 'You could not join the lesson',
    joinFailedBody: 'The service answered: {code}. Reload the page; if it happens again, open the link your teacher shared once more.',
    cameraFrameTitle: 'The face check needs a window of its own',
    cameraFrameBody: 'Your course page shows Presenza in a frame that does not allow the camera. Open Presenza in a new window to use the face check there (you stay signed in), or use the alternative when your teacher asks: it counts the same.',
    storageFrameBody: 'Your browser keeps no data for Presenza inside the course page (it blocks third-party cookies and storage), so the face check cannot be set up here. Open Presenza in a new window to use the face check there (you stay signed in), or use the alternative when your teacher asks: it counts the same.',
    storageAskTitle: 'Presenza cannot keep data inside the course page',
    storageAskBody: 'Your browser keeps no data for Presenza inside the course page (it blocks third-party cookies and storage), and the face check keeps its setup on this device. Allow Presenza to keep data here, or open it in a new window (you stay signed in), or use the alternative when your teacher asks: it counts the same.',
    allowStorage: 'Allow Presenza to keep data here',
    storageDeniedTitle: 'Your browser did not let Presenza keep data here',
    storageDeniedBody: 'Open Presenza in a new window to use the face check there (you stay signed in), or use the alternative when your teacher asks: it counts the same.',
    storageStillBlockedBody: 'Your browser allowed cookies only and still keeps no other data for Presenza here. Open Presenza in a new window to use the face check there (you stay signed in), or use the alternative when your teacher asks: it counts the same.',
    openNewWindow: 'Open in a new window',
    openedTitle: 'Presenza is open in another window',
    openedBody: 'Answer your teacher’s checks there. If you closed that window, reload this page.',
    popupBlockedTitle: 'The new window was blocked',
    popupBlockedBody: 'Your browser or the course page blocked the new window. Allow pop-ups for this site and try again, or use the alternative when your teacher asks: it counts the same.',
    handoffFailedTitle: 'The new window could not be opened',
    handoffFailedBody: 'The service answered: {code}. Reload the page and try again, or use the alternative when your teacher asks: it counts the same.',
  },
  it: {
    pageTitle: 'Studente · demo Presenza',
    heading: 'Lezione in diretta',
    signedInAs: 'Accesso come',
    signOut: 'Esci',
    languageLabel: 'Lingua',
    role_student: 'studente',
    loadingLabel: 'Preparazione della verifica del volto su questo dispositivo',
    loadingMilestone: 'Preparazione della verifica del volto: {percent}%.',
    ready: 'Verifica del volto pronta.',
    enrollAgain: 'Configura la verifica del volto',
    forget: 'Cancella i miei dati del volto da questo dispositivo',
    devicesTitle: 'I tuoi dispositivi',
    devicesIntro: 'Ogni dispositivo su cui hai configurato la verifica del volto ha una sua chiave (al massimo tre). Rimuovi quelli che non usi più.',
    device: 'Dispositivo {fingerprint}{mine}, configurato il {date}: {status}',
    thisDevice: ' (questo)',
    deviceActive: 'attivo',
    devicePending: 'in attesa dell’approvazione del docente',
    removeDevice: 'Rimuovi il dispositivo {fingerprint}',
    noLessonTitle: 'Nessuna lezione',
    noLessonBody: 'Apri il link condiviso dal docente.',
    enrolledTitle: 'La verifica del volto è configurata su questo dispositivo',
    enrolledBody: 'Per ora non devi fare nulla. Quando il docente lo chiede, scegli la verifica del volto o l’alternativa: valgono allo stesso modo.',
    pendingTitle: 'In attesa dell’approvazione del docente',
    pendingBody: 'La verifica del volto è configurata su questo nuovo dispositivo, ma il docente non lo ha ancora approvato. Nel frattempo usa l’altro dispositivo o l’alternativa: vale allo stesso modo.',
    preferAltTitle: 'Hai scelto l’alternativa',
    preferAltBody: 'Quando il docente lo chiede, scegli «Usa l’alternativa»: il docente conferma la tua presenza in un altro modo, e vale allo stesso modo. Se cambi idea puoi configurare la verifica del volto più tardi.',
    tooManyKeysTitle: 'Hai già tre dispositivi',
    tooManyKeysBody: 'Rimuovi un dispositivo che non usi più in «I tuoi dispositivi», poi configura di nuovo la verifica del volto. Oppure usa l’alternativa: vale allo stesso modo.',
    saveFailedTitle: 'Non è stato possibile salvare la verifica del volto',
    saveFailedBody: 'Il servizio della scuola non ha accettato la configurazione ({code}). Non è stato conservato nulla. Riprova fra poco, oppure usa l’alternativa: vale allo stesso modo.',
    tryAgain: 'Riprova',
    useAlternative: 'Usa l’alternativa',
    keyPendingTitle: 'La tua presenza non è stata registrata: questo dispositivo non è ancora approvato',
    keyPendingBody: 'Il docente non ha ancora approvato questo nuovo dispositivo. Scegli ora l’alternativa (vale allo stesso modo), oppure rispondi dall’altro dispositivo.',
    notEnrolledTitle: 'La tua presenza non è stata registrata: la verifica del volto non è configurata per te',
    notEnrolledBody: 'La scuola non ha una tua chiave per la verifica del volto (forse è stata rimossa). Scegli ora l’alternativa; dopo questa verifica, configura di nuovo la verifica del volto.',
    checkClosedTitle: 'Questa verifica è chiusa',
    checkClosedBody: 'La tua risposta è arrivata dopo la chiusura della verifica. Avvisa il docente: può confermarti di persona.',
    sendFailedTitle: 'Non è stato possibile inviare la risposta',
    sendFailedBody: 'Controlla la connessione a internet ({code}), poi scegli l’alternativa o avvisa il docente.',
    altSentTitle: 'Il docente confermerà la tua presenza',
    altSentBody: 'Hai scelto l’alternativa. Questa pagina ti avvisa quando il docente ha confermato.',
    altFailedTitle: 'Non è stato possibile inviare la scelta dell’alternativa',
    altFailedBody: 'Controlla la connessione a internet ({code}) e riprova, oppure avvisa il docente nella chat della lezione.',
    confirmedTitle: 'Il docente ha confermato la tua presenza',
    confirmedBody: 'Per questa verifica non devi fare altro.',
    absentTitle: 'Il docente ti ha segnato assente per questa verifica',
    absentBody: 'Se sei a lezione, avvisa subito il docente (per esempio nella chat della lezione).',
    endedTitle: 'La lezione è terminata',
    endedBody: 'Non arriveranno altre verifiche della presenza. Puoi chiudere questa pagina.',
    unsupportedTitle: 'La verifica del volto non funziona in questo browser',
    unsupportedBody: 'Quando il docente lo chiede, usa l’alternativa: vale allo stesso modo. Per usare la verifica del volto apri questa pagina con una versione recente di Chrome, Edge, Firefox o Safari. ({code})',
    checkNoSdkTitle: 'Il docente ti chiede di confermare la tua presenza',
    checkNoSdkBody: 'La verifica del volto non funziona in questo browser: usa l’alternativa, vale allo stesso modo.',
    forgottenTitle: 'I tuoi dati del volto sono stati cancellati da questo dispositivo',
    forgottenBody: 'Anche la chiave di questo dispositivo è stata rimossa presso la scuola. Configura di nuovo la verifica del volto, oppure usa l’alternativa: vale allo stesso modo.',
    joinFailedTitle: 'Non è stato possibile entrare nella lezione',
    joinFailedBody: 'Il servizio ha risposto: {code}. Ricarica la pagina; se succede di nuovo, apri ancora il link condiviso dal docente.',
    cameraFrameTitle: 'La verifica del volto richiede una finestra separata',
    cameraFrameBody: 'La pagina del corso mostra Presenza in un riquadro che non consente la fotocamera. Apri Presenza in una nuova finestra per usare lì la verifica del volto (resti connesso), oppure usa l’alternativa quando il docente lo chiede: vale allo stesso modo.',
    storageFrameBody: 'Il browser non conserva dati per Presenza dentro la pagina del corso (blocca cookie e archiviazione di terze parti), quindi qui non si può configurare la verifica del volto. Apri Presenza in una nuova finestra per usare lì la verifica del volto (resti connesso), oppure usa l’alternativa quando il docente lo chiede: vale allo stesso modo.',
    storageAskTitle: 'Presenza non può conservare dati dentro la pagina del corso',
    storageAskBody: 'Il browser non conserva dati per Presenza dentro la pagina del corso (blocca cookie e archiviazione di terze parti), e la verifica del volto conserva la sua configurazione su questo dispositivo. Consenti a Presenza di conservare dati qui, oppure aprilo in una nuova finestra (resti connesso), oppure usa l’alternativa quando il docente lo chiede: vale allo stesso modo.',
    allowStorage: 'Consenti a Presenza di conservare dati qui',
    storageDeniedTitle: 'Il browser non ha consentito a Presenza di conservare dati qui',
    storageDeniedBody: 'Apri Presenza in una nuova finestra per usare lì la verifica del volto (resti connesso), oppure usa l’alternativa quando il docente lo chiede: vale allo stesso modo.',
    storageStillBlockedBody: 'Il browser ha consentito solo i cookie e qui non conserva ancora altri dati per Presenza. Apri Presenza in una nuova finestra per usare lì la verifica del volto (resti connesso), oppure usa l’alternativa quando il docente lo chiede: vale allo stesso modo.',
    openNewWindow: 'Apri in una nuova finestra',
    openedTitle: 'Presenza è aperto in un’altra finestra',
    openedBody: 'Rispondi lì ai controlli del docente. Se hai chiuso quella finestra, ricarica questa pagina.',
    popupBlockedTitle: 'La nuova finestra è stata bloccata',
    popupBlockedBody: 'Il browser o la pagina del corso ha bloccato la nuova finestra. Consenti i pop-up per questo sito e riprova, oppure usa l’alternativa quando il docente lo chiede: vale allo stesso modo.',
    handoffFailedTitle: 'Non è stato possibile aprire la nuova finestra',
    handoffFailedBody: 'Il servizio ha risposto: {code}. Ricarica la pagina e riprova, oppure usa l’alternativa quando il docente lo chiede: vale allo stesso modo.',
  },
};

const $ = (id) => document.getElementById(id);
const t = pageTexts(TEXTS);
languageSwitch($('lang-switch'));
const params = new URLSearchParams(location.search);
const lessonId = params.get('lesson');
// Developer options: ?liveness=passive|active|off (off lets a still photo through, for trying the
// demo) and ?identityDocument=required|optional (the identity-document step of an enrollment).
const devOptions = Object.fromEntries(['liveness', 'identityDocument'].filter((name) => params.has(name)).map((name) => [name, params.get(name)]));

let presenza = null;
let ui = null;
let session;
/** The element's call in progress: { kind: 'enroll' | 'check', checkId?, abort, done }. */
let running = null;
/** The check asked last (answered or not), so a reconnecting stream does not ask twice. */
let lastCheckId = null;
/** The answer posted for the last attempt of the running check (a promise of null or the error). */
let posting = Promise.resolve(null);
let lessonEnded = false;
/** Inside the LMS's frame without the camera or storage: the face check runs only in a new window ('camera' | 'storage' | null). */
let noCameraHere = faceCheckNeedsOwnWindow();
// Storage granted to this frame on an earlier visit (Storage Access API): taken again without asking.
if (noCameraHere === 'storage' && (await requestFrameStorage({ prompt: false })) === 'granted') noCameraHere = null;
/** The lesson's event stream; closed once the page is handed to a new window. */
let events = null;
/** The message shown, kept as keys so a language change re-renders it. */
let message = null;
/** The SDK's status line (a loading milestone, or ready), kept as a key and values for the same reason. */
let sdkStatus = null;

function showSdkStatus(key, values) {
  sdkStatus = { key, values };
  $('sdk-status').textContent = t(key, values);
}

/** This device's key id at the service (per signed-in student). */
const keyStorage = () => `presenza-demo-key:${session.userId}`;

/**
 * The page's one message: a title (which takes focus, so keyboard and screen-reader users land
 * on it), what happened, and the next step as buttons. `null` clears it.
 */
function showMessage(next, { focus = true } = {}) {
  message = next;
  $('message').hidden = !next;
  if (!next) return;
  // The message takes over from the element's last screen (a result of an earlier call).
  if (ui && !running) ui.hidden = true;
  $('message').className = `message ${next.tone ?? ''}`;
  $('message-title').textContent = t(next.title, next.values);
  $('message-body').textContent = t(next.body, next.values);
  $('message-actions').replaceChildren(
    ...(next.actions ?? []).map(({ label, run }) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'secondary';
      button.textContent = t(label);
      button.addEventListener('click', run);
      return button;
    }),
  );
  if (focus) $('message-title').focus();
}

/** The download progress: one bar that never goes back, announced at a few milestones only. */
function progressTracker() {
  const files = new Map();
  let shown = 0;
  let announced = 0;
  return ({ file, loaded, total }) => {
    files.set(file, { loaded, total: total ?? loaded });
    let sumLoaded = 0;
    let sumTotal = 0;
    for (const entry of files.values()) {
      sumLoaded += entry.loaded;
      sumTotal += entry.total;
    }
    // Files start one after the other, so the total grows: the bar keeps its highest value.
    shown = Math.max(shown, sumTotal ? Math.floor((100 * sumLoaded) / sumTotal) : 0);
    $('sdk-progress').value = shown;
    const milestone = Math.floor(shown / 25) * 25;
    if (milestone > announced && milestone < 100) {
      announced = milestone;
      showSdkStatus('loadingMilestone', { percent: milestone });
    }
  };
}

/**
 * The element's first-layer texts per language (controller, purpose, the alternative, the full
 * notice's address), from the deployment configuration the full notice is written from; the
 * retention date comes with each enrollment challenge, from the same configuration.
 */
let deployment = null;

function elementOptions() {
  const { controller, purpose, noticeUrl, alternativeDescription } = deployment[currentLanguage()];
  return { presenza, controller, purpose, noticeUrl, texts: { alternativeDescription } };
}

async function showDevices() {
  const { keys } = await api('GET', '/api/me/enrollment');
  $('devices-section').hidden = keys.length === 0;
  const mine = local.getItem(keyStorage());
  $('devices').replaceChildren(
    ...keys.map((key) => {
      const item = document.createElement('li');
      const label = t('device', {
        fingerprint: key.fingerprint,
        mine: key.keyId === mine ? t('thisDevice') : '',
        date: formatDate(key.createdAt),
        status: t(key.status === 'active' ? 'deviceActive' : 'devicePending'),
      });
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'secondary small';
      remove.textContent = t('removeDevice', { fingerprint: key.fingerprint });
      remove.addEventListener('click', async () => {
        await api('POST', `/api/me/keys/${key.keyId}/revoke`);
        if (key.keyId === mine) {
          await presenza?.forget();
          local.removeItem(keyStorage());
        }
        await refreshStatus();
      });
      item.append(`${label} `, remove);
      return item;
    }),
  );
  return keys;
}

/** What this device can do: enrolled and approved, enrolled and waiting, or not enrolled. */
async function deviceState() {
  const [device, keys] = await Promise.all([presenza ? presenza.status() : { enrolled: false }, showDevices()]);
  const mine = keys.find((key) => key.keyId === local.getItem(keyStorage()));
  if (device.enrolled && mine?.status === 'active') return 'enrolled';
  if (device.enrolled && mine?.status === 'pending') return 'pending';
  return device.enrolled ? 'orphan' : 'none';
}

/** Between checks: says where the device stands, or shows the notice to enroll. */
async function refreshStatus({ focus = true } = {}) {
  const state = await deviceState();
  $('device-tools').hidden = !presenza || running !== null || lessonEnded;
  $('forget').hidden = state === 'none';
  $('enroll').hidden = state === 'enrolled' || state === 'pending';
  if (running || lessonEnded || !presenza) return;
  if (state === 'enrolled') showMessage({ title: 'enrolledTitle', body: 'enrolledBody', tone: 'ok' }, { focus });
  else if (state === 'pending') showMessage({ title: 'pendingTitle', body: 'pendingBody', tone: 'warn' }, { focus });
  else if (sessionStore.getItem('presenza-demo-prefers-alternative') !== '1') void enroll();
  else showMessage({ title: 'preferAltTitle', body: 'preferAltBody', actions: [{ label: 'enrollAgain', run: enrollAfterChoice }] }, { focus });
}

function enrollAfterChoice() {
  sessionStore.removeItem('presenza-demo-prefers-alternative');
  void enroll();
}

/** Runs one element call; a check arriving meanwhile aborts it. */
function startCall(kind, call, extra = {}) {
  const abort = new AbortController();
  const entry = { kind, abort, ...extra };
  entry.done = call(abort.signal).finally(() => {
    if (running === entry) running = null;
  });
  running = entry;
  $('device-tools').hidden = true;
  showMessage(null);
  ui.hidden = false;
  return entry.done;
}

async function enroll() {
  if (running) return;
  let challenge;
  try {
    challenge = await api('POST', '/api/me/enrollment-challenge');
  } catch (error) {
    return enrollRefused(error);
  }
  let outcome;
  try {
    outcome = await startCall('enroll', (signal) => ui.enroll({ ...challenge, ...devOptions, signal }));
  } catch (error) {
    if (error.code === 'ERR_ABORTED') return;
    throw error;
  }
  if (outcome.outcome === 'alternative') {
    sessionStore.setItem('presenza-demo-prefers-alternative', '1');
    await refreshStatus();
    return;
  }
  let registered;
  try {
    registered = await api('POST', '/api/me/enrollment', { assertion: outcome.assertion });
    local.setItem(keyStorage(), registered.keyId);
  } catch (error) {
    // The key never reached the school: drop the face data it belongs to.
    await presenza.forget();
    return enrollRefused(error);
  }
  // Active: the element's own "You are enrolled" screen says it. Pending: the page explains.
  if (registered.status === 'pending') showMessage({ title: 'pendingTitle', body: 'pendingBody', tone: 'warn' });
  await showDevices();
  $('device-tools').hidden = false;
  $('forget').hidden = false;
  $('enroll').hidden = true;
}

function enrollRefused(error) {
  const tooMany = error.code === 'too_many_keys';
  showMessage({
    title: tooMany ? 'tooManyKeysTitle' : 'saveFailedTitle',
    body: tooMany ? 'tooManyKeysBody' : 'saveFailedBody',
    values: { code: error.code ?? error.message },
    tone: 'warn',
    actions: tooMany ? [] : [{ label: 'tryAgain', run: () => void enroll() }],
  });
  $('device-tools').hidden = false;
}

/** The service's refusal of a posted answer, as a message with the next step. */
function answerRefused(checkId, error) {
  const known = { key_pending: 'keyPending', not_enrolled: 'notEnrolled', check_closed: 'checkClosed', lesson_ended: 'ended' }[error.code] ?? 'sendFailed';
  const canAlternative = known !== 'checkClosed' && known !== 'ended';
  showMessage({
    title: `${known}Title`,
    body: `${known}Body`,
    values: { code: error.code ?? error.message },
    tone: 'warn',
    actions: canAlternative ? [{ label: 'useAlternative', run: () => void chooseAlternative(checkId) }] : [],
  });
}

async function chooseAlternative(checkId) {
  try {
    await api('POST', `/api/checks/${checkId}/alternative`);
    showMessage({ title: 'altSentTitle', body: 'altSentBody' });
  } catch (error) {
    showMessage({ title: 'altFailedTitle', body: 'altFailedBody', values: { code: error.code ?? error.message }, tone: 'warn', actions: [{ label: 'tryAgain', run: () => void chooseAlternative(checkId) }] });
  }
}

async function onCheck(check) {
  if (lessonEnded || check.checkId === lastCheckId) return;
  lastCheckId = check.checkId;
  // A new request: what was shown for the last one (a result, a message) goes.
  showMessage(null);
  if (running) {
    running.abort.abort();
    await running.done.catch(() => undefined);
  }
  if (!ui) {
    if (noCameraHere) return offerNewWindow(check.checkId);
    showMessage({ title: 'checkNoSdkTitle', body: 'checkNoSdkBody', actions: [{ label: 'useAlternative', run: () => void chooseAlternative(check.checkId) }] });
    return;
  }
  posting = Promise.resolve(null);
  const renewNonce = async (signal) => (await api('POST', `/api/checks/${check.checkId}/retry`, undefined, signal)).nonce;
  let outcome;
  try {
    outcome = await startCall('check', (signal) => ui.check({ checkId: check.checkId, nonce: check.nonce, renewNonce, ...devOptions, signal }), { checkId: check.checkId });
  } catch (error) {
    if (error.code === 'ERR_ABORTED') return;
    throw error;
  }
  if (outcome.outcome === 'alternative') {
    try {
      await api('POST', `/api/checks/${check.checkId}/alternative`);
    } catch (error) {
      showMessage({ title: 'altFailedTitle', body: 'altFailedBody', values: { code: error.code ?? error.message }, tone: 'warn', actions: [{ label: 'tryAgain', run: () => void chooseAlternative(check.checkId) }] });
    }
  } else {
    const refusal = await posting;
    if (refusal) answerRefused(check.checkId, refusal);
  }
  const state = await deviceState();
  $('device-tools').hidden = false;
  $('forget').hidden = state === 'none';
  $('enroll').hidden = state === 'enrolled' || state === 'pending';
}

/**
 * The frame forbids the camera or keeps no storage: the face check in a new window, or (during a
 * check) the alternative here; for storage, first the browser's Storage Access prompt where it has one.
 */
function offerNewWindow(checkId) {
  if (noCameraHere === 'storage' && typeof document.requestStorageAccess === 'function') {
    showMessage({ title: 'storageAskTitle', body: 'storageAskBody', tone: 'warn', actions: [{ label: 'allowStorage', run: () => void allowStorage(checkId) }, ...elsewhere(checkId)] });
    return;
  }
  showMessage({ title: 'cameraFrameTitle', body: noCameraHere === 'storage' ? 'storageFrameBody' : 'cameraFrameBody', tone: 'warn', actions: elsewhere(checkId) });
}

/** The ways on from a frame where the face check cannot run: a new window, or (during a check) the alternative. */
const elsewhere = (checkId) => [{ label: 'openNewWindow', run: () => void openWindow() }, ...(checkId ? [{ label: 'useAlternative', run: () => void chooseAlternative(checkId) }] : [])];

/** The student's click on "Allow Presenza to keep data here": the browser's prompt, then the page again with its storage. */
async function allowStorage(checkId) {
  const result = await requestFrameStorage({ prompt: true });
  // Granted: the page starts again, this time with the face check (the grant is taken without asking).
  if (result === 'granted') return location.reload();
  showMessage({
    title: 'storageDeniedTitle',
    body: result === 'no_storage' ? 'storageStillBlockedBody' : 'storageDeniedBody',
    tone: 'warn',
    actions: elsewhere(checkId),
  });
}

async function openWindow() {
  try {
    await openInNewWindow();
  } catch (error) {
    const blocked = error.code === 'popup_blocked';
    showMessage({ title: blocked ? 'popupBlockedTitle' : 'handoffFailedTitle', body: blocked ? 'popupBlockedBody' : 'handoffFailedBody', values: { code: error.code ?? error.message }, tone: 'warn' });
    return;
  }
  // The new window answers the checks from now on: this frame stops listening.
  events?.close();
  if (running) running.abort.abort();
  $('device-tools').hidden = true;
  showMessage({ title: 'openedTitle', body: 'openedBody' });
}

/** Every attempt's signed answer (a failed one too) goes to the service at once. */
function postAttempt(event) {
  const { operation, result, error } = event.detail;
  // The SDK found the camera forbidden by the frame (where the page could not tell beforehand).
  if (error?.code === 'ERR_CAMERA_POLICY' && window.top !== window.self) offerNewWindow(running?.checkId);
  if (operation !== 'check' || !result?.assertion || running?.kind !== 'check') return;
  const checkId = running.checkId;
  posting = api('POST', `/api/checks/${checkId}/result`, { assertion: result.assertion }).then(
    () => null,
    (error) => error,
  );
}

function onResult({ checkId, status }) {
  if (checkId !== lastCheckId || running) return;
  if (status === 'alternative_confirmed' || status === 'confirmed_in_person') showMessage({ title: 'confirmedTitle', body: 'confirmedBody', tone: 'ok' });
  if (status === 'absent') showMessage({ title: 'absentTitle', body: 'absentBody', tone: 'warn' });
}

async function onLessonEnded() {
  if (lessonEnded) return;
  lessonEnded = true;
  if (running) {
    running.abort.abort();
    await running.done.catch(() => undefined);
  }
  $('device-tools').hidden = true;
  showMessage({ title: 'endedTitle', body: 'endedBody' });
}

/** Starts loading the face check's models at once, while the student signs in and joins. */
function startSdk() {
  const onProgress = progressTracker();
  return window.Presenza.create({ onProgress });
}

async function loadSdk(loading) {
  $('sdk-loading').hidden = false;
  try {
    [presenza, deployment] = await Promise.all([loading, api('GET', '/privacy/ui-options.json')]);
  } catch (error) {
    $('sdk-loading').hidden = true;
    showMessage({ title: 'unsupportedTitle', body: 'unsupportedBody', values: { code: error.code ?? error.message }, tone: 'warn' });
    return false;
  }
  $('sdk-loading').hidden = true;
  showSdkStatus('ready');
  ui = window.Presenza.mount($('presence'), elementOptions());
  ui.addEventListener('presenza-result', postAttempt);
  return true;
}

async function start(loading) {
  $('lesson').hidden = false;
  let lesson;
  try {
    lesson = await api('POST', `/api/lessons/${lessonId}/join`);
  } catch (error) {
    showMessage({ title: 'joinFailedTitle', body: 'joinFailedBody', values: { code: error.code ?? error.message }, tone: 'warn' });
    return;
  }
  $('lesson-title').textContent = lesson.title;
  $('lesson-title').focus();
  // Without the camera the SDK's models are not worth downloading in this frame.
  if (noCameraHere) $('sdk-loading').hidden = true;
  const ready = noCameraHere ? (offerNewWindow(), false) : await loadSdk(loading);
  $('enroll').addEventListener('click', enrollAfterChoice);
  $('forget').addEventListener('click', async () => {
    await presenza.forget();
    // The key is gone with the face data: remove it at the service too.
    const mine = local.getItem(keyStorage());
    if (mine) await api('POST', `/api/me/keys/${mine}/revoke`).catch(() => undefined);
    local.removeItem(keyStorage());
    await deviceState();
    $('forget').hidden = true;
    $('enroll').hidden = false;
    showMessage({ title: 'forgottenTitle', body: 'forgottenBody', actions: [{ label: 'enrollAgain', run: enrollAfterChoice }] });
  });
  // The stream starts with the lesson's status and the checks still open for this student.
  events = new EventSource(`/api/lessons/${lessonId}/me/events`);
  const on = (type, handle) => events.addEventListener(type, (event) => void handle(JSON.parse(event.data)));
  on('check', onCheck);
  on('result', onResult);
  on('lesson', (data) => data.status === 'ended' && onLessonEnded());
  if (ready) await refreshStatus({ focus: false });
  else await showDevices();
}

onLanguageChange(() => {
  if (message) showMessage(message, { focus: false });
  if (sdkStatus) showSdkStatus(sdkStatus.key, sdkStatus.values);
  if (session && lessonId) void showDevices();
  // The element follows the page language at its next screen; the purpose sentence comes with the options.
  if (ui && !running) ui.configure(elementOptions());
});

if (!lessonId) {
  document.querySelector('main').replaceChildren(
    Object.assign(document.createElement('h1'), { textContent: t('noLessonTitle') }),
    Object.assign(document.createElement('p'), { textContent: t('noLessonBody') }),
  );
} else {
  // The models load while the session is checked and the lesson joined (a failure shows in loadSdk).
  // (Not in a frame where the face check cannot run: see noCameraHere.)
  const loading = noCameraHere ? Promise.resolve(null) : startSdk();
  loading.catch(() => undefined);
  if ((session = await requireSession('student', t))) await start(loading);
}
