/**
 * The measured figures the documents cite, read from the benchmarks' own result files
 * (`bench/results/*.json`), never typed by hand: when a benchmark is rerun, the next generated
 * documents carry its new figures, dates and data sets.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The benchmark results of this repository. */
export const DEFAULT_BENCH_DIR = fileURLToPath(new URL('../bench/results/', import.meta.url));

/** The result files the documents read, by role. */
export const BENCH_FILES = {
  /** `bench:accuracy` on LFW at the shipped threshold (with `--groups`: per-gender rates). */
  verification: 'accuracy-lfw-shipped.json',
  /** `bench:accuracy` on deepface's test pairs at the shipped threshold. */
  verificationSecondSet: 'accuracy-deepface-shipped.json',
  /** `bench:liveness-policy`: each liveness policy end to end on the clips and stills. */
  livenessPolicy: 'liveness-policy.json',
  /** `bench:liveness`: the sample set (live and attack samples) the liveness figures come from. */
  livenessSamples: 'liveness.json',
  /**
   * `bench:id-document` on synthesised identity cards from LFW pairs: the 1280×720 document step,
   * cards where the guidance asks, each filmed in 6 frames as the document step films it, cards not
   * used to choose the threshold, cross impostors.
   */
  idDocument: 'id-document-lfw-25-35cm-1280x720-left-frames6-genuine-limit480-without240.json',
} as const;

/** Which benchmark file a figure comes from, and when it was measured. */
export interface FactSource {
  readonly file: string;
  /** ISO date-time of the run. */
  readonly date: string;
}

/** Errors out of a count: `errors` of `trials`. */
export interface Rate {
  readonly errors: number;
  readonly trials: number;
}

/** One-to-one verification at the shipped threshold, single photos. */
export interface VerificationFacts {
  readonly source: FactSource;
  /** The data set's folder name (`lfw`, `deepface`). */
  readonly dataset: string;
  /** Cross-validation folds of the pairs (0 when the set has none). */
  readonly folds: number;
  readonly threshold: number;
  /** Genuine pairs rejected. */
  readonly falseRejects: Rate;
  /** Impostor pairs accepted. */
  readonly falseAccepts: Rate;
  /** Genuine pairs rejected when the probe is computed as a check computes it (3 frames); absent in older files. */
  readonly checkProbeFalseRejects?: Rate;
  /** False rejects of women and men, and how many times more often women are rejected (with its 95 % bootstrap interval). */
  readonly groups?: {
    readonly women: Rate;
    readonly men: Rate;
    readonly ratio: { readonly value: number; readonly low: number; readonly high: number };
  };
}

/** One liveness policy run end to end: attacks that passed, live samples refused. */
export interface LivenessPolicyFacts {
  readonly attacksPassed: Rate;
  readonly liveRejected: Rate;
}

export interface LivenessFacts {
  readonly source: FactSource;
  /** Runs per sample where a pass is possible. */
  readonly trials: number;
  readonly policies: { readonly passive: LivenessPolicyFacts; readonly active: LivenessPolicyFacts; readonly both: LivenessPolicyFacts };
  /** The sample set: live and attack samples (clips and stills). */
  readonly samples: { readonly source: FactSource; readonly live: number; readonly attacks: number };
}

export interface IdDocumentFacts {
  readonly source: FactSource;
  readonly threshold: number;
  /** Genuine cards not matched (portrait not found or below the threshold). */
  readonly falseRejects: Rate;
  readonly falseAccepts: Rate;
}

/** Everything measured that the documents cite. */
export interface MeasuredFacts {
  readonly verification: VerificationFacts;
  readonly verificationSecondSet?: VerificationFacts;
  readonly liveness: LivenessFacts;
  readonly idDocument?: IdDocumentFacts;
}

/** A benchmark file that is missing or does not hold what the documents need. */
export class BenchResultsError extends Error {
  override readonly name = 'BenchResultsError';
  constructor(
    readonly code: 'ERR_BENCH_MISSING' | 'ERR_BENCH_FORMAT',
    readonly file: string,
    message: string,
  ) {
    super(`${code}: ${file}: ${message}`);
  }
}

type Json = Record<string, unknown>;

function readJson(dir: string, file: string, required: boolean): Json | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, file), 'utf8');
  } catch {
    if (!required) return undefined;
    throw new BenchResultsError('ERR_BENCH_MISSING', file, `not found in ${dir}`);
  }
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw new BenchResultsError('ERR_BENCH_FORMAT', file, 'is not JSON');
  }
}

/** Reads one field along `path`, checking its type: a missing or mistyped figure must stop the documents, not print "undefined". */
function field<T extends 'number' | 'string' | 'object'>(file: string, value: unknown, path: string, type: T): T extends 'number' ? number : T extends 'string' ? string : Json {
  let at: unknown = value;
  for (const key of path.split('.')) at = at !== null && typeof at === 'object' ? (at as Json)[key] : undefined;
  const ok = type === 'number' ? typeof at === 'number' && Number.isFinite(at) : type === 'object' ? at !== null && typeof at === 'object' : typeof at === type;
  if (!ok) throw new BenchResultsError('ERR_BENCH_FORMAT', file, `${path} is not a ${type}`);
  return at as never;
}

const sourceOf = (file: string, json: Json): FactSource => {
  const date = field(file, json, 'date', 'string');
  if (Number.isNaN(Date.parse(date))) throw new BenchResultsError('ERR_BENCH_FORMAT', file, 'date is not a date');
  return { file, date };
};

/** The count behind a rate measured over `trials`. */
const countOf = (rate: number, trials: number): Rate => ({ errors: Math.round(rate * trials), trials });

function verificationFacts(file: string, json: Json): VerificationFacts {
  const scores = json.scores;
  if (!Array.isArray(scores)) throw new BenchResultsError('ERR_BENCH_FORMAT', file, 'scores is not a list');
  // A pair without a detected face is stored as null and counts as a genuine or impostor pair by its flag; LFW and deepface have half and a quarter genuine.
  const genuine = scores.filter((s: unknown) => (s as { same?: unknown } | null)?.same === true).length;
  const impostor = field(file, json, 'pairs', 'number') - genuine;
  const tar = field(file, json, 'tar', 'number');
  const far = field(file, json, 'far', 'number');
  const probes = json.check_probes as Json | undefined;
  const groups = json.groups as Json | undefined;
  const groupRate = (name: string): Rate => ({
    errors: field(file, groups, `genuine.${name}.false_non_matches`, 'number'),
    trials: field(file, groups, `genuine.${name}.genuine_pairs`, 'number'),
  });
  return {
    source: sourceOf(file, json),
    dataset: file.replace(/^accuracy-/, '').replace(/-shipped\.json$/, ''),
    folds: field(file, json, 'folds', 'number'),
    threshold: field(file, json, 'threshold', 'number'),
    falseRejects: countOf(1 - tar, genuine),
    falseAccepts: countOf(far, impostor),
    ...(probes ? { checkProbeFalseRejects: countOf(1 - field(file, probes, 'tar', 'number'), genuine) } : {}),
    ...(groups
      ? {
          groups: {
            women: groupRate('female'),
            men: groupRate('male'),
            ratio: {
              value: field(file, json, 'fnmr_ratio.value', 'number'),
              low: field(file, json, 'fnmr_ratio.low', 'number'),
              high: field(file, json, 'fnmr_ratio.high', 'number'),
            },
          },
        }
      : {}),
  };
}

function livenessFacts(policyFile: string, policyJson: Json, samplesFile: string, samplesJson: Json): LivenessFacts {
  const policy = (name: string): LivenessPolicyFacts => ({
    attacksPassed: { errors: field(policyFile, policyJson, `summary.${name}.attacksPassed`, 'number'), trials: field(policyFile, policyJson, `summary.${name}.attacks`, 'number') },
    liveRejected: { errors: field(policyFile, policyJson, `summary.${name}.liveFailed`, 'number'), trials: field(policyFile, policyJson, `summary.${name}.live`, 'number') },
  });
  return {
    source: sourceOf(policyFile, policyJson),
    trials: field(policyFile, policyJson, 'trials', 'number'),
    policies: { passive: policy('passive'), active: policy('active'), both: policy('both') },
    samples: {
      source: sourceOf(samplesFile, samplesJson),
      live: field(samplesFile, samplesJson, 'samples.live', 'number'),
      attacks: field(samplesFile, samplesJson, 'samples.attack', 'number'),
    },
  };
}

function idDocumentFacts(file: string, json: Json): IdDocumentFacts {
  const tar = field(file, json, 'tar', 'number');
  const missed = field(file, json, 'genuine_not_found', 'number') + field(file, json, 'genuine_below_threshold', 'number');
  // The file counts the genuine cards it missed; the genuine total follows from the acceptance rate.
  const genuine = tar < 1 ? Math.round(missed / (1 - tar)) : missed;
  return {
    source: sourceOf(file, json),
    threshold: field(file, json, 'threshold', 'number'),
    falseRejects: { errors: missed, trials: genuine },
    falseAccepts: { errors: field(file, json, 'false_accepts', 'number'), trials: field(file, json, 'pairs', 'number') - genuine },
  };
}

/** Reads the figures from a folder of benchmark results; throws a {@link BenchResultsError}. */
export function readMeasuredFacts(dir: string = DEFAULT_BENCH_DIR): MeasuredFacts {
  const verification = readJson(dir, BENCH_FILES.verification, true)!;
  const second = readJson(dir, BENCH_FILES.verificationSecondSet, false);
  const policy = readJson(dir, BENCH_FILES.livenessPolicy, true)!;
  const samples = readJson(dir, BENCH_FILES.livenessSamples, true)!;
  const idDocument = readJson(dir, BENCH_FILES.idDocument, false);
  return {
    verification: verificationFacts(BENCH_FILES.verification, verification),
    ...(second ? { verificationSecondSet: verificationFacts(BENCH_FILES.verificationSecondSet, second) } : {}),
    liveness: livenessFacts(BENCH_FILES.livenessPolicy, policy, BENCH_FILES.livenessSamples, samples),
    ...(idDocument ? { idDocument: idDocumentFacts(BENCH_FILES.idDocument, idDocument) } : {}),
  };
}

/** The date of the newest benchmark run the figures come from: the documents' date where a file format wants one (the PDF's). */
export function newestMeasurement(facts: MeasuredFacts): Date {
  const sources = [facts.verification.source, facts.verificationSecondSet?.source, facts.liveness.source, facts.liveness.samples.source, facts.idDocument?.source];
  return new Date(Math.max(...sources.filter((s) => s !== undefined).map((s) => Date.parse(s.date))));
}
