/**
 * Starts the attendance service from the environment (see config.ts, `configFromEnv`):
 * PRESENZA_PUBLIC_URL, PRESENZA_TRUSTED_ISSUERS, PRESENZA_ALLOWED_ORIGINS, PRESENZA_TRUST_PROXY,
 * PORT (default 8080), HOST (default 127.0.0.1), DATABASE_URL (PostgreSQL; default SQLite at
 * PRESENZA_SQLITE or demo/data/presenza.sqlite). The demo starts it with its own platform
 * instead: demo/main.ts.
 */
import { buildApp, DEFAULT_SQLITE_FILE } from './app.js';
import { configFromEnv, type ServiceConfig } from './config.js';
import { openDatabase } from './db.js';

/** How often retention runs while the service is up. */
export const PURGE_INTERVAL_MS = 60 * 60_000;

/** Opens the database, builds the app, runs retention now and hourly, listens, and stops cleanly on SIGINT/SIGTERM. */
export async function startService(options: {
  config: ServiceConfig;
  port: number;
  host: string;
  databaseUrl?: string | undefined;
  sqliteFile?: string | undefined;
  publicDir?: string;
  extend?: (app: Awaited<ReturnType<typeof buildApp>>['app']) => Promise<void>;
}) {
  const db = await openDatabase({ url: options.databaseUrl, file: options.sqliteFile ?? DEFAULT_SQLITE_FILE });
  const built = await buildApp({ db, config: options.config, log: true, ...(options.publicDir ? { publicDir: options.publicDir } : {}) });
  const { app, attendance } = built;
  if (options.extend) await options.extend(app);
  const purge = async () => {
    try {
      const report = await attendance.purgeExpired();
      app.log.info({ retention: report }, 'retention run');
    } catch (error) {
      app.log.error({ err: { message: (error as Error).message } }, 'retention run failed');
    }
  };
  await purge();
  const timer = setInterval(() => void purge(), PURGE_INTERVAL_MS);
  await app.listen({ port: options.port, host: options.host });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, async () => {
      clearInterval(timer);
      await app.close();
      await db.close();
      process.exit(0);
    });
  }
  return { ...built, db };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  await startService({
    config: configFromEnv(),
    port: Number(process.env.PORT ?? 8080),
    host: process.env.HOST ?? '127.0.0.1',
    databaseUrl: process.env.DATABASE_URL,
    sqliteFile: process.env.PRESENZA_SQLITE,
  });
}
