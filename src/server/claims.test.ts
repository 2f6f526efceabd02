import { describe, expect, it } from 'vitest';
import {
  MAX_ASSERTION_LIFETIME_SECONDS,
  MAX_RETENTION_MONTHS,
  RETENTION_LIMIT_SLACK_SECONDS,
} from '../protocol/assertion.js';
import { retainUntilMs } from '../sdk/options.js';
import { AssertionError } from './assertionError.js';
import { CLAIM_NAMES, latestRetainUntil, validateClaims, type AssertionKind, type ClaimExpectations } from './claims.js';

const NOW_S = Date.UTC(2026, 2, 2, 10, 0, 0) / 1000;
const NONCE = 'n'.repeat(43);
const EXPECTED: ClaimExpectations = {
  audience: 'https://school.example',
  nonce: NONCE,
  checkId: 'check-1',
  enrollmentId: 'enr_1',
  nowSeconds: NOW_S,
  skewSeconds: 30,
};
const COMMON = { aud: EXPECTED.audience, sub: 'enr_1', nonce: NONCE, iat: NOW_S, exp: NOW_S + 60, models: ['0f1e2d3c'], sdk: '0.1.0' };
const VALID: Record<AssertionKind, Record<string, unknown>> = {
  check: { ...COMMON, jti: 'check-1', outcome: 'pass', liveness: 'passed' },
  enroll: { ...COMMON, retainUntil: NOW_S + 30 * 86_400, idDocument: 'matched' },
};

function refusal(kind: AssertionKind, overrides: Record<string, unknown>): AssertionError {
  const claims = Object.fromEntries(Object.entries({ ...VALID[kind], ...overrides }).filter(([, v]) => v !== undefined));
  try {
    validateClaims(kind as 'check', claims, EXPECTED);
  } catch (error) {
    expect(error).toBeInstanceOf(AssertionError);
    return error as AssertionError;
  }
  return expect.fail(`accepted ${JSON.stringify(overrides)}`);
}

// One row per guard of validateClaims: kind, case, claims changed, code, the claim it must name.
const GUARDS: Array<[AssertionKind, string, Record<string, unknown>, string, string]> = [
  ['check', 'an unknown claim', { score: 0.9 }, 'ERR_CLAIMS', 'score'],
  ['enroll', 'a check claim', { outcome: 'pass' }, 'ERR_CLAIMS', 'outcome'],
  ['check', 'an enrollment claim', { retainUntil: NOW_S + 60 }, 'ERR_CLAIMS', 'retainUntil'],
  ['check', 'a missing aud', { aud: undefined }, 'ERR_CLAIMS', 'aud'],
  ['enroll', 'an aud array', { aud: [EXPECTED.audience] }, 'ERR_CLAIMS', 'aud'],
  ['check', 'another aud', { aud: 'https://evil.example' }, 'ERR_AUDIENCE', 'aud'],
  ['enroll', 'another aud', { aud: 'https://evil.example' }, 'ERR_AUDIENCE', 'aud'],
  ['check', 'an empty sub', { sub: '' }, 'ERR_CLAIMS', 'sub'],
  ['enroll', 'another sub', { sub: 'enr_2' }, 'ERR_CLAIMS', 'sub'],
  ['check', 'a sub of 257 characters', { sub: 's'.repeat(257) }, 'ERR_CLAIMS', 'sub'],
  ['check', 'a missing jti', { jti: undefined }, 'ERR_CLAIMS', 'jti'],
  ['check', 'another jti', { jti: 'check-2' }, 'ERR_CHECK_ID', 'jti'],
  ['enroll', 'a numeric nonce', { nonce: 42 }, 'ERR_CLAIMS', 'nonce'],
  ['check', 'another nonce', { nonce: 'm'.repeat(43) }, 'ERR_NONCE_MISMATCH', 'nonce'],
  ['enroll', 'another nonce', { nonce: 'm'.repeat(43) }, 'ERR_NONCE_MISMATCH', 'nonce'],
  ['check', 'a fractional iat', { iat: NOW_S + 0.5 }, 'ERR_CLAIMS', 'iat'],
  ['enroll', 'a missing iat', { iat: undefined }, 'ERR_CLAIMS', 'iat'],
  ['check', 'a string exp', { exp: String(NOW_S + 60) }, 'ERR_CLAIMS', 'exp'],
  ['enroll', 'exp at iat', { exp: NOW_S }, 'ERR_CLAIMS', 'exp'],
  ['check', 'too long a lifetime', { exp: NOW_S + MAX_ASSERTION_LIFETIME_SECONDS + 1 }, 'ERR_CLAIMS', 'exp'],
  ['enroll', 'iat in the future', { iat: NOW_S + 31, exp: NOW_S + 91 }, 'ERR_CLAIMS', 'iat'],
  ['check', 'an expired assertion', { iat: NOW_S - 120, exp: NOW_S - 31 }, 'ERR_EXPIRED', 'exp'],
  ['enroll', 'an expired assertion', { iat: NOW_S - 120, exp: NOW_S - 31 }, 'ERR_EXPIRED', 'exp'],
  ['check', 'an unknown outcome', { outcome: 'passed' }, 'ERR_CLAIMS', 'outcome'],
  ['check', 'a reason on a pass', { reason: 'mismatch' }, 'ERR_CLAIMS', 'reason'],
  ['check', 'a fail without a reason', { outcome: 'fail' }, 'ERR_CLAIMS', 'reason'],
  ['check', 'an unknown reason', { outcome: 'inconclusive', reason: 'score_0.42' }, 'ERR_CLAIMS', 'reason'],
  ['check', 'an unknown liveness', { liveness: 'ok' }, 'ERR_CLAIMS', 'liveness'],
  ['check', 'a pass with failed liveness', { liveness: 'failed' }, 'ERR_CLAIMS', 'liveness'],
  ['enroll', 'a fractional retainUntil', { retainUntil: NOW_S + 0.5 }, 'ERR_CLAIMS', 'retainUntil'],
  ['enroll', 'a past retainUntil', { retainUntil: NOW_S }, 'ERR_CLAIMS', 'retainUntil'],
  ['enroll', 'a retainUntil beyond the longest retention', { retainUntil: latestRetainUntil(NOW_S) + 1 }, 'ERR_CLAIMS', 'retainUntil'],
  ['check', 'models not a list', { models: '0f1e2d3c' }, 'ERR_CLAIMS', 'models'],
  ['enroll', 'a missing idDocument', { idDocument: undefined }, 'ERR_CLAIMS', 'idDocument'],
  ['enroll', 'an unknown idDocument value', { idDocument: 'approved' }, 'ERR_CLAIMS', 'idDocument'],
  ['enroll', 'an idDocument score', { idDocument: 0.91 }, 'ERR_CLAIMS', 'idDocument'],
  ['enroll', 'an idDocument object', { idDocument: { result: 'matched' } }, 'ERR_CLAIMS', 'idDocument'],
  ['check', 'an idDocument claim', { idDocument: 'matched' }, 'ERR_CLAIMS', 'idDocument'],
  ['enroll', 'models with a score', { models: [0.93] }, 'ERR_CLAIMS', 'models'],
  ['check', 'a missing sdk', { sdk: undefined }, 'ERR_CLAIMS', 'sdk'],
  ['enroll', 'an sdk with spaces', { sdk: '0.1.0 score=0.9' }, 'ERR_CLAIMS', 'sdk'],
];

describe('validateClaims', () => {
  it.each(Object.keys(VALID) as AssertionKind[])('accepts valid %s claims and returns them typed', (kind) => {
    expect(validateClaims(kind as 'check', { ...VALID[kind] }, EXPECTED)).toEqual(VALID[kind]);
  });

  it.each(GUARDS)('%s: refuses %s with %s naming the claim %s', (kind, _case, overrides, code, claim) => {
    const error = refusal(kind, overrides);
    expect(error.code).toBe(code);
    expect(error.claim).toBe(claim);
    expect(error.message.startsWith(`${claim}: `)).toBe(true);
  });

  it.each(Object.keys(VALID) as AssertionKind[])('names every %s claim in some refusal above', (kind) => {
    const named = new Set(GUARDS.filter(([k]) => k === kind).map(([, , , , claim]) => claim));
    for (const name of CLAIM_NAMES[kind]) expect(named, name).toContain(name);
  });

  it('cuts a long unknown claim name to 32 characters', () => {
    const error = refusal('check', { ['x'.repeat(100)]: 1 });
    expect(error.claim).toBe('x'.repeat(32));
  });
});

describe('the longest retention', () => {
  it(`is ${MAX_RETENTION_MONTHS} calendar months after iat in UTC plus the slack`, () => {
    expect(MAX_RETENTION_MONTHS).toBe(12);
    expect(latestRetainUntil(Date.UTC(2026, 2, 2, 10) / 1000)).toBe(Date.UTC(2027, 2, 2, 10) / 1000 + RETENTION_LIMIT_SLACK_SECONDS);
    // 29 February overflows into 1 March, as Date.setMonth does in the SDK.
    expect(latestRetainUntil(Date.UTC(2028, 1, 29) / 1000)).toBe(Date.UTC(2029, 2, 1) / 1000 + RETENTION_LIMIT_SLACK_SECONDS);
    expect(RETENTION_LIMIT_SLACK_SECONDS).toBeLessThanOrEqual(2 * 86_400);
  });

  // The SDK counts in the device's local calendar from the enroll call; the verifier in UTC from
  // iat (no earlier than that call). Whatever the SDK accepts, the verifier must accept.
  const zones = ['UTC', 'Europe/Rome', 'America/New_York', 'America/Los_Angeles', 'Australia/Lord_Howe', 'Pacific/Kiritimati', 'Pacific/Pago_Pago'];
  const instants = [
    Date.UTC(2026, 2, 28, 12), // the day before Europe's spring change
    Date.UTC(2026, 9, 24, 23, 30), // Europe's autumn change
    Date.UTC(2026, 10, 1, 6, 30), // North America's autumn change
    Date.UTC(2027, 3, 4, 15, 45), // Lord Howe's half-hour change
    Date.UTC(2027, 9, 30, 10), // summer time in Rome on 30 October 2027, winter time on 30 October 2028: the SDK's limit is 1 h later
    Date.UTC(2028, 1, 29, 3), // 29 February, 28 February west of UTC
    Date.UTC(2028, 1, 28, 23), // 28 February, 29 February east of UTC
    Date.UTC(2028, 2, 1, 3), // 1 March, 29 February west of UTC: the SDK's limit is 1 day later
    Date.UTC(2027, 0, 31, 22),
  ];

  it.each(zones)('accepts the latest retainUntil the SDK accepts in %s', (zone) => {
    const previous = process.env.TZ;
    process.env.TZ = zone;
    try {
      for (const nowMs of instants) {
        for (const signedAfterMs of [0, 999, 60_000]) {
          // The SDK's own limit (local calendar), checked against retainUntilMs itself.
          const limit = new Date(nowMs);
          limit.setMonth(limit.getMonth() + MAX_RETENTION_MONTHS);
          const latestMs = limit.getTime();
          expect(retainUntilMs(latestMs, nowMs)).toBe(latestMs);
          expect(() => retainUntilMs(latestMs + 1, nowMs)).toThrow(TypeError);
          // As the worker writes the claims: whole seconds, rounded down, iat when it signs.
          const iat = Math.floor((nowMs + signedAfterMs) / 1000);
          const retainUntil = Math.floor(latestMs / 1000);
          expect(retainUntil, `${zone} ${new Date(nowMs).toISOString()}`).toBeLessThanOrEqual(latestRetainUntil(iat));
        }
      }
    } finally {
      process.env.TZ = previous;
      if (previous === undefined) delete process.env.TZ;
    }
  });
});
