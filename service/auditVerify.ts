/**
 * `npm run audit:verify`: recomputes the audit log's hash chain and exits 0 when it holds, 1 with
 * the first broken entry when not. Reads DATABASE_URL (PostgreSQL) or the SQLite file
 * (PRESENZA_SQLITE, default demo/data/presenza.sqlite).
 */
import { DEFAULT_SQLITE_FILE } from './app.js';
import { verifyAuditChain } from './audit.js';
import { openDatabase } from './db.js';

const db = await openDatabase({ url: process.env.DATABASE_URL, file: process.env.PRESENZA_SQLITE ?? DEFAULT_SQLITE_FILE });
const verdict = await verifyAuditChain(db);
await db.close();
console.log(JSON.stringify(verdict));
process.exit(verdict.ok ? 0 : 1);
