/**
 * Attendance in the LMS's gradebook (LTI Assignment and Grade Services 2.0). When a lesson
 * started from an LMS launch ends, one score per student of the lesson goes into an outbox table:
 * attended or not, and the fraction of the lesson's checks passed or confirmed by the teacher.
 * With the course's roster (NRPS), the learners who never joined the lesson get an "absent" score
 * too: the roster is read once the lesson has ended (a row of its own, retried like a score), and a
 * learner Presenza has never seen becomes a user known only by the platform's id and name. Any
 * instance delivers due rows (each claimed by a short lease, so two instances never post the same
 * row at once), retrying failures with exponential backoff; after {@link MAX_SCORE_ATTEMPTS} a row
 * is `failed` until the teacher asks again. Nothing is lost on a restart: the table is the queue.
 *
 * The line item: with the `lineitem` scope, one per lesson in the context (found by the lesson's
 * id as `resourceId`, else created); with the `score` scope alone, the resource link's own line
 * item from the launch, where each lesson's score replaces the previous one.
 *
 * What goes to the platform: the platform's own user id, the score, a short comment. Nothing
 * biometric exists on the server to send. The audit log records the queueing, each delivery, each
 * give-up and each retry (codes and counts, never the score).
 */
import { randomUUID } from 'node:crypto';
import { appendAudit, SYSTEM_ACTOR, type Actor } from '../audit.js';
import type { Db } from '../db.js';
import { linkOfLesson, type LtiLink } from './links.js';
import { PlatformServiceError, SCOPE_LINEITEM, SCOPE_SCORE, type PlatformClient } from './platformClient.js';
import { mapRoles } from './tool.js';

/** Most deliveries of one score before it waits for the teacher. */
export const MAX_SCORE_ATTEMPTS = 8;
/** Wait before the first retry; doubled each time up to {@link SCORE_RETRY_MAX_MS}. */
export const SCORE_RETRY_BASE_MS = 30_000;
export const SCORE_RETRY_MAX_MS = 3600_000;
/** How long a claimed row is left to the instance delivering it. */
export const SCORE_LEASE_MS = 120_000;
/** How often due scores are looked for. */
export const GRADES_TICK_MS = 5_000;
/** Rows delivered per tick. */
const BATCH = 50;
/** The score's scale. */
export const SCORE_MAXIMUM = 100;
/** The tag of the line items Presenza creates. */
export const LINE_ITEM_TAG = 'presenza-attendance';


/** The statuses that count as present at a check. */
const PRESENT = ['passed', 'confirmed_in_person', 'alternative_confirmed'];

/** One student's score of a lesson, as the teacher sees its delivery. */
export interface ScoreView {
  readonly studentId: string;
  readonly displayName: string;
  /** Joined the lesson (false: a learner of the course's roster who never came). */
  readonly joined: boolean;
  readonly attended: boolean;
  readonly checksOk: number;
  readonly checksTotal: number;
  readonly scoreGiven: number;
  readonly status: 'pending' | 'sent' | 'failed';
  readonly attempts: number;
  readonly lastError: string | null;
  readonly nextAttemptAt: number | null;
}

/** Attended: joined, and present at one check at least (joining is enough when the lesson had no check). */
export const attended = (ok: number, total: number, joined = true) => joined && (total === 0 || ok > 0);
/** The fraction of checks passed or confirmed, on {@link SCORE_MAXIMUM}, to two decimals (all of it for a lesson without checks, nothing for who never joined). */
export const scoreOf = (ok: number, total: number, joined = true) => (!joined ? 0 : total === 0 ? SCORE_MAXIMUM : Math.round((SCORE_MAXIMUM * 100 * ok) / total) / 100);

/** The score's comment in the gradebook, in Italian and English (the platform shows it to teacher and student as it is). */
export function scoreComment(ok: number, total: number, joined = true): string {
  if (!joined) return 'Presenza: assente, non ha partecipato alla lezione / absent, did not join the lesson';
  if (total === 0) return 'Presenza: presente, nessuna verifica in questa lezione / attended, no checks in this lesson';
  return `Presenza: ${attended(ok, total) ? 'presente / attended' : 'assente / absent'}, verifiche superate o confermate / checks passed or confirmed: ${ok}/${total}`;
}

/** Where the reading of a lesson's roster stands (the learners who never joined get their "absent" score from it). */
export interface RosterReadView {
  readonly status: 'pending' | 'done' | 'failed';
  readonly attempts: number;
  readonly lastError: string | null;
  readonly nextAttemptAt: number | null;
}

/** Which line item a link can post to: 'lineitems' (find or create per lesson), 'lineitem' (the link's own), or none. */
export function gradebookOf(link: LtiLink): 'lineitems' | 'lineitem' | null {
  const scopes = link.services.agsScopes;
  if (scopes.includes(SCOPE_LINEITEM) && scopes.includes(SCOPE_SCORE) && link.services.lineItemsUrl) return 'lineitems';
  if (scopes.includes(SCOPE_SCORE) && link.services.lineItemUrl) return 'lineitem';
  return null;
}

/** The code a failed delivery records: the platform step's code and HTTP status, or `lti_internal`. */
const failureCode = (error: unknown) => (error instanceof PlatformServiceError ? `${error.code}${error.status ? ` ${error.status}` : ''}` : 'lti_internal');
/** The wait after the `attempts`-th failure: doubling from {@link SCORE_RETRY_BASE_MS} up to {@link SCORE_RETRY_MAX_MS}. */
const retryWait = (attempts: number) => Math.min(SCORE_RETRY_BASE_MS * 2 ** (attempts - 1), SCORE_RETRY_MAX_MS);

interface Logger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/** The gradebook outbox. */
export class LtiGrades {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly options: {
      readonly db: Db;
      /** The client of a registration (by issuer and client id), if it is still configured. */
      readonly clientFor: (issuer: string, clientId: string) => PlatformClient | undefined;
      readonly now?: () => number;
      readonly log?: Logger;
    },
  ) {}

  private get now(): number {
    return (this.options.now ?? Date.now)();
  }

  /**
   * Queues the scores of an ended lesson (once: a second call adds nothing). Only for lessons of
   * an LMS series whose platform grants a gradebook. Returns how many were queued.
   */
  async enqueue(lessonId: string, actor: Actor): Promise<number> {
    const link = await linkOfLesson(this.options.db, lessonId);
    if (!link || !gradebookOf(link)) return 0;
    const now = this.now;
    return this.options.db.transaction(async (db) => {
      const queued = await db.run(
      `INSERT INTO lti_grades (lesson_id, student_id, checks_ok, checks_total, status, attempts, next_attempt_at, created_at)
       SELECT ls.lesson_id, ls.student_id,
         (SELECT COUNT(*) FROM attendance a JOIN checks c ON c.id = a.check_id WHERE c.lesson_id = ls.lesson_id AND a.student_id = ls.student_id AND a.status IN (${PRESENT.map(() => '?').join(', ')})),
         (SELECT COUNT(*) FROM checks c WHERE c.lesson_id = ls.lesson_id),
         'pending', 0, ?, ?
       FROM lesson_students ls JOIN users u ON u.id = ls.student_id JOIN lessons l ON l.id = ls.lesson_id
       WHERE ls.lesson_id = ? AND l.status = 'ended' AND u.issuer = ?
       ON CONFLICT (lesson_id, student_id) DO NOTHING`,
      [...PRESENT, now, now, lessonId, link.issuer],
      );
      if (queued > 0) await appendAudit(db, now, actor, 'grades.queued', { lessonId, detail: { students: queued } });
      // The roster is read by the outbox (tick): the platform may be slow or down, the lesson's end is not.
      if (link.services.membershipsUrl) {
        await db.run(
          `INSERT INTO lti_roster_reads (lesson_id, status, attempts, next_attempt_at)
           SELECT id, 'pending', 0, ? FROM lessons WHERE id = ? AND status = 'ended' ON CONFLICT (lesson_id) DO NOTHING`,
          [now, lessonId],
        );
      }
      return queued;
    });
  }

  /** The lesson's scores and their delivery, for the teacher; `available` is false outside an LMS gradebook. */
  async view(lessonId: string): Promise<{ available: boolean; lineItem: 'lineitems' | 'lineitem' | null; roster: RosterReadView | null; scores: ScoreView[] }> {
    const link = await linkOfLesson(this.options.db, lessonId);
    const rows = await this.options.db.all<{
      student_id: string;
      display_name: string;
      checks_ok: number;
      checks_total: number;
      joined: number;
      status: ScoreView['status'];
      attempts: number;
      last_error: string | null;
      next_attempt_at: number;
    }>(
      `SELECT s.student_id, u.display_name, s.checks_ok, s.checks_total, s.joined, s.status, s.attempts, s.last_error, s.next_attempt_at
       FROM lti_grades s JOIN users u ON u.id = s.student_id WHERE s.lesson_id = ? ORDER BY u.display_name, s.student_id`,
      [lessonId],
    );
    const read = await this.options.db.get<{ status: RosterReadView['status']; attempts: number; last_error: string | null; next_attempt_at: number }>(
      'SELECT status, attempts, last_error, next_attempt_at FROM lti_roster_reads WHERE lesson_id = ?',
      [lessonId],
    );
    const gradebook = link ? gradebookOf(link) : null;
    return {
      available: gradebook !== null,
      lineItem: gradebook,
      roster: read
        ? { status: read.status, attempts: Number(read.attempts), lastError: read.last_error, nextAttemptAt: read.status === 'pending' ? Number(read.next_attempt_at) : null }
        : null,
      scores: rows.map((r) => {
        const ok = Number(r.checks_ok);
        const total = Number(r.checks_total);
        const joined = Number(r.joined) === 1;
        return {
          studentId: r.student_id,
          displayName: r.display_name,
          joined,
          attended: attended(ok, total, joined),
          checksOk: ok,
          checksTotal: total,
          scoreGiven: scoreOf(ok, total, joined),
          status: r.status,
          attempts: Number(r.attempts),
          lastError: r.last_error,
          nextAttemptAt: r.status === 'pending' ? Number(r.next_attempt_at) : null,
        };
      }),
    };
  }

  /** Puts the lesson's failed scores back in the queue, due now (the teacher's "try again"). */
  async retry(lessonId: string, actor: Actor): Promise<{ requeued: number }> {
    return this.options.db.transaction(async (db) => {
      const requeued = await db.run(`UPDATE lti_grades SET status = 'pending', attempts = 0, next_attempt_at = ? WHERE lesson_id = ? AND status = 'failed'`, [this.now, lessonId]);
      // A roster that could not be read is read again too (its absentees have no score yet).
      await db.run(`UPDATE lti_roster_reads SET status = 'pending', attempts = 0, next_attempt_at = ? WHERE lesson_id = ? AND status = 'failed'`, [this.now, lessonId]);
      if (requeued > 0) await appendAudit(db, this.now, actor, 'grades.retried', { lessonId, detail: { students: requeued } });
      return { requeued };
    });
  }

  /** Delivers the due scores (at most one batch); a platform's failure is recorded on its row, only a database error throws. */
  async tick(): Promise<{ sent: number; failed: number }> {
    const { db } = this.options;
    const counts = { sent: 0, failed: 0 };
    await this.readDueRosters();
    const due = await db.all<{ lesson_id: string; student_id: string; next_attempt_at: number }>(
      `SELECT lesson_id, student_id, next_attempt_at FROM lti_grades WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ${BATCH}`,
      [this.now],
    );
    for (const row of due) {
      // Claim the row: only the instance whose update matched delivers it.
      const claimed = await db.run(`UPDATE lti_grades SET next_attempt_at = ? WHERE lesson_id = ? AND student_id = ? AND status = 'pending' AND next_attempt_at = ?`, [
        this.now + SCORE_LEASE_MS,
        row.lesson_id,
        row.student_id,
        row.next_attempt_at,
      ]);
      if (claimed !== 1) continue;
      try {
        await this.deliver(row.lesson_id, row.student_id);
        await db.transaction(async (tx) => {
          await tx.run(`UPDATE lti_grades SET status = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE lesson_id = ? AND student_id = ?`, [
            this.now,
            row.lesson_id,
            row.student_id,
          ]);
          await appendAudit(tx, this.now, SYSTEM_ACTOR, 'grades.sent', { lessonId: row.lesson_id, targetId: row.student_id });
        });
        counts.sent++;
      } catch (error) {
        counts.failed++;
        await this.recordFailure(row.lesson_id, row.student_id, error);
      }
    }
    return counts;
  }

  private async deliver(lessonId: string, studentId: string): Promise<void> {
    const { db } = this.options;
    const link = await linkOfLesson(db, lessonId);
    const gradebook = link ? gradebookOf(link) : null;
    if (!link || !gradebook) throw new PlatformServiceError('lti_score_refused', 'the platform no longer grants a gradebook for this lesson');
    const client = this.options.clientFor(link.issuer, link.clientId);
    if (!client) throw new PlatformServiceError('lti_no_token_url', 'the platform of this lesson is no longer registered');
    const row = await db.get<{ subject: string; checks_ok: number; checks_total: number; joined: number; line_item: string | null; title: string; created_at: number }>(
      `SELECT u.subject, s.checks_ok, s.checks_total, s.joined, s.line_item, l.title, l.created_at
       FROM lti_grades s JOIN users u ON u.id = s.student_id JOIN lessons l ON l.id = s.lesson_id WHERE s.lesson_id = ? AND s.student_id = ?`,
      [lessonId, studentId],
    );
    if (!row) return;
    let lineItem = row.line_item;
    if (!lineItem) {
      lineItem =
        gradebook === 'lineitems'
          ? await client.lineItem(link.services.lineItemsUrl!, {
              label: `Presenza: ${row.title} (${new Date(Number(row.created_at)).toISOString().slice(0, 10)})`,
              resourceId: lessonId,
              resourceLinkId: link.resourceLinkId,
              scoreMaximum: SCORE_MAXIMUM,
              tag: LINE_ITEM_TAG,
            })
          : link.services.lineItemUrl!;
      // Every score of the lesson goes to the same line item: a retry never creates another.
      await db.run('UPDATE lti_grades SET line_item = ? WHERE lesson_id = ? AND line_item IS NULL', [lineItem, lessonId]);
    }
    const ok = Number(row.checks_ok);
    const total = Number(row.checks_total);
    const joined = Number(row.joined) === 1;
    await client.postScore(lineItem, {
      userId: row.subject,
      scoreGiven: scoreOf(ok, total, joined),
      scoreMaximum: SCORE_MAXIMUM,
      comment: scoreComment(ok, total, joined),
      timestamp: new Date(this.now).toISOString(),
    });
  }

  /** Reads the rosters of the ended lessons that are due, each claimed like a score; a failure waits as a score's does. */
  private async readDueRosters(): Promise<void> {
    const { db } = this.options;
    const due = await db.all<{ lesson_id: string; attempts: number; next_attempt_at: number }>(
      `SELECT lesson_id, attempts, next_attempt_at FROM lti_roster_reads WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ${BATCH}`,
      [this.now],
    );
    for (const row of due) {
      const claimed = await db.run(`UPDATE lti_roster_reads SET next_attempt_at = ? WHERE lesson_id = ? AND status = 'pending' AND next_attempt_at = ?`, [
        this.now + SCORE_LEASE_MS,
        row.lesson_id,
        row.next_attempt_at,
      ]);
      if (claimed !== 1) continue;
      try {
        await this.queueAbsentees(row.lesson_id);
      } catch (error) {
        const code = failureCode(error);
        const attempts = Number(row.attempts) + 1;
        const failed = attempts >= MAX_SCORE_ATTEMPTS;
        await db.run('UPDATE lti_roster_reads SET status = ?, attempts = ?, last_error = ?, next_attempt_at = ? WHERE lesson_id = ?', [
          failed ? 'failed' : 'pending',
          attempts,
          code,
          this.now + retryWait(attempts),
          row.lesson_id,
        ]);
        this.options.log?.warn({ lesson: row.lesson_id, attempts, error: code }, 'LTI roster read for the absent scores failed');
      }
    }
  }

  /** Queues an "absent" score for each active learner of the course's roster who never joined the lesson. */
  private async queueAbsentees(lessonId: string): Promise<void> {
    const { db } = this.options;
    const link = await linkOfLesson(db, lessonId);
    const client = link && this.options.clientFor(link.issuer, link.clientId);
    if (!link?.services.membershipsUrl || !client) throw new PlatformServiceError('lti_no_token_url', 'the platform of this lesson no longer lists its roster');
    const learners = (await client.members(link.services.membershipsUrl)).filter((m) => m.status === 'Active' && mapRoles(m.roles) === 'student');
    const now = this.now;
    await db.transaction(async (tx) => {
      let absent = 0;
      for (const learner of learners) {
        // A learner who never opened Presenza: known by the platform's id and name only, never seen (last_seen_at 0).
        await tx.run(
          `INSERT INTO users (id, issuer, subject, role, display_name, created_at, last_seen_at) VALUES (?, ?, ?, 'student', ?, ?, 0)
           ON CONFLICT (issuer, subject, role) DO NOTHING`,
          [`u-${randomUUID()}`, link.issuer, learner.userId, learner.name ?? learner.userId, now],
        );
        absent += await tx.run(
          `INSERT INTO lti_grades (lesson_id, student_id, checks_ok, checks_total, joined, status, attempts, next_attempt_at, created_at)
           SELECT ?, u.id, 0, (SELECT COUNT(*) FROM checks c WHERE c.lesson_id = ?), 0, 'pending', 0, ?, ?
           FROM users u WHERE u.issuer = ? AND u.subject = ? AND u.role = 'student'
             AND NOT EXISTS (SELECT 1 FROM lesson_students ls WHERE ls.lesson_id = ? AND ls.student_id = u.id)
           ON CONFLICT (lesson_id, student_id) DO NOTHING`,
          [lessonId, lessonId, now, now, link.issuer, learner.userId, lessonId],
        );
      }
      await tx.run(`UPDATE lti_roster_reads SET status = 'done', attempts = attempts + 1, last_error = NULL WHERE lesson_id = ?`, [lessonId]);
      if (absent > 0) await appendAudit(tx, now, SYSTEM_ACTOR, 'grades.queued', { lessonId, detail: { absent } });
    });
  }

  private async recordFailure(lessonId: string, studentId: string, error: unknown): Promise<void> {
    const code = failureCode(error);
    const row = await this.options.db.get<{ attempts: number }>('SELECT attempts FROM lti_grades WHERE lesson_id = ? AND student_id = ?', [lessonId, studentId]);
    const attempts = Number(row?.attempts ?? 0) + 1;
    const failed = attempts >= MAX_SCORE_ATTEMPTS;
    await this.options.db.transaction(async (tx) => {
      await tx.run('UPDATE lti_grades SET status = ?, attempts = ?, last_error = ?, next_attempt_at = ? WHERE lesson_id = ? AND student_id = ?', [
        failed ? 'failed' : 'pending',
        attempts,
        code,
        this.now + retryWait(attempts),
        lessonId,
        studentId,
      ]);
      if (failed) await appendAudit(tx, this.now, SYSTEM_ACTOR, 'grades.failed', { lessonId, targetId: studentId, detail: { error: code, attempts } });
    });
    this.options.log?.warn({ lesson: lessonId, attempts, error: code }, failed ? 'LTI score delivery gave up' : 'LTI score delivery failed, will retry');
  }

  /** Delivers due scores every {@link GRADES_TICK_MS} until stopped. */
  start(tickMs = GRADES_TICK_MS): void {
    this.timer = setInterval(() => {
      this.running ??= this.tick()
        .then(() => undefined)
        .catch((error: Error) => this.options.log?.warn({ err: { message: error.message } }, 'LTI grades tick failed'))
        .finally(() => (this.running = null));
    }, tickMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
