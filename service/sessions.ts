/**
 * Sessions: a verified launch token becomes a row in `sessions`; the browser holds only a random
 * id in an HttpOnly cookie and the table holds its SHA-256, so a copy of the database opens no
 * session. Sessions live in the database (any instance can serve any request) and are revoked by
 * marking the row. Each session has its own CSRF token (synchronizer pattern): state-changing
 * requests must echo it in a header, which a cross-site form or image cannot do.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { appendAudit } from './audit.js';
import type { Db } from './db.js';
import { ServiceError } from './errors.js';
import type { Launch, Role } from './launch.js';

/** The signed-in user of a request. */
export interface Session {
  readonly userId: string;
  readonly role: Role;
  readonly displayName: string;
  readonly course: string | null;
  readonly lessonId: string | null;
  readonly csrfToken: string;
  readonly expiresAt: number;
}

/** Name of the session cookie: `__Host-` over HTTPS (Secure, host-only, path /), plain otherwise. */
export const sessionCookieName = (secure: boolean) => (secure ? '__Host-presenza' : 'presenza');
/**
 * Name of the session cookie of a launch inside the LMS's frame: `SameSite=None; Secure;
 * Partitioned` (CHIPS), so the browser keeps it for the tool inside that LMS only. Always
 * `__Host-` (Secure is required; browsers accept it on https and on http://localhost).
 */
export const FRAMED_SESSION_COOKIE = '__Host-presenza-lti';
/** How long a code handing a session to a new window can be claimed. */
export const HANDOFF_MS = 60_000;
/** Header carrying the CSRF token on state-changing requests. */
export const CSRF_HEADER = 'x-csrf-token';

const hash = (value: string) => createHash('sha256').update(value).digest('hex');
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** Opens, finds and revokes sessions. */
export class Sessions {
  constructor(
    private readonly db: Db,
    private readonly lifetimeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Exchanges a verified launch: the token id is used once, the user is created or updated, and
   * a session is opened. Resolves with the cookie value (shown to nobody else) and the session.
   */
  async open(launch: Launch): Promise<{ cookie: string; session: Session }> {
    const cookie = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const now = this.now();
    const session = await this.db.transaction(async (tx) => {
      // Single use: a second exchange of the same token is refused.
      const fresh = await tx.run('INSERT INTO launch_tokens (token_key, expires_at) VALUES (?, ?) ON CONFLICT (token_key) DO NOTHING', [
        hash(`${launch.issuer}\n${launch.jti}`),
        launch.expiresAt,
      ]);
      if (fresh !== 1) throw new ServiceError(401, 'launch_replayed', 'this launch token was already used');
      await tx.run(
        `INSERT INTO users (id, issuer, subject, role, display_name, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (issuer, subject, role) DO UPDATE SET display_name = excluded.display_name, last_seen_at = excluded.last_seen_at`,
        [`u-${randomUUID()}`, launch.issuer, launch.subject, launch.role, launch.name, now, now],
      );
      const user = await tx.get<{ id: string }>('SELECT id FROM users WHERE issuer = ? AND subject = ? AND role = ?', [launch.issuer, launch.subject, launch.role]);
      const expiresAt = Math.min(now + this.lifetimeMs, Number.MAX_SAFE_INTEGER);
      await tx.run(
        'INSERT INTO sessions (id_hash, user_id, role, course, lesson_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [hash(cookie), user!.id, launch.role, launch.course, launch.lessonId, csrfToken, now, expiresAt],
      );
      await appendAudit(tx, now, { id: user!.id, role: launch.role }, 'session.started');
      return { userId: user!.id, role: launch.role, displayName: launch.name, course: launch.course, lessonId: launch.lessonId, csrfToken, expiresAt };
    });
    return { cookie, session };
  }

  /** The live session a cookie value opens, if any. */
  async find(cookie: string | undefined): Promise<Session | undefined> {
    if (!cookie || !SESSION_ID.test(cookie)) return undefined;
    const row = await this.db.get<{ user_id: string; role: Role; display_name: string; course: string | null; lesson_id: string | null; csrf_token: string; expires_at: number }>(
      `SELECT s.user_id, s.role, u.display_name, s.course, s.lesson_id, s.csrf_token, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.id_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ?`,
      [hash(cookie), this.now()],
    );
    if (!row) return undefined;
    return {
      userId: row.user_id,
      role: row.role,
      displayName: row.display_name,
      course: row.course,
      lessonId: row.lesson_id,
      csrfToken: row.csrf_token,
      expiresAt: Number(row.expires_at),
    };
  }

  /**
   * A single-use code that opens a copy of the session of `cookie` in another window (the LMS's
   * frame keeps no cookie, or forbids the camera). Only the code's SHA-256 is stored.
   */
  async handoff(cookie: string): Promise<{ code: string; expiresAt: number }> {
    const code = randomBytes(32).toString('base64url');
    const expiresAt = this.now() + HANDOFF_MS;
    await this.db.run('INSERT INTO session_handoffs (code_hash, session_hash, expires_at) VALUES (?, ?, ?)', [hash(code), hash(cookie), expiresAt]);
    return { code, expiresAt };
  }

  /**
   * Claims a handoff code: once, within {@link HANDOFF_MS}, while its session lives. Opens a new
   * session of the same user, role, course and lesson, ending when the first one does.
   */
  async claimHandoff(code: unknown): Promise<{ cookie: string; session: Session }> {
    const refused = () => new ServiceError(401, 'handoff_invalid', 'unknown, used or expired code: open the activity again from your course page');
    if (typeof code !== 'string' || !SESSION_ID.test(code)) throw refused();
    const cookie = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const now = this.now();
    return this.db.transaction(async (tx) => {
      const handoff = await tx.get<{ session_hash: string }>('SELECT session_hash FROM session_handoffs WHERE code_hash = ? AND expires_at > ?', [hash(code), now]);
      // Single use: of two claims of the same code, only the one that deletes it goes on.
      if (!handoff || (await tx.run('DELETE FROM session_handoffs WHERE code_hash = ?', [hash(code)])) !== 1) throw refused();
      const row = await tx.get<{ user_id: string; role: Role; display_name: string; course: string | null; lesson_id: string | null; expires_at: number }>(
        `SELECT s.user_id, s.role, u.display_name, s.course, s.lesson_id, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ?`,
        [handoff.session_hash, now],
      );
      if (!row) throw refused();
      await tx.run('INSERT INTO sessions (id_hash, user_id, role, course, lesson_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
        hash(cookie),
        row.user_id,
        row.role,
        row.course,
        row.lesson_id,
        csrfToken,
        now,
        row.expires_at,
      ]);
      await appendAudit(tx, now, { id: row.user_id, role: row.role }, 'session.started', { detail: { via: 'handoff' } });
      const session: Session = { userId: row.user_id, role: row.role, displayName: row.display_name, course: row.course, lessonId: row.lesson_id, csrfToken, expiresAt: Number(row.expires_at) };
      return { cookie, session };
    });
  }

  /** Revokes the session of a cookie (sign-out). */
  async revoke(cookie: string, session: Session): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run('UPDATE sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL', [this.now(), hash(cookie)]);
      await appendAudit(tx, this.now(), { id: session.userId, role: session.role }, 'session.ended');
    });
  }

  /** Revokes every session of a user (e.g. the platform reports the account closed). */
  async revokeUser(userId: string): Promise<number> {
    return this.db.run('UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL', [this.now(), userId]);
  }
}

/** Compares a request's CSRF header with the session's token in constant time. */
export function csrfMatches(session: Session, header: unknown): boolean {
  if (typeof header !== 'string' || header.length !== session.csrfToken.length) return false;
  return timingSafeEqual(Buffer.from(header), Buffer.from(session.csrfToken));
}
