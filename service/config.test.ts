import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { deploymentFromEnv } from './config.js';

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
});
