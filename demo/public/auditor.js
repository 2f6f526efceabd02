// Auditor page of the demo: the audit log (verified) and the retention report. No attendance.
import { api, requireSession } from './session.js';

const $ = (id) => document.getElementById(id);
const row = (...cells) => {
  const tr = document.createElement('tr');
  for (const text of cells) tr.append(Object.assign(document.createElement('td'), { textContent: text }));
  return tr;
};

if (await requireSession('auditor')) {
  const [verdict, { entries }, { tables }] = await Promise.all([api('GET', '/api/audit/verify'), api('GET', '/api/audit'), api('GET', '/api/retention')]);
  $('chain').textContent = verdict.ok ? `The chain verifies: ${verdict.entries} entries.` : `The chain is broken at entry ${verdict.brokenAt}: ${verdict.problem}.`;
  $('chain').className = `status ${verdict.ok ? 'ok' : 'warn'}`;
  $('entries').replaceChildren(
    ...entries.map((e) => row(String(e.seq), new Date(e.at).toLocaleString(), `${e.actorRole} ${e.actorId ?? ''}`, e.action, e.lessonId ?? '', e.detail)),
  );
  $('retention').replaceChildren(
    ...tables.map((t) => row(t.table, String(t.rows), t.nextDeletion ? new Date(t.nextDeletion).toLocaleString() : '—')),
  );
}
