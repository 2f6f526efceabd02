import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkConfig, type FindingCode } from './check.js';
import { parseDeploymentConfig } from './config.js';

const EXAMPLE = JSON.parse(readFileSync(new URL('./example.config.json', import.meta.url), 'utf8')) as Record<string, any>;
const findingsOf = (edit: (c: Record<string, any>) => void) => {
  const c = structuredClone(EXAMPLE);
  edit(c);
  return checkConfig(parseDeploymentConfig(c));
};

describe('--check', () => {
  it('finds nothing in the example', () => {
    expect(findingsOf(() => {})).toEqual([]);
  });

  const cases: [FindingCode, (c: Record<string, any>) => void, 'unlawful' | 'risky', string, RegExp][] = [
    ['consent_for_mandatory_check', (c) => (c.legalBasis.article6 = 'consent'), 'unlawful', '/legalBasis/article6', /imbalance/],
    ['consent_for_mandatory_check', (c) => ((c.legalBasis.article9 = 'explicit_consent'), delete c.legalBasis.nationalProvision), 'unlawful', '/legalBasis/article9', /consent made mandatory/],
    ['retention_beyond_dispute_period', (c) => (c.retention.attendanceUntil = '2027-04-01'), 'unlawful', '/retention/attendanceUntil', /2 days beyond the course end plus the dispute period \(60 days\)/],
    ['no_alternative', (c) => (c.policies.alternative.offered = false), 'unlawful', '/policies/alternative/offered', /non-biometric alternative/],
    ['failed_check_evidence_kept', (c) => (c.policies.failedCheckEvidence = 'kept'), 'unlawful', '/policies/failedCheckEvidence', /oral exam/],
    ['liveness_off_without_reason', (c) => (c.policies.liveness = 'off'), 'risky', '/policies/livenessOffReason', /a photo is enough/],
    ['data_outside_eea', (c) => (c.hosting.location = 'third_country'), 'risky', '/hosting/location', /chapter V/],
  ];
  it.each(cases)('flags %s with its reason', (code, edit, severity, path, reason) => {
    const findings = findingsOf(edit);
    expect(findings.map((f) => f.code)).toEqual([code]);
    expect(findings[0]).toMatchObject({ severity, path });
    expect(findings[0]!.reason.en).toMatch(reason);
    expect(findings[0]!.reason.it.length).toBeGreaterThan(40);
  });

  it('accepts retention up to the dispute period’s last day, and liveness off with a reason', () => {
    expect(findingsOf((c) => (c.retention.attendanceUntil = '2027-03-30'))).toEqual([]);
    expect(findingsOf((c) => ((c.policies.liveness = 'off'), (c.policies.livenessOffReason = { it: 'La piattaforma usa la propria.', en: 'The platform runs its own.' })))).toEqual([]);
  });
});
