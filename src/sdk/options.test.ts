import { describe, expect, it } from 'vitest';
import { retainUntilMs } from './options.js';

const NOW = Date.UTC(2026, 10, 23);

describe('retainUntilMs', () => {
  it('accepts a Date, an ISO string or epoch ms in the next 12 months', () => {
    expect(retainUntilMs(new Date(Date.UTC(2027, 5, 30)), NOW)).toBe(Date.UTC(2027, 5, 30));
    expect(retainUntilMs('2027-06-30T00:00:00Z', NOW)).toBe(Date.UTC(2027, 5, 30));
    expect(retainUntilMs(NOW + 1, NOW)).toBe(NOW + 1);
  });
  it('refuses a missing, invalid or past date, and one more than 12 months ahead', () => {
    expect(() => retainUntilMs(undefined, NOW)).toThrow(TypeError);
    expect(() => retainUntilMs('soon', NOW)).toThrow(/required/);
    expect(() => retainUntilMs(NOW, NOW)).toThrow(/past/);
    expect(() => retainUntilMs(Date.UTC(2027, 10, 24), NOW)).toThrow(/12 months/);
    expect(retainUntilMs(Date.UTC(2027, 10, 23), NOW)).toBe(Date.UTC(2027, 10, 23));
  });
});
