/**
 * The event log: what the event streams send, written in the same transaction as the change it
 * reports (so an event exists exactly when its change is committed) and read back by every
 * instance. Ids grow in commit order: every append takes the row lock of the audit chain's head
 * (audit.ts) before its ids are drawn, and holds it until it commits. So a reader that has seen id N has
 * seen every committed event before N, and a stream can resume after N with nothing missed.
 *
 * On PostgreSQL the appending transaction also sends a NOTIFY, delivered to every instance when
 * it commits; each instance then reads what is new (events.ts). Events are kept for
 * {@link EVENT_REPLAY_MS}, long enough for a dropped stream to come back and resume.
 *
 * Events carry ids, statuses and codes (and a student's display name when they join): never
 * anything biometric, never an assertion.
 */
import { appendAudit, auditValues, STAGE_AUDIT, STAGE_CHANGE, type AuditRecord } from './audit.js';
import type { Db } from './db.js';

/** The NOTIFY channel of new events. */
export const EVENTS_NOTIFY_CHANNEL = 'presenza_events';
/** How long events stay replayable. A stream gone longer than this starts again from a snapshot. */
export const EVENT_REPLAY_MS = 15 * 60_000;
/** Rows per INSERT (well under both engines' parameter limits). */
const ROWS_PER_INSERT = 500;

/** An event to append: `type` is the SSE event name, `data` its JSON payload. */
export interface NewEvent {
  readonly channel: string;
  readonly type: string;
  readonly data: unknown;
}

/** An event as stored. */
export interface LoggedEvent {
  readonly id: number;
  readonly channel: string;
  readonly type: string;
  /** The JSON payload, as sent. */
  readonly data: string;
}

/**
 * Appends events inside `tx`, the transaction that made the change, with the change's audit entry
 * when given (see appendAudit). On PostgreSQL they are staged, in one statement, and get their
 * ids when the transaction commits, in commit order (migration 5's publish_change, which also
 * queues the NOTIFY); SQLite runs one writing transaction at a time, so ids are in commit order already.
 */
export async function appendEvents(tx: Db, now: number, events: readonly NewEvent[], audit?: AuditRecord): Promise<void> {
  // PostgreSQL stages the entry with the first events, in their statement; otherwise it goes first.
  const stagedWithEvents = tx.engine === 'postgres' && events.length > 0;
  if (audit && !stagedWithEvents) await appendAudit(tx, now, audit.actor, audit.action, audit.about);
  for (let start = 0; start < events.length; start += ROWS_PER_INSERT) {
    const rows = events.slice(start, start + ROWS_PER_INSERT);
    const values = `VALUES ${rows.map(() => '(?, ?, ?, ?)').join(', ')}`;
    const params = rows.flatMap((e) => [e.channel, e.type, JSON.stringify(e.data), now]);
    if (tx.engine === 'sqlite') {
      await tx.run(`INSERT INTO events (channel, type, data, at) ${values}`, params);
      continue;
    }
    const withAudit = start === 0 && audit;
    await tx.run(
      `WITH ${STAGE_CHANGE}, ${withAudit ? `audited AS (${STAGE_AUDIT}),` : ''}
       staged AS (INSERT INTO events_pending (channel, type, data, at) ${values})
       SELECT 1`,
      [...(withAudit ? auditValues(now, audit) : []), ...params],
    );
  }
}

/** Events after `afterId`, oldest first, at most `limit`; only those of `channels` when given. */
export async function eventsAfter(db: Db, afterId: number, options: { channels?: readonly string[]; limit?: number } = {}): Promise<LoggedEvent[]> {
  const { channels, limit = 1000 } = options;
  const filter = channels ? ` AND channel IN (${channels.map(() => '?').join(', ')})` : '';
  const rows = await db.all<{ id: number; channel: string; type: string; data: string }>(
    `SELECT id, channel, type, data FROM events WHERE id > ?${filter} ORDER BY id LIMIT ?`,
    [afterId, ...(channels ?? []), limit],
  );
  return rows.map((r) => ({ id: Number(r.id), channel: r.channel, type: r.type, data: r.data }));
}

/** The newest event id (0 when there is none). */
export async function lastEventId(db: Db): Promise<number> {
  const row = await db.get<{ id: number | null }>('SELECT MAX(id) AS id FROM events');
  return Number(row?.id ?? 0);
}

/**
 * Whether a stream that last received `id` can resume from the log: every event after it is
 * still there. (Pruning always keeps the newest event, so the oldest kept one tells.)
 */
export async function canResumeAfter(db: Db, id: number): Promise<boolean> {
  const row = await db.get<{ first: number | null; last: number | null }>('SELECT MIN(id) AS first, MAX(id) AS last FROM events');
  if (row?.first === null || row?.first === undefined) return false;
  return id >= Number(row.first) - 1 && id <= Number(row.last);
}

/** Deletes events older than the replay window, keeping the newest one. */
export async function pruneEvents(db: Db, now: number): Promise<number> {
  return db.run('DELETE FROM events WHERE at < ? AND id < (SELECT MAX(id) FROM events)', [now - EVENT_REPLAY_MS]);
}
