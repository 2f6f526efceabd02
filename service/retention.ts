/**
 * Retention: what the service deletes when, and the report of what it keeps. Lessons (with their
 * checks and attendance) and device keys go at their retention date; nonces, sessions and the LTI
 * flows' short-lived rows at their expiry; people with nothing left after; the audit log's entries
 * after its own retention. Every run is itself recorded in the audit log.
 */
import { appendAudit, purgeAudit, SYSTEM_ACTOR } from './audit.js';
import type { Db } from './db.js';

/** What a retention run deleted. */
export interface RetentionReport {
  lessons: number;
  keys: number;
  nonces: number;
  sessions: number;
  launchTokens: number;
  /** LTI logins whose launch never came (lti/tool.ts). */
  ltiStates: number;
  /** Sessions offered to a new window and never claimed (sessions.ts). */
  sessionHandoffs: number;
  /** Deep Linking requests the teacher never completed (lti/deepLinking.ts). */
  ltiDeepLinks: number;
  /** Service endpoints of LMS series with no lesson or session left (lti/links.ts). */
  ltiLinks: number;
  students: number;
  teachers: number;
  auditEntries: number;
}

/** One table of the retention report: its rows, and when its oldest retained row goes (null: with something else). */
export interface TableRetention {
  table: string;
  rows: number;
  nextDeletion: number | null;
}

/**
 * Deletes lessons (with their checks and attendance) and device keys past their retention date,
 * nonces, sessions, launch-token ids, LTI login states, session handoffs and Deep Linking requests
 * past their expiry, LMS service endpoints of series with no lesson left (scores go with their
 * lesson), students left with no lesson once `studentGraceMs` has passed since they were created,
 * teachers with no lesson or session, and the audit log's entries older than `auditRetentionMs`.
 * The run itself is recorded.
 */
export async function purgeExpired(db: Db, now: number, limits: { auditRetentionMs: number; studentGraceMs: number }): Promise<RetentionReport> {
  const report = await db.transaction(async (tx) => ({
    lessons: await tx.run('DELETE FROM lessons WHERE retain_until <= ?', [now]),
    keys: await tx.run('DELETE FROM device_keys WHERE retain_until <= ?', [now]),
    nonces: await tx.run('DELETE FROM nonces WHERE expires_at <= ?', [now]),
    sessions: await tx.run('DELETE FROM sessions WHERE expires_at <= ? OR revoked_at IS NOT NULL', [now]),
    launchTokens: await tx.run('DELETE FROM launch_tokens WHERE expires_at <= ?', [now]),
    ltiStates: await tx.run('DELETE FROM lti_states WHERE expires_at <= ?', [now]),
    sessionHandoffs: await tx.run('DELETE FROM session_handoffs WHERE expires_at <= ?', [now]),
    ltiDeepLinks: await tx.run('DELETE FROM lti_deep_links WHERE expires_at <= ?', [now]),
    // An LMS series' service endpoints go with its last lesson and session (its scores go with each lesson).
    ltiLinks: await tx.run(
      `DELETE FROM lti_links WHERE NOT EXISTS (SELECT 1 FROM lessons l WHERE l.course = lti_links.course)
       AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.course = lti_links.course AND s.expires_at > ? AND s.revoked_at IS NULL)`,
      [now],
    ),
    students: await tx.run(
      `DELETE FROM users WHERE role = 'student' AND created_at <= ?
       AND NOT EXISTS (SELECT 1 FROM lesson_students ls WHERE ls.student_id = users.id)
       AND NOT EXISTS (SELECT 1 FROM lti_grades g WHERE g.student_id = users.id) -- goes with the lesson of its score
       AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = users.id AND s.expires_at > ? AND s.revoked_at IS NULL)`,
      [now - limits.studentGraceMs, now],
    ),
    teachers: await tx.run(
      `DELETE FROM users WHERE role <> 'student' AND NOT EXISTS (SELECT 1 FROM lessons l WHERE l.teacher_id = users.id)
       AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = users.id AND s.expires_at > ? AND s.revoked_at IS NULL)`,
      [now],
    ),
  }));
  const audit = await purgeAudit(db, now - limits.auditRetentionMs);
  const full: RetentionReport = { ...report, auditEntries: audit.deleted };
  await appendAudit(db, now, SYSTEM_ACTOR, 'retention.run', {
    detail: { ...full, ...(audit.anchor ? { auditAnchorSeq: audit.anchorSeq, auditAnchor: audit.anchor } : {}) },
  });
  return full;
}

/** Tables in the retention report, with the column holding when each row goes (null: it goes with something else). */
const RETAINED_TABLES: readonly [table: string, deletedAt: string | null][] = [
  ['lessons', 'retain_until'],
  ['device_keys', 'retain_until'],
  ['nonces', 'expires_at'],
  ['sessions', 'expires_at'],
  ['lti_states', 'expires_at'],
  ['session_handoffs', 'expires_at'],
  ['lti_deep_links', 'expires_at'],
  ['lti_links', null],
  ['lti_grades', null],
  ['lti_roster_reads', null],
  ['users', null],
  ['checks', null],
  ['attendance', null],
  ['audit_log', null],
];

/** What each table holds and when its oldest retained row goes (for the auditor). */
export async function retentionReport(db: Db): Promise<TableRetention[]> {
  const report: TableRetention[] = [];
  for (const [table, column] of RETAINED_TABLES) {
    const row = await db.get<{ n: number; next: number | null }>(`SELECT COUNT(*) AS n, ${column ? `MIN(${column})` : 'NULL'} AS next FROM ${table}`);
    report.push({ table, rows: Number(row?.n ?? 0), nextDeletion: row?.next === null || row?.next === undefined ? null : Number(row.next) });
  }
  return report;
}
