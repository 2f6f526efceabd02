import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IDENTITY_DOCUMENT_POLICIES } from '../src/protocol/capture.js';
import { LIVENESS_POLICIES } from '../src/protocol/liveness.js';
import {
  DEPLOYMENT_CONFIG_SCHEMA_FILE,
  DeploymentConfigError,
  loadDeploymentConfig,
  parseDeploymentConfig,
  sdkOptionsFromConfig,
  uiOptionsFromConfig,
  type DeploymentConfigErrorCode,
} from './config.js';

const EXAMPLE_FILE = new URL('./example.config.json', import.meta.url);
const example = () => JSON.parse(readFileSync(EXAMPLE_FILE, 'utf8')) as Record<string, any>;

/** The example with one change made by `edit`. */
function edited(edit: (c: Record<string, any>) => void) {
  const c = example();
  edit(c);
  return c;
}

function refusal(value: unknown): DeploymentConfigError {
  try {
    parseDeploymentConfig(value);
  } catch (error) {
    if (error instanceof DeploymentConfigError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('deployment configuration', () => {
  it('accepts the example and fills in the defaults', () => {
    const c = edited((c) => {
      delete c.retention.auditLogDays;
      delete c.hosting.database;
      delete c.hosting.providerIsProcessor;
    });
    const config = parseDeploymentConfig(c);
    expect(config.retention.auditLogDays).toBe(400);
    expect(config.hosting.database).toBe('postgresql');
    expect(config.hosting.providerIsProcessor).toBe(false);
    expect(c.retention.auditLogDays).toBeUndefined(); // the caller's object is left alone
    expect(loadDeploymentConfig(EXAMPLE_FILE).controller.name).toBe('Università Telematica Esempio');
  });

  const cases: [string, (c: Record<string, any>) => void, DeploymentConfigErrorCode, string, RegExp][] = [
    ['a missing section', (c) => delete c.dpo, 'ERR_CONFIG_SCHEMA', '', /needs "dpo"/],
    ['a missing field', (c) => delete c.controller.email, 'ERR_CONFIG_SCHEMA', '/controller', /needs "email"/],
    ['an unknown field', (c) => (c.policies.keepPhotos = true), 'ERR_CONFIG_SCHEMA', '/policies', /unknown field "keepPhotos"/],
    ['an unknown liveness policy', (c) => (c.policies.liveness = 'sometimes'), 'ERR_CONFIG_SCHEMA', '/policies/liveness', /one of "both", "passive", "active", "off"/],
    ['an impossible date', (c) => (c.course.end = '2027-02-30'), 'ERR_CONFIG_SCHEMA', '/course/end', /format "date"/],
    ['a malformed email', (c) => (c.dpo.email = 'rpd at example'), 'ERR_CONFIG_SCHEMA', '/dpo/email', /format "email"/],
    ['a plain-http service', (c) => (c.hosting.serviceUrl = 'http://presenze.example.it'), 'ERR_CONFIG_SCHEMA', '/hosting/serviceUrl', /pattern/],
    ['art. 9(2)(g) without its national provision', (c) => delete c.legalBasis.nationalProvision, 'ERR_CONFIG_SCHEMA', '/legalBasis', /needs "nationalProvision"/],
    ['an empty purpose', (c) => (c.course.purpose.it = '  '), 'ERR_CONFIG_SCHEMA', '/course/purpose/it', /pattern/],
    ['a negative dispute period', (c) => (c.retention.disputePeriodDays = -1), 'ERR_CONFIG_SCHEMA', '/retention/disputePeriodDays', />= 0/],
    ['another schema version', (c) => (c.schemaVersion = 2), 'ERR_CONFIG_SCHEMA', '/schemaVersion', /constant/],
    ['a course ending before it starts', (c) => (c.course.end = '2026-09-01'), 'ERR_CONFIG_DATES', '/course/end', /before the course start/],
    ['attendance deleted before the course ends', (c) => (c.retention.attendanceUntil = '2027-01-01'), 'ERR_CONFIG_DATES', '/retention/attendanceUntil', /before the course end/],
    ['a course longer than a template may be kept', (c) => ((c.course.end = '2027-10-06'), (c.retention.attendanceUntil = '2027-12-01')), 'ERR_CONFIG_RETENTION', '/course/end', /12 months/],
  ];
  it.each(cases)('refuses %s with a coded error naming the field', (_name, edit, code, path, message) => {
    const error = refusal(edited(edit));
    expect(error.code).toBe(code);
    const issue = error.issues.find((i) => i.path === path && message.test(i.message));
    expect(issue, JSON.stringify(error.issues)).toBeDefined();
    expect(error.message).toMatch(new RegExp(`^${code}: `));
  });

  it('accepts a course of exactly 12 months', () => {
    expect(() => parseDeploymentConfig(edited((c) => ((c.course.end = '2027-10-05'), (c.retention.attendanceUntil = '2027-12-01'))))).not.toThrow();
  });

  it('refuses an unreadable file and a file that is not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'presenza-config-'));
    expect(() => loadDeploymentConfig(join(dir, 'missing.json'))).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_READ' }));
    writeFileSync(join(dir, 'bad.json'), '{ "schemaVersion": 1,');
    expect(() => loadDeploymentConfig(join(dir, 'bad.json'))).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_JSON' }));
  });

  it('offers exactly the SDK’s policies', () => {
    const schema = JSON.parse(readFileSync(DEPLOYMENT_CONFIG_SCHEMA_FILE, 'utf8'));
    expect([...schema.properties.policies.properties.liveness.enum].sort()).toEqual([...LIVENESS_POLICIES].sort());
    expect([...schema.properties.policies.properties.identityDocument.enum].sort()).toEqual([...IDENTITY_DOCUMENT_POLICIES].sort());
  });

  it('gives the SDK and the UI their options', () => {
    const config = parseDeploymentConfig(edited((c) => ((c.policies.liveness = 'passive'), (c.policies.identityDocument = 'optional'))));
    expect(sdkOptionsFromConfig(config)).toEqual({
      enroll: { liveness: 'passive', identityDocument: 'optional', retainUntil: new Date('2027-01-29T12:00:00Z') },
      check: { liveness: 'passive' },
    });
    expect(uiOptionsFromConfig(config, 'en')).toEqual({
      controller: 'Università Telematica Esempio',
      purpose: config.course.purpose.en,
      noticeUrl: 'https://presenze.unitelesempio.it/privacy/notice-en.html',
      lang: 'en',
      texts: { alternativeDescription: config.policies.alternative.description.en },
    });
    const hosted = parseDeploymentConfig(edited((c) => (c.hosting.noticeUrl = 'https://www.unitelesempio.it/privacy/presenza')));
    expect(uiOptionsFromConfig(hosted, 'it').noticeUrl).toBe('https://www.unitelesempio.it/privacy/presenza');
  });
});
