// Teacher page of the demo: start a lesson, trigger checks, follow attendance live, confirm
// alternatives and in-person checks, approve students' new devices, export CSV. Plain DOM, no framework.
import { api, requireSession } from './session.js';

const $ = (id) => document.getElementById(id);

const STATUS_TEXT = {
  pending: 'Waiting…',
  passed: 'Present (face check)',
  failed: 'Check failed: verify in person',
  alternative_requested: 'Chose the alternative: confirm',
  alternative_confirmed: 'Present (alternative)',
  confirmed_in_person: 'Present (verified in person)',
  absent: 'Absent',
};

function actionsFor(line) {
  const cell = document.createElement('td');
  const confirm = (label, present) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = label;
    button.className = present ? '' : 'secondary';
    button.dataset.student = line.studentId;
    button.addEventListener('click', () => api('POST', `/api/checks/${line.checkId}/confirm`, { studentId: line.studentId, present }));
    cell.append(button, ' ');
  };
  if (line.status === 'alternative_requested') confirm('Confirm present', true);
  if (line.status === 'failed' || line.status === 'pending') {
    confirm('Verified in person', true);
    confirm('Absent', false);
  }
  return cell;
}

// The lesson as the teacher stream describes it: a snapshot, then one event per change. Events
// are applied as upserts, so one the snapshot already reflects changes nothing.
const view = { students: new Map(), checks: new Map(), latest: null, lines: new Map(), rows: new Map() };

function latestCheck() {
  let latest = null;
  for (const check of view.checks.values()) if (!latest || check.opensAt > latest.opensAt) latest = check;
  return latest;
}

function lineRow(line) {
  const row = view.rows.get(line.studentId) ?? document.createElement('tr');
  row.dataset.status = line.status;
  const name = document.createElement('td');
  name.textContent = view.students.get(line.studentId)?.displayName ?? '';
  const status = document.createElement('td');
  status.textContent = STATUS_TEXT[line.status] + (line.reason ? ` (${line.reason})` : '');
  const method = document.createElement('td');
  method.textContent = line.method ?? '';
  row.replaceChildren(name, status, method, actionsFor(line));
  view.rows.set(line.studentId, row);
  return row;
}

function renderCounts() {
  const counts = { pending: 0, passed: 0, failed: 0, alternative: 0 };
  const bucket = { pending: 'pending', passed: 'passed', confirmed_in_person: 'passed', failed: 'failed', absent: 'failed', alternative_requested: 'alternative', alternative_confirmed: 'alternative' };
  const alerts = [];
  for (const line of view.lines.values()) {
    counts[bucket[line.status]] += 1;
    const name = view.students.get(line.studentId)?.displayName ?? '';
    if (line.status === 'failed') alerts.push(`${name}: the check did not pass. Please verify them in person now (nothing was kept).`);
    if (line.status === 'alternative_requested') alerts.push(`${name} chose the alternative: please confirm their presence.`);
  }
  for (const key of Object.keys(counts)) $(`count-${key}`).textContent = String(counts[key]);
  $('students-joined').textContent = `${view.students.size} student(s) joined.`;
  $('alerts').replaceChildren(
    ...alerts.map((text) => {
      const alert = document.createElement('p');
      alert.className = 'alert';
      alert.textContent = text;
      return alert;
    }),
  );
}

/** Shows the latest check whole (a new check, or a snapshot). */
function renderLatest() {
  view.latest = latestCheck();
  view.rows.clear();
  const lines = [...view.lines.values()].sort((a, b) =>
    (view.students.get(a.studentId)?.displayName ?? '').localeCompare(view.students.get(b.studentId)?.displayName ?? ''),
  );
  $('lines').replaceChildren(...lines.map(lineRow));
  renderCounts();
}

function applySnapshot(snapshot, lessonId) {
  view.students = new Map(snapshot.students.map((s) => [s.studentId, s]));
  view.checks = new Map(snapshot.checks.map((c) => [c.checkId, c]));
  view.lines = new Map(snapshot.lines.map((l) => [l.studentId, l]));
  renderLatest();
  renderPending(snapshot.enrollments, lessonId);
  if (snapshot.lesson.status === 'ended') $('lesson-status').textContent = 'The lesson has ended.';
}

function applyCheck(check) {
  view.checks.set(check.checkId, check);
  if (latestCheck()?.checkId !== check.checkId || view.latest?.checkId === check.checkId) return;
  // A new check: everyone who had joined when it opened is asked.
  view.lines = new Map();
  for (const student of view.students.values()) {
    if (student.joinedAt <= check.opensAt) view.lines.set(student.studentId, { checkId: check.checkId, studentId: student.studentId, status: 'pending', method: null, outcome: null, reason: null, updatedAt: check.opensAt });
  }
  renderLatest();
}

function applyLine(line) {
  if (line.checkId !== view.latest?.checkId) return;
  const known = view.lines.get(line.studentId);
  if (known && known.updatedAt > line.updatedAt) return;
  view.lines.set(line.studentId, line);
  const row = view.rows.get(line.studentId);
  if (row) lineRow(line);
  else renderLatest();
  renderCounts();
}

function applyStudent(student) {
  view.students.set(student.studentId, student);
  renderCounts();
}

function renderPending(pending, lessonId) {
  $('enrollments').hidden = pending.length === 0;
  $('pending').replaceChildren(
    ...pending.map((entry) => {
      const row = document.createElement('tr');
      const cells = [entry.displayName, `${entry.fingerprint} (${new Date(entry.createdAt).toLocaleString()})`, String(entry.activeKeys)].map((text) => {
        const cell = document.createElement('td');
        cell.textContent = text;
        return cell;
      });
      const action = document.createElement('td');
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = 'Approve new device';
      button.addEventListener('click', async () => {
        button.disabled = true;
        await api('POST', `/api/lessons/${lessonId}/enrollments/${entry.keyId}/approve`);
        renderPending(await api('GET', `/api/lessons/${lessonId}/enrollments`), lessonId);
      });
      action.append(button);
      row.append(...cells, action);
      return row;
    }),
  );
}

function openLesson(lessonId, title) {
  $('create').hidden = true;
  $('lesson').hidden = false;
  $('lesson-title').textContent = title;
  const link = new URL(`/student.html?lesson=${lessonId}`, location.href).href;
  $('student-link').href = link;
  $('student-link').textContent = link;
  $('csv').href = `/api/lessons/${lessonId}/attendance.csv`;
  history.replaceState(null, '', `?lesson=${lessonId}`);

  // EventSource reconnects by itself (to any instance) and resumes after the last event it got.
  const events = new EventSource(`/api/lessons/${lessonId}/events`);
  const on = (type, apply) => events.addEventListener(type, (event) => apply(JSON.parse(event.data)));
  on('snapshot', (snapshot) => applySnapshot(snapshot, lessonId));
  on('student', applyStudent);
  on('check', applyCheck);
  on('line', applyLine);
  on('lesson', () => ($('lesson-status').textContent = 'The lesson has ended.'));
  on('enrollment', async () => renderPending(await api('GET', `/api/lessons/${lessonId}/enrollments`), lessonId));

  const trigger = async (withinMinutes) => {
    const { firesAt } = await api('POST', `/api/lessons/${lessonId}/checks`, { withinMinutes });
    $('lesson-status').textContent =
      withinMinutes === 0 ? 'Check sent to every student.' : `A check will be sent at a random moment, by ${new Date(firesAt).toLocaleTimeString()}.`;
  };
  $('check-now').addEventListener('click', () => trigger(0).catch((e) => ($('lesson-status').textContent = e.message)));
  $('check-random').addEventListener('click', () => trigger(Number($('within').value)).catch((e) => ($('lesson-status').textContent = e.message)));
  $('end').addEventListener('click', () => api('POST', `/api/lessons/${lessonId}/end`));
}

if (await requireSession('teacher')) {
  const existing = new URLSearchParams(location.search).get('lesson');
  if (existing) {
    api('GET', `/api/lessons/${existing}`).then((lesson) => openLesson(lesson.lessonId, lesson.title), () => undefined);
  }
  $('create-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const title = $('title').value.trim();
    const { lessonId } = await api('POST', '/api/lessons', { title });
    openLesson(lessonId, title);
  });
}
