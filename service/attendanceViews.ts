/**
 * Read models of a lesson's attendance: the per-student lines with the newest check's counts,
 * the history of checks with their counts, and the CSV export. Reads only; the changes are in
 * attendance.ts.
 */
import type { AttendanceCounts, AttendanceLine, AttendanceStatus, CheckSummary } from './attendance.js';
import type { Db } from './db.js';

/** Which teacher counter a status adds to (null: none). */
const COUNT_OF: Record<AttendanceStatus, keyof AttendanceCounts | null> = {
  pending: 'pending',
  passed: 'passed',
  confirmed_in_person: 'passed',
  failed: 'failed',
  absent: 'failed',
  alternative_requested: 'alternative',
  alternative_confirmed: 'alternative',
};

const noCounts = (): AttendanceCounts => ({ pending: 0, passed: 0, failed: 0, alternative: 0 });

/** A lesson's lines, the counts of its newest check, and how many students joined it. */
export interface LessonLines {
  counts: AttendanceCounts;
  lines: AttendanceLine[];
  students: number;
}

/**
 * Per-student lines of a lesson (of one check when `checkId` is given), newest check first, with
 * the counts of the newest check listed.
 */
export async function lessonLines(db: Db, lessonId: string, checkId?: string): Promise<LessonLines> {
  const rows = await db.all<{
    check_id: string;
    student_id: string;
    display_name: string;
    status: AttendanceStatus;
    method: string | null;
    outcome: string | null;
    reason: string | null;
    updated_at: number;
  }>(
    `SELECT a.check_id, a.student_id, s.display_name, a.status, a.method, a.outcome, a.reason, a.updated_at
     FROM attendance a JOIN checks c ON c.id = a.check_id JOIN users s ON s.id = a.student_id
     WHERE c.lesson_id = ?${checkId ? ' AND c.id = ?' : ''} ORDER BY c.opens_at DESC, s.display_name`,
    checkId ? [lessonId, checkId] : [lessonId],
  );
  const students = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM lesson_students WHERE lesson_id = ?', [lessonId]);
  const latest = rows[0]?.check_id;
  const counts = noCounts();
  for (const row of rows) {
    const bucket = COUNT_OF[row.status];
    if (row.check_id === latest && bucket) counts[bucket] += 1;
  }
  return {
    counts,
    students: Number(students?.n ?? 0),
    lines: rows.map((r) => ({
      checkId: r.check_id,
      studentId: r.student_id,
      displayName: r.display_name,
      status: r.status,
      method: r.method,
      outcome: r.outcome,
      reason: r.reason,
      updatedAt: Number(r.updated_at),
    })),
  };
}

/** Every check of a lesson, oldest first, with its counts (the dashboard's history). */
export async function checkHistory(db: Db, lessonId: string): Promise<CheckSummary[]> {
  const rows = await db.all<{ id: string; opens_at: number; closes_at: number; status: AttendanceStatus | null; n: number }>(
    `SELECT c.id, c.opens_at, c.closes_at, a.status, COUNT(a.student_id) AS n
     FROM checks c LEFT JOIN attendance a ON a.check_id = c.id
     WHERE c.lesson_id = ? GROUP BY c.id, c.opens_at, c.closes_at, a.status ORDER BY c.opens_at, c.id`,
    [lessonId],
  );
  const checks = new Map<string, CheckSummary>();
  for (const row of rows) {
    const check = checks.get(row.id) ?? { checkId: row.id, opensAt: Number(row.opens_at), closesAt: Number(row.closes_at), students: 0, counts: noCounts() };
    checks.set(row.id, check);
    const bucket = row.status ? COUNT_OF[row.status] : null;
    if (bucket) check.counts[bucket] += Number(row.n);
    if (row.status) check.students += Number(row.n);
  }
  return [...checks.values()];
}

/** Attendance lines as CSV (one line per student and check, CRLF), for the teacher's records. */
export function attendanceCsv(lines: readonly AttendanceLine[]): string {
  const header = ['check_id', 'student_id', 'display_name', 'status', 'method', 'outcome', 'reason', 'updated_at'];
  const body = lines.map((l) =>
    [l.checkId, l.studentId, l.displayName, l.status, l.method, l.outcome, l.reason, new Date(l.updatedAt).toISOString()].map(csvCell).join(','),
  );
  return [header.join(','), ...body].join('\r\n') + '\r\n';
}

/** Characters that make a spreadsheet read a cell as a formula (or hide one behind a tab or CR). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell: always quoted, inner quotes doubled, formulas defused with a leading apostrophe. */
export function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return `"${(FORMULA_START.test(text) ? `'${text}` : text).replace(/"/g, '""')}"`;
}
