/**
 * The demo's database: SQLite through better-sqlite3 by default (a file under demo/data, created
 * on first start), PostgreSQL through pg when DATABASE_URL is set. The same SQL runs on both:
 * queries use `?` placeholders (numbered for PostgreSQL here), times are epoch ms in BIGINT.
 *
 * No table has a column for an image, an embedding, a template or a score (a test reads the
 * schema to prove it): the server only ever learns pass, fail or inconclusive.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';

/** A row as the drivers return it. */
export type Row = Record<string, unknown>;

/** The few operations the demo needs, the same on both engines. */
export interface Db {
  readonly engine: 'sqlite' | 'postgres';
  all<T extends Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  get<T extends Row>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  /** Runs a statement; resolves with the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  close(): Promise<void>;
}

/** The schema, valid SQL for SQLite and PostgreSQL. */
export const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS students (
    id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    created_at BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS device_keys (
    student_id TEXT PRIMARY KEY REFERENCES students(id) ON DELETE CASCADE,
    enrollment_id TEXT NOT NULL UNIQUE,
    public_jwk TEXT NOT NULL,
    thumbprint TEXT NOT NULL,
    retain_until BIGINT NOT NULL,
    created_at BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS lessons (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    retain_until BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    ended_at BIGINT)`,
  `CREATE TABLE IF NOT EXISTS lesson_students (
    lesson_id TEXT NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
    student_id TEXT NOT NULL REFERENCES students(id) ON DELETE CASCADE,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (lesson_id, student_id))`,
  `CREATE TABLE IF NOT EXISTS checks (
    id TEXT PRIMARY KEY,
    lesson_id TEXT NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
    opens_at BIGINT NOT NULL,
    closes_at BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS nonces (
    nonce TEXT PRIMARY KEY,
    student_id TEXT NOT NULL REFERENCES students(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    subject TEXT NOT NULL,
    check_id TEXT REFERENCES checks(id) ON DELETE CASCADE,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT)`,
  `CREATE TABLE IF NOT EXISTS attendance (
    check_id TEXT NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
    student_id TEXT NOT NULL REFERENCES students(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    method TEXT,
    outcome TEXT,
    reason TEXT,
    liveness TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (check_id, student_id))`,
];

function sqlite(file: string): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  const prepare = (sql: string) => db.prepare(sql);
  return {
    engine: 'sqlite',
    all: async <T extends Row>(sql: string, params: readonly unknown[] = []) => prepare(sql).all(...params) as T[],
    get: async <T extends Row>(sql: string, params: readonly unknown[] = []) => prepare(sql).get(...params) as T | undefined,
    run: async (sql, params = []) => prepare(sql).run(...params).changes,
    close: async () => void db.close(),
  };
}

/** Rewrites `?` placeholders as PostgreSQL's `$1, $2…`. */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function postgres(url: string): Db {
  // BIGINT arrives as a string by default; epoch ms fit in a double.
  pg.types.setTypeParser(20, Number);
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const query = (sql: string, params: readonly unknown[]) => pool.query(numberPlaceholders(sql), [...params]);
  return {
    engine: 'postgres',
    all: async <T extends Row>(sql: string, params: readonly unknown[] = []) => (await query(sql, params)).rows as T[],
    get: async <T extends Row>(sql: string, params: readonly unknown[] = []) => (await query(sql, params)).rows[0] as T | undefined,
    run: async (sql, params = []) => (await query(sql, params)).rowCount ?? 0,
    close: () => pool.end(),
  };
}

/** Opens the database (PostgreSQL when `url` is given, else the SQLite `file`) and creates the tables. */
export async function openDatabase(options: { url?: string | undefined; file: string }): Promise<Db> {
  const db = options.url ? postgres(options.url) : sqlite(options.file);
  for (const statement of SCHEMA) await db.run(statement);
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
