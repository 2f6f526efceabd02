/**
 * Starts the demo: `npm run demo` (which builds the SDK first). Environment: PORT (default 5173),
 * HOST (default 127.0.0.1), DATABASE_URL (PostgreSQL; default SQLite under demo/data),
 * PRESENZA_DEMO_SQLITE (another SQLite file, e.g. for benchmarks).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp, DEFAULT_SQLITE_FILE, SDK_DIR } from './app.js';
import { openDatabase } from './db.js';

/** How often retention runs while the demo is up. */
const PURGE_INTERVAL_MS = 60 * 60_000;

const port = Number(process.env.PORT ?? 5173);
const host = process.env.HOST ?? '127.0.0.1';
if (!existsSync(join(SDK_DIR, 'presenza.iife.js'))) {
  console.error('presenza demo: dist/ is missing; run `npm run demo` (it builds the SDK first).');
  process.exit(1);
}
const db = await openDatabase({ url: process.env.DATABASE_URL, file: process.env.PRESENZA_DEMO_SQLITE ?? DEFAULT_SQLITE_FILE });
const origins = [`http://localhost:${port}`, `http://127.0.0.1:${port}`];
const { app, attendance } = await buildApp({ db, origins });
const purge = async () => {
  const purged = await attendance.purgeExpired();
  if (purged.lessons + purged.keys + purged.nonces > 0) console.log(`retention: deleted ${JSON.stringify(purged)}`);
};
await purge();
const timer = setInterval(() => void purge(), PURGE_INTERVAL_MS);
await app.listen({ port, host });
console.log(`Presenza demo (${db.engine}) on ${origins[0]}/  — teacher: ${origins[0]}/teacher.html  student: ${origins[0]}/student.html`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    clearInterval(timer);
    await app.close();
    await db.close();
    process.exit(0);
  });
}
