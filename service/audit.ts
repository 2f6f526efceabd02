/**
 * The audit log: who did what to attendance data, and when. Append-only (the database refuses
 * updates) and hash-chained: each entry's hash covers its fields and the previous entry's hash,
 * so an edited, inserted or deleted row breaks the chain and {@link verifyAuditChain} says where.
 *
 * Entries carry pseudonymous ids and codes only: no name, no assertion, no IP address, nothing
 * biometric. Retention deletes the oldest entries; the first kept entry's `prev_hash` then
 * anchors the chain, and the retention run itself is an entry.
 */
import { createHash } from 'node:crypto';
import type { Db } from './db.js';

/** What is recorded. */
export type AuditAction =
  | 'session.started'
  | 'session.ended'
  | 'lesson.started'
  | 'lesson.ended'
  | 'lesson.joined'
  | 'check.fired'
  | 'check.scheduled'
  | 'check.answered'
  | 'check.alternative_requested'
  | 'check.confirmed'
  | 'enrollment.registered'
  | 'enrollment.pending'
  | 'enrollment.approved'
  | 'enrollment.document_matched'
  | 'device_key.revoked'
  | 'attendance.viewed'
  | 'attendance.exported'
  | 'audit.viewed'
  | 'retention.run'
  | 'grades.queued'
  | 'grades.sent'
  | 'grades.failed'
  | 'grades.retried';

/** Who acted: a user of a role, or the service itself (retention, scheduled checks). */
export interface Actor {
  readonly id: string | null;
  readonly role: 'student' | 'teacher' | 'auditor' | 'system';
}

/** The service itself, as the actor of what no person did (scheduled checks, retention, LMS deliveries). */
export const SYSTEM_ACTOR: Actor = { id: null, role: 'system' };

/** One entry as stored. */
export interface AuditEntry {
  seq: number;
  at: number;
  actorId: string | null;
  actorRole: string;
  action: string;
  lessonId: string | null;
  targetId: string | null;
  /** A small JSON object of codes and counts (never a name, an assertion or a score). */
  detail: string;
  prevHash: string;
  hash: string;
}

/** `prev_hash` of the very first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** The hash of an entry: SHA-256 over its fields and the previous hash, in a fixed order. */
export function entryHash(entry: Omit<AuditEntry, 'hash'>): string {
  const fields = [entry.seq, entry.at, entry.actorId, entry.actorRole, entry.action, entry.lessonId, entry.targetId, entry.detail, entry.prevHash];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

/** Detail values allowed in an entry: codes, ids, counts and flags. */
export type AuditDetail = Record<string, string | number | boolean | null>;

/** What an entry records; the chain adds its seq, previous hash and hash. */
export interface AuditRecord {
  readonly actor: Actor;
  readonly action: AuditAction;
  readonly about?: { lessonId?: string | null; targetId?: string | null; detail?: AuditDetail };
}

type EntryFields = Omit<AuditEntry, 'seq' | 'prevHash' | 'hash'>;

const fieldsOf = (now: number, { actor, action, about = {} }: AuditRecord): EntryFields => ({
  at: now,
  actorId: actor.id,
  actorRole: actor.role,
  action,
  lessonId: about.lessonId ?? null,
  targetId: about.targetId ?? null,
  detail: JSON.stringify(about.detail ?? {}),
});

/**
 * Appends one entry. Pass the transaction that made the change, so the change and its record
 * commit together (or neither does).
 *
 * The chain's head (seq and hash of the newest entry) is one row, `audit_head`, that every append
 * moves under its row lock. On PostgreSQL the entry is staged and chained when its transaction
 * commits (migration 5's publish_change), so the lock is held inside COMMIT only; SQLite runs one
 * writing transaction at a time and chains it at once.
 */
export async function appendAudit(db: Db, now: number, actor: Actor, action: AuditAction, about: AuditRecord['about'] = {}): Promise<void> {
  const fields = fieldsOf(now, { actor, action, about });
  const values = valuesOf(fields);
  if (db.engine === 'postgres') {
    await db.run(`WITH ${STAGE_CHANGE}, staged AS (${STAGE_AUDIT}) SELECT 1`, values);
    return;
  }
  await db.transaction(async (tx) => {
    const head = await tx.get<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head WHERE id = 1');
    const base = { seq: Number(head!.seq) + 1, ...fields, prevHash: head!.hash };
    const hash = entryHash(base);
    await tx.run('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1', [base.seq, hash]);
    await tx.run(`INSERT INTO audit_log (seq, at, actor_id, actor_role, action, lesson_id, target_id, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
      base.seq,
      ...values,
      base.prevHash,
      hash,
    ]);
  });
}

/** An entry's stored fields in column order (at, actor id, actor role, action, lesson, target, detail). */
export function auditValues(now: number, record: AuditRecord): unknown[] {
  return valuesOf(fieldsOf(now, record));
}

const valuesOf = (fields: EntryFields): unknown[] => [fields.at, fields.actorId, fields.actorRole, fields.action, fields.lessonId, fields.targetId, fields.detail];

/** PostgreSQL: the CTE that marks the transaction as a change to publish at its commit (once). */
export const STAGE_CHANGE = 'marked AS (INSERT INTO changes_pending DEFAULT VALUES ON CONFLICT DO NOTHING)';
/** PostgreSQL: stages one audit entry (at, actor id, actor role, action, lesson, target, detail). */
export const STAGE_AUDIT = 'INSERT INTO audit_pending (at, actor_id, actor_role, action, lesson_id, target_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)';

const fromRow = (r: Record<string, unknown>): AuditEntry => ({
  seq: Number(r.seq),
  at: Number(r.at),
  actorId: (r.actor_id as string | null) ?? null,
  actorRole: String(r.actor_role),
  action: String(r.action),
  lessonId: (r.lesson_id as string | null) ?? null,
  targetId: (r.target_id as string | null) ?? null,
  detail: String(r.detail),
  prevHash: String(r.prev_hash),
  hash: String(r.hash),
});

/** Entries in order, `limit` at most, from `afterSeq` on. */
export async function readAudit(db: Db, options: { afterSeq?: number; limit?: number } = {}): Promise<AuditEntry[]> {
  const rows = await db.all('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?', [options.afterSeq ?? 0, options.limit ?? 500]);
  return rows.map(fromRow);
}

/** The result of a chain verification. */
export type ChainVerdict = { ok: true; entries: number; firstSeq: number | null; lastHash: string } | { ok: false; entries: number; brokenAt: number; problem: string };

/**
 * Recomputes every hash and link, in pages, up to the head as it stood when the verification
 * began (entries appended meanwhile are left for the next run). The head must be the last entry:
 * deleting the newest entries is detected too.
 */
export async function verifyAuditChain(db: Db): Promise<ChainVerdict> {
  const head = await db.get<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head WHERE id = 1');
  const headSeq = Number(head?.seq ?? 0);
  let previous: AuditEntry | null = null;
  let first: AuditEntry | null = null;
  let firstSeq: number | null = null;
  let entries = 0;
  let anchored = false;
  for (let after = 0; after < headSeq; ) {
    const page = (await readAudit(db, { afterSeq: after, limit: 1000 })).filter((entry) => entry.seq <= headSeq);
    if (page.length === 0) break;
    for (const entry of page) {
      firstSeq ??= entry.seq;
      first ??= entry;
      // Each row's own hash must match its content.
      if (entryHash(entry) !== entry.hash) return { ok: false, entries, brokenAt: entry.seq, problem: 'hash does not match the entry' };
      // Rows follow each other with no gap, each linked to the one before.
      if (previous && (entry.seq !== previous.seq + 1 || entry.prevHash !== previous.hash)) {
        return { ok: false, entries, brokenAt: entry.seq, problem: 'entry is not linked to the one before' };
      }
      // The first kept row starts the chain, or follows a retention run's recorded anchor.
      if (!previous && entry.seq === 1 && entry.prevHash !== GENESIS_HASH) return { ok: false, entries, brokenAt: 1, problem: 'first entry does not start the chain' };
      // A retention run names the hash of the last entry it deleted: that anchors the first kept one.
      if (entry.action === 'retention.run' && first && first.seq > 1) {
        const detail = JSON.parse(entry.detail) as { auditAnchorSeq?: number; auditAnchor?: string };
        if (detail.auditAnchorSeq === first.seq - 1 && detail.auditAnchor === first.prevHash) anchored = true;
      }
      previous = entry;
      entries += 1;
    }
    after = previous!.seq;
  }
  // The newest entries deleted: the head still names the last one appended.
  if (headSeq > 0 && (previous?.seq !== headSeq || previous.hash !== head!.hash)) {
    return { ok: false, entries, brokenAt: (previous?.seq ?? 0) + 1, problem: 'the newest entries are missing' };
  }
  // Entries deleted from the head only by a recorded retention run.
  if (first && first.seq > 1 && !anchored) return { ok: false, entries, brokenAt: first.seq, problem: 'earlier entries are missing and no retention run records them' };
  return { ok: true, entries, firstSeq, lastHash: previous?.hash ?? GENESIS_HASH };
}

/**
 * Deletes entries older than `before`, keeping the chain verifiable: the retention entry
 * appended afterwards records the hash of the last deleted entry.
 */
export async function purgeAudit(db: Db, before: number): Promise<{ deleted: number; anchorSeq: number | null; anchor: string | null }> {
  return db.transaction(async (tx) => {
    // The newest entry always stays: the next one links to it.
    const last = await tx.get<{ seq: number; hash: string }>(
      'SELECT seq, hash FROM audit_log WHERE at < ? AND seq < (SELECT MAX(seq) FROM audit_log) ORDER BY seq DESC LIMIT 1',
      [before],
    );
    if (!last) return { deleted: 0, anchorSeq: null, anchor: null };
    const deleted = await tx.run('DELETE FROM audit_log WHERE seq <= ?', [last.seq]);
    return { deleted, anchorSeq: Number(last.seq), anchor: last.hash };
  });
}
