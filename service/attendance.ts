/**
 * The demo's attendance logic, the part a platform copies: students and their device keys,
 * lessons, checks with single-use nonces, verified assertions, the non-biometric alternative and
 * the teacher's confirmations, retention. It stores outcomes, never biometric data.
 */
import { randomUUID } from 'node:crypto';
import { createChallenge, isPresenzaError, verifyCheck, verifyEnrollment, type EcPublicJwk, type NonceStore } from 'presenza/server';
import type { Db } from './db.js';
import { EventHub, studentChannel, teacherChannel } from './events.js';

/** How long a student has to answer a check. */
export const CHECK_WINDOW_MS = 120_000;
/** How long an enrollment nonce is valid. */
export const ENROLLMENT_NONCE_TTL_MS = 10 * 60_000;
/** Retention of lessons, attendance and device keys in the demo: the "course" lasts 90 days. */
export const COURSE_RETENTION_MS = 90 * 86_400_000;
/** Longest wait for a check at a random moment. */
export const MAX_RANDOM_DELAY_MINUTES = 60;

/** Attendance state of one student for one check. */
export type AttendanceStatus =
  | 'pending'
  | 'passed'
  | 'failed'
  | 'alternative_requested'
  | 'alternative_confirmed'
  | 'confirmed_in_person'
  | 'absent';

/** A request the caller got wrong or that is no longer valid; `status` is the HTTP status to answer with. */
export class DemoError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The counters the teacher sees. */
export interface AttendanceCounts {
  pending: number;
  passed: number;
  failed: number;
  alternative: number;
}

/** One line of the teacher's list. */
export interface AttendanceLine {
  checkId: string;
  studentId: string;
  displayName: string;
  status: AttendanceStatus;
  method: string | null;
  outcome: string | null;
  reason: string | null;
  updatedAt: number;
}

const COUNT_OF: Record<AttendanceStatus, keyof AttendanceCounts | null> = {
  pending: 'pending',
  passed: 'passed',
  confirmed_in_person: 'passed',
  failed: 'failed',
  absent: 'failed',
  alternative_requested: 'alternative',
  alternative_confirmed: 'alternative',
};

/** The verifier's nonce store backed by the `nonces` table: one conditional UPDATE is atomic on both engines. */
export class DatabaseNonceStore implements NonceStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  async consume(nonce: string, use: { subject: string; checkId: string | null }): Promise<boolean> {
    const now = this.now();
    const changed = await this.db.run(
      `UPDATE nonces SET used_at = ? WHERE nonce = ? AND subject = ? AND used_at IS NULL AND expires_at > ? AND ${
        use.checkId === null ? 'check_id IS NULL' : 'check_id = ?'
      }`,
      use.checkId === null ? [now, nonce, use.subject, now] : [now, nonce, use.subject, now, use.checkId],
    );
    return changed === 1;
  }
}

/** The demo's attendance service. */
export class Attendance {
  private readonly nonces: DatabaseNonceStore;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly db: Db,
    readonly events: EventHub,
    private readonly now: () => number = Date.now,
  ) {
    this.nonces = new DatabaseNonceStore(db, now);
  }

  /** Registers a student under a random pseudonymous id. */
  async createStudent(displayName: string): Promise<{ studentId: string }> {
    const studentId = `s-${randomUUID()}`;
    await this.db.run('INSERT INTO students (id, display_name, created_at) VALUES (?, ?, ?)', [studentId, displayName, this.now()]);
    return { studentId };
  }

  /** The student's enrollment state as the server knows it (a registered device key or not). */
  async studentStatus(studentId: string): Promise<{ enrolled: boolean; retainUntil: number | null }> {
    await this.requireStudent(studentId);
    const key = await this.db.get<{ retain_until: number }>('SELECT retain_until FROM device_keys WHERE student_id = ?', [studentId]);
    return { enrolled: Boolean(key), retainUntil: key?.retain_until ?? null };
  }

  /** Issues what an enrollment needs: a fresh pseudonymous enrollment id, a nonce and the retention date. */
  async enrollmentChallenge(studentId: string): Promise<{ enrollmentId: string; nonce: string; retainUntil: number }> {
    await this.requireStudent(studentId);
    const enrollmentId = `e-${randomUUID()}`;
    const nonce = createChallenge();
    await this.issueNonce(nonce, studentId, 'enroll', enrollmentId, null, this.now() + ENROLLMENT_NONCE_TTL_MS);
    return { enrollmentId, nonce, retainUntil: this.now() + COURSE_RETENTION_MS };
  }

  /** Verifies an enrollment assertion against the nonce issued to this student and stores the device key. */
  async registerEnrollment(studentId: string, assertion: string, audience: string): Promise<{ enrollmentId: string }> {
    await this.requireStudent(studentId);
    const issued = await this.db.get<{ nonce: string; subject: string }>(
      `SELECT nonce, subject FROM nonces WHERE student_id = ? AND purpose = 'enroll' AND used_at IS NULL AND expires_at > ?
       ORDER BY expires_at DESC LIMIT 1`,
      [studentId, this.now()],
    );
    if (!issued) throw new DemoError(409, 'no_challenge', 'no open enrollment challenge for this student');
    const verified = await this.verified(() =>
      verifyEnrollment(assertion, {
        audience,
        expectedNonce: issued.nonce,
        enrollmentId: issued.subject,
        nonceStore: this.nonces,
        now: this.now(),
      }),
    );
    const retainUntil = Math.min(verified.retainUntil * 1000, this.now() + COURSE_RETENTION_MS);
    await this.db.run('DELETE FROM device_keys WHERE student_id = ?', [studentId]);
    await this.db.run(
      'INSERT INTO device_keys (student_id, enrollment_id, public_jwk, thumbprint, retain_until, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      [studentId, verified.enrollmentId, JSON.stringify(verified.publicJwk), verified.thumbprint, retainUntil, this.now()],
    );
    return { enrollmentId: verified.enrollmentId };
  }

  /** Creates a live lesson. */
  async createLesson(title: string): Promise<{ lessonId: string }> {
    const lessonId = `l-${randomUUID()}`;
    await this.db.run('INSERT INTO lessons (id, title, status, retain_until, created_at) VALUES (?, ?, ?, ?, ?)', [
      lessonId,
      title,
      'live',
      this.now() + COURSE_RETENTION_MS,
      this.now(),
    ]);
    return { lessonId };
  }

  /** Ends a lesson: no more checks can be triggered. */
  async endLesson(lessonId: string): Promise<void> {
    await this.requireLesson(lessonId);
    await this.db.run(`UPDATE lessons SET status = 'ended', ended_at = ? WHERE id = ?`, [this.now(), lessonId]);
    this.events.publish(teacherChannel(lessonId), 'lesson', { status: 'ended' });
  }

  /** Lesson details for the pages. */
  async lesson(lessonId: string): Promise<{ lessonId: string; title: string; status: string }> {
    const lesson = await this.requireLesson(lessonId);
    return { lessonId, title: lesson.title, status: lesson.status };
  }

  /** Adds a student to a lesson (idempotent). */
  async join(lessonId: string, studentId: string): Promise<void> {
    await this.requireLesson(lessonId);
    await this.requireStudent(studentId);
    await this.db.run(
      `INSERT INTO lesson_students (lesson_id, student_id, joined_at) VALUES (?, ?, ?) ON CONFLICT (lesson_id, student_id) DO NOTHING`,
      [lessonId, studentId, this.now()],
    );
    await this.publishAttendance(lessonId);
  }

  /**
   * Asks every student of the lesson for a check, now (`withinMinutes` 0) or at a random moment
   * within `withinMinutes`. Returns when it will fire.
   */
  async triggerCheck(lessonId: string, withinMinutes: number): Promise<{ firesAt: number }> {
    const lesson = await this.requireLesson(lessonId);
    if (lesson.status !== 'live') throw new DemoError(409, 'lesson_ended', 'the lesson has ended');
    const delay = Math.round(Math.random() * withinMinutes * 60_000);
    if (delay === 0) {
      await this.fireCheck(lessonId);
      return { firesAt: this.now() };
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.fireCheck(lessonId).catch(() => undefined);
    }, delay);
    this.timers.add(timer);
    return { firesAt: this.now() + delay };
  }

  /** Opens a check: one nonce and one pending attendance line per student, sent over SSE. */
  async fireCheck(lessonId: string): Promise<{ checkId: string; students: number }> {
    const checkId = `c-${randomUUID()}`;
    const opensAt = this.now();
    const closesAt = opensAt + CHECK_WINDOW_MS;
    await this.db.run('INSERT INTO checks (id, lesson_id, opens_at, closes_at) VALUES (?, ?, ?, ?)', [checkId, lessonId, opensAt, closesAt]);
    const students = await this.db.all<{ student_id: string; enrollment_id: string | null }>(
      `SELECT ls.student_id, k.enrollment_id FROM lesson_students ls LEFT JOIN device_keys k ON k.student_id = ls.student_id
       WHERE ls.lesson_id = ?`,
      [lessonId],
    );
    for (const student of students) {
      const nonce = createChallenge();
      await this.issueNonce(nonce, student.student_id, 'check', student.enrollment_id ?? '', checkId, closesAt);
      await this.db.run(`INSERT INTO attendance (check_id, student_id, status, updated_at) VALUES (?, ?, 'pending', ?)`, [
        checkId,
        student.student_id,
        opensAt,
      ]);
      this.events.publish(studentChannel(lessonId, student.student_id), 'check', { checkId, nonce, closesAt });
    }
    await this.publishAttendance(lessonId);
    return { checkId, students: students.length };
  }

  /** Checks still open for a student (sent again when the student's SSE stream reconnects). */
  async openChecks(lessonId: string, studentId: string): Promise<{ checkId: string; nonce: string; closesAt: number }[]> {
    return (
      await this.db.all<{ id: string; nonce: string; closes_at: number }>(
        `SELECT c.id, n.nonce, c.closes_at FROM checks c
         JOIN nonces n ON n.check_id = c.id AND n.student_id = ?
         JOIN attendance a ON a.check_id = c.id AND a.student_id = ?
         WHERE c.lesson_id = ? AND c.closes_at > ? AND n.used_at IS NULL AND a.status = 'pending'`,
        [studentId, studentId, lessonId, this.now()],
      )
    ).map((r) => ({ checkId: r.id, nonce: r.nonce, closesAt: r.closes_at }));
  }

  /**
   * Verifies a check assertion with the student's registered key and the nonce issued for this
   * check, and records the outcome. A failed check keeps nothing but the outcome and asks the
   * teacher to verify the student in person now.
   */
  async submitResult(checkId: string, studentId: string, assertion: string, audience: string): Promise<{ status: AttendanceStatus }> {
    const line = await this.openLine(checkId, studentId);
    const key = await this.db.get<{ public_jwk: string; enrollment_id: string }>(
      'SELECT public_jwk, enrollment_id FROM device_keys WHERE student_id = ?',
      [studentId],
    );
    if (!key) throw new DemoError(409, 'not_enrolled', 'this student has no registered device key');
    const result = await this.verified(() =>
      verifyCheck(assertion, {
        audience,
        publicJwk: JSON.parse(key.public_jwk) as EcPublicJwk,
        expectedNonce: line.nonce,
        checkId,
        enrollmentId: key.enrollment_id,
        nonceStore: this.nonces,
        now: this.now(),
      }),
    );
    const status: AttendanceStatus = result.outcome === 'pass' ? 'passed' : 'failed';
    await this.db.run(
      `UPDATE attendance SET status = ?, method = 'biometric', outcome = ?, reason = ?, liveness = ?, updated_at = ? WHERE check_id = ? AND student_id = ?`,
      [status, result.outcome, result.reason ?? null, result.liveness, this.now(), checkId, studentId],
    );
    await this.publishAttendance(line.lessonId);
    if (status === 'failed') {
      this.events.publish(teacherChannel(line.lessonId), 'verify-in-person', { checkId, studentId, reason: result.reason ?? null });
    }
    return { status };
  }

  /** A fresh nonce for another attempt at an open check (after a failed or inconclusive one). */
  async retry(checkId: string, studentId: string): Promise<{ checkId: string; nonce: string; closesAt: number }> {
    const line = await this.openLine(checkId, studentId);
    if (line.status === 'passed') throw new DemoError(409, 'already_passed', 'this check was already passed');
    const key = await this.db.get<{ enrollment_id: string }>('SELECT enrollment_id FROM device_keys WHERE student_id = ?', [studentId]);
    const nonce = createChallenge();
    await this.issueNonce(nonce, studentId, 'check', key?.enrollment_id ?? '', checkId, line.closesAt);
    return { checkId, nonce, closesAt: line.closesAt };
  }

  /** The student chose the non-biometric alternative inside the check window; the teacher confirms it. */
  async chooseAlternative(checkId: string, studentId: string): Promise<{ status: AttendanceStatus }> {
    const line = await this.openLine(checkId, studentId);
    await this.db.run(
      `UPDATE attendance SET status = 'alternative_requested', method = 'alternative', outcome = NULL, reason = NULL, liveness = NULL, updated_at = ?
       WHERE check_id = ? AND student_id = ?`,
      [this.now(), checkId, studentId],
    );
    await this.publishAttendance(line.lessonId);
    this.events.publish(teacherChannel(line.lessonId), 'confirm-alternative', { checkId, studentId });
    return { status: 'alternative_requested' };
  }

  /** The teacher confirms a student present (alternative, or in person after a failed check) or absent. */
  async teacherConfirm(checkId: string, studentId: string, present: boolean): Promise<{ status: AttendanceStatus }> {
    const row = await this.db.get<{ status: AttendanceStatus; lesson_id: string }>(
      'SELECT a.status, c.lesson_id FROM attendance a JOIN checks c ON c.id = a.check_id WHERE a.check_id = ? AND a.student_id = ?',
      [checkId, studentId],
    );
    if (!row) throw new DemoError(404, 'no_such_check', 'no such check for this student');
    let status: AttendanceStatus;
    if (!present) status = 'absent';
    else if (row.status === 'alternative_requested' || row.status === 'alternative_confirmed') status = 'alternative_confirmed';
    else if (row.status === 'failed' || row.status === 'pending' || row.status === 'absent') status = 'confirmed_in_person';
    else throw new DemoError(409, 'nothing_to_confirm', 'this student already passed the check');
    const method = status === 'alternative_confirmed' ? 'alternative' : status === 'confirmed_in_person' ? 'in_person' : null;
    await this.db.run('UPDATE attendance SET status = ?, method = COALESCE(?, method), updated_at = ? WHERE check_id = ? AND student_id = ?', [
      status,
      method,
      this.now(),
      checkId,
      studentId,
    ]);
    await this.publishAttendance(row.lesson_id);
    return { status };
  }

  /** Counts and per-student lines of a lesson, newest check first. */
  async attendance(lessonId: string): Promise<{ counts: AttendanceCounts; lines: AttendanceLine[]; students: number }> {
    await this.requireLesson(lessonId);
    const rows = await this.db.all<{
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
       FROM attendance a JOIN checks c ON c.id = a.check_id JOIN students s ON s.id = a.student_id
       WHERE c.lesson_id = ? ORDER BY c.opens_at DESC, s.display_name`,
      [lessonId],
    );
    const students = await this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM lesson_students WHERE lesson_id = ?', [lessonId]);
    const latest = rows[0]?.check_id;
    const counts: AttendanceCounts = { pending: 0, passed: 0, failed: 0, alternative: 0 };
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

  /** Attendance as CSV (one line per student and check), for the teacher's records. */
  async attendanceCsv(lessonId: string): Promise<string> {
    const { lines } = await this.attendance(lessonId);
    const cell = (value: unknown) => {
      const text = value === null || value === undefined ? '' : String(value);
      // Quote every cell, double inner quotes, and defuse spreadsheet formulas.
      return `"${(/^[=+\-@]/.test(text) ? `'${text}` : text).replace(/"/g, '""')}"`;
    };
    const header = ['check_id', 'student_id', 'display_name', 'status', 'method', 'outcome', 'reason', 'updated_at'];
    const body = lines.map((l) =>
      [l.checkId, l.studentId, l.displayName, l.status, l.method, l.outcome, l.reason, new Date(l.updatedAt).toISOString()].map(cell).join(','),
    );
    return [header.join(','), ...body].join('\r\n') + '\r\n';
  }

  /**
   * Retention: deletes lessons (with their checks and attendance) and device keys past their
   * retention date, and nonces past their expiry, used or not.
   */
  async purgeExpired(): Promise<{ lessons: number; keys: number; nonces: number }> {
    const now = this.now();
    return {
      lessons: await this.db.run('DELETE FROM lessons WHERE retain_until <= ?', [now]),
      keys: await this.db.run('DELETE FROM device_keys WHERE retain_until <= ?', [now]),
      nonces: await this.db.run('DELETE FROM nonces WHERE expires_at <= ?', [now]),
    };
  }

  /** Cancels scheduled checks. */
  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private async publishAttendance(lessonId: string): Promise<void> {
    if (this.events.listeners(teacherChannel(lessonId)) === 0) return;
    this.events.publish(teacherChannel(lessonId), 'attendance', await this.attendance(lessonId));
  }

  private async issueNonce(nonce: string, studentId: string, purpose: string, subject: string, checkId: string | null, expiresAt: number) {
    await this.db.run(
      'INSERT INTO nonces (nonce, student_id, purpose, subject, check_id, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [nonce, studentId, purpose, subject, checkId, this.now(), expiresAt],
    );
  }

  /**
   * The open check of a student with the nonce to verify against: the newest unused one, else the
   * newest used one (so replaying a used assertion fails as a replay, an outdated one as a mismatch).
   */
  private async openLine(checkId: string, studentId: string): Promise<{ nonce: string; lessonId: string; closesAt: number; status: AttendanceStatus }> {
    const row = await this.db.get<{ nonce: string; lesson_id: string; closes_at: number; status: AttendanceStatus }>(
      `SELECT n.nonce, c.lesson_id, c.closes_at, a.status FROM checks c
       JOIN nonces n ON n.check_id = c.id AND n.student_id = ?
       JOIN attendance a ON a.check_id = c.id AND a.student_id = ?
       WHERE c.id = ? ORDER BY (n.used_at IS NULL) DESC, n.issued_at DESC LIMIT 1`,
      [studentId, studentId, checkId],
    );
    if (!row) throw new DemoError(404, 'no_such_check', 'no such check for this student');
    if (row.closes_at <= this.now()) throw new DemoError(409, 'check_closed', 'the check window has closed');
    return { nonce: row.nonce, lessonId: row.lesson_id, closesAt: row.closes_at, status: row.status };
  }

  private async requireStudent(studentId: string): Promise<void> {
    const row = await this.db.get('SELECT id FROM students WHERE id = ?', [studentId]);
    if (!row) throw new DemoError(404, 'no_such_student', 'unknown student');
  }

  private async requireLesson(lessonId: string): Promise<{ title: string; status: string }> {
    const row = await this.db.get<{ title: string; status: string }>('SELECT title, status FROM lessons WHERE id = ?', [lessonId]);
    if (!row) throw new DemoError(404, 'no_such_lesson', 'unknown lesson');
    return row;
  }

  /** Runs a presenza/server verification, turning its coded errors into a 400 with the code. */
  private async verified<T>(verify: () => Promise<T>): Promise<T> {
    try {
      return await verify();
    } catch (error) {
      if (isPresenzaError(error)) throw new DemoError(400, error.code, error.message);
      throw error;
    }
  }
}
