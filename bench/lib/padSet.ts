/**
 * The development PAD set (bench/pad-set.json), the inventories bench:pad reads, and the error
 * rates it reports: APCER per attack species and BPCER, with 95 % Wilson intervals.
 */

/** The label of a bona fide sample; every other label is an attack species. */
export const LIVE = 'live';

/** One sample of bench/pad-set.json: where its bytes come from and what it shows. */
export interface PadSample {
  /** Path under the rebuilt set's root. */
  readonly file: string;
  /** `live` or the attack species (`print`, `phone-photo`, `screen-replay`, `paper-mask`, `cut-out`, `3d-mask`). */
  readonly label: string;
  /** Public repository `owner/name`, commit and path of the bytes. */
  readonly repo: string;
  readonly commit: string;
  readonly path: string;
  readonly licence: string;
  /** Samples of one recording session share this (frames of one clip are not independent). */
  readonly session: string;
  /** Path under ../shared/faces when the file is already there (copied from the same commit). */
  readonly shared?: string;
  readonly notes?: string;
}

/** Checks the shape of bench/pad-set.json; a bad entry throws a TypeError naming it. */
export function parsePadSet(value: unknown): { samples: PadSample[] } {
  const samples = (value as { samples?: unknown }).samples;
  if (!Array.isArray(samples)) throw new TypeError('pad set: `samples` must be an array');
  const files = new Set<string>();
  for (const [i, s] of samples.entries()) {
    for (const key of ['file', 'label', 'repo', 'commit', 'path', 'licence', 'session'] as const) {
      if (typeof (s as Record<string, unknown>)[key] !== 'string' || !(s as Record<string, string>)[key]) {
        throw new TypeError(`pad set: sample ${i} has no ${key}`);
      }
    }
    const file = (s as PadSample).file;
    if (file.startsWith('/') || file.split('/').includes('..')) throw new TypeError(`pad set: sample ${i} file must be a relative path inside the set: ${file}`);
    if (files.has(file)) throw new TypeError(`pad set: ${file} appears twice`);
    files.add(file);
  }
  return { samples: samples as PadSample[] };
}

/** One line of an inventory: other members are ignored. */
export interface InventoryLine {
  readonly file: string;
  readonly label: string;
}

/** Parses an inventory (one JSON object per line, blank lines skipped); a bad line throws a TypeError with its number. */
export function parseInventory(text: string): InventoryLine[] {
  const lines: InventoryLine[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    if (!raw.trim()) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new TypeError(`inventory line ${i + 1} is not JSON`);
    }
    const { file, label } = parsed as Record<string, unknown>;
    if (typeof file !== 'string' || !file || typeof label !== 'string' || !label) {
      throw new TypeError(`inventory line ${i + 1} needs a "file" and a "label" string`);
    }
    if (file.startsWith('/') || file.split('/').includes('..')) throw new TypeError(`inventory line ${i + 1}: file must be a path under --root`);
    lines.push({ file, label });
  }
  return lines;
}

/** What one sample came to through `check()`. */
export interface SampleResult {
  readonly file: string;
  readonly label: string;
  /** `pass` | `fail` | `inconclusive`, or `error` when the run itself broke. */
  readonly outcome: string;
  readonly reason: string | null;
  /** `passed` | `failed` | `not_run`. */
  readonly liveness: string;
  /** Why liveness failed (`LivenessFailure`: `anti_spoof`, `step_timeout`, …); null or absent otherwise and in results cached before it was kept. */
  readonly failure?: string | null;
}

/** The 95 % Wilson score interval of k successes in n trials, as [low, high]; [0, 1] for n = 0. */
export function wilson(k: number, n: number, z = 1.96): [number, number] {
  if (n === 0) return [0, 1];
  const p = k / n;
  const denominator = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denominator;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * APCER (attacks whose liveness passed, over all attacks, and per species) and BPCER (live
 * samples whose liveness did not pass, undecided ones included), with 95 % intervals.
 */
export function padRates(samples: readonly SampleResult[]) {
  const attacks = samples.filter((s) => s.label !== LIVE);
  const live = samples.filter((s) => s.label === LIVE);
  const passed = (s: SampleResult) => s.liveness === 'passed';
  const perSpecies: Record<string, { attacks: number; passed: number; apcer: number; ci95: [number, number] }> = {};
  for (const species of [...new Set(attacks.map((s) => s.label))].sort()) {
    const of = attacks.filter((s) => s.label === species);
    const k = of.filter(passed).length;
    perSpecies[species] = { attacks: of.length, passed: k, apcer: k / of.length, ci95: wilson(k, of.length) };
  }
  const acceptedAttacks = attacks.filter(passed).length;
  const rejectedLive = live.filter((s) => !passed(s)).length;
  return {
    apcer: attacks.length ? acceptedAttacks / attacks.length : Number.NaN,
    apcer_ci95: wilson(acceptedAttacks, attacks.length),
    bpcer: live.length ? rejectedLive / live.length : Number.NaN,
    bpcer_ci95: wilson(rejectedLive, live.length),
    live: live.length,
    live_rejected: rejectedLive,
    live_undecided: live.filter((s) => s.liveness === 'not_run').length,
    per_species: perSpecies,
  };
}

/**
 * Samples whose liveness verdict (passed or not) differs between two framings of the same
 * stills: `alone[i]` and `padded[i]` are the same sample (`padded[i]` undefined when not run in
 * that framing yet). Only samples decided in both count: a run error or an undecided check
 * (`liveness` `not_run`) is no verdict.
 */
export function paddingFlips(alone: readonly SampleResult[], padded: readonly (SampleResult | undefined)[]) {
  const decided = (s: SampleResult | undefined): s is SampleResult => s !== undefined && s.liveness !== 'not_run';
  let compared = 0;
  const flipped: { file: string; label: string; padded: string; alone: string }[] = [];
  for (const [i, one] of alone.entries()) {
    const other = padded[i];
    if (!decided(one) || !decided(other)) continue;
    compared += 1;
    if ((one.liveness === 'passed') !== (other.liveness === 'passed')) {
      flipped.push({ file: one.file, label: one.label, padded: other.liveness, alone: one.liveness });
    }
  }
  return { compared, missing: padded.filter((s) => s === undefined).length, flipped };
}
