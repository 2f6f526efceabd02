/**
 * The service's database: SQLite through better-sqlite3 by default (one file, one instance),
 * PostgreSQL through pg when a URL is given (several instances). The same SQL runs on both:
 * queries use `?` placeholders (numbered for PostgreSQL here), times are epoch ms in BIGINT.
 * The schema is a list of numbered migrations, applied once each and recorded in
 * `schema_migrations`, so later versions (several instances, scheduled checks) add to it.
 *
 * No table has a column for an image, an embedding, a template or a score (a test reads the
 * schema to prove it): the server only ever learns pass, fail or inconclusive.
 *
 * SQLite runs with `secure_delete` (deleted rows are overwritten, not left readable in free
 * pages) and its files are private to the service's user (mode 0600).
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { GENESIS_HASH } from './audit.js';
import { EVENTS_NOTIFY_CHANNEL } from './eventLog.js';

/** A row as the drivers return it. */
export type Row = Record<string, unknown>;

/** The few operations the service needs, the same on both engines. */
export interface Db {
  readonly engine: 'sqlite' | 'postgres';
  all<T extends Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  get<T extends Row>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  /** Runs a statement; resolves with the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /**
   * Runs `work` in one transaction (committed when it resolves, rolled back when it throws).
   * On SQLite every other statement waits for it; on PostgreSQL it holds one pooled connection.
   */
  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T>;
  /**
   * Calls `onNotify` for every NOTIFY on `channel`, from any instance, and once more each time the
   * listening connection is (re)opened, so the caller catches up on what it may have missed.
   * PostgreSQL: LISTEN on a connection of its own, reopened when it drops. SQLite serves one
   * instance: there is nothing to listen to, and the listener is always connected.
   */
  listen(channel: string, onNotify: () => void): Listener;
  close(): Promise<void>;
}

/** A NOTIFY listener of {@link Db.listen}. */
export interface Listener {
  /** Whether notifications arrive now (readiness reports it). */
  readonly connected: boolean;
  close(): Promise<void>;
}

/** Wait before reopening a dropped LISTEN connection. */
export const LISTEN_RETRY_MS = 1_000;

/** File mode of the SQLite database and its WAL and shared-memory files. */
export const SQLITE_FILE_MODE = 0o600;

/** One schema step; `sql` is either the same for both engines or given per engine. */
interface Migration {
  readonly version: number;
  readonly sql: readonly string[] | { readonly sqlite: readonly string[]; readonly postgres: readonly string[] };
}

const EVENT_COLUMNS = 'channel TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, at BIGINT NOT NULL';

const SCHEDULED_CHECKS = `CREATE TABLE scheduled_checks (
  id TEXT PRIMARY KEY,
  lesson_id TEXT NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
  requested_by TEXT,
  fire_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  fired_at BIGINT,
  check_id TEXT)`;

/** Migration 3's statements after the events table, the same on both engines. */
const SEVERAL_INSTANCES = [
  `CREATE INDEX events_channel ON events (channel, id)`,
  `CREATE INDEX events_at ON events (at)`,
  SCHEDULED_CHECKS,
  `CREATE INDEX scheduled_checks_due ON scheduled_checks (fire_at) WHERE fired_at IS NULL`,
  `ALTER TABLE attendance ADD COLUMN result_digest TEXT`,
];

/** Migration 5's statements both engines run. */
const AUDIT_HEAD = [
  `CREATE TABLE audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL, prev_hash TEXT, hash TEXT NOT NULL)`,
  `INSERT INTO audit_head (id, seq, hash)
   SELECT 1, COALESCE(MAX(seq), 0), COALESCE((SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1), '${GENESIS_HASH}') FROM audit_log`,
  `CREATE INDEX nonces_check_student ON nonces (check_id, student_id)`,
];

/** A JSON value as `JSON.stringify` writes it (PostgreSQL escapes strings the same way). */
const jsonText = (sql: string) => `COALESCE(to_json(${sql})::text, 'null')`;

/**
 * PostgreSQL: a change's audit entries and events are staged in its transaction and published by
 * a deferred trigger when it commits: under the head's row lock the entries are chained (the
 * hash is the JSON array entryHash in audit.ts hashes, built here from the same fields) and the
 * events get their ids, then the NOTIFY is queued. The lock is taken inside COMMIT and released
 * at its end, so it is never held while the service works or waits for the network, and event
 * ids grow in commit order. A change marks itself once (`changes_pending`), so the trigger runs
 * once per transaction; what a transaction staged is visible only to itself, and it deletes it.
 */
const PUBLISH_AT_COMMIT = [
  `CREATE TABLE audit_pending (n BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, actor_id TEXT, actor_role TEXT NOT NULL, action TEXT NOT NULL, lesson_id TEXT, target_id TEXT, detail TEXT NOT NULL)`,
  `CREATE TABLE events_pending (n BIGSERIAL PRIMARY KEY, ${EVENT_COLUMNS})`,
  `CREATE TABLE changes_pending (tx xid8 PRIMARY KEY DEFAULT pg_current_xact_id())`,
  `CREATE FUNCTION publish_change() RETURNS trigger LANGUAGE plpgsql AS $$
   DECLARE
     entries audit_pending[];
     entry audit_pending;
     head audit_head;
     published integer;
   BEGIN
     -- What needs no order is done before the lock.
     SELECT COALESCE(array_agg(p ORDER BY p.n), '{}') INTO entries FROM audit_pending p;
     DELETE FROM audit_pending;
     DELETE FROM changes_pending;
     PERFORM 1 FROM audit_head WHERE id = 1 FOR UPDATE;
     FOREACH entry IN ARRAY entries LOOP
       UPDATE audit_head SET seq = seq + 1, prev_hash = hash, hash = encode(sha256(convert_to('[' || ${[
         '(seq + 1)::text',
         'entry.at::text',
         ...['entry.actor_id', 'entry.actor_role', 'entry.action', 'entry.lesson_id', 'entry.target_id', 'entry.detail', 'hash'].map(jsonText),
       ].join(" || ',' || ")} || ']', 'UTF8')), 'hex')
       WHERE id = 1 RETURNING * INTO head;
       INSERT INTO audit_log (seq, at, actor_id, actor_role, action, lesson_id, target_id, detail, prev_hash, hash)
       VALUES (head.seq, entry.at, entry.actor_id, entry.actor_role, entry.action, entry.lesson_id, entry.target_id, entry.detail, head.prev_hash, head.hash);
     END LOOP;
     WITH moved AS (DELETE FROM events_pending RETURNING *)
     INSERT INTO events (channel, type, data, at) SELECT channel, type, data, at FROM moved ORDER BY n;
     GET DIAGNOSTICS published = ROW_COUNT;
     IF published > 0 THEN PERFORM pg_notify('${EVENTS_NOTIFY_CHANNEL}', ''); END IF;
     RETURN NULL;
   END $$`,
  `CREATE CONSTRAINT TRIGGER publish_change AFTER INSERT ON changes_pending DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION publish_change()`,
];

/** The schema, as numbered migrations. Never edit an applied one: add the next. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: [
      // Platform users, one row per issuer, platform user id and role. No password, ever.
      `CREATE TABLE users (
        id TEXT PRIMARY KEY,
        issuer TEXT NOT NULL,
        subject TEXT NOT NULL,
        role TEXT NOT NULL,
        display_name TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        last_seen_at BIGINT NOT NULL,
        UNIQUE (issuer, subject, role))`,
      // Server-side sessions: the cookie holds a random id, the table only its SHA-256.
      `CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role TEXT NOT NULL,
        course TEXT,
        lesson_id TEXT,
        csrf_token TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        revoked_at BIGINT)`,
      `CREATE INDEX sessions_user ON sessions (user_id)`,
      // Launch tokens already exchanged (issuer and jti), kept until the token would have expired.
      `CREATE TABLE launch_tokens (
        token_key TEXT PRIMARY KEY,
        expires_at BIGINT NOT NULL)`,
      `CREATE TABLE lessons (
        id TEXT PRIMARY KEY,
        teacher_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        course TEXT,
        title TEXT NOT NULL,
        status TEXT NOT NULL,
        retain_until BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        ended_at BIGINT)`,
      `CREATE TABLE lesson_students (
        lesson_id TEXT NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
        student_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        joined_at BIGINT NOT NULL,
        PRIMARY KEY (lesson_id, student_id))`,
      // A student's device keys: at most a few; a new one stays pending until approved.
      `CREATE TABLE device_keys (
        id TEXT PRIMARY KEY,
        student_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        enrollment_id TEXT NOT NULL UNIQUE,
        public_jwk TEXT NOT NULL,
        thumbprint TEXT NOT NULL,
        status TEXT NOT NULL,
        retain_until BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        approved_at BIGINT,
        approved_by TEXT)`,
      `CREATE INDEX device_keys_student ON device_keys (student_id)`,
      `CREATE TABLE checks (
        id TEXT PRIMARY KEY,
        lesson_id TEXT NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
        opens_at BIGINT NOT NULL,
        closes_at BIGINT NOT NULL)`,
      `CREATE TABLE nonces (
        nonce TEXT PRIMARY KEY,
        student_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        purpose TEXT NOT NULL,
        subject TEXT NOT NULL,
        check_id TEXT REFERENCES checks(id) ON DELETE CASCADE,
        issued_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at BIGINT)`,
      `CREATE TABLE attendance (
        check_id TEXT NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
        student_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        status TEXT NOT NULL,
        method TEXT,
        outcome TEXT,
        reason TEXT,
        liveness TEXT,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (check_id, student_id))`,
      // Append-only and hash-chained: each row carries the hash of the one before.
      `CREATE TABLE audit_log (
        seq BIGINT PRIMARY KEY,
        at BIGINT NOT NULL,
        actor_id TEXT,
        actor_role TEXT NOT NULL,
        action TEXT NOT NULL,
        lesson_id TEXT,
        target_id TEXT,
        detail TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL)`,
    ],
  },
  {
    version: 2,
    // The audit log refuses updates in the database itself (retention deletes its oldest rows).
    sql: {
      sqlite: [`CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`],
      postgres: [
        `CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$`,
        `CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`,
      ],
    },
  },
  {
    version: 3,
    // Several instances: what the event streams send, in commit order, kept for a replay window
    // (eventLog.ts); checks scheduled at a random moment, fired once by whichever instance is up;
    // the digest of the assertion a result was recorded from, so a repeated post is answered the same.
    // Only the events table's id column differs between the engines.
    sql: {
      sqlite: [`CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, ${EVENT_COLUMNS})`, ...SEVERAL_INSTANCES],
      postgres: [`CREATE TABLE events (id BIGSERIAL PRIMARY KEY, ${EVENT_COLUMNS})`, ...SEVERAL_INSTANCES],
    },
  },
  {
    version: 4,
    // LTI logins waiting for the platform's launch: the state's SHA-256 (single use, deleted when
    // the launch consumes it or at its expiry) with the nonce the id_token must carry.
    sql: [
      `CREATE TABLE lti_states (
        state_hash TEXT PRIMARY KEY,
        nonce TEXT NOT NULL,
        issuer TEXT NOT NULL,
        client_id TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL)`,
    ],
  },
  {
    version: 5,
    // The audit chain's head in one row (seq and hash of the newest entry): appends move it, so
    // verification also knows the newest entry. A check's nonce is found by check and student.
    // On PostgreSQL a change stages its audit entry and events; they are published when it
    // commits (see PUBLISH_AT_COMMIT).
    sql: {
      sqlite: AUDIT_HEAD,
      postgres: [...AUDIT_HEAD, ...PUBLISH_AT_COMMIT],
    },
  },
  {
    version: 6,
    // What the identity-document match said when a device key was enrolled (matched, not_matched,
    // not_run: a code, never a score or an image), so the teacher sees why a key waits. Keys
    // enrolled before this migration have none.
    sql: [`ALTER TABLE device_keys ADD COLUMN id_document TEXT`],
  },
  {
    version: 7,
    // A session handed to a new window (the LMS's frame keeps no cookie, or forbids the camera):
    // the single-use code's SHA-256 and the session it copies, for a minute.
    sql: [
      `CREATE TABLE session_handoffs (
        code_hash TEXT PRIMARY KEY,
        session_hash TEXT NOT NULL,
        expires_at BIGINT NOT NULL)`,
    ],
  },
  {
    version: 8,
    // LTI services (lti/): the platform's service endpoints of each series of lessons, from its
    // latest launch; Deep Linking requests waiting for the teacher's choice (the request id's
    // SHA-256, single use); and the gradebook outbox, one score per student and lesson, retried
    // until the platform takes it (deleted with its lesson or its student). (No table or column is
    // named "score": the schema test keeps such names for biometric scores, which never exist here.)
    sql: [
      `CREATE TABLE lti_links (
        course TEXT PRIMARY KEY,
        issuer TEXT NOT NULL,
        client_id TEXT NOT NULL,
        deployment_id TEXT NOT NULL,
        context_id TEXT,
        resource_link_id TEXT NOT NULL,
        memberships_url TEXT,
        lineitems_url TEXT,
        lineitem_url TEXT,
        ags_scopes TEXT NOT NULL,
        updated_at BIGINT NOT NULL)`,
      `CREATE TABLE lti_deep_links (
        request_hash TEXT PRIMARY KEY,
        issuer TEXT NOT NULL,
        client_id TEXT NOT NULL,
        deployment_id TEXT NOT NULL,
        return_url TEXT NOT NULL,
        data TEXT,
        expires_at BIGINT NOT NULL)`,
      `CREATE TABLE lti_grades (
        lesson_id TEXT NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
        student_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        checks_ok INTEGER NOT NULL,
        checks_total INTEGER NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_at BIGINT NOT NULL,
        last_error TEXT,
        line_item TEXT,
        created_at BIGINT NOT NULL,
        sent_at BIGINT,
        PRIMARY KEY (lesson_id, student_id))`,
      'CREATE INDEX lti_grades_due ON lti_grades (status, next_attempt_at)',
    ],
  },
  {
    version: 9,
    // The gradebook's absentees: a score row says whether its student joined the lesson (a learner
    // of the LMS course who never came gets an "absent" score); and the reading of the course's
    // roster that finds them at a lesson's end, retried like a score until the platform answers
    // (one row per ended lesson, deleted with it).
    sql: [
      'ALTER TABLE lti_grades ADD COLUMN joined INTEGER NOT NULL DEFAULT 1',
      `CREATE TABLE lti_roster_reads (
        lesson_id TEXT PRIMARY KEY REFERENCES lessons(id) ON DELETE CASCADE,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_at BIGINT NOT NULL,
        last_error TEXT)`,
      'CREATE INDEX lti_roster_reads_due ON lti_roster_reads (status, next_attempt_at)',
    ],
  },
  {
    version: 10,
    // Platforms registered by LTI Dynamic Registration (lti/registration.ts): what the
    // configuration file says of a platform, one deployment each. Configuration, not personal data.
    sql: [
      `CREATE TABLE lti_registrations (
        issuer TEXT NOT NULL,
        client_id TEXT NOT NULL,
        name TEXT NOT NULL,
        deployment_id TEXT NOT NULL,
        auth_login_url TEXT NOT NULL,
        jwks_url TEXT NOT NULL,
        access_token_url TEXT,
        lms_page_origins TEXT NOT NULL,
        registered_at BIGINT NOT NULL,
        PRIMARY KEY (issuer, client_id))`,
    ],
  },
];

/** Creates the SQLite file (and its WAL companions, when present) with the private mode. */
function makePrivate(file: string): void {
  if (!existsSync(file)) closeSync(openSync(file, 'a', SQLITE_FILE_MODE));
  for (const path of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(path)) chmodSync(path, SQLITE_FILE_MODE);
}

function sqlite(file: string): Db {
  const onDisk = file !== ':memory:';
  if (onDisk) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    makePrivate(file);
  }
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('secure_delete = ON');
  db.pragma('busy_timeout = 5000');
  if (onDisk) makePrivate(file);
  // Run synchronously the moment they are called (better-sqlite3 is synchronous).
  const direct = {
    all: <T extends Row>(sql: string, params: readonly unknown[] = []) => Promise.resolve(db.prepare(sql).all(...params) as T[]),
    get: <T extends Row>(sql: string, params: readonly unknown[] = []) => Promise.resolve(db.prepare(sql).get(...params) as T | undefined),
    run: (sql: string, params: readonly unknown[] = []) => Promise.resolve(db.prepare(sql).run(...params).changes),
  };
  // One connection: a statement issued while a transaction is open waits for it to end, so
  // another request's write can never be rolled back with it. The check and the statement (or the
  // claim of the connection) run in the same tick, so nothing slips in between.
  let open: Promise<void> | null = null;
  const whenIdle = async <T>(statement: () => T | Promise<T>): Promise<T> => {
    while (open) await open;
    return statement();
  };
  const handle: Db = {
    engine: 'sqlite',
    all: <T extends Row>(sql: string, params?: readonly unknown[]) => whenIdle(() => direct.all<T>(sql, params)),
    get: <T extends Row>(sql: string, params?: readonly unknown[]) => whenIdle(() => direct.get<T>(sql, params)),
    run: (sql, params) => whenIdle(() => direct.run(sql, params)),
    async transaction(work) {
      while (open) await open;
      let release!: () => void;
      open = new Promise((resolve) => (release = resolve));
      const tx: Db = { ...handle, ...direct, transaction: (inner) => inner(tx) };
      try {
        db.exec('BEGIN IMMEDIATE');
        const result = await work(tx);
        db.exec('COMMIT');
        return result;
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      } finally {
        open = null;
        release();
      }
    },
    listen: () => ({ connected: true, close: async () => undefined }),
    close: () => whenIdle(() => db.close()).then(() => undefined),
  };
  return handle;
}

/** Rewrites `?` placeholders as PostgreSQL's `$1, $2…`. */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** A LISTEN connection of its own that reopens itself after {@link LISTEN_RETRY_MS} when it drops. */
function pgListener(url: string, channel: string, onNotify: () => void): Listener {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new TypeError(`not a channel name: ${channel}`);
  let client: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;
  const reopenLater = () => {
    client = null;
    if (!closed && !retry) retry = setTimeout(() => void open(), LISTEN_RETRY_MS);
  };
  const open = async () => {
    retry = null;
    const candidate = new pg.Client({ connectionString: url });
    candidate.on('notification', () => onNotify());
    // A dropped connection emits 'error' then 'end'; 'end' reopens it.
    candidate.on('error', () => undefined);
    candidate.on('end', () => {
      if (client === candidate || client === null) reopenLater();
    });
    try {
      await candidate.connect();
      await candidate.query(`LISTEN ${channel}`);
      if (closed) return void (await candidate.end());
      client = candidate;
      onNotify();
    } catch {
      await candidate.end().catch(() => undefined);
      reopenLater();
    }
  };
  void open();
  return {
    get connected() {
      return client !== null;
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const open = client;
      client = null;
      await open?.end().catch(() => undefined);
    },
  };
}

/**
 * Statements with at most this many parameters are prepared once per connection and reused (the
 * service's queries are a fixed set, and planning them again on every call cost PostgreSQL about
 * as much as running them under load); longer ones, multi-row inserts of varying size, are not.
 */
const PREPARED_MAX_PARAMS = 32;
const prepared = new Map<string, { name: string; text: string }>();

/** The query for `sql`: numbered placeholders, and a name when it is prepared. */
function preparedStatement(sql: string, parameters: number): { name?: string; text: string } {
  if (parameters > PREPARED_MAX_PARAMS) return { text: numberPlaceholders(sql) };
  let statement = prepared.get(sql);
  if (!statement) {
    statement = { name: `presenza_${prepared.size + 1}`, text: numberPlaceholders(sql) };
    prepared.set(sql, statement);
  }
  return statement;
}

/** Connections of one instance's pool (`PRESENZA_DB_POOL_SIZE`); the LISTEN connection is extra. */
export const DEFAULT_POOL_SIZE = 10;

function postgres(url: string, poolSize = DEFAULT_POOL_SIZE): Db {
  // BIGINT arrives as a string by default; epoch ms fit in a double.
  pg.types.setTypeParser(20, Number);
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle pooled connection that the server drops must not crash the process.
  pool.on('error', () => undefined);
  const on = (client: pg.Pool | pg.PoolClient): Omit<Db, 'transaction' | 'listen' | 'close' | 'engine'> => {
    const query = (sql: string, params: readonly unknown[]) => client.query({ ...preparedStatement(sql, params.length), values: [...params] });
    return {
      all: async <T extends Row>(sql: string, params: readonly unknown[] = []) => (await query(sql, params)).rows as T[],
      get: async <T extends Row>(sql: string, params: readonly unknown[] = []) => (await query(sql, params)).rows[0] as T | undefined,
      run: async (sql: string, params: readonly unknown[] = []) => (await query(sql, params)).rowCount ?? 0,
    };
  };
  const handle: Db = {
    engine: 'postgres',
    ...on(pool),
    async transaction(work) {
      const client = await pool.connect();
      const tx: Db = { ...handle, ...on(client), transaction: (inner) => inner(tx) };
      try {
        await client.query('BEGIN');
        const result = await work(tx);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    listen: (channel, onNotify) => pgListener(url, channel, onNotify),
    close: () => pool.end(),
  };
  return handle;
}

/** Applies the migrations not applied yet, each in its own transaction. */
export async function migrate(db: Db, now: () => number = Date.now): Promise<number[]> {
  // Instances starting together take turns: two concurrent CREATE TABLE IF NOT EXISTS can both
  // find no table and one then fails on PostgreSQL's catalog.
  const migrationLock = (tx: Db) => (db.engine === 'postgres' ? tx.run('SELECT pg_advisory_xact_lock(7201400)') : Promise.resolve(0));
  await db.transaction(async (tx) => {
    await migrationLock(tx);
    await tx.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
  });
  const applied = new Set((await db.all<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => Number(r.version)));
  const done: number[] = [];
  for (const migration of MIGRATIONS) {
    if (applied.has(migration.version)) continue;
    const statements = Array.isArray(migration.sql) ? migration.sql : (migration.sql as { sqlite: string[]; postgres: string[] })[db.engine];
    await db.transaction(async (tx) => {
      // Two instances starting together: the second waits, then finds the version recorded.
      await migrationLock(tx);
      if (await tx.get('SELECT version FROM schema_migrations WHERE version = ?', [migration.version])) return;
      for (const statement of statements) await tx.run(statement);
      await tx.run('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)', [migration.version, now()]);
      done.push(migration.version);
    });
  }
  return done;
}

/** Opens the database (PostgreSQL when `url` is given, else the SQLite `file`) and migrates it. */
export async function openDatabase(options: { url?: string | undefined; file: string; poolSize?: number }): Promise<Db> {
  const db = options.url ? postgres(options.url, options.poolSize) : sqlite(options.file);
  await migrate(db);
  return db;
}

/** Column names and declared types of every table (for the schema audit). */
export async function describeSchema(db: Db): Promise<{ table: string; column: string; type: string }[]> {
  if (db.engine === 'sqlite') {
    const tables = await db.all<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table'`);
    const out: { table: string; column: string; type: string }[] = [];
    for (const { name } of tables) {
      for (const c of await db.all<{ name: string; type: string }>(`SELECT name, type FROM pragma_table_info(?)`, [name])) {
        out.push({ table: name, column: c.name, type: c.type });
      }
    }
    return out;
  }
  return db.all(
    `SELECT table_name AS "table", column_name AS "column", data_type AS "type" FROM information_schema.columns WHERE table_schema = current_schema()`,
  );
}
