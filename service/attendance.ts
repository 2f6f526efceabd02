/**
 * The attendance logic: students and their device keys (a new one pending until a teacher
 * approves it), lessons, checks with single-use nonces, verified assertions, the non-biometric
 * alternative and the teacher's confirmations, retention. Every change to attendance data is
 * recorded in the audit log in the same transaction. It stores outcomes, never biometric data.
 * Who may call what is decided before these methods run (see access.ts): they take the acting
 * user's id from the session, never from a request body.
 */
import { randomUUID } from 'node:crypto';
import { createChallenge, isPresenzaError, verifyCheck, verifyEnrollment, type EcPublicJwk, type NonceStore } from 'presenza/server';
import { appendAudit, purgeAudit, type Actor } from './audit.js';
import { DEFAULT_LIMITS } from './config.js';
import { admitDeviceKey } from './enrollmentApproval.js';
import type { Db } from './db.js';
import { ServiceError } from './errors.js';
import { studentChannel, teacherChannel, type EventBus } from './events.js';

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

/** How long a student with no lesson left is kept after creation (a fresh sign-in before joining). */
export const UNATTACHED_STUDENT_GRACE_MS = 86_400_000;

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

/** A device key as the student and the teacher see it. */
export interface DeviceKeyView {
  keyId: string;
  status: 'active' | 'pending';
  /** First characters of the key's RFC 7638 thumbprint, to tell devices apart. */
  fingerprint: string;
  createdAt: number;
  retainUntil: number;
}

/** A pending enrollment a teacher may approve. */
export interface PendingEnrollment {
  keyId: string;
  studentId: string;
  displayName: string;
  createdAt: number;
  fingerprint: string;
  /** Active keys the student already has (the devices that keep working meanwhile). */
  activeKeys: number;
}

/**
 * The verifier's nonce store for one student: one conditional UPDATE, atomic on both engines.
 * Enrollment nonces are bound to the enrollment id they were issued with; check nonces to the
 * student and the check (the verifier has already matched `sub` with the key it used).
 */
class StudentNonceStore implements NonceStore {
  constructor(
    private readonly db: Db,
    private readonly studentId: string,
    private readonly now: () => number,
  ) {}

  async consume(nonce: string, use: { subject: string; checkId: string | null }): Promise<boolean> {
    const now = this.now();
    const changed =
      use.checkId === null
        ? await this.db.run(
            `UPDATE nonces SET used_at = ? WHERE nonce = ? AND student_id = ? AND purpose = 'enroll' AND subject = ? AND used_at IS NULL AND expires_at > ?`,
            [now, nonce, this.studentId, use.subject, now],
          )
        : await this.db.run(
            `UPDATE nonces SET used_at = ? WHERE nonce = ? AND student_id = ? AND purpose = 'check' AND check_id = ? AND used_at IS NULL AND expires_at > ?`,
            [now, nonce, this.studentId, use.checkId, now],
          );
    return changed === 1;
  }
}

/** Options of {@link Attendance}. */
export interface AttendanceOptions {
  readonly now?: () => number;
  /** Device keys (active and pending) per student. */
  readonly keysPerStudent?: number;
  /** How long the audit log is kept. */
  readonly auditRetentionMs?: number;
}

const fingerprint = (thumbprint: string) => thumbprint.slice(0, 8);
const SYSTEM: Actor = { id: null, role: 'system' };

/** The attendance service. */
export class Attendance {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly now: () => number;
  private readonly keysPerStudent: number;
  private readonly auditRetentionMs: number;

  constructor(
    private readonly db: Db,
    readonly events: EventBus,
    options: AttendanceOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.keysPerStudent = options.keysPerStudent ?? DEFAULT_LIMITS.keysPerStudent;
    this.auditRetentionMs = options.auditRetentionMs ?? DEFAULT_LIMITS.auditRetentionMs;
  }

  /** The student's device keys and whether one is active. */
  async studentStatus(studentId: string): Promise<{ enrolled: boolean; pending: boolean; retainUntil: number | null; keys: DeviceKeyView[] }> {
    const keys = await this.keysOf(studentId);
    const active = keys.filter((k) => k.status === 'active');
    return {
      enrolled: active.length > 0,
      pending: keys.some((k) => k.status === 'pending'),
      retainUntil: active.length ? Math.max(...active.map((k) => k.retainUntil)) : null,
      keys,
    };
  }

  private async keysOf(studentId: string): Promise<DeviceKeyView[]> {
    const rows = await this.db.all<{ id: string; status: 'active' | 'pending'; thumbprint: string; created_at: number; retain_until: number }>(
      'SELECT id, status, thumbprint, created_at, retain_until FROM device_keys WHERE student_id = ? ORDER BY created_at',
      [studentId],
    );
    return rows.map((r) => ({ keyId: r.id, status: r.status, fingerprint: fingerprint(r.thumbprint), createdAt: Number(r.created_at), retainUntil: Number(r.retain_until) }));
  }

  /** Issues what an enrollment needs: a fresh pseudonymous enrollment id, a nonce and the retention date. */
  async enrollmentChallenge(studentId: string): Promise<{ enrollmentId: string; nonce: string; retainUntil: number }> {
    await this.requireRoomForKey(studentId);
    const enrollmentId = `e-${randomUUID()}`;
    const nonce = createChallenge();
    await this.issueNonce(this.db, nonce, studentId, 'enroll', enrollmentId, null, this.now() + ENROLLMENT_NONCE_TTL_MS);
    return { enrollmentId, nonce, retainUntil: this.now() + COURSE_RETENTION_MS };
  }

  private async requireRoomForKey(studentId: string, db: Db = this.db): Promise<void> {
    const held = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM device_keys WHERE student_id = ?', [studentId]);
    if (Number(held?.n ?? 0) >= this.keysPerStudent) {
      throw new ServiceError(409, 'too_many_keys', `a student holds at most ${this.keysPerStudent} device keys: revoke one first`);
    }
  }

  /**
   * Verifies an enrollment assertion against the nonce issued to this student and stores the
   * device key: active if the student has none, else pending until a teacher approves it (the
   * keys already active keep working meanwhile). A key is never replaced silently.
   */
  async registerEnrollment(studentId: string, assertion: string, audience: string): Promise<{ enrollmentId: string; keyId: string; status: 'active' | 'pending' }> {
    // The challenge the assertion answers, named by its enrollment id (read here only to find it).
    const issued = await this.db.get<{ nonce: string; subject: string }>(
      `SELECT nonce, subject FROM nonces WHERE student_id = ? AND purpose = 'enroll' AND subject = ? AND used_at IS NULL AND expires_at > ?`,
      [studentId, unverifiedSubject(assertion), this.now()],
    );
    if (!issued) throw new ServiceError(409, 'no_challenge', 'no open enrollment challenge for this student');
    const keyId = `k-${randomUUID()}`;
    // Verified, nonce consumed and key stored in one transaction: both or neither.
    const { verified, status } = await this.db.transaction(async (tx) => {
      // One enrollment per student at a time (SQLite serialises transactions already).
      if (tx.engine === 'postgres') await tx.run('SELECT pg_advisory_xact_lock(hashtext(?))', [`enroll:${studentId}`]);
      await this.requireRoomForKey(studentId, tx);
      const verified = await this.verified(() =>
        verifyEnrollment(assertion, {
          audience,
          expectedNonce: issued.nonce,
          enrollmentId: issued.subject,
          nonceStore: new StudentNonceStore(tx, studentId, this.now),
          now: this.now(),
        }),
      );
      const retainUntil = Math.min(verified.retainUntil * 1000, this.now() + COURSE_RETENTION_MS);
      const active = await tx.get('SELECT id FROM device_keys WHERE student_id = ? AND status = ? LIMIT 1', [studentId, 'active']);
      const { status, action } = admitDeviceKey(active !== undefined, verified.idDocument);
      await tx.run(
        'INSERT INTO device_keys (id, student_id, enrollment_id, public_jwk, thumbprint, status, retain_until, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [keyId, studentId, verified.enrollmentId, JSON.stringify(verified.publicJwk), verified.thumbprint, status, retainUntil, this.now()],
      );
      // The document outcome (never a score or an image) tells the teacher why a key waits.
      await appendAudit(tx, this.now(), { id: studentId, role: 'student' }, action, { targetId: keyId, detail: { idDocument: verified.idDocument } });
      return { verified, status };
    });
    if (status === 'pending') await this.announceEnrollment(studentId, keyId);
    return { enrollmentId: verified.enrollmentId, keyId, status };
  }

  /** Tells the teacher view of every live lesson of the student that a re-enrollment waits. */
  private async announceEnrollment(studentId: string, keyId: string): Promise<void> {
    const lessons = await this.db.all<{ lesson_id: string }>(
      `SELECT ls.lesson_id FROM lesson_students ls JOIN lessons l ON l.id = ls.lesson_id WHERE ls.student_id = ? AND l.status = 'live'`,
      [studentId],
    );
    for (const { lesson_id } of lessons) this.events.publish(teacherChannel(lesson_id), 'enrollment', { keyId, studentId });
  }

  /** A student revokes one of their device keys (active or pending). */
  async revokeKey(studentId: string, keyId: string): Promise<{ revoked: true }> {
    await this.db.transaction(async (tx) => {
      const changed = await tx.run('DELETE FROM device_keys WHERE id = ? AND student_id = ?', [keyId, studentId]);
      if (changed !== 1) throw new ServiceError(404, 'no_such_key', 'no such device key');
      await appendAudit(tx, this.now(), { id: studentId, role: 'student' }, 'device_key.revoked', { targetId: keyId });
    });
    return { revoked: true };
  }

  /** Pending enrollments of the students of a lesson. */
  async pendingEnrollments(lessonId: string): Promise<PendingEnrollment[]> {
    const rows = await this.db.all<{ id: string; student_id: string; display_name: string; created_at: number; thumbprint: string; active: number }>(
      `SELECT k.id, k.student_id, u.display_name, k.created_at, k.thumbprint,
              (SELECT COUNT(*) FROM device_keys a WHERE a.student_id = k.student_id AND a.status = 'active') AS active
       FROM device_keys k JOIN lesson_students ls ON ls.student_id = k.student_id AND ls.lesson_id = ? JOIN users u ON u.id = k.student_id
       WHERE k.status = 'pending' ORDER BY k.created_at`,
      [lessonId],
    );
    return rows.map((r) => ({
      keyId: r.id,
      studentId: r.student_id,
      displayName: r.display_name,
      createdAt: Number(r.created_at),
      fingerprint: fingerprint(r.thumbprint),
      activeKeys: Number(r.active),
    }));
  }

  /** The teacher of a lesson approves a pending device key of one of its students. */
  async approveEnrollment(teacherId: string, lessonId: string, keyId: string): Promise<{ keyId: string; status: 'active' }> {
    await this.db.transaction(async (tx) => {
      const key = await tx.get<{ status: string; student_id: string }>(
        `SELECT k.status, k.student_id FROM device_keys k JOIN lesson_students ls ON ls.student_id = k.student_id AND ls.lesson_id = ? WHERE k.id = ?`,
        [lessonId, keyId],
      );
      if (!key) throw new ServiceError(404, 'no_such_key', 'no such device key among this lesson’s students');
      if (key.status !== 'pending') throw new ServiceError(409, 'not_pending', 'this device key is not waiting for approval');
      await tx.run(`UPDATE device_keys SET status = 'active', approved_at = ?, approved_by = ? WHERE id = ? AND status = 'pending'`, [this.now(), teacherId, keyId]);
      await appendAudit(tx, this.now(), { id: teacherId, role: 'teacher' }, 'enrollment.approved', { lessonId, targetId: keyId, detail: { student: key.student_id } });
    });
    return { keyId, status: 'active' };
  }

  /** Creates a live lesson owned by `teacherId`, in the teacher's course if the launch named one. */
  async createLesson(teacherId: string, title: string, course: string | null): Promise<{ lessonId: string }> {
    const lessonId = `l-${randomUUID()}`;
    await this.db.transaction(async (tx) => {
      await tx.run('INSERT INTO lessons (id, teacher_id, course, title, status, retain_until, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        lessonId,
        teacherId,
        course,
        title,
        'live',
        this.now() + COURSE_RETENTION_MS,
        this.now(),
      ]);
      await appendAudit(tx, this.now(), { id: teacherId, role: 'teacher' }, 'lesson.started', { lessonId });
    });
    return { lessonId };
  }

  /** Ends a lesson: no more checks can be triggered. */
  async endLesson(teacherId: string, lessonId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run(`UPDATE lessons SET status = 'ended', ended_at = ? WHERE id = ? AND status = 'live'`, [this.now(), lessonId]);
      await appendAudit(tx, this.now(), { id: teacherId, role: 'teacher' }, 'lesson.ended', { lessonId });
    });
    this.events.publish(teacherChannel(lessonId), 'lesson', { status: 'ended' });
  }

  /** Lesson details for the pages. */
  async lesson(lessonId: string): Promise<{ lessonId: string; title: string; status: string }> {
    const lesson = await this.requireLesson(lessonId);
    return { lessonId, title: lesson.title, status: lesson.status };
  }

  /** Adds a student to a lesson (idempotent). */
  async join(lessonId: string, studentId: string): Promise<void> {
    const lesson = await this.requireLesson(lessonId);
    const joined = await this.db.transaction(async (tx) => {
      const changed = await tx.run(
        `INSERT INTO lesson_students (lesson_id, student_id, joined_at) VALUES (?, ?, ?) ON CONFLICT (lesson_id, student_id) DO NOTHING`,
        [lessonId, studentId, this.now()],
      );
      if (changed === 1) await appendAudit(tx, this.now(), { id: studentId, role: 'student' }, 'lesson.joined', { lessonId });
      return changed === 1;
    });
    if (!joined) return;
    // A student joining with a key already pending shows up in the teacher's list.
    const pending = await this.db.get<{ id: string }>(`SELECT id FROM device_keys WHERE student_id = ? AND status = 'pending' LIMIT 1`, [studentId]);
    if (pending && lesson.status === 'live') this.events.publish(teacherChannel(lessonId), 'enrollment', { keyId: pending.id, studentId });
    await this.publishAttendance(lessonId);
  }

  /**
   * Asks every student of the lesson for a check, now (`withinMinutes` 0) or at a random moment
   * within `withinMinutes`. Returns when it will fire.
   */
  async triggerCheck(teacherId: string, lessonId: string, withinMinutes: number): Promise<{ firesAt: number }> {
    const lesson = await this.requireLesson(lessonId);
    if (lesson.status !== 'live') throw new ServiceError(409, 'lesson_ended', 'the lesson has ended');
    const teacher: Actor = { id: teacherId, role: 'teacher' };
    const delay = Math.round(Math.random() * withinMinutes * 60_000);
    if (delay === 0) {
      await this.fireCheck(lessonId, teacher);
      return { firesAt: this.now() };
    }
    await appendAudit(this.db, this.now(), teacher, 'check.scheduled', { lessonId, detail: { withinMinutes } });
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.fireCheck(lessonId, SYSTEM).catch(() => undefined);
    }, delay);
    this.timers.add(timer);
    return { firesAt: this.now() + delay };
  }

  /** Opens a check in one transaction: one nonce and one pending attendance line per student; then sends it over SSE. */
  async fireCheck(lessonId: string, actor: Actor = SYSTEM): Promise<{ checkId: string; students: number }> {
    const checkId = `c-${randomUUID()}`;
    const opensAt = this.now();
    const closesAt = opensAt + CHECK_WINDOW_MS;
    const asked = await this.db.transaction(async (tx) => {
      const live = await tx.get(`SELECT id FROM lessons WHERE id = ? AND status = 'live'`, [lessonId]);
      if (!live) return null;
      await tx.run('INSERT INTO checks (id, lesson_id, opens_at, closes_at) VALUES (?, ?, ?, ?)', [checkId, lessonId, opensAt, closesAt]);
      const students = await tx.all<{ student_id: string }>('SELECT student_id FROM lesson_students WHERE lesson_id = ?', [lessonId]);
      const asked: { studentId: string; nonce: string }[] = [];
      for (const { student_id } of students) {
        const nonce = createChallenge();
        await this.issueNonce(tx, nonce, student_id, 'check', student_id, checkId, closesAt);
        await tx.run(`INSERT INTO attendance (check_id, student_id, status, updated_at) VALUES (?, ?, 'pending', ?)`, [checkId, student_id, opensAt]);
        asked.push({ studentId: student_id, nonce });
      }
      await appendAudit(tx, this.now(), actor, 'check.fired', { lessonId, targetId: checkId, detail: { students: asked.length } });
      return asked;
    });
    if (!asked) return { checkId, students: 0 };
    for (const { studentId, nonce } of asked) this.events.publish(studentChannel(lessonId, studentId), 'check', { checkId, nonce, closesAt });
    await this.publishAttendance(lessonId);
    return { checkId, students: asked.length };
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
    ).map((r) => ({ checkId: r.id, nonce: r.nonce, closesAt: Number(r.closes_at) }));
  }

  /**
   * Verifies a check assertion with the student's active key it names and the nonce issued for
   * this check, and records the outcome. A pending key is refused until approved. A failed check
   * keeps nothing but the outcome and asks the teacher to verify the student in person now.
   */
  async submitResult(checkId: string, studentId: string, assertion: string, audience: string): Promise<{ status: AttendanceStatus }> {
    const line = await this.openLine(checkId, studentId);
    const key = await this.keyNamedBy(studentId, assertion);
    // The nonce is consumed in the same transaction that records the outcome: both or neither.
    const { result, status } = await this.db.transaction(async (tx) => {
      const result = await this.verified(() =>
        verifyCheck(assertion, {
          audience,
          publicJwk: JSON.parse(key.public_jwk) as EcPublicJwk,
          expectedNonce: line.nonce,
          checkId,
          enrollmentId: key.enrollment_id,
          nonceStore: new StudentNonceStore(tx, studentId, this.now),
          now: this.now(),
        }),
      );
      const status: AttendanceStatus = result.outcome === 'pass' ? 'passed' : 'failed';
      await tx.run(
        `UPDATE attendance SET status = ?, method = 'biometric', outcome = ?, reason = ?, liveness = ?, updated_at = ? WHERE check_id = ? AND student_id = ?`,
        [status, result.outcome, result.reason ?? null, result.liveness, this.now(), checkId, studentId],
      );
      await appendAudit(tx, this.now(), { id: studentId, role: 'student' }, 'check.answered', {
        lessonId: line.lessonId,
        targetId: checkId,
        detail: { outcome: result.outcome, key: key.id },
      });
      return { result, status };
    });
    await this.publishAttendance(line.lessonId);
    if (status === 'failed') {
      this.events.publish(teacherChannel(line.lessonId), 'verify-in-person', { checkId, studentId, reason: result.reason ?? null });
    }
    return { status };
  }

  /** The student's key an assertion names by its `sub` (read before verification, only to pick the key). */
  private async keyNamedBy(studentId: string, assertion: string): Promise<{ id: string; public_jwk: string; enrollment_id: string }> {
    const sub = unverifiedSubject(assertion);
    const keys = await this.db.all<{ id: string; public_jwk: string; enrollment_id: string; status: string }>(
      'SELECT id, public_jwk, enrollment_id, status FROM device_keys WHERE student_id = ?',
      [studentId],
    );
    if (!keys.some((k) => k.status === 'active')) throw new ServiceError(409, 'not_enrolled', 'this student has no active device key');
    const key = keys.find((k) => k.enrollment_id === sub);
    if (key?.status === 'pending') throw new ServiceError(409, 'key_pending', 'this device’s key waits for the teacher’s approval');
    // An unknown sub: verify with an active key, which refuses it with the verifier's own code.
    return key ?? keys.find((k) => k.status === 'active')!;
  }

  /** A fresh nonce for another attempt at an open check (after a failed or inconclusive one). */
  async retry(checkId: string, studentId: string): Promise<{ checkId: string; nonce: string; closesAt: number }> {
    const line = await this.openLine(checkId, studentId);
    if (line.status === 'passed') throw new ServiceError(409, 'already_passed', 'this check was already passed');
    const nonce = createChallenge();
    await this.issueNonce(this.db, nonce, studentId, 'check', studentId, checkId, line.closesAt);
    return { checkId, nonce, closesAt: line.closesAt };
  }

  /** The student chose the non-biometric alternative inside the check window; the teacher confirms it. */
  async chooseAlternative(checkId: string, studentId: string): Promise<{ status: AttendanceStatus }> {
    const line = await this.openLine(checkId, studentId);
    if (line.status === 'passed') throw new ServiceError(409, 'already_passed', 'this check was already passed');
    await this.db.transaction(async (tx) => {
      await tx.run(
        `UPDATE attendance SET status = 'alternative_requested', method = 'alternative', outcome = NULL, reason = NULL, liveness = NULL, updated_at = ?
         WHERE check_id = ? AND student_id = ?`,
        [this.now(), checkId, studentId],
      );
      await appendAudit(tx, this.now(), { id: studentId, role: 'student' }, 'check.alternative_requested', { lessonId: line.lessonId, targetId: checkId });
    });
    await this.publishAttendance(line.lessonId);
    this.events.publish(teacherChannel(line.lessonId), 'confirm-alternative', { checkId, studentId });
    return { status: 'alternative_requested' };
  }

  /** The teacher confirms a student present (alternative, or in person after a failed check) or absent. */
  async teacherConfirm(teacherId: string, checkId: string, studentId: string, present: boolean): Promise<{ status: AttendanceStatus }> {
    const { status, lessonId } = await this.db.transaction(async (tx) => {
      const row = await tx.get<{ status: AttendanceStatus; lesson_id: string }>(
        'SELECT a.status, c.lesson_id FROM attendance a JOIN checks c ON c.id = a.check_id WHERE a.check_id = ? AND a.student_id = ?',
        [checkId, studentId],
      );
      if (!row) throw new ServiceError(404, 'no_such_check', 'no such check for this student');
      let status: AttendanceStatus;
      if (row.status === 'passed') throw new ServiceError(409, 'nothing_to_confirm', 'this student already passed the check');
      if (!present) status = 'absent';
      else if (row.status === 'alternative_requested' || row.status === 'alternative_confirmed') status = 'alternative_confirmed';
      else if (row.status === 'failed' || row.status === 'pending' || row.status === 'absent') status = 'confirmed_in_person';
      else throw new ServiceError(409, 'nothing_to_confirm', 'this student is already confirmed');
      const method = status === 'alternative_confirmed' ? 'alternative' : status === 'confirmed_in_person' ? 'in_person' : null;
      await tx.run('UPDATE attendance SET status = ?, method = COALESCE(?, method), updated_at = ? WHERE check_id = ? AND student_id = ?', [
        status,
        method,
        this.now(),
        checkId,
        studentId,
      ]);
      await appendAudit(tx, this.now(), { id: teacherId, role: 'teacher' }, 'check.confirmed', {
        lessonId: row.lesson_id,
        targetId: checkId,
        detail: { student: studentId, status },
      });
      return { status, lessonId: row.lesson_id };
    });
    await this.publishAttendance(lessonId);
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
       FROM attendance a JOIN checks c ON c.id = a.check_id JOIN users s ON s.id = a.student_id
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
    const header = ['check_id', 'student_id', 'display_name', 'status', 'method', 'outcome', 'reason', 'updated_at'];
    const body = lines.map((l) =>
      [l.checkId, l.studentId, l.displayName, l.status, l.method, l.outcome, l.reason, new Date(l.updatedAt).toISOString()].map(csvCell).join(','),
    );
    return [header.join(','), ...body].join('\r\n') + '\r\n';
  }

  /** Records that someone viewed or exported a lesson's attendance. */
  async recordAccess(actor: Actor, action: 'attendance.viewed' | 'attendance.exported' | 'audit.viewed', lessonId: string | null = null): Promise<void> {
    await appendAudit(this.db, this.now(), actor, action, { lessonId });
  }

  /**
   * Retention: deletes lessons (with their checks and attendance) and device keys past their
   * retention date, nonces, sessions and launch-token ids past their expiry, students left with
   * no lesson (after a day's grace), and the audit log's entries older than its retention. The
   * run itself is recorded.
   */
  async purgeExpired(): Promise<RetentionReport> {
    const now = this.now();
    const report = await this.db.transaction(async (tx) => ({
      lessons: await tx.run('DELETE FROM lessons WHERE retain_until <= ?', [now]),
      keys: await tx.run('DELETE FROM device_keys WHERE retain_until <= ?', [now]),
      nonces: await tx.run('DELETE FROM nonces WHERE expires_at <= ?', [now]),
      sessions: await tx.run('DELETE FROM sessions WHERE expires_at <= ? OR revoked_at IS NOT NULL', [now]),
      launchTokens: await tx.run('DELETE FROM launch_tokens WHERE expires_at <= ?', [now]),
      students: await tx.run(
        `DELETE FROM users WHERE role = 'student' AND created_at <= ?
         AND NOT EXISTS (SELECT 1 FROM lesson_students ls WHERE ls.student_id = users.id)
         AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = users.id AND s.expires_at > ? AND s.revoked_at IS NULL)`,
        [now - UNATTACHED_STUDENT_GRACE_MS, now],
      ),
      teachers: await tx.run(
        `DELETE FROM users WHERE role <> 'student' AND NOT EXISTS (SELECT 1 FROM lessons l WHERE l.teacher_id = users.id)
         AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = users.id AND s.expires_at > ? AND s.revoked_at IS NULL)`,
        [now],
      ),
    }));
    const audit = await purgeAudit(this.db, now - this.auditRetentionMs);
    const full: RetentionReport = { ...report, auditEntries: audit.deleted };
    await appendAudit(this.db, now, SYSTEM, 'retention.run', {
      detail: { ...full, ...(audit.anchor ? { auditAnchorSeq: audit.anchorSeq, auditAnchor: audit.anchor } : {}) },
    });
    return full;
  }

  /** What each table holds and when its oldest retained row goes (for the auditor). */
  async retentionReport(): Promise<{ table: string; rows: number; nextDeletion: number | null }[]> {
    const count = async (table: string, column: string | null) => {
      const row = await this.db.get<{ n: number; next: number | null }>(`SELECT COUNT(*) AS n, ${column ? `MIN(${column})` : 'NULL'} AS next FROM ${table}`);
      return { table, rows: Number(row?.n ?? 0), nextDeletion: row?.next === null || row?.next === undefined ? null : Number(row.next) };
    };
    return [
      await count('lessons', 'retain_until'),
      await count('device_keys', 'retain_until'),
      await count('nonces', 'expires_at'),
      await count('sessions', 'expires_at'),
      await count('users', null),
      await count('checks', null),
      await count('attendance', null),
      await count('audit_log', null),
    ];
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

  private async issueNonce(db: Db, nonce: string, studentId: string, purpose: string, subject: string, checkId: string | null, expiresAt: number) {
    await db.run('INSERT INTO nonces (nonce, student_id, purpose, subject, check_id, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      nonce,
      studentId,
      purpose,
      subject,
      checkId,
      this.now(),
      expiresAt,
    ]);
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
    if (!row) throw new ServiceError(404, 'no_such_check', 'no such check for this student');
    if (Number(row.closes_at) <= this.now()) throw new ServiceError(409, 'check_closed', 'the check window has closed');
    return { nonce: row.nonce, lessonId: row.lesson_id, closesAt: Number(row.closes_at), status: row.status };
  }

  private async requireLesson(lessonId: string): Promise<{ title: string; status: string }> {
    const row = await this.db.get<{ title: string; status: string }>('SELECT title, status FROM lessons WHERE id = ?', [lessonId]);
    if (!row) throw new ServiceError(404, 'no_such_lesson', 'unknown lesson');
    return row;
  }

  /** Runs a presenza/server verification, turning its coded errors into a 400 with the code. */
  private async verified<T>(verify: () => Promise<T>): Promise<T> {
    try {
      return await verify();
    } catch (error) {
      if (isPresenzaError(error)) throw new ServiceError(400, error.code, error.message);
      throw error;
    }
  }
}

/** What a retention run deleted. */
export interface RetentionReport {
  lessons: number;
  keys: number;
  nonces: number;
  sessions: number;
  launchTokens: number;
  students: number;
  teachers: number;
  auditEntries: number;
}

/** The `sub` an assertion claims, read without verifying (only to pick the key or challenge to verify it with). */
function unverifiedSubject(assertion: string): string {
  try {
    const sub: unknown = JSON.parse(Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString('utf8')).sub;
    if (typeof sub === 'string') return sub;
  } catch {
    // Reported below.
  }
  throw new ServiceError(400, 'ERR_MALFORMED', 'the assertion is not a compact JWS whose payload names its subject');
}

/** Characters that make a spreadsheet read a cell as a formula (or hide one behind a tab or CR). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell: always quoted, inner quotes doubled, formulas defused with a leading apostrophe. */
export function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return `"${(FORMULA_START.test(text) ? `'${text}` : text).replace(/"/g, '""')}"`;
}
