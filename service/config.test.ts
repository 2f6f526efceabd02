import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configFromEnv, deploymentFromEnv } from './config.js';
import { makeWorld, startHarness } from '../testing/serviceWorld.js';

const EXAMPLE = fileURLToPath(new URL('../compliance/example.config.json', import.meta.url));

describe('PRESENZA_CONFIG', () => {
  it('is optional', () => {
    expect(deploymentFromEnv({})).toBeUndefined();
  });

  it('gives the service its URL, the audit log’s retention and the course’s dates', () => {
    const read = deploymentFromEnv({ PRESENZA_CONFIG: EXAMPLE })!;
    expect(read.publicUrl).toBe('https://presenze.unitelesempio.it');
    expect(read.limits).toEqual({ auditRetentionMs: 400 * 86_400_000 });
    expect(new Date(read.attendanceRetainUntil).toISOString()).toBe('2027-03-30T00:00:00.000Z');
    expect(new Date(read.templateRetainUntil).toISOString()).toBe('2027-01-29T12:00:00.000Z');
    expect(read.deployment.controller.name).toBe('Università Telematica Esempio');
  });

  it('refuses a bad file with a coded error, so the service does not start on it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'presenza-service-config-'));
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ schemaVersion: 1 }));
    expect(() => deploymentFromEnv({ PRESENZA_CONFIG: join(dir, 'c.json') })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_SCHEMA' }));
    expect(() => deploymentFromEnv({ PRESENZA_CONFIG: join(dir, 'missing.json') })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_READ' }));
  });

  it('the service runs on it: its URL, the audit log’s retention and the course’s dates (the environment’s URL wins)', () => {
    const read = deploymentFromEnv({ PRESENZA_CONFIG: EXAMPLE })!;
    const config = configFromEnv({ PRESENZA_CONFIG: EXAMPLE });
    expect(config.publicUrl).toBe('https://presenze.unitelesempio.it');
    expect(config.limits).toMatchObject({ auditRetentionMs: 400 * 86_400_000 });
    expect(config.retention).toEqual({ lessonsUntil: read.attendanceRetainUntil, enrollmentsUntil: read.templateRetainUntil });
    expect(configFromEnv({ PRESENZA_CONFIG: EXAMPLE, PRESENZA_PUBLIC_URL: 'https://other.example' }).publicUrl).toBe('https://other.example');
    expect(() => configFromEnv({})).toThrow(/PRESENZA_PUBLIC_URL/);
  });

  it('lessons are kept until the course’s attendance date, enrollments until its template date', async () => {
    const lessonsUntil = Date.UTC(2027, 2, 30);
    const enrollmentsUntil = Date.UTC(2027, 0, 29, 12);
    const h = await startHarness('sqlite', { retention: { lessonsUntil, enrollmentsUntil } });
    try {
      const w = await makeWorld(h);
      expect(await h.db.get('SELECT retain_until FROM lessons WHERE id = ?', [w.l1])).toEqual({ retain_until: lessonsUntil });
      expect((await w.s1.client.send('POST', '/api/me/enrollment-challenge')).body.retainUntil).toBe(enrollmentsUntil);
      expect(await h.db.get('SELECT retain_until FROM device_keys WHERE id = ?', [w.s1.keyId])).toEqual({ retain_until: enrollmentsUntil });
    } finally {
      await h.close();
    }
  });
});
