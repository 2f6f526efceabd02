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

function render(snapshot) {
  for (const key of ['pending', 'passed', 'failed', 'alternative']) $(`count-${key}`).textContent = String(snapshot.counts[key]);
  $('students-joined').textContent = `${snapshot.students} student(s) joined.`;
  const latest = snapshot.lines[0]?.checkId;
  const rows = snapshot.lines.filter((line) => line.checkId === latest).map((line) => {
    const row = document.createElement('tr');
    row.dataset.status = line.status;
    const name = document.createElement('td');
    name.textContent = line.displayName;
    const status = document.createElement('td');
    status.textContent = STATUS_TEXT[line.status] + (line.reason ? ` (${line.reason})` : '');
    const method = document.createElement('td');
    method.textContent = line.method ?? '';
    row.append(name, status, method, actionsFor(line));
    return row;
  });
  $('lines').replaceChildren(...rows);
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

  const events = new EventSource(`/api/lessons/${lessonId}/events`);
  events.addEventListener('attendance', (event) => render(JSON.parse(event.data)));
  events.addEventListener('verify-in-person', () => {
    const alert = document.createElement('p');
    alert.className = 'alert';
    alert.textContent = 'A student’s check did not pass: please verify them in person now (nothing was kept).';
    $('alerts').append(alert);
  });
  events.addEventListener('lesson', () => ($('lesson-status').textContent = 'The lesson has ended.'));
  events.addEventListener('enrollments', (event) => renderPending(JSON.parse(event.data), lessonId));
  events.addEventListener('enrollment', async () => renderPending(await api('GET', `/api/lessons/${lessonId}/enrollments`), lessonId));

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
