/**
 * The demo as `npm run demo` runs it, for end-to-end tests: the attendance service on a temp SQLite
 * database with the demo pages and the demo platform (its own key, trusted by the service), on a
 * free loopback port.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, type Page } from '@playwright/test';
import { demoDeployment } from '../../demo/notice.js';
import { DEMO_ISSUER, loadOrCreatePlatformKey, platformJwks, registerDemoPlatform } from '../../demo/platform.js';
import { buildApp } from '../../service/app.js';
import type { Attendance } from '../../service/attendance.js';
import { openDatabase, type Db } from '../../service/db.js';
import { freePort } from '../../testing/cluster.js';
import { ApiClient, fetchTransport } from '../../testing/simulatedStudent.js';

export const PUBLIC_DIR = join(import.meta.dirname, '..', '..', 'demo', 'public');

export interface DemoServer {
  origin: string;
  db: Db;
  attendance: Attendance;
  close(): Promise<void>;
}

export async function startDemoServer(): Promise<DemoServer> {
  const data = mkdtempSync(join(tmpdir(), 'presenza-demo-db-'));
  const db = await openDatabase({ file: join(data, 'demo.sqlite') });
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const key = await loadOrCreatePlatformKey(join(data, 'platform-key.json'));
  const built = await buildApp({
    db,
    config: { publicUrl: origin, allowedOrigins: [], trustedIssuers: [{ issuer: DEMO_ISSUER, jwks: platformJwks(key) }], limits: { launchesPerMinute: 1000 }, deployment: demoDeployment() },
    publicDir: PUBLIC_DIR,
  });
  await registerDemoPlatform(built.app, { key, audience: origin, allowedOrigins: [origin] });
  await built.app.listen({ port, host: '127.0.0.1' });
  return {
    origin,
    db,
    attendance: built.attendance,
    close: async () => {
      await built.app.close();
      await db.close();
    },
  };
}

/** A session of a demo user, signed in through the demo platform as a page would (for simulated users). */
export async function demoSession(origin: string, name: string, role: 'student' | 'teacher' | 'auditor'): Promise<ApiClient> {
  const transport = fetchTransport(origin);
  const signIn = await new ApiClient(transport, origin).send('POST', '/demo-platform/sign-in', { name, role });
  return ApiClient.signIn(transport, origin, String(signIn.body.token));
}

/** Signs in on the demo platform's page the browser was sent to (if it was: a kept session skips it). */
export async function signInIfAsked(page: Page, name: string, role?: 'student' | 'teacher' | 'auditor') {
  const form = page.locator('#sign-in');
  const signedIn = page.locator('#signed-in');
  await expect(form.or(signedIn)).toBeVisible({ timeout: 30_000 });
  if (await form.isVisible()) {
    await page.getByLabel('Your name').fill(name);
    if (role) await page.locator(`#role-${role}`).check();
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await expect(signedIn).toBeVisible({ timeout: 30_000 });
}
