/**
 * Starts one instance of the attendance service from the environment (see config.ts,
 * `configFromEnv` and `operationsFromEnv`): PRESENZA_PUBLIC_URL, PRESENZA_TRUSTED_ISSUERS,
 * PRESENZA_ALLOWED_ORIGINS, PRESENZA_TRUST_PROXY, PORT (default 8080), HOST (default 127.0.0.1),
 * DATABASE_URL (PostgreSQL; default SQLite at PRESENZA_SQLITE or demo/data/presenza.sqlite),
 * PRESENZA_CONFIG (the deployment configuration of compliance/), PRESENZA_INSTANCE_ID,
 * PRESENZA_DB_POOL_SIZE, PRESENZA_DRAIN_DELAY_MS,
 * PRESENZA_SHUTDOWN_TIMEOUT_MS, PRESENZA_LTI_CONFIG (LTI 1.3 registrations, lti/config.ts). Run as many as you like on one PostgreSQL, behind any load
 * balancer (README, "Running several instances"). The demo starts it with its own platform
 * instead: demo/main.ts.
 */
import { pino } from 'pino';
import { buildApp, DEFAULT_SQLITE_FILE, type BuiltApp } from './app.js';
import { configFromEnv, operationsFromEnv, type Operations, type ServiceConfig } from './config.js';
import { openDatabase } from './db.js';
import { loadLtiConfig, type LtiConfig } from './lti/config.js';
import { Scheduler } from './scheduler.js';

/** How often retention runs while the service is up. */
export const PURGE_INTERVAL_MS = 60 * 60_000;

/**
 * Opens the database, builds the app, starts the scheduler, runs retention now and hourly,
 * listens, and on SIGINT/SIGTERM shuts down gracefully: readiness turns 503 at once, new work
 * stops after the drain delay, event streams end (browsers resume on another instance),
 * requests in flight finish, then the process exits (or is cut after the shutdown timeout).
 */
export async function startService(options: {
  config: ServiceConfig;
  port: number;
  host: string;
  databaseUrl?: string | undefined;
  sqliteFile?: string | undefined;
  publicDir?: string;
  operations?: Partial<Operations>;
  /** LTI 1.3 registrations; none by default. */
  lti?: LtiConfig;
  extend?: (app: BuiltApp['app']) => Promise<void>;
}) {
  const operations = { ...operationsFromEnv({}), ...options.operations };
  const db = await openDatabase({ url: options.databaseUrl, file: options.sqliteFile ?? DEFAULT_SQLITE_FILE, poolSize: operations.poolSize });
  const built = await buildApp({
    db,
    config: options.config,
    // Written asynchronously: a synchronous write per line cost an instance 8 % of its CPU under a
    // class's burst of answers. What is buffered is flushed on exit; a SIGKILL may lose the last lines.
    log: pino.destination({ sync: false }),
    instanceId: operations.instanceId,
    ...(options.publicDir ? { publicDir: options.publicDir } : {}),
    ...(options.lti ? { lti: { config: options.lti } } : {}),
  });
  const { app, attendance } = built;
  if (options.extend) await options.extend(app);
  const scheduler = new Scheduler(attendance, db, { log: app.log });
  const purge = async () => {
    try {
      const report = await attendance.purgeExpired();
      app.log.info({ retention: report }, 'retention run');
    } catch (error) {
      app.log.error({ err: { message: (error as Error).message } }, 'retention run failed');
    }
  };
  await purge();
  const purgeTimer = setInterval(() => void purge(), PURGE_INTERVAL_MS);
  scheduler.start();
  // Scores for the LMS gradebooks, queued at each lesson's end (app.close stops it).
  built.grades?.start();
  await app.listen({ port: options.port, host: options.host });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    setTimeout(() => {
      app.log.error({ timeoutMs: operations.shutdownTimeoutMs }, 'shutdown timed out');
      process.exit(1);
    }, operations.shutdownTimeoutMs).unref();
    built.drain();
    // Let the load balancer see the 503 before connections are refused.
    await new Promise((resolve) => setTimeout(resolve, operations.drainDelayMs));
    clearInterval(purgeTimer);
    await scheduler.stop();
    await app.close();
    await db.close();
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void shutdown(signal));
  return { ...built, db, scheduler };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  await startService({
    config: configFromEnv(),
    port: Number(process.env.PORT ?? 8080),
    host: process.env.HOST ?? '127.0.0.1',
    databaseUrl: process.env.DATABASE_URL,
    sqliteFile: process.env.PRESENZA_SQLITE,
    operations: operationsFromEnv(process.env),
    ...(process.env.PRESENZA_LTI_CONFIG ? { lti: loadLtiConfig(process.env.PRESENZA_LTI_CONFIG) } : {}),
  });
}
