/**
 * Starts the demo: the attendance service on SQLite (or DATABASE_URL) with the demo pages and the
 * demo platform, which signs launch tokens with a key created at first start and trusted by the
 * service. `npm run demo` builds the SDK first. Environment: PORT (default 5173), HOST (default
 * 127.0.0.1), PRESENZA_PUBLIC_URL (default http://localhost:PORT), PRESENZA_ALLOWED_ORIGINS,
 * PRESENZA_TRUST_PROXY, DATABASE_URL, PRESENZA_SQLITE, and the limits of service/config.ts.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SDK_DIR } from '../service/app.js';
import { limitsFromEnv, operationsFromEnv, trustProxyFromEnv } from '../service/config.js';
import { startService } from '../service/main.js';
import { demoDeployment } from './notice.js';
import { DEMO_ISSUER, loadOrCreatePlatformKey, platformJwks, registerDemoPlatform } from './platform.js';

const here = dirname(fileURLToPath(import.meta.url));
const port = Number(process.env.PORT ?? 5173);
const host = process.env.HOST ?? '127.0.0.1';
if (!existsSync(join(SDK_DIR, 'presenza.iife.js'))) {
  console.error('presenza demo: dist/ is missing; run `npm run demo` (it builds the SDK first).');
  process.exit(1);
}
const publicUrl = process.env.PRESENZA_PUBLIC_URL ?? `http://localhost:${port}`;
const allowedOrigins = [
  ...(process.env.PRESENZA_ALLOWED_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
  ...(process.env.PRESENZA_PUBLIC_URL ? [] : [`http://127.0.0.1:${port}`]),
];
const key = await loadOrCreatePlatformKey(join(here, 'data', 'platform-key.json'));
const { config, db } = await startService({
  config: {
    publicUrl,
    allowedOrigins,
    trustedIssuers: [{ issuer: DEMO_ISSUER, jwks: platformJwks(key) }],
    trustProxy: trustProxyFromEnv(process.env),
    limits: limitsFromEnv(process.env),
    // The service publishes the full notice (/privacy/notice-it.html, -en.html) from it.
    deployment: demoDeployment(),
  },
  port,
  host,
  databaseUrl: process.env.DATABASE_URL,
  sqliteFile: process.env.PRESENZA_SQLITE,
  operations: operationsFromEnv(process.env),
  publicDir: join(here, 'public'),
  extend: async (app) => {
    await registerDemoPlatform(app, { key, audience: new URL(publicUrl).origin, allowedOrigins: [new URL(publicUrl).origin, ...allowedOrigins] });
  },
});
console.log(`Presenza demo (${db.engine}) on ${config.publicOrigin}/ — sign in as a teacher or a student there (two windows, or two browser profiles).`);
