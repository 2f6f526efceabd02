// Teacher page of the demo: start a lesson, trigger checks, follow attendance live, confirm
// alternatives and in-person checks, approve students' new devices, export CSV. Plain DOM, no
// framework. One card per student with the history of every check; a `line` event updates one
// card, one alert and the counts, never the whole list (a class may have 500 students).
import { api, requireSession } from './session.js';
import { openInNewWindow } from './frame.js';
import { currentLanguage, formatDate, languageSwitch, onLanguageChange, pageTexts } from './i18n.js';

const TEXTS = {
  en: {
    pageTitle: 'Teacher · Presenza demo',
    heading: 'Teacher',
    signedInAs: 'Signed in as',
    signOut: 'Sign out',
    languageLabel: 'Language',
    role_teacher: 'teacher',
    createTitle: 'Start a lesson',
    titleLabel: 'Lesson title',
    startLesson: 'Start lesson',
    studentLink: 'Student link:',
    checkNow: 'Check now',
    within: 'or at a random moment within',
    minutes: 'minutes',
    schedule: 'Schedule',
    endLesson: 'End lesson',
    exportCsv: 'Export CSV',
    alertsTitle: 'Needs your attention',
    latestTitle: 'Latest check',
    noCheckYet: 'No check yet.',
    latestCheck_one: 'Sent at {time}, open until {until}; {students} student asked.',
    latestCheck_other: 'Sent at {time}, open until {until}; {students} students asked.',
    countPending: 'Waiting',
    countNoAnswer: 'No answer',
    countPassed: 'Present',
    countAlternative: 'Alternative',
    countFailed: 'Failed',
    countCouldNotRun: 'Could not run',
    countAbsent: 'Absent',
    enrollmentsTitle: 'New devices waiting for your approval',
    enrollmentsIntro: 'A student set up the face check on another device (or again). Their current device keeps working until you approve; approve only if you know it is really them (for instance, you saw them on camera).',
    enrollmentEntry_one: '{name}: device {fingerprint}, set up {date}; {active} device already active.',
    enrollmentEntry_other: '{name}: device {fingerprint}, set up {date}; {active} devices already active.',
    approve: 'Approve new device',
    // Why the device waits: the identity-document outcome, never a photo or a score.
    pending_not_matched: 'Why it waits: the photo on the identity document the student showed did not match their face.',
    pending_not_run: 'Why it waits: no identity document was compared (the student chose not to show one, or none was asked for).',
    studentsTitle: 'Students',
    studentsJoined_one: '{count} student joined.',
    studentsJoined_other: '{count} students joined.',
    noPhoto: 'You never see a photo: Presenza checks the face on the student’s own device and sends only pass or fail.',
    checkSent: 'Check sent to every student.',
    checkScheduled: 'A check will be sent at a random moment, by {time}.',
    lessonEnded: 'The lesson has ended. No more checks can be sent; you can still confirm students and export the CSV.',
    actionFailed: 'That did not work: {code}. Try again.',
    historyLabel: 'Checks for {name}',
    checkAt: 'Check {n} ({time})',
    notAsked: 'Not asked (joined later)',
    st_pending: 'Waiting for an answer',
    st_noAnswer: 'No answer (the check has closed)',
    st_passed: 'Present (face check)',
    st_failed: 'Face check did not pass: {reason}',
    st_couldNotRun: 'Check could not run: {reason}',
    st_alternative_requested: 'Chose the alternative: confirm them',
    st_alternative_unconfirmed: 'Chose the alternative (not confirmed)',
    st_alternative_confirmed: 'Present (alternative)',
    st_confirmed_in_person: 'Present (you verified them)',
    st_absent: 'Absent',
    r_mismatch: 'the face did not match their enrollment',
    r_liveness_failed: 'a live person could not be confirmed',
    r_multiple_faces: 'more than one person was in view',
    r_no_face: 'no face was seen',
    r_camera_unavailable: 'the camera was not available',
    r_timeout: 'the image was not clear enough in time',
    r_not_enrolled: 'the face check is not set up on their device',
    r_enrollment_expired: 'their face check setup has expired',
    r_other: 'unknown reason',
    alertFailed: '{name} ({time}): {status}. Verify them in person (nothing was kept).',
    alertAlternative: '{name} ({time}) chose the alternative: confirm their presence.',
    confirmPresent: 'Confirm present',
    verifiedInPerson: 'Verified in person',
    markAbsent: 'Absent',
    frameBarBody: 'Presenza is shown inside your course page. The dashboard has more room in a window of its own, where you stay signed in.',
    openNewWindow: 'Open in a new window',
    openedElsewhere: 'Presenza is open in another window. This page keeps working too.',
    popupBlocked: 'The new window was blocked ({code}): allow pop-ups for this site and try again.',
    handoffFailed: 'The new window could not be opened: the service answered {code}. Reload the page and try again.',
  },
  it: {
    pageTitle: 'Docente · demo Presenza',
    heading: 'Docente',
    signedInAs: 'Accesso come',
    signOut: 'Esci',
    languageLabel: 'Lingua',
    role_teacher: 'docente',
    createTitle: 'Avvia una lezione',
    titleLabel: 'Titolo della lezione',
    startLesson: 'Avvia la lezione',
    studentLink: 'Link per gli studenti:',
    checkNow: 'Verifica ora',
    within: 'oppure in un momento casuale entro',
    minutes: 'minuti',
    schedule: 'Programma',
    endLesson: 'Termina la lezione',
    exportCsv: 'Esporta CSV',
    alertsTitle: 'Richiede la tua attenzione',
    latestTitle: 'Ultima verifica',
    noCheckYet: 'Ancora nessuna verifica.',
    latestCheck_one: 'Inviata alle {time}, aperta fino alle {until}; {students} studente interpellato.',
    latestCheck_other: 'Inviata alle {time}, aperta fino alle {until}; {students} studenti interpellati.',
    countPending: 'In attesa',
    countNoAnswer: 'Senza risposta',
    countPassed: 'Presenti',
    countAlternative: 'Alternativa',
    countFailed: 'Non superata',
    countCouldNotRun: 'Non eseguita',
    countAbsent: 'Assenti',
    enrollmentsTitle: 'Nuovi dispositivi in attesa della tua approvazione',
    enrollmentsIntro: 'Uno studente ha configurato la verifica del volto su un altro dispositivo (o di nuovo). Il dispositivo attuale continua a funzionare finché non approvi; approva solo se sai che è davvero lo studente (per esempio, lo hai visto in video).',
    enrollmentEntry_one: '{name}: dispositivo {fingerprint}, configurato il {date}; {active} dispositivo già attivo.',
    enrollmentEntry_other: '{name}: dispositivo {fingerprint}, configurato il {date}; {active} dispositivi già attivi.',
    approve: 'Approva il nuovo dispositivo',
    pending_not_matched: 'Perché è in attesa: la foto del documento d’identità mostrato dallo studente non corrisponde al suo volto.',
    pending_not_run: 'Perché è in attesa: nessun documento d’identità è stato confrontato (lo studente ha scelto di non mostrarlo, oppure non era richiesto).',
    studentsTitle: 'Studenti',
    studentsJoined_one: 'Studenti collegati: {count}.',
    studentsJoined_other: 'Studenti collegati: {count}.',
    noPhoto: 'Non vedi mai una foto: Presenza controlla il volto sul dispositivo dello studente e invia solo l’esito.',
    checkSent: 'Verifica inviata a tutti gli studenti.',
    checkScheduled: 'Una verifica partirà in un momento casuale, entro le {time}.',
    lessonEnded: 'La lezione è terminata. Non si possono più inviare verifiche; puoi ancora confermare gli studenti ed esportare il CSV.',
    actionFailed: 'Operazione non riuscita: {code}. Riprova.',
    historyLabel: 'Verifiche di {name}',
    checkAt: 'Verifica {n} ({time})',
    notAsked: 'Non interpellato (collegato dopo)',
    st_pending: 'In attesa di risposta',
    st_noAnswer: 'Nessuna risposta (la verifica è chiusa)',
    st_passed: 'Presente (verifica del volto)',
    st_failed: 'Verifica del volto non superata: {reason}',
    st_couldNotRun: 'Verifica non eseguita: {reason}',
    st_alternative_requested: 'Ha scelto l’alternativa: conferma la presenza',
    st_alternative_unconfirmed: 'Ha scelto l’alternativa (non confermata)',
    st_alternative_confirmed: 'Presente (alternativa)',
    st_confirmed_in_person: 'Presente (verificato da te)',
    st_absent: 'Assente',
    r_mismatch: 'il volto non corrispondeva alla registrazione',
    r_liveness_failed: 'non è stato possibile confermare una persona dal vivo',
    r_multiple_faces: 'c’era più di una persona nell’inquadratura',
    r_no_face: 'nessun volto visto',
    r_camera_unavailable: 'la fotocamera non era disponibile',
    r_timeout: 'l’immagine non è stata abbastanza chiara in tempo',
    r_not_enrolled: 'la verifica del volto non è configurata sul suo dispositivo',
    r_enrollment_expired: 'la sua configurazione della verifica del volto è scaduta',
    r_other: 'motivo sconosciuto',
    alertFailed: '{name} ({time}): {status}. Verificalo di persona (non è stato conservato nulla).',
    alertAlternative: '{name} ({time}) ha scelto l’alternativa: conferma la presenza.',
    confirmPresent: 'Conferma presente',
    verifiedInPerson: 'Verificato di persona',
    markAbsent: 'Assente',
    frameBarBody: 'Presenza è mostrato dentro la pagina del corso. Il pannello ha più spazio in una finestra separata, dove resti connesso.',
    openNewWindow: 'Apri in una nuova finestra',
    openedElsewhere: 'Presenza è aperto in un’altra finestra. Anche questa pagina continua a funzionare.',
    popupBlocked: 'La nuova finestra è stata bloccata ({code}): consenti i pop-up per questo sito e riprova.',
    handoffFailed: 'Non è stato possibile aprire la nuova finestra: il servizio ha risposto {code}. Ricarica la pagina e riprova.',
  },
};

const $ = (id) => document.getElementById(id);
const t = pageTexts(TEXTS);
languageSwitch($('lang-switch'));

/** `t` of `key_one` or `key_other`, by the language's plural rule for `count`. */
const plural = (key, count, values) => t(`${key}_${new Intl.PluralRules(currentLanguage()).select(count) === 'one' ? 'one' : 'other'}`, values);

/** Names in the page language's order, numbers by value ("Sim 2" before "Sim 10"). */
const byName = (a, b) => a.localeCompare(b, currentLanguage(), { numeric: true });

/** Reasons for which the face check could not run at all (as opposed to running and failing). */
const COULD_NOT_RUN = new Set(['camera_unavailable', 'no_face', 'timeout', 'not_enrolled', 'enrollment_expired']);
const KNOWN_REASONS = new Set(['mismatch', 'liveness_failed', 'multiple_faces', ...COULD_NOT_RUN]);

/** Which counter a line adds to. */
function bucketOf(line) {
  switch (line.status) {
    case 'pending':
      return 'pending';
    case 'passed':
    case 'confirmed_in_person':
      return 'passed';
    case 'alternative_requested':
    case 'alternative_confirmed':
      return 'alternative';
    case 'absent':
      return 'absent';
    default:
      return COULD_NOT_RUN.has(line.reason) ? 'couldnotrun' : 'failed';
  }
}

/** A line's status in plain words. */
function statusText(line, check) {
  if (!line) return t('notAsked');
  if (line.status === 'pending') return view.ended || (check && Date.now() > check.closesAt) ? t('st_noAnswer') : t('st_pending');
  if (line.status === 'failed') {
    const reason = t(`r_${KNOWN_REASONS.has(line.reason) ? line.reason : 'other'}`);
    return t(COULD_NOT_RUN.has(line.reason) ? 'st_couldNotRun' : 'st_failed', { reason });
  }
  // A later check asked the student again: this one is no longer the teacher's to confirm here.
  if (line.status === 'alternative_requested' && currentLineOf(line.studentId) !== line) return t('st_alternative_unconfirmed');
  return t(`st_${line.status}`);
}

const time = (ms) => formatDate(ms, { timeStyle: 'short' });

// The lesson as the teacher stream describes it: a snapshot, then one event per change, applied
// as upserts (an event the snapshot already reflects changes nothing).
const view = {
  lessonId: null,
  ended: false,
  students: new Map(),
  /** checkId → CheckSummary, and the checks in order. */
  checks: new Map(),
  order: [],
  /** checkId → (studentId → line). */
  lines: new Map(),
  /** studentId → the student's card and its parts. */
  cards: new Map(),
  /** `${checkId}/${studentId}` → alert item. */
  alerts: new Map(),
  /** `${checkId}/${studentId}` → called once that line's next event is applied. */
  waiters: new Map(),
  counts: null,
};

const latest = () => view.checks.get(view.order.at(-1));
const nameOf = (studentId) => view.students.get(studentId)?.displayName ?? '';

/** What the status line says, as a function of the language, so a language switch re-renders it. */
let status = null;

/** Puts `render()` (which reads the current language) in the status line, now and after each language change. */
function say(render) {
  status = render;
  $('lesson-status').textContent = render();
}

/** Resolves once the next event of `line`'s check and student is applied (or after 3 s, when none comes). */
function updated(line) {
  const key = `${line.checkId}/${line.studentId}`;
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 3000);
    view.waiters.set(key, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Runs a teacher action; a refusal is said in the status line. */
async function act(run) {
  try {
    return await run();
  } catch (error) {
    say(() => t('actionFailed', { code: error.code ?? error.message }));
    return undefined;
  }
}

/** The buttons for one student's line, each naming the student for screen readers. */
function actionButtons(line) {
  if (!line) return [];
  const button = (label, present) => {
    const element = document.createElement('button');
    element.type = 'button';
    element.className = present ? 'small' : 'secondary small';
    element.textContent = t(label);
    element.setAttribute('aria-label', `${t(label)}: ${nameOf(line.studentId)}`);
    element.addEventListener('click', async () => {
      element.disabled = true;
      const answered = updated(line);
      await act(() => api('POST', `/api/checks/${line.checkId}/confirm`, { studentId: line.studentId, present }));
      element.disabled = false;
      // The answer re-renders the card and resolves the alert: focus goes to the student's card, where the new state is read.
      await answered;
      if (!element.isConnected || !element.checkVisibility()) view.cards.get(line.studentId)?.name.focus();
    });
    return element;
  };
  if (line.status === 'alternative_requested') return [button('confirmPresent', true)];
  if (line.status === 'failed' || line.status === 'pending') return [button('verifiedInPerson', true), button('markAbsent', false)];
  return [];
}

/** The card of one student: name, state of the latest check with its actions, every check in order. */
function card(studentId) {
  let entry = view.cards.get(studentId);
  if (entry) return entry;
  const item = document.createElement('li');
  item.className = 'student';
  item.dataset.student = studentId;
  const name = document.createElement('strong');
  name.className = 'name';
  // Focus lands here after an action on the student's line (its buttons are replaced).
  name.tabIndex = -1;
  const state = document.createElement('span');
  state.className = 'state';
  state.id = `state-${studentId}`;
  name.setAttribute('aria-describedby', state.id);
  const actions = document.createElement('span');
  actions.className = 'actions';
  const history = document.createElement('ol');
  history.className = 'history';
  item.append(name, state, actions, history);
  entry = { item, name, state, actions, history, chips: new Map() };
  view.cards.set(studentId, entry);
  return entry;
}

/** One check in a student's history (none for a check they were not asked: they joined later). */
function chip(entry, check, line) {
  let item = entry.chips.get(check.checkId);
  if (!line) {
    item?.remove();
    entry.chips.delete(check.checkId);
    return;
  }
  if (!item) {
    item = document.createElement('li');
    entry.chips.set(check.checkId, item);
    entry.history.append(item);
  }
  item.dataset.status = bucketOf(line);
  item.textContent = `${t('checkAt', { n: view.order.indexOf(check.checkId) + 1, time: time(check.opensAt) })}: ${statusText(line, check)}`;
}

/** Refreshes one student's card (name, latest state, actions, one or every history entry). */
function renderStudent(studentId, onlyCheckId) {
  const entry = card(studentId);
  const name = nameOf(studentId);
  entry.name.textContent = name;
  entry.history.setAttribute('aria-label', t('historyLabel', { name }));
  const last = latest();
  const line = last && view.lines.get(last.checkId)?.get(studentId);
  entry.item.dataset.status = line ? bucketOf(line) : 'none';
  entry.state.textContent = last ? statusText(line, last) : '';
  // The buttons are replaced: one that had the focus hands it to its successor of the same name, else to the card.
  const focused = entry.actions.contains(document.activeElement) ? document.activeElement.textContent : null;
  entry.actions.replaceChildren(...actionButtons(line));
  if (focused !== null) ([...entry.actions.children].find((button) => button.textContent === focused) ?? entry.name).focus();
  const checks = onlyCheckId ? [view.checks.get(onlyCheckId)] : view.order.map((id) => view.checks.get(id));
  for (const check of checks) chip(entry, check, view.lines.get(check.checkId)?.get(studentId));
}

/** The whole list (a snapshot, a new check, a language change): never per line event. */
function renderAll() {
  const ids = [...view.students.keys()].sort((a, b) => byName(nameOf(a), nameOf(b)));
  for (const id of ids) renderStudent(id);
  const items = ids.map((id) => view.cards.get(id).item);
  const list = $('students');
  // Moving a card takes the keyboard focus off its buttons: the list is rebuilt only when its order changed.
  if (items.length !== list.children.length || items.some((item, i) => list.children[i] !== item)) list.replaceChildren(...items);
  $('students-joined').textContent = plural('studentsJoined', view.students.size, { count: view.students.size });
  recount();
  renderLatestCheck();
  for (const [key, item] of view.alerts) renderAlert(key, item);
}

function renderLatestCheck() {
  const last = latest();
  $('latest-check').textContent = last ? plural('latestCheck', last.students, { time: time(last.opensAt), until: time(last.closesAt), students: last.students }) : t('noCheckYet');
}

/** Counts of the latest check, from scratch (snapshot, new check); `line` events adjust them. */
function recount() {
  view.counts = { pending: 0, passed: 0, alternative: 0, failed: 0, couldnotrun: 0, absent: 0 };
  const last = latest();
  for (const line of last ? (view.lines.get(last.checkId)?.values() ?? []) : []) view.counts[bucketOf(line)] += 1;
  showCounts();
}

function showCounts() {
  for (const [key, value] of Object.entries(view.counts)) $(`count-${key}`).textContent = String(value);
  const last = latest();
  const closed = view.ended || (last && Date.now() > last.closesAt);
  $('count-pending').previousElementSibling.textContent = t(closed ? 'countNoAnswer' : 'countPending');
  if (last) announceCounts();
}

/** Seconds between two spoken summaries of the counts, however many answers arrive meanwhile. */
const COUNTS_ANNOUNCE_MS = 5000;
let countsAnnouncement = null;

/** Reads the counts out once, {@link COUNTS_ANNOUNCE_MS} after a change, as they are then (the labels shown, in the page language). */
function announceCounts() {
  countsAnnouncement ??= setTimeout(() => {
    countsAnnouncement = null;
    const parts = [...document.querySelectorAll('.counts > div')].map((box) => `${box.querySelector('span').textContent}: ${box.querySelector('strong').textContent}`);
    $('counts-announcer').textContent = `${t('latestTitle')}: ${parts.join(', ')}.`;
  }, COUNTS_ANNOUNCE_MS);
}

/** The student's line in the last check they were asked in (a later check supersedes what an earlier one asked of the teacher). */
function currentLineOf(studentId) {
  for (let i = view.order.length - 1; i >= 0; i -= 1) {
    const line = view.lines.get(view.order[i])?.get(studentId);
    if (line) return line;
  }
  return undefined;
}

/**
 * Whether a line needs the teacher: a failed check or an alternative to confirm, in the student's
 * current check. Once a new check asks the student again, the earlier one's alert goes: the new
 * answer (or its own alert) is what the teacher acts on; the card keeps the earlier result.
 */
const needsTeacher = (line) => (line.status === 'failed' || line.status === 'alternative_requested') && currentLineOf(line.studentId) === line;

function renderAlert(key, item) {
  const line = view.lines.get(item.dataset.check)?.get(item.dataset.student);
  const check = view.checks.get(item.dataset.check);
  const values = { name: nameOf(line.studentId), time: time(check.opensAt), status: statusText(line, check) };
  const text = document.createElement('span');
  text.textContent = t(line.status === 'failed' ? 'alertFailed' : 'alertAlternative', values);
  item.replaceChildren(text, ' ', ...actionButtons(line));
}

/** Adds, updates or removes (once resolved) the alert of one line. */
function upsertAlert(line) {
  const key = `${line.checkId}/${line.studentId}`;
  let item = view.alerts.get(key);
  if (!needsTeacher(line)) {
    item?.remove();
    view.alerts.delete(key);
  } else {
    if (!item) {
      item = document.createElement('li');
      item.className = 'alert';
      item.dataset.check = line.checkId;
      item.dataset.student = line.studentId;
      view.alerts.set(key, item);
      $('alerts').append(item);
    }
    renderAlert(key, item);
  }
  $('alerts-title').hidden = view.alerts.size === 0;
}

/** Stores a line (newer wins); returns the one it replaced, or undefined when it was older. */
function storeLine(line) {
  let lines = view.lines.get(line.checkId);
  if (!lines) view.lines.set(line.checkId, (lines = new Map()));
  const known = lines.get(line.studentId);
  if (known && known.updatedAt > line.updatedAt) return undefined;
  lines.set(line.studentId, line);
  return known ?? null;
}

function addCheck(check) {
  view.checks.set(check.checkId, check);
  view.order = [...view.checks.values()].sort((a, b) => a.opensAt - b.opensAt).map((c) => c.checkId);
}

async function applySnapshot(snapshot) {
  view.students = new Map(snapshot.students.map((s) => [s.studentId, s]));
  view.checks = new Map();
  for (const check of snapshot.checks) addCheck(check);
  view.lines = new Map();
  // Earlier checks come from the history endpoint (the snapshot carries the latest one's lines).
  const earlier = view.order.slice(0, -1);
  const histories = await Promise.all(earlier.map((checkId) => api('GET', `/api/lessons/${view.lessonId}/attendance?checkId=${checkId}`).catch(() => ({ lines: [] }))));
  for (const { lines } of histories) for (const line of lines) storeLine(line);
  for (const line of snapshot.lines) storeLine(line);
  for (const item of view.alerts.values()) item.remove();
  view.alerts.clear();
  for (const lines of view.lines.values()) for (const line of lines.values()) if (needsTeacher(line)) upsertAlert(line);
  $('alerts-title').hidden = view.alerts.size === 0;
  const renderedAt = Date.now();
  renderAll();
  for (const check of view.checks.values()) whenClosed(check, renderedAt);
  renderPending(snapshot.enrollments);
  if (snapshot.lesson.status === 'ended') lessonEnded();
}

function applyCheck(check) {
  const known = view.checks.has(check.checkId);
  addCheck(check);
  if (known) return renderLatestCheck();
  // A new check: everyone who had joined when it opened is asked.
  for (const student of view.students.values()) {
    if (student.joinedAt <= check.opensAt) {
      storeLine({ checkId: check.checkId, studentId: student.studentId, status: 'pending', method: null, outcome: null, reason: null, updatedAt: check.opensAt });
    }
  }
  // The students it asks no longer need the teacher for an earlier check.
  for (const item of [...view.alerts.values()]) upsertAlert(view.lines.get(item.dataset.check).get(item.dataset.student));
  const renderedAt = Date.now();
  renderAll();
  whenClosed(check, renderedAt);
}

/**
 * When `check` closes, its waiting lines become "no answer", in the counts and on every card (one
 * pass, not per event). `renderedAt`: when the list was last rendered (a long render may outlast the check).
 */
function whenClosed(check, renderedAt) {
  if (check.closesAt > renderedAt) setTimeout(renderAll, Math.max(0, check.closesAt - Date.now()) + 500);
}

function applyLine(line) {
  if (!view.checks.has(line.checkId)) return;
  const replaced = storeLine(line);
  if (replaced === undefined) return;
  if (line.checkId === latest()?.checkId) {
    if (replaced) view.counts[bucketOf(replaced)] -= 1;
    view.counts[bucketOf(line)] += 1;
    showCounts();
  }
  if (view.students.has(line.studentId)) renderStudent(line.studentId, line.checkId);
  upsertAlert(line);
  const key = `${line.checkId}/${line.studentId}`;
  view.waiters.get(key)?.();
  view.waiters.delete(key);
}

function applyStudent(student) {
  const known = view.students.has(student.studentId);
  view.students.set(student.studentId, student);
  renderStudent(student.studentId);
  if (!known) {
    // Inserted in name order without touching the other cards.
    const name = student.displayName;
    const next = [...$('students').children].find((item) => byName(nameOf(item.dataset.student), name) > 0);
    $('students').insertBefore(view.cards.get(student.studentId).item, next ?? null);
  }
  $('students-joined').textContent = plural('studentsJoined', view.students.size, { count: view.students.size });
}

function lessonEnded() {
  view.ended = true;
  const controls = ['check-now', 'check-random', 'end', 'within'].map($);
  // A disabled control loses the keyboard focus: it moves to the status line, which says why.
  const hadFocus = controls.includes(document.activeElement);
  for (const control of controls) control.disabled = true;
  say(() => t('lessonEnded'));
  if (hadFocus) $('lesson-status').focus();
  renderAll();
}

let pendingEnrollments = [];
function renderPending(pending) {
  pendingEnrollments = pending;
  $('enrollments').hidden = pending.length === 0;
  $('pending').replaceChildren(
    ...pending.map((entry) => {
      const item = document.createElement('li');
      const text = document.createElement('span');
      text.textContent = plural('enrollmentEntry', entry.activeKeys, { name: entry.displayName, fingerprint: entry.fingerprint, date: formatDate(entry.createdAt, { dateStyle: 'medium', timeStyle: 'short' }), active: entry.activeKeys });
      // Keys enrolled before the service kept the outcome have no reason to show.
      if (entry.idDocument) text.append(' ', t(`pending_${entry.idDocument}`));
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'small';
      button.textContent = t('approve');
      button.setAttribute('aria-label', `${t('approve')}: ${entry.displayName}`);
      button.addEventListener('click', async () => {
        button.disabled = true;
        await act(() => api('POST', `/api/lessons/${view.lessonId}/enrollments/${entry.keyId}/approve`));
        await refreshPending();
      });
      item.append(text, ' ', button);
      return item;
    }),
  );
}

async function refreshPending() {
  const pending = await act(() => api('GET', `/api/lessons/${view.lessonId}/enrollments`));
  if (pending) renderPending(pending);
}

function openLesson(lessonId, title) {
  view.lessonId = lessonId;
  $('create').hidden = true;
  $('lesson').hidden = false;
  $('lesson-title').textContent = title;
  $('lesson-title').focus();
  const link = new URL(`/student.html?lesson=${lessonId}`, location.href).href;
  $('student-link').href = link;
  $('student-link').textContent = link;
  $('csv').href = `/api/lessons/${lessonId}/attendance.csv`;
  history.replaceState(null, '', `?lesson=${lessonId}`);
  renderLatestCheck();

  // EventSource reconnects by itself (to any instance) and resumes after the last event it got.
  const events = new EventSource(`/api/lessons/${lessonId}/events`);
  const on = (type, apply) => events.addEventListener(type, (event) => apply(JSON.parse(event.data)));
  on('snapshot', applySnapshot);
  on('student', applyStudent);
  on('check', applyCheck);
  on('line', applyLine);
  on('lesson', (lesson) => lesson.status === 'ended' && lessonEnded());
  on('enrollment', refreshPending);

  const trigger = async (withinMinutes) => {
    const answer = await act(() => api('POST', `/api/lessons/${lessonId}/checks`, { withinMinutes }));
    if (answer) say(() => (withinMinutes === 0 ? t('checkSent') : t('checkScheduled', { time: time(answer.firesAt) })));
  };
  $('check-now').addEventListener('click', () => trigger(0));
  $('check-random').addEventListener('click', () => trigger(Number($('within').value)));
  $('end').addEventListener('click', () => act(() => api('POST', `/api/lessons/${lessonId}/end`)));
}

onLanguageChange(() => {
  if (!view.lessonId) return;
  renderAll();
  renderPending(pendingEnrollments);
  if (status) say(status);
});

/** In the LMS's frame: the offer of the same page in a window of its own (the student page's handoff). */
function offerOwnWindow() {
  if (window.top === window.self) return;
  $('frame-bar').hidden = false;
  let said = null;
  const sayBar = (key, values) => {
    said = [key, values];
    $('frame-bar-status').textContent = t(key, values);
  };
  onLanguageChange(() => said && sayBar(...said));
  $('open-window').addEventListener('click', async () => {
    try {
      await openInNewWindow();
      sayBar('openedElsewhere');
    } catch (error) {
      sayBar(error.code === 'popup_blocked' ? 'popupBlocked' : 'handoffFailed', { code: error.code ?? error.message });
    }
  });
}

if (await requireSession('teacher', t)) {
  offerOwnWindow();
  const existing = new URLSearchParams(location.search).get('lesson');
  if (existing) {
    api('GET', `/api/lessons/${existing}`).then((lesson) => openLesson(lesson.lessonId, lesson.title), () => undefined);
  }
  $('create-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const title = $('title').value.trim();
    const created = await act(() => api('POST', '/api/lessons', { title }));
    if (created) openLesson(created.lessonId, title);
  });
}
