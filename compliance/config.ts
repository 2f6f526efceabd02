/**
 * The deployment configuration: one JSON file, validated against the published schema
 * (`compliance/presenza-config.schema.json`), from which the compliance documents, the attendance
 * service and the SDK/UI options are all derived, so that what the documents say and what the
 * software does cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { MAX_RETENTION_MONTHS } from '../src/protocol/assertion.js';
import type { IdentityDocumentPolicy } from '../src/protocol/capture.js';
import type { LivenessPolicy } from '../src/protocol/liveness.js';

/** The two languages of the documents and of the student UI. */
export type DocumentLanguage = 'it' | 'en';

/** A text given in both languages. */
export interface Localized {
  readonly it: string;
  readonly en: string;
}

/** A validated deployment configuration (the shape of `presenza-config.schema.json`). */
export interface DeploymentConfig {
  readonly schemaVersion: 1;
  readonly controller: {
    readonly name: string;
    readonly address: string;
    readonly email: string;
    readonly pec?: string;
    readonly phone?: string;
    readonly website?: string;
  };
  readonly dpo: { readonly name: string; readonly email: string; readonly pec?: string; readonly phone?: string };
  readonly course: { readonly name: string; readonly start: string; readonly end: string; readonly purpose: Localized };
  readonly retention: { readonly disputePeriodDays: number; readonly attendanceUntil: string; readonly auditLogDays: number };
  readonly legalBasis: {
    readonly article6: 'public_task' | 'legal_obligation' | 'contract' | 'legitimate_interest' | 'consent';
    readonly article9: 'substantial_public_interest' | 'explicit_consent';
    readonly nationalProvision?: string;
  };
  readonly policies: {
    readonly liveness: LivenessPolicy;
    readonly livenessOffReason?: Localized;
    readonly identityDocument: IdentityDocumentPolicy;
    readonly checks: { readonly perLesson: number; readonly trigger: 'teacher' | 'random' | 'teacher_or_random' };
    readonly alternative: { readonly offered: boolean; readonly description: Localized };
    readonly failedCheckEvidence: 'none' | 'kept';
  };
  readonly hosting: {
    readonly serviceUrl: string;
    readonly noticeUrl?: string;
    readonly provider: string;
    readonly providerIsProcessor: boolean;
    readonly location: 'italy' | 'eu' | 'eea' | 'adequacy' | 'third_country';
    readonly database: 'sqlite' | 'postgresql';
  };
  /** The approval of the generated notice's text (see the schema): without it the notice is a draft. */
  readonly noticeApproval?: { readonly date: string; readonly fingerprint: string };
}

/** Why a configuration was refused. */
export type DeploymentConfigErrorCode =
  /** The file could not be read. */
  | 'ERR_CONFIG_READ'
  /** The file is not JSON. */
  | 'ERR_CONFIG_JSON'
  /** The JSON does not follow the schema (a missing, unknown or malformed field). */
  | 'ERR_CONFIG_SCHEMA'
  /** The dates contradict each other (the course ends before it starts, data deleted before the course ends). */
  | 'ERR_CONFIG_DATES'
  /** The course is longer than the SDK may keep a template ({@link MAX_RETENTION_MONTHS} months). */
  | 'ERR_CONFIG_RETENTION';

/** One problem in a configuration: where (a JSON pointer) and what. */
export interface DeploymentConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** A configuration that cannot be used; `issues` lists every problem found. */
export class DeploymentConfigError extends Error {
  override readonly name = 'DeploymentConfigError';
  constructor(
    readonly code: DeploymentConfigErrorCode,
    readonly issues: readonly DeploymentConfigIssue[],
  ) {
    super(`${code}: ${issues.map((i) => `${i.path || '/'} ${i.message}`).join('; ')}`);
  }
}

/** The published JSON Schema of the configuration. */
export const DEPLOYMENT_CONFIG_SCHEMA_FILE = new URL('./presenza-config.schema.json', import.meta.url);

/** Where the service publishes the full notice when `hosting.noticeUrl` is not set: `/privacy/notice-it.html`, `/privacy/notice-en.html`. */
export const NOTICE_PATH_PREFIX = '/privacy/notice-';

const schema = JSON.parse(readFileSync(DEPLOYMENT_CONFIG_SCHEMA_FILE, 'utf8')) as object;
// strictRequired is off for the if/then on the legal basis; useDefaults fills auditLogDays, providerIsProcessor and database, so every reader sees one value.
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, useDefaults: true });
addFormats(ajv, ['date', 'email', 'uri']);
const validateSchema = ajv.compile(schema);

const issueOf = (e: ErrorObject): DeploymentConfigIssue => {
  if (e.keyword === 'additionalProperties') return { path: e.instancePath, message: `has an unknown field "${String(e.params.additionalProperty)}"` };
  if (e.keyword === 'required') return { path: e.instancePath, message: `needs "${String(e.params.missingProperty)}"` };
  if (e.keyword === 'enum') return { path: e.instancePath, message: `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
  return { path: e.instancePath, message: e.message ?? e.keyword };
};

/** `date` (YYYY-MM-DD) as epoch ms at 00:00 UTC. */
const dayMs = (date: string) => Date.parse(`${date}T00:00:00Z`);

/** The date `months` calendar months after `date` (YYYY-MM-DD), in UTC. */
function addMonths(date: string, months: number): number {
  const d = new Date(dayMs(date));
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.getTime();
}

/**
 * Validates a parsed configuration: the schema first, then the dates. Throws a
 * {@link DeploymentConfigError}; returns the configuration with the schema's defaults filled in.
 */
export function parseDeploymentConfig(value: unknown): DeploymentConfig {
  const copy: unknown = structuredClone(value);
  if (!validateSchema(copy)) throw new DeploymentConfigError('ERR_CONFIG_SCHEMA', (validateSchema.errors ?? []).map(issueOf));
  const config = copy as DeploymentConfig;
  const { course, retention } = config;
  const dates: DeploymentConfigIssue[] = [];
  // A course that ends before it starts is a typo that would make every other date meaningless.
  if (dayMs(course.end) < dayMs(course.start)) dates.push({ path: '/course/end', message: `(${course.end}) is before the course start (${course.start})` });
  // Deleting attendance before the course ends would lose the records the course needs.
  if (dayMs(retention.attendanceUntil) < dayMs(course.end)) dates.push({ path: '/retention/attendanceUntil', message: `(${retention.attendanceUntil}) is before the course end (${course.end})` });
  if (dates.length) throw new DeploymentConfigError('ERR_CONFIG_DATES', dates);
  // The template is kept until the course end; the SDK refuses to keep one longer than this.
  if (dayMs(course.end) > addMonths(course.start, MAX_RETENTION_MONTHS)) {
    throw new DeploymentConfigError('ERR_CONFIG_RETENTION', [
      { path: '/course/end', message: `(${course.end}) is more than ${MAX_RETENTION_MONTHS} months after the course start: the SDK keeps a face template at most ${MAX_RETENTION_MONTHS} months` },
    ]);
  }
  return config;
}

/** Reads and validates a configuration file; throws a {@link DeploymentConfigError}. */
export function loadDeploymentConfig(file: string | URL): DeploymentConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new DeploymentConfigError('ERR_CONFIG_READ', [{ path: '', message: `cannot read ${String(file)}: ${(error as Error).message}` }]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DeploymentConfigError('ERR_CONFIG_JSON', [{ path: '', message: `is not JSON: ${(error as Error).message}` }]);
  }
  return parseDeploymentConfig(value);
}

/** The full notice's address for a language: `hosting.noticeUrl`, else the service's own page. */
export function noticeUrlFor(config: DeploymentConfig, lang: DocumentLanguage): string {
  return config.hosting.noticeUrl ?? new URL(`${NOTICE_PATH_PREFIX}${lang}.html`, config.hosting.serviceUrl).href;
}

/**
 * When face templates are deleted: noon UTC on the course's last day, so that the date shown to
 * the student is that day in every time zone from UTC−11 to UTC+11.
 */
export function templateRetainUntil(config: DeploymentConfig): Date {
  return new Date(`${config.course.end}T12:00:00Z`);
}

/** The SDK options this configuration decides (pass them to `enroll()` and `check()`). */
export function sdkOptionsFromConfig(config: DeploymentConfig): {
  enroll: { liveness: LivenessPolicy; identityDocument: IdentityDocumentPolicy; retainUntil: Date };
  check: { liveness: LivenessPolicy };
} {
  const { liveness, identityDocument } = config.policies;
  return { enroll: { liveness, identityDocument, retainUntil: templateRetainUntil(config) }, check: { liveness } };
}

/** The `<presenza-check>` options this configuration decides (`mountPresenza(container, { presenza, ...these })`). */
export function uiOptionsFromConfig(config: DeploymentConfig, lang: DocumentLanguage) {
  return {
    controller: config.controller.name,
    purpose: config.course.purpose[lang],
    noticeUrl: noticeUrlFor(config, lang),
    lang,
    texts: { alternativeDescription: config.policies.alternative.description[lang] },
  };
}
