// The teacher page's LMS panel, for lessons started from an LMS launch (LTI): the course roster
// (who has not opened Presenza, joined the lesson or set up the face check yet) and, once the lesson
// has ended, the delivery of each student's score to the LMS gradebook, with "send again" for the
// failed ones. Nothing shows for a lesson outside an LMS. Its own texts, in both languages.
import { api } from './session.js';
import { currentLanguage, onLanguageChange } from './i18n.js';

const TEXTS = {
  en: {
    rosterTitle: 'Course roster (from the LMS)',
    rosterIntro: 'Every learner of the LMS course. Those who still have something to do come first.',
    refresh: 'Refresh roster',
    name: 'Name',
    launched: 'Opened Presenza',
    joined: 'Joined this lesson',
    enrolled: 'Face check set up',
    yes: 'yes',
    no: 'no',
    inactive: '(not active in the course)',
    rosterSummary: 'Not joined: {notJoined} of {total}. Face check not set up: {notEnrolled}.',
    rosterError: 'The LMS did not give the roster ({code}).',
    gradesTitle: 'Gradebook (LMS)',
    gradesIntro: 'When the lesson ends, each student’s attendance goes to the LMS gradebook, on 100: the share of checks passed or confirmed (100 for a lesson without checks), and 0, absent, for the learners of the course who never joined.',
    gradesNone: 'Nothing sent yet: scores go to the LMS when the lesson ends.',
    score: 'Score',
    delivery: 'Sent to the LMS',
    status_pending: 'waiting',
    status_sent: 'sent',
    status_failed: 'failed',
    retryAt: 'next try {time}',
    scoreChecks: '{score}/100 · present (checks passed or confirmed: {ok} of {total})',
    scoreAbsentChecks: '{score}/100 · absent (checks passed or confirmed: {ok} of {total})',
    scoreNoChecks: '{score}/100 · present (no checks in this lesson)',
    scoreNotJoined: '{score}/100 · absent (did not join the lesson)',
    supportCode: 'Code for support',
    error_lti_score_refused: 'The LMS gradebook did not accept the score',
    error_lti_lineitem_refused: 'The LMS did not create the gradebook column for this lesson',
    error_lti_token_refused: 'The LMS did not let Presenza in: its registration of Presenza may have changed',
    error_lti_membership_refused: 'The LMS did not give the course roster',
    error_lti_platform_unreachable: 'The LMS could not be reached',
    error_lti_platform_malformed: 'The LMS gave an answer Presenza could not read',
    error_lti_no_token_url: 'This LMS is no longer set up to receive scores from Presenza',
    error_other: 'An error in Presenza',
    serverError: ': a fault on the LMS’s side',
    rosterPending: 'The learners who never joined the lesson get an “absent” score once the LMS gives the course roster.',
    rosterFailed: 'The LMS did not give the course roster, so the learners who never joined have no “absent” score yet. “Send again” asks the LMS once more.',
    retry: 'Send the failed scores again',
    requeued: '{n} scores will be sent again.',
  },
  it: {
    rosterTitle: 'Iscritti al corso (dalla piattaforma)',
    rosterIntro: 'Tutti gli studenti del corso sulla piattaforma. Prima chi ha ancora qualcosa da fare.',
    refresh: 'Aggiorna elenco',
    name: 'Nome',
    launched: 'Ha aperto Presenza',
    joined: 'È entrato nella lezione',
    enrolled: 'Verifica del volto attivata',
    yes: 'sì',
    no: 'no',
    inactive: '(non attivo nel corso)',
    rosterSummary: 'Non entrati: {notJoined} su {total}. Verifica del volto non attivata: {notEnrolled}.',
    rosterError: 'La piattaforma non ha fornito l’elenco ({code}).',
    gradesTitle: 'Registro dei voti (piattaforma)',
    gradesIntro: 'A fine lezione la presenza di ogni studente va nel registro della piattaforma, su 100: la quota di verifiche superate o confermate (100 se la lezione non ha avuto verifiche), e 0, assente, per gli iscritti al corso che non sono mai entrati.',
    gradesNone: 'Ancora nulla: i punteggi vanno alla piattaforma a fine lezione.',
    score: 'Punteggio',
    delivery: 'Inviato alla piattaforma',
    status_pending: 'in attesa',
    status_sent: 'inviato',
    status_failed: 'non riuscito',
    retryAt: 'nuovo tentativo alle {time}',
    scoreChecks: '{score}/100 · presente (verifiche superate o confermate: {ok} su {total})',
    scoreAbsentChecks: '{score}/100 · assente (verifiche superate o confermate: {ok} su {total})',
    scoreNoChecks: '{score}/100 · presente (nessuna verifica in questa lezione)',
    scoreNotJoined: '{score}/100 · assente (non ha partecipato alla lezione)',
    supportCode: 'Codice per l’assistenza',
    error_lti_score_refused: 'Il registro della piattaforma non ha accettato il punteggio',
    error_lti_lineitem_refused: 'La piattaforma non ha creato la colonna del registro per questa lezione',
    error_lti_token_refused: 'La piattaforma non ha autorizzato Presenza: la sua registrazione di Presenza potrebbe essere cambiata',
    error_lti_membership_refused: 'La piattaforma non ha fornito l’elenco degli iscritti',
    error_lti_platform_unreachable: 'La piattaforma non è raggiungibile',
    error_lti_platform_malformed: 'La piattaforma ha dato una risposta che Presenza non sa leggere',
    error_lti_no_token_url: 'Questa piattaforma non è più configurata per ricevere punteggi da Presenza',
    error_other: 'Un errore di Presenza',
    serverError: ': un guasto della piattaforma',
    rosterPending: 'Gli studenti che non sono mai entrati nella lezione ricevono il punteggio «assente» appena la piattaforma fornisce l’elenco degli iscritti.',
    rosterFailed: 'La piattaforma non ha fornito l’elenco degli iscritti, quindi chi non è mai entrato non ha ancora il punteggio «assente». «Invia di nuovo» lo richiede alla piattaforma.',
    retry: 'Invia di nuovo i punteggi non riusciti',
    requeued: '{n} punteggi saranno inviati di nuovo.',
  },
};
const t = (key, values = {}) => (TEXTS[currentLanguage()][key] ?? TEXTS.en[key]).replace(/\{(\w+)\}/g, (m, name) => (name in values ? String(values[name]) : m));
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

const state = { lessonId: null, roster: null, rosterError: null, grades: null, note: '', openCodes: new Set() };
const section = el('section', { id: 'lms', hidden: true, className: 'lms' });
section.setAttribute('aria-labelledby', 'lms-roster-title');

/** A score in words: the score, present or absent, and why (checks passed, no checks, never joined). */
function scoreText(s) {
  const values = { score: s.scoreGiven, ok: s.checksOk, total: s.checksTotal };
  if (!s.joined) return t('scoreNotJoined', values);
  if (s.checksTotal === 0) return t('scoreNoChecks', values);
  return t(s.attended ? 'scoreChecks' : 'scoreAbsentChecks', values);
}

/**
 * A delivery error in plain words, with the code (`lti_score_refused 500`: the step and the LMS's
 * HTTP status) kept in a details element for whoever supports the teacher.
 */
function errorText(code, key) {
  const [name, status] = code.split(' ');
  const known = `error_${name}` in TEXTS.en ? `error_${name}` : 'error_other';
  return [' · ', `${t(known)}${Number(status) >= 500 ? t('serverError') : ''}.`, supportCode(code, key)];
}

/** The code in a details element; `key` keeps it open across the panel's refreshes once the teacher opened it. */
function supportCode(code, key) {
  const details = el('details', { className: 'support-code', open: state.openCodes.has(key) }, el('summary', {}, t('supportCode')), el('code', {}, code));
  details.addEventListener('toggle', () => (details.open ? state.openCodes.add(key) : state.openCodes.delete(key)));
  return details;
}

/**
 * A table in a box that scrolls sideways on a narrow screen (styled from script: the CSP allows no
 * inline style). While it scrolls, the box is a named group in the tab order, so a keyboard user
 * can focus it and scroll with the arrow keys; when the table fits, it is not a tab stop.
 */
function table(labelledBy, headers, rows) {
  const box = el('div', { role: 'group' }, el('table', {}, el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, ...rows)));
  box.setAttribute('aria-labelledby', labelledBy);
  box.style.overflowX = 'auto';
  const followOverflow = () => {
    if (box.scrollWidth > box.clientWidth) box.tabIndex = 0;
    else box.removeAttribute('tabindex');
  };
  new ResizeObserver(followOverflow).observe(box);
  return box;
}

function render() {
  const parts = [];
  if (state.roster?.available || state.rosterError) {
    parts.push(el('h3', { id: 'lms-roster-title' }, t('rosterTitle')), el('p', { className: 'muted' }, t('rosterIntro')));
    if (state.rosterError) parts.push(el('p', { className: 'warn', role: 'status' }, t('rosterError', { code: state.rosterError })));
    else {
      const members = state.roster.members;
      parts.push(
        el('p', { id: 'lms-roster-summary', role: 'status' }, t('rosterSummary', { total: members.length, notJoined: members.filter((m) => !m.joined).length, notEnrolled: members.filter((m) => !m.enrolled).length })),
        table(
          'lms-roster-title',
          [t('name'), t('launched'), t('joined'), t('enrolled')],
          members.map((m) =>
            el(
              'tr',
              {},
              el('th', { scope: 'row' }, m.name, m.status === 'Active' ? '' : ` ${t('inactive')}`),
              ...[m.launched, m.joined, m.enrolled].map((v) => el('td', { className: v ? 'ok' : 'warn' }, t(v ? 'yes' : 'no'))),
            ),
          ),
        ),
      );
    }
    const refresh = el('button', { type: 'button', className: 'secondary small', id: 'lms-refresh' }, t('refresh'));
    refresh.addEventListener('click', () => void loadRoster());
    parts.push(el('p', {}, refresh));
  }
  if (state.grades?.available) {
    parts.push(el('h3', { id: 'lms-grades-title' }, t('gradesTitle')), el('p', { className: 'muted' }, t('gradesIntro')));
    const scores = state.grades.scores;
    if (scores.length === 0) parts.push(el('p', { className: 'muted' }, t('gradesNone')));
    else {
      const time = (ms) => new Intl.DateTimeFormat(currentLanguage(), { timeStyle: 'short' }).format(ms);
      parts.push(
        table(
          'lms-grades-title',
          [t('name'), t('score'), t('delivery')],
          scores.map((s) =>
            el(
              'tr',
              { className: `grade-${s.status}` },
              el('th', { scope: 'row' }, s.displayName),
              el('td', {}, scoreText(s)),
              el(
                'td',
                { className: s.status === 'sent' ? 'ok' : s.status === 'failed' ? 'warn' : '' },
                t(`status_${s.status}`),
                ...(s.lastError && s.status !== 'sent' ? errorText(s.lastError, s.studentId) : []),
                s.nextAttemptAt && s.attempts > 0 ? ` · ${t('retryAt', { time: time(s.nextAttemptAt) })}` : '',
              ),
            ),
          ),
        ),
      );
      if (state.grades.roster?.status === 'pending' && state.grades.roster.attempts > 0) parts.push(el('p', { className: 'muted' }, t('rosterPending')));
      if (state.grades.roster?.status === 'failed') parts.push(el('p', { className: 'warn' }, t('rosterFailed'), supportCode(state.grades.roster.lastError ?? 'lti_internal', 'roster')));
      if (scores.some((s) => s.status === 'failed') || state.grades.roster?.status === 'failed') {
        const retry = el('button', { type: 'button', id: 'lms-retry' }, t('retry'));
        retry.addEventListener('click', async () => {
          const { requeued } = await api('POST', `/api/lessons/${state.lessonId}/grades/retry`);
          state.note = t('requeued', { n: requeued });
          await loadGrades();
        });
        parts.push(el('p', {}, retry));
      }
    }
    parts.push(el('p', { className: 'muted', role: 'status' }, state.note));
  }
  section.replaceChildren(...parts);
  section.hidden = parts.length === 0;
  if (!section.querySelector('#lms-roster-title')) section.setAttribute('aria-labelledby', 'lms-grades-title');
}

async function loadRoster() {
  try {
    state.roster = await api('GET', `/api/lessons/${state.lessonId}/roster`);
    state.rosterError = null;
  } catch (error) {
    state.rosterError = error.code ?? 'error';
  }
  render();
}

async function loadGrades() {
  state.grades = await api('GET', `/api/lessons/${state.lessonId}/grades`).catch(() => state.grades);
  render();
}

// The teacher page keeps the open lesson in its address (?lesson=): follow it.
setInterval(async () => {
  const lesson = document.getElementById('lesson');
  const lessonId = new URLSearchParams(location.search).get('lesson');
  if (!lesson || lesson.hidden || !lessonId) return;
  if (!section.isConnected) document.getElementById('students').after(section);
  if (lessonId !== state.lessonId) {
    Object.assign(state, { lessonId, roster: null, rosterError: null, grades: null, note: '', openCodes: new Set() });
    await loadRoster();
    await loadGrades();
  } else if (state.grades?.available) await loadGrades();
}, 3000);
onLanguageChange(render);
