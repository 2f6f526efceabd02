import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../tools/paths.js';
import { padRates, paddingFlips, parseInventory, parsePadSet, wilson, type SampleResult } from './padSet.js';

const result = (label: string, liveness: string, outcome = liveness === 'passed' ? 'pass' : 'fail'): SampleResult => ({
  file: `${label}-${Math.random()}`,
  label,
  outcome,
  reason: null,
  liveness,
});

describe('parseInventory', () => {
  it('reads file and label of each line, ignores other members and blank lines', () => {
    const text = '{"file":"a/1.png","label":"live","repo":"x/y"}\n\n{"file":"b.mp4","label":"print"}\n';
    expect(parseInventory(text)).toEqual([
      { file: 'a/1.png', label: 'live' },
      { file: 'b.mp4', label: 'print' },
    ]);
  });

  it('names the line that is not JSON, lacks a field or leaves the root', () => {
    expect(() => parseInventory('{"file":"a","label":"live"}\nnope')).toThrow(/line 2 is not JSON/);
    expect(() => parseInventory('{"file":"a"}')).toThrow(/line 1 needs a "file" and a "label"/);
    expect(() => parseInventory('{"file":"../etc/passwd","label":"live"}')).toThrow(/line 1: file must be a path under --root/);
    expect(() => parseInventory('{"file":"/etc/passwd","label":"live"}')).toThrow(TypeError);
  });
});

describe('wilson', () => {
  it('gives the 95 % score interval', () => {
    const [low, high] = wilson(0, 10);
    expect(low).toBe(0);
    expect(high).toBeCloseTo(0.2775, 3);
    const [l2, h2] = wilson(5, 10);
    expect(l2).toBeCloseTo(0.2366, 3);
    expect(h2).toBeCloseTo(0.7634, 3);
    expect(wilson(0, 0)).toEqual([0, 1]);
  });
});

describe('padRates', () => {
  it('counts attacks whose liveness passed per species, and live samples not passed (undecided included) as BPCER', () => {
    const rates = padRates([
      result('live', 'passed'),
      result('live', 'failed'),
      result('live', 'not_run', 'inconclusive'),
      result('live', 'passed'),
      result('print', 'failed'),
      result('print', 'passed'),
      result('cut-out', 'passed'),
    ]);
    expect(rates.bpcer).toBe(0.5);
    expect(rates.live_undecided).toBe(1);
    expect(rates.apcer).toBeCloseTo(2 / 3);
    expect(rates.per_species).toMatchObject({ print: { attacks: 2, passed: 1, apcer: 0.5 }, 'cut-out': { attacks: 1, passed: 1, apcer: 1 } });
  });
});

describe('paddingFlips', () => {
  const named = (file: string, label: string, liveness: string): SampleResult => ({ ...result(label, liveness), file });

  it('counts the samples decided in both framings whose verdict differs', () => {
    const alone = [named('a', 'live', 'failed'), named('b', 'print', 'passed'), named('c', 'live', 'passed'), named('d', 'live', 'not_run'), named('e', 'print', 'failed')];
    const padded = [named('a', 'live', 'passed'), named('b', 'print', 'passed'), named('c', 'live', 'failed'), named('d', 'live', 'passed'), undefined];
    const flips = paddingFlips(alone, padded);
    expect(flips.compared).toBe(3);
    expect(flips.missing).toBe(1);
    expect(flips.flipped).toEqual([
      { file: 'a', label: 'live', padded: 'passed', alone: 'failed' },
      { file: 'c', label: 'live', padded: 'failed', alone: 'passed' },
    ]);
  });

  it('does not count a failed verdict against an undecided one', () => {
    expect(paddingFlips([named('a', 'live', 'failed')], [named('a', 'live', 'not_run')])).toEqual({ compared: 0, missing: 0, flipped: [] });
  });
});

describe('bench/pad-set.json', () => {
  it('names repository, commit, path, label, session and licence for every sample, each file once', () => {
    const set = parsePadSet(JSON.parse(readFileSync(join(ROOT, 'bench', 'pad-set.json'), 'utf8')));
    expect(set.samples.length).toBeGreaterThan(300);
    for (const sample of set.samples) expect(sample.commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it('refuses an entry without provenance or with a path leaving the set', () => {
    expect(() => parsePadSet({ samples: [{ file: 'a.png', label: 'live' }] })).toThrow(/sample 0 has no repo/);
    const entry = { file: '../a.png', label: 'live', repo: 'o/n', commit: 'c', path: 'p', licence: 'l', session: 's' };
    expect(() => parsePadSet({ samples: [entry] })).toThrow(/relative path inside the set/);
    expect(() => parsePadSet({ samples: [{ ...entry, file: 'a.png' }, { ...entry, file: 'a.png' }] })).toThrow(/appears twice/);
  });
});
