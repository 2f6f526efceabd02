/**
 * The attendance logic: students and their device keys (a new one pending until a teacher
 * approves it), lessons, checks with single-use nonces, verified assertions, the non-biometric
 * alternative and the teacher's confirmations. Every change to attendance data is recorded in the
 * audit log in the same transaction. It stores outcomes, never biometric data. The read models are
 * in attendanceViews.ts, what is deleted when in retention.ts.
 * Who may call what is decided before these methods run (see access.ts): they take the acting
 * user's id from the session, never from a request body.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createChallenge, isPresenzaError, verifyCheck, verifyEnrollment, type EcPublicJwk, type NonceStore } from 'presenza/server';
import { appendAudit, SYSTEM_ACTOR, type Actor, type AuditAction, type AuditRecord } from './audit.js';
import { DEFAULT_LIMITS } from './config.js';
import { admitDeviceKey, pendingReason, type PendingReason } from './enrollmentApproval.js';
import type { Db } from './db.js';
import { ServiceError } from './errors.js';
import { appendEvents, type NewEvent } from './eventLog.js';
import { attendanceCsv, checkHistory, lessonLines, type LessonLines } from './attendanceViews.js';
import { lessonChannel, studentChannel, teacherChannel, type SnapshotMessage } from './events.js';
import { purgeExpired, retentionReport, type RetentionReport, type TableRetention } from './retention.js';

/** How long a student has to answer a check. */
export const CHECK_WINDOW_MS = 120_000;
/** How long an enrollment nonce is valid. */
export const ENROLLMENT_NONCE_TTL_MS = 10 * 60_000;
/** Retention of lessons, attendance and device keys in the demo: the "course" lasts 90 days. */
export const COURSE_RETENTION_MS = 90 * 86_400_000;
/** How long a student with no lesson left is kept after creation (a fresh sign-in before joining). */
export const UNATTACHED_STUDENT_GRACE_MS = 86_400_000;
/** Longest wait for a check at a random moment. */
export const MAX_RANDOM_DELAY_MINUTES = 60;
/** Rows per multi-row INSERT when a check is fired (under both engines' parameter limits). */
const ROWS_PER_INSERT = 400;

/** Attendance state of one student for one check. */
export type AttendanceStatus =
  | 'pending'
  | 'passed'
  | 'failed'
  | 'alternative_requested'
  | 'alternative_confirmed'
  | 'confirmed_in_person'
  | 'absent';

/** The counters the teacher sees. */
export interface AttendanceCounts {
  pending: number;
  passed: number;
  failed: number;
  alternative: number;
}

/**
 * One student's state for one check: the teacher stream's `line` event, sent on every change
 * (about 200 bytes, whatever the size of the class).
 */
export interface LineDelta {
  checkId: string;
  studentId: string;
  status: AttendanceStatus;
  method: string | null;
  outcome: string | null;
  reason: string | null;
  updatedAt: number;
}

/** One line of the teacher's list, with the student's name. */
export interface AttendanceLine extends LineDelta {
  displayName: string;
}

/** A student of a lesson, as the teacher's roster shows them (the teacher stream's `student` event). */
export interface RosterEntry {
  studentId: string;
  displayName: string;
  joinedAt: number;
}

/** One check of a lesson with its counts (the teacher stream's `check` event, and the history). */
export interface CheckSummary {
  checkId: string;
  opensAt: number;
  closesAt: number;
  /** Students asked. */
  students: number;
  counts: AttendanceCounts;
}

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
  /**
   * Why the key waits, as the enrollment's identity-document outcome: `not_matched` (the
   * document's photo did not match the face), `not_run` (no document compared: declined, not
   * asked for, or none found when it was optional), `null` for keys enrolled before the service
   * kept it. A code only: the page words it.
   */
  idDocument: PendingReason | null;
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

/** Where the attendance logic reports what operators follow (Fastify's logger fits); ids and codes only. */
export interface AttendanceLogger {
  info(details: object, message: string): void;
}

/** Options of {@link Attendance}. */
export interface AttendanceOptions {
  readonly now?: () => number;
  /** Called after a transaction that appended events commits (the local hub reads them at once). */
  readonly onEvents?: () => void;
  readonly log?: AttendanceLogger;
  /** Device keys (active and pending) per student. */
  readonly keysPerStudent?: number;
  /** How long the audit log is kept. */
  readonly auditRetentionMs?: number;
  /** The course's retention dates (see `ServiceConfig.retention`); 90 days from creation without them. */
  readonly retention?: { readonly lessonsUntil: number; readonly enrollmentsUntil: number };
}

/** Records the change's audit entry (appended with its events when the change's work is done). */
type RecordAudit = (actor: Actor, action: AuditAction, about?: AuditRecord['about']) => void;

const fingerprint = (thumbprint: string) => thumbprint.slice(0, 8);

/** The attendance service. */
export class Attendance {
  private readonly now: () => number;
  private readonly keysPerStudent: number;
  private readonly auditRetentionMs: number;
  private readonly onEvents: () => void;
  private readonly log: AttendanceLogger | undefined;
  private readonly retention: AttendanceOptions['retention'];

  constructor(
    private readonly db: Db,
    options: AttendanceOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.keysPerStudent = options.keysPerStudent ?? DEFAULT_LIMITS.keysPerStudent;
    this.auditRetentionMs = options.auditRetentionMs ?? DEFAULT_LIMITS.auditRetentionMs;
    this.onEvents = options.onEvents ?? (() => undefined);
    this.log = options.log;
    this.retention = options.retention;
  }

  /** When a lesson created now is deleted. */
  private lessonRetainUntil(): number {
    return this.retention?.lessonsUntil ?? this.now() + COURSE_RETENTION_MS;
  }

  /** When an enrollment made now is deleted (its device key here, its template on the device). */
  private enrollmentRetainUntil(): number {
    return this.retention?.enrollmentsUntil ?? this.now() + COURSE_RETENTION_MS;
  }

  /**
   * Runs `work` in one transaction with the audit entry and the events it records, appended last
   * (see appendEvents); tells the hub once it has committed.
   */
  private async withEvents<T>(work: (tx: Db, emit: (event: NewEvent) => void, audit: RecordAudit) => Promise<T>): Promise<T> {
    let appended = false;
    const result = await this.db.transaction(async (tx) => {
      const events: NewEvent[] = [];
      let entry: AuditRecord | undefined;
      const value = await work(
        tx,
        (event) => events.push(event),
        (actor, action, about) => {
          if (entry) throw new Error('one audit entry per change');
          entry = { actor, action, about };
        },
      );
      await appendEvents(tx, this.now(), events, entry);
      appended = events.length > 0;
      return value;
    });
    if (appended) this.onEvents();
    return result;
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
    return { enrollmentId, nonce, retainUntil: this.enrollmentRetainUntil() };
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
    const { verified, status } = await this.withEvents(async (tx, emit, audit) => {
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
      const retainUntil = Math.min(verified.retainUntil * 1000, this.enrollmentRetainUntil());
      const active = await tx.get('SELECT id FROM device_keys WHERE student_id = ? AND status = ? LIMIT 1', [studentId, 'active']);
      const { status, action } = admitDeviceKey(active !== undefined, verified.idDocument);
      await tx.run(
        'INSERT INTO device_keys (id, student_id, enrollment_id, public_jwk, thumbprint, status, retain_until, created_at, id_document) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [keyId, studentId, verified.enrollmentId, JSON.stringify(verified.publicJwk), verified.thumbprint, status, retainUntil, this.now(), verified.idDocument],
      );
      // The document outcome (never a score or an image) tells the teacher why a key waits.
      audit({ id: studentId, role: 'student' }, action, { targetId: keyId, detail: { idDocument: verified.idDocument } });
      // The teacher view of every live lesson of the student shows that a new device waits.
      if (status === 'pending') for (const lessonId of await liveLessonsOf(tx, studentId)) emit(enrollmentEvent(lessonId, keyId, studentId, 'pending'));
      return { verified, status };
    });
    return { enrollmentId: verified.enrollmentId, keyId, status };
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
    const rows = await this.db.all<{ id: string; student_id: string; display_name: string; created_at: number; thumbprint: string; active: number; id_document: string | null }>(
      `SELECT k.id, k.student_id, u.display_name, k.created_at, k.thumbprint, k.id_document,
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
      idDocument: pendingReason(r.id_document),
    }));
  }

  /** The teacher of a lesson approves a pending device key of one of its students. */
  async approveEnrollment(teacherId: string, lessonId: string, keyId: string): Promise<{ keyId: string; status: 'active' }> {
    await this.withEvents(async (tx, emit, audit) => {
      const key = await tx.get<{ status: string; student_id: string }>(
        `SELECT k.status, k.student_id FROM device_keys k JOIN lesson_students ls ON ls.student_id = k.student_id AND ls.lesson_id = ? WHERE k.id = ?`,
        [lessonId, keyId],
      );
      if (!key) throw new ServiceError(404, 'no_such_key', 'no such device key among this lesson’s students');
      if (key.status !== 'pending') throw new ServiceError(409, 'not_pending', 'this device key is not waiting for approval');
      await tx.run(`UPDATE device_keys SET status = 'active', approved_at = ?, approved_by = ? WHERE id = ? AND status = 'pending'`, [this.now(), teacherId, keyId]);
      audit({ id: teacherId, role: 'teacher' }, 'enrollment.approved', { lessonId, targetId: keyId, detail: { student: key.student_id } });
      emit(enrollmentEvent(lessonId, keyId, key.student_id, 'active'));
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
        this.lessonRetainUntil(),
        this.now(),
      ]);
      await appendAudit(tx, this.now(), { id: teacherId, role: 'teacher' }, 'lesson.started', { lessonId });
    });
    return { lessonId };
  }

  /** Ends a lesson: no more checks can be triggered, scheduled ones are dropped, everyone in it is told. */
  async endLesson(teacherId: string, lessonId: string): Promise<void> {
    await this.withEvents(async (tx, emit, audit) => {
      const ended = await tx.run(`UPDATE lessons SET status = 'ended', ended_at = ? WHERE id = ? AND status = 'live'`, [this.now(), lessonId]);
      if (ended !== 1) return;
      await tx.run('DELETE FROM scheduled_checks WHERE lesson_id = ? AND fired_at IS NULL', [lessonId]);
      audit({ id: teacherId, role: 'teacher' }, 'lesson.ended', { lessonId });
      emit({ channel: lessonChannel(lessonId), type: 'lesson', data: { lessonId, status: 'ended' } });
    });
  }

  /** Lesson details for the pages. */
  async lesson(lessonId: string): Promise<{ lessonId: string; title: string; status: string }> {
    const lesson = await this.requireLesson(lessonId);
    return { lessonId, title: lesson.title, status: lesson.status };
  }

  /** Adds a student to a lesson (idempotent). */
  async join(lessonId: string, studentId: string): Promise<void> {
    const lesson = await this.requireLesson(lessonId);
    await this.withEvents(async (tx, emit, audit) => {
      const joinedAt = this.now();
      const changed = await tx.run(
        `INSERT INTO lesson_students (lesson_id, student_id, joined_at) VALUES (?, ?, ?) ON CONFLICT (lesson_id, student_id) DO NOTHING`,
        [lessonId, studentId, joinedAt],
      );
      if (changed !== 1) return;
      audit({ id: studentId, role: 'student' }, 'lesson.joined', { lessonId });
      const user = await tx.get<{ display_name: string }>('SELECT display_name FROM users WHERE id = ?', [studentId]);
      const entry: RosterEntry = { studentId, displayName: user?.display_name ?? '', joinedAt };
      emit({ channel: teacherChannel(lessonId), type: 'student', data: entry });
      // A student joining with a key already pending shows up in the teacher's list.
      const pending = await tx.get<{ id: string }>(`SELECT id FROM device_keys WHERE student_id = ? AND status = 'pending' LIMIT 1`, [studentId]);
      if (pending && lesson.status === 'live') emit(enrollmentEvent(lessonId, pending.id, studentId, 'pending'));
    });
  }

  /**
   * Asks every student of the lesson for a check, now (`withinMinutes` 0) or at a random moment
   * within `withinMinutes`. A later check is stored, not kept in a timer: whichever instance is up
   * fires it, once (see {@link fireDueChecks}). Returns when it will fire.
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
    const scheduleId = `s-${randomUUID()}`;
    const firesAt = this.now() + delay;
    await this.db.transaction(async (tx) => {
      await tx.run('INSERT INTO scheduled_checks (id, lesson_id, requested_by, fire_at, created_at) VALUES (?, ?, ?, ?, ?)', [
        scheduleId,
        lessonId,
        teacherId,
        firesAt,
        this.now(),
      ]);
      await appendAudit(tx, this.now(), teacher, 'check.scheduled', { lessonId, targetId: scheduleId, detail: { withinMinutes } });
    });
    this.log?.info({ lesson: lessonId, schedule: scheduleId, firesAt }, 'check scheduled');
    return { firesAt };
  }

  /** Opens a check now, in one transaction (see {@link openCheck}), and tells every student of the lesson. */
  async fireCheck(lessonId: string, actor: Actor = SYSTEM_ACTOR): Promise<{ checkId: string; students: number }> {
    const { checkId, students } = await this.withEvents((tx, emit, audit) => this.openCheck(tx, emit, audit, lessonId, actor));
    if (!checkId) throw new ServiceError(409, 'lesson_ended', 'the lesson has ended');
    this.log?.info({ lesson: lessonId, check: checkId, students, trigger: actor.role }, 'check fired');
    return { checkId, students };
  }

  /**
   * Fires the scheduled checks that are due, each in its own transaction with its schedule row
   * locked (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite runs one writer): several instances
   * share the work and each check fires exactly once. Returns how many were due.
   */
  async fireDueChecks(): Promise<number> {
    const skipLocked = this.db.engine === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
    for (let due = 0; ; due++) {
      const fired = await this.withEvents(async (tx, emit, audit) => {
        const schedule = await tx.get<{ id: string; lesson_id: string }>(
          `SELECT id, lesson_id FROM scheduled_checks WHERE fired_at IS NULL AND fire_at <= ? ORDER BY fire_at LIMIT 1${skipLocked}`,
          [this.now()],
        );
        if (!schedule) return null;
        const opened = await this.openCheck(tx, emit, audit, schedule.lesson_id, SYSTEM_ACTOR);
        await tx.run('UPDATE scheduled_checks SET fired_at = ?, check_id = ? WHERE id = ?', [this.now(), opened.checkId, schedule.id]);
        return { ...opened, schedule: schedule.id, lessonId: schedule.lesson_id };
      });
      if (!fired) return due;
      this.log?.info({ lesson: fired.lessonId, schedule: fired.schedule, check: fired.checkId, students: fired.students, trigger: 'schedule' }, 'check fired');
    }
  }

  /**
   * Inside `tx`: one check, one nonce and one pending attendance line per student of the live
   * lesson, the audit entry, and the events (each student's request with its nonce, the check for
   * the teacher). All of it commits or none of it: a crash never leaves a class half asked.
   */
  private async openCheck(tx: Db, emit: (event: NewEvent) => void, audit: RecordAudit, lessonId: string, actor: Actor): Promise<{ checkId: string | null; students: number }> {
    // Serialises with the end of the lesson and with other checks of it.
    const live = await tx.get(`SELECT id FROM lessons WHERE id = ? AND status = 'live'${tx.engine === 'postgres' ? ' FOR UPDATE' : ''}`, [lessonId]);
    if (!live) return { checkId: null, students: 0 };
    const checkId = `c-${randomUUID()}`;
    const opensAt = this.now();
    const closesAt = opensAt + CHECK_WINDOW_MS;
    await tx.run('INSERT INTO checks (id, lesson_id, opens_at, closes_at) VALUES (?, ?, ?, ?)', [checkId, lessonId, opensAt, closesAt]);
    const students = (await tx.all<{ student_id: string }>('SELECT student_id FROM lesson_students WHERE lesson_id = ?', [lessonId])).map((r) => r.student_id);
    const asked = students.map((studentId) => ({ studentId, nonce: createChallenge() }));
    for (let start = 0; start < asked.length; start += ROWS_PER_INSERT) {
      const rows = asked.slice(start, start + ROWS_PER_INSERT);
      await tx.run(
        `INSERT INTO nonces (nonce, student_id, purpose, subject, check_id, issued_at, expires_at) VALUES ${rows.map(() => `(?, ?, 'check', ?, ?, ?, ?)`).join(', ')}`,
        rows.flatMap((r) => [r.nonce, r.studentId, r.studentId, checkId, opensAt, closesAt]),
      );
      await tx.run(
        `INSERT INTO attendance (check_id, student_id, status, updated_at) VALUES ${rows.map(() => `(?, ?, 'pending', ?)`).join(', ')}`,
        rows.flatMap((r) => [checkId, r.studentId, opensAt]),
      );
    }
    audit(actor, 'check.fired', { lessonId, targetId: checkId, detail: { students: asked.length } });
    for (const { studentId, nonce } of asked) emit({ channel: studentChannel(lessonId, studentId), type: 'check', data: { checkId, nonce, closesAt } });
    const summary: CheckSummary = { checkId, opensAt, closesAt, students: asked.length, counts: { pending: asked.length, passed: 0, failed: 0, alternative: 0 } };
    emit({ channel: teacherChannel(lessonId), type: 'check', data: summary });
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
  async submitResult(checkId: string, studentId: string, assertion: string, audience: string, sessionKey: string): Promise<{ status: AttendanceStatus }> {
    // The same assertion posted again by the same browser session (a retry after a lost answer,
    // on any instance) gets the same answer and changes nothing. From any other session it is a
    // replay, refused by the verifier.
    const digest = createHash('sha256').update(`${sessionKey}.${assertion}`).digest('hex');
    // Both reads at once (two pooled connections); their refusals still come in this order.
    const [line, keys] = await Promise.all([this.lineOf(checkId, studentId).catch((error: Error) => error), this.keysFor(studentId)]);
    if (line instanceof Error) throw line;
    if (line.resultDigest === digest) return this.repeated(checkId, line.status);
    requireOpen(line, this.now());
    const key = keyNamedBy(keys, assertion);
    try {
      // The nonce is consumed in the same transaction that records the outcome: both or neither.
      const { result, status } = await this.withEvents(async (tx, emit, audit) => {
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
        const delta: LineDelta = { checkId, studentId, status, method: 'biometric', outcome: result.outcome, reason: result.reason ?? null, updatedAt: this.now() };
        await tx.run(
          `UPDATE attendance SET status = ?, method = ?, outcome = ?, reason = ?, liveness = ?, result_digest = ?, updated_at = ? WHERE check_id = ? AND student_id = ?`,
          [status, delta.method, delta.outcome, delta.reason, result.liveness, digest, delta.updatedAt, checkId, studentId],
        );
        audit({ id: studentId, role: 'student' }, 'check.answered', {
          lessonId: line.lessonId,
          targetId: checkId,
          detail: { outcome: result.outcome, key: key.id },
        });
        // A failed check keeps nothing but the outcome; the teacher's row asks for an in-person check.
        emit({ channel: teacherChannel(line.lessonId), type: 'line', data: delta });
        return { result, status };
      });
      this.log?.info({ check: checkId, outcome: result.outcome }, 'check result recorded');
      return { status };
    } catch (error) {
      // A concurrent post of the same assertion won the nonce: answer as it was answered.
      if (error instanceof ServiceError && error.code === 'ERR_REPLAYED') {
        const recorded = await this.recordedFrom(checkId, studentId, digest);
        if (recorded) return recorded;
      }
      throw error;
    }
  }

  /** The status recorded from the assertion with this digest, if it was. */
  private async recordedFrom(checkId: string, studentId: string, digest: string): Promise<{ status: AttendanceStatus } | null> {
    const row = await this.db.get<{ status: AttendanceStatus }>('SELECT status FROM attendance WHERE check_id = ? AND student_id = ? AND result_digest = ?', [
      checkId,
      studentId,
      digest,
    ]);
    return row ? this.repeated(checkId, row.status) : null;
  }

  /** The answer to a repeated post: the status as it stands. */
  private repeated(checkId: string, status: AttendanceStatus): { status: AttendanceStatus } {
    this.log?.info({ check: checkId }, 'check result repeated');
    return { status };
  }

  /** The student's device keys, as a check's verification needs them. */
  private keysFor(studentId: string): Promise<DeviceKeyRow[]> {
    return this.db.all<DeviceKeyRow>('SELECT id, public_jwk, enrollment_id, status FROM device_keys WHERE student_id = ?', [studentId]);
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
    if (line.status === 'alternative_requested') return { status: line.status };
    await this.withEvents(async (tx, emit, audit) => {
      const delta: LineDelta = { checkId, studentId, status: 'alternative_requested', method: 'alternative', outcome: null, reason: null, updatedAt: this.now() };
      await tx.run(
        `UPDATE attendance SET status = ?, method = ?, outcome = NULL, reason = NULL, liveness = NULL, updated_at = ? WHERE check_id = ? AND student_id = ?`,
        [delta.status, delta.method, delta.updatedAt, checkId, studentId],
      );
      audit({ id: studentId, role: 'student' }, 'check.alternative_requested', { lessonId: line.lessonId, targetId: checkId });
      emit({ channel: teacherChannel(line.lessonId), type: 'line', data: delta });
    });
    return { status: 'alternative_requested' };
  }

  /** The teacher confirms a student present (alternative, or in person after a failed check) or absent; the student is told. */
  async teacherConfirm(teacherId: string, checkId: string, studentId: string, present: boolean): Promise<{ status: AttendanceStatus }> {
    return this.withEvents(async (tx, emit, audit) => {
      const row = await tx.get<{ status: AttendanceStatus; method: string | null; outcome: string | null; reason: string | null; lesson_id: string }>(
        'SELECT a.status, a.method, a.outcome, a.reason, c.lesson_id FROM attendance a JOIN checks c ON c.id = a.check_id WHERE a.check_id = ? AND a.student_id = ?',
        [checkId, studentId],
      );
      if (!row) throw new ServiceError(404, 'no_such_check', 'no such check for this student');
      let status: AttendanceStatus;
      if (row.status === 'passed') throw new ServiceError(409, 'nothing_to_confirm', 'this student already passed the check');
      if (!present) status = 'absent';
      else if (row.status === 'alternative_requested' || row.status === 'alternative_confirmed') status = 'alternative_confirmed';
      else if (row.status === 'failed' || row.status === 'pending' || row.status === 'absent') status = 'confirmed_in_person';
      else throw new ServiceError(409, 'nothing_to_confirm', 'this student is already confirmed');
      const method = status === 'alternative_confirmed' ? 'alternative' : status === 'confirmed_in_person' ? 'in_person' : row.method;
      const delta: LineDelta = { checkId, studentId, status, method, outcome: row.outcome, reason: row.reason, updatedAt: this.now() };
      await tx.run('UPDATE attendance SET status = ?, method = ?, updated_at = ? WHERE check_id = ? AND student_id = ?', [status, method, delta.updatedAt, checkId, studentId]);
      audit({ id: teacherId, role: 'teacher' }, 'check.confirmed', {
        lessonId: row.lesson_id,
        targetId: checkId,
        detail: { student: studentId, status },
      });
      emit({ channel: teacherChannel(row.lesson_id), type: 'line', data: delta });
      emit({ channel: studentChannel(row.lesson_id, studentId), type: 'result', data: { checkId, status } });
      return { status };
    });
  }

  /** Per-student lines of a lesson (of one check when `checkId` is given), with the newest check's counts (see {@link lessonLines}). */
  async attendance(lessonId: string, checkId?: string): Promise<LessonLines> {
    await this.requireLesson(lessonId);
    return lessonLines(this.db, lessonId, checkId);
  }

  /** Every check of a lesson, oldest first, with its counts (the dashboard's history). */
  checkHistory(lessonId: string): Promise<CheckSummary[]> {
    return checkHistory(this.db, lessonId);
  }

  /**
   * What a teacher's stream starts with: the lesson, its roster, every check with its counts, the
   * lines of the latest check and the pending enrollments. Then `student`, `check`, `line`,
   * `enrollment` and `lesson` events update it one change at a time (applied as upserts, so an
   * event that the snapshot already reflects changes nothing).
   */
  async teacherSnapshot(lessonId: string): Promise<SnapshotMessage[]> {
    const lesson = await this.lesson(lessonId);
    const students = await this.db.all<{ student_id: string; display_name: string; joined_at: number }>(
      'SELECT ls.student_id, u.display_name, ls.joined_at FROM lesson_students ls JOIN users u ON u.id = ls.student_id WHERE ls.lesson_id = ? ORDER BY u.display_name, ls.student_id',
      [lessonId],
    );
    const checks = await this.checkHistory(lessonId);
    const latest = checks.at(-1);
    const lines = latest
      ? await this.db.all<{ student_id: string; status: AttendanceStatus; method: string | null; outcome: string | null; reason: string | null; updated_at: number }>(
          'SELECT student_id, status, method, outcome, reason, updated_at FROM attendance WHERE check_id = ?',
          [latest.checkId],
        )
      : [];
    return [
      {
        type: 'snapshot',
        data: {
          lesson,
          students: students.map((r): RosterEntry => ({ studentId: r.student_id, displayName: r.display_name, joinedAt: Number(r.joined_at) })),
          checks,
          lines: lines.map(
            (r): LineDelta => ({ checkId: latest!.checkId, studentId: r.student_id, status: r.status, method: r.method, outcome: r.outcome, reason: r.reason, updatedAt: Number(r.updated_at) }),
          ),
          enrollments: await this.pendingEnrollments(lessonId),
        },
      },
    ];
  }

  /** What a student's stream starts with: the lesson's status and the checks still open for them. */
  async studentSnapshot(lessonId: string, studentId: string): Promise<SnapshotMessage[]> {
    const lesson = await this.lesson(lessonId);
    const open = await this.openChecks(lessonId, studentId);
    return [{ type: 'lesson', data: { lessonId, status: lesson.status } }, ...open.map((check) => ({ type: 'check', data: check }))];
  }

  /** Attendance as CSV (one line per student and check), for the teacher's records. */
  async attendanceCsv(lessonId: string): Promise<string> {
    return attendanceCsv((await this.attendance(lessonId)).lines);
  }

  /** Records that someone viewed or exported a lesson's attendance. */
  async recordAccess(actor: Actor, action: 'attendance.viewed' | 'attendance.exported' | 'audit.viewed', lessonId: string | null = null): Promise<void> {
    await appendAudit(this.db, this.now(), actor, action, { lessonId });
  }

  /** Deletes what is past its retention and records the run (see {@link purgeExpired}). */
  purgeExpired(): Promise<RetentionReport> {
    return purgeExpired(this.db, this.now(), { auditRetentionMs: this.auditRetentionMs, studentGraceMs: UNATTACHED_STUDENT_GRACE_MS });
  }

  /** What each table holds and when its oldest retained row goes (for the auditor). */
  retentionReport(): Promise<TableRetention[]> {
    return retentionReport(this.db);
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

  /** The open check of a student (see {@link lineOf}); refused once its window has closed. */
  private async openLine(checkId: string, studentId: string): Promise<CheckLine> {
    return requireOpen(await this.lineOf(checkId, studentId), this.now());
  }

  /**
   * A student's line of a check with the nonce to verify against: the newest unused one, else the
   * newest used one (so replaying a used assertion fails as a replay, an outdated one as a mismatch).
   */
  private async lineOf(checkId: string, studentId: string): Promise<CheckLine> {
    const row = await this.db.get<{ nonce: string; lesson_id: string; closes_at: number; status: AttendanceStatus; result_digest: string | null }>(
      `SELECT n.nonce, c.lesson_id, c.closes_at, a.status, a.result_digest FROM checks c
       JOIN nonces n ON n.check_id = c.id AND n.student_id = ?
       JOIN attendance a ON a.check_id = c.id AND a.student_id = ?
       WHERE c.id = ? ORDER BY (n.used_at IS NULL) DESC, n.issued_at DESC LIMIT 1`,
      [studentId, studentId, checkId],
    );
    if (!row) throw new ServiceError(404, 'no_such_check', 'no such check for this student');
    return { nonce: row.nonce, lessonId: row.lesson_id, closesAt: Number(row.closes_at), status: row.status, resultDigest: row.result_digest };
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

/** A student's line of a check, as {@link Attendance} verifies answers against it. */
interface CheckLine {
  nonce: string;
  lessonId: string;
  closesAt: number;
  status: AttendanceStatus;
  /** Digest of the session and assertion the result was recorded from (null before any). */
  resultDigest: string | null;
}

/** The line, if its check is still open. */
function requireOpen(line: CheckLine, now: number): CheckLine {
  if (line.closesAt <= now) throw new ServiceError(409, 'check_closed', 'the check window has closed');
  return line;
}

/** A device key as a check's verification needs it. */
type DeviceKeyRow = {
  id: string;
  public_jwk: string;
  enrollment_id: string;
  status: string;
};

/** The student's key an assertion names by its `sub` (read before verification, only to pick the key). */
function keyNamedBy(keys: readonly DeviceKeyRow[], assertion: string): DeviceKeyRow {
  const sub = unverifiedSubject(assertion);
  if (!keys.some((k) => k.status === 'active')) throw new ServiceError(409, 'not_enrolled', 'this student has no active device key');
  const key = keys.find((k) => k.enrollment_id === sub);
  if (key?.status === 'pending') throw new ServiceError(409, 'key_pending', 'this device’s key waits for the teacher’s approval');
  // An unknown sub: verify with an active key, which refuses it with the verifier's own code.
  return key ?? keys.find((k) => k.status === 'active')!;
}

/** The live lessons a student is in. */
async function liveLessonsOf(db: Db, studentId: string): Promise<string[]> {
  const rows = await db.all<{ lesson_id: string }>(
    `SELECT ls.lesson_id FROM lesson_students ls JOIN lessons l ON l.id = ls.lesson_id WHERE ls.student_id = ? AND l.status = 'live'`,
    [studentId],
  );
  return rows.map((r) => r.lesson_id);
}

/** The teacher stream's `enrollment` event: a device key of a student waits, or was approved. */
const enrollmentEvent = (lessonId: string, keyId: string, studentId: string, status: 'pending' | 'active'): NewEvent => ({
  channel: teacherChannel(lessonId),
  type: 'enrollment',
  data: { keyId, studentId, status },
});
