/**
 * The service's configuration: where it is reached (public URL, allowed origins), which
 * platforms it trusts for launch tokens, and its limits. {@link configFromEnv} reads it from the
 * environment; tests and the demo build it directly.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { JSONWebKeySet } from 'jose';
import { loadDeploymentConfig, templateRetainUntil, type DeploymentConfig } from '../compliance/config.js';
import { DEFAULT_POOL_SIZE } from './db.js';

/** The instance name in logs by default: host name and process id. */
export const defaultInstanceId = () => `${hostname()}-${process.pid}`;

/** A platform whose launch tokens the service accepts. */
export interface TrustedIssuer {
  /** The token's `iss`, exactly. */
  readonly issuer: string;
  /** Its public keys: a JWKS object (from a file or inline) or a URL the service fetches (HTTPS). */
  readonly jwks: JSONWebKeySet | URL;
}

/** Limits with safe defaults (see {@link DEFAULT_LIMITS}). */
export interface Limits {
  /** Requests per user (or per IP before sign-in) per minute. */
  readonly requestsPerMinute: number;
  /** Launch-token exchanges per IP per minute (a class behind one NAT signs in at once). */
  readonly launchesPerMinute: number;
  /** Open event streams per user. */
  readonly streamsPerUser: number;
  /** Device keys (active and pending) a student may hold. */
  readonly keysPerStudent: number;
  /** Session lifetime. */
  readonly sessionMs: number;
  /** How long the audit log is kept. */
  readonly auditRetentionMs: number;
}

export const DEFAULT_LIMITS: Limits = {
  requestsPerMinute: 300,
  launchesPerMinute: 120,
  streamsPerUser: 3,
  keysPerStudent: 3,
  sessionMs: 8 * 3_600_000,
  auditRetentionMs: 400 * 86_400_000,
};

export interface ServiceConfig {
  /** Where users reach the service, e.g. `https://attendance.school.example` (behind a proxy, the proxy's URL). */
  readonly publicUrl: string;
  /**
   * Origins whose pages may call the API and sign assertions for it (the `aud` of an assertion).
   * The public URL's origin is always one of them.
   */
  readonly allowedOrigins: readonly string[];
  /** The `aud` launch tokens must carry; the public URL's origin by default. */
  readonly launchAudience?: string;
  readonly trustedIssuers: readonly TrustedIssuer[];
  /** Trust `X-Forwarded-*` from a reverse proxy (set when behind one). */
  readonly trustProxy?: boolean | string;
  readonly limits?: Partial<Limits>;
  /**
   * The course's retention dates (epoch ms), from the deployment configuration: lessons with their
   * checks and attendance go at `lessonsUntil`, enrollments (device keys, and the templates the
   * SDK deletes on the device) at `enrollmentsUntil`. Without them: 90 days from creation.
   */
  readonly retention?: { readonly lessonsUntil: number; readonly enrollmentsUntil: number };
  /** The deployment configuration (`PRESENZA_CONFIG`): the service publishes the full privacy notice generated from it. */
  readonly deployment?: DeploymentConfig;
}

/** The resolved configuration the app runs with. */
export interface ResolvedConfig {
  readonly publicOrigin: string;
  readonly secure: boolean;
  readonly allowedOrigins: readonly string[];
  readonly launchAudience: string;
  readonly trustedIssuers: readonly TrustedIssuer[];
  readonly trustProxy: boolean | string;
  readonly limits: Limits;
  readonly retention?: ServiceConfig['retention'];
  readonly deployment?: DeploymentConfig;
}

/** Checks and completes a configuration; throws a TypeError naming what is wrong. */
export function resolveConfig(config: ServiceConfig): ResolvedConfig {
  let url: URL;
  try {
    url = new URL(config.publicUrl);
  } catch {
    throw new TypeError(`publicUrl is not a URL: ${config.publicUrl}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('publicUrl must be http: or https:');
  for (const origin of config.allowedOrigins) {
    if (new URL(origin).origin !== origin) throw new TypeError(`allowed origin must be a bare origin: ${origin}`);
  }
  for (const { issuer, jwks } of config.trustedIssuers) {
    if (!issuer) throw new TypeError('a trusted issuer needs its iss');
    if (jwks instanceof URL && jwks.protocol !== 'https:' && jwks.hostname !== 'localhost' && jwks.hostname !== '127.0.0.1') {
      throw new TypeError(`JWKS URL of ${issuer} must be https:`);
    }
  }
  return {
    publicOrigin: url.origin,
    secure: url.protocol === 'https:',
    allowedOrigins: [...new Set([url.origin, ...config.allowedOrigins])],
    launchAudience: config.launchAudience ?? url.origin,
    trustedIssuers: config.trustedIssuers,
    trustProxy: config.trustProxy ?? false,
    limits: { ...DEFAULT_LIMITS, ...config.limits },
    ...(config.retention ? { retention: config.retention } : {}),
    ...(config.deployment ? { deployment: config.deployment } : {}),
  };
}

/**
 * Reads the configuration from the environment:
 * - `PRESENZA_PUBLIC_URL` (required), `PRESENZA_ALLOWED_ORIGINS` (comma-separated, optional),
 * - `PRESENZA_TRUSTED_ISSUERS`: comma-separated `issuer=jwks`, where jwks is an `https://` URL or
 *   a path to a JWKS file,
 * - `PRESENZA_TRUST_PROXY` (`true`, or a list of proxy addresses as Fastify takes it),
 * - limits: `PRESENZA_REQUESTS_PER_MINUTE`, `PRESENZA_LAUNCHES_PER_MINUTE`, `PRESENZA_STREAMS_PER_USER`.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const fromFile = deploymentFromEnv(env);
  const publicUrl = env.PRESENZA_PUBLIC_URL ?? fromFile?.publicUrl;
  if (!publicUrl) throw new TypeError('PRESENZA_PUBLIC_URL (or PRESENZA_CONFIG with hosting.serviceUrl) is required');
  const list = (value: string | undefined) => (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const trustedIssuers = list(env.PRESENZA_TRUSTED_ISSUERS).map((entry) => {
    const at = entry.lastIndexOf('=');
    if (at <= 0) throw new TypeError(`PRESENZA_TRUSTED_ISSUERS entry must be issuer=jwks: ${entry}`);
    const issuer = entry.slice(0, at);
    const source = entry.slice(at + 1);
    const jwks = /^https?:\/\//.test(source) ? new URL(source) : (JSON.parse(readFileSync(source, 'utf8')) as JSONWebKeySet);
    return { issuer, jwks };
  });
  return {
    publicUrl,
    allowedOrigins: list(env.PRESENZA_ALLOWED_ORIGINS),
    trustedIssuers,
    trustProxy: trustProxyFromEnv(env),
    limits: { ...fromFile?.limits, ...limitsFromEnv(env) },
    ...(fromFile ? { retention: { lessonsUntil: fromFile.attendanceRetainUntil, enrollmentsUntil: fromFile.templateRetainUntil }, deployment: fromFile.deployment } : {}),
  };
}

/** `PRESENZA_TRUST_PROXY`: `true`, or addresses/CIDRs of the proxies as Fastify's trustProxy takes them. */
export const trustProxyFromEnv = (env: NodeJS.ProcessEnv): boolean | string => (env.PRESENZA_TRUST_PROXY === 'true' ? true : env.PRESENZA_TRUST_PROXY || false);

/** Limits set in the environment (positive integers); the others keep their defaults. */
export function limitsFromEnv(env: NodeJS.ProcessEnv): Partial<Limits> {
  const limits: Partial<Record<keyof Limits, number>> = {};
  const read = (name: string, key: keyof Limits) => {
    const value = env[name];
    if (value === undefined) return;
    if (!/^[1-9][0-9]{0,6}$/.test(value)) throw new TypeError(`${name} must be a positive integer`);
    limits[key] = Number(value);
  };
  read('PRESENZA_REQUESTS_PER_MINUTE', 'requestsPerMinute');
  read('PRESENZA_LAUNCHES_PER_MINUTE', 'launchesPerMinute');
  read('PRESENZA_STREAMS_PER_USER', 'streamsPerUser');
  return limits;
}

/** How one instance runs among several (see README, "Running several instances"). */
export interface Operations {
  /** Names the instance in every log line. */
  readonly instanceId: string;
  /** PostgreSQL connections of this instance's pool. */
  readonly poolSize: number;
  /** After SIGTERM, how long readiness answers 503 before the instance stops taking connections. */
  readonly drainDelayMs: number;
  /** After SIGTERM, the longest wait for requests in flight before the process exits anyway. */
  readonly shutdownTimeoutMs: number;
}

/**
 * Reads {@link Operations} from the environment: `PRESENZA_INSTANCE_ID` (default host name and
 * process id), `PRESENZA_DB_POOL_SIZE` (10), `PRESENZA_DRAIN_DELAY_MS` (0; set it a little above
 * the load balancer's health-check interval), `PRESENZA_SHUTDOWN_TIMEOUT_MS` (15000).
 */
export function operationsFromEnv(env: NodeJS.ProcessEnv): Operations {
  const integer = (name: string, fallback: number, min: number) => {
    const value = env[name];
    if (value === undefined) return fallback;
    if (!/^[0-9]{1,7}$/.test(value) || Number(value) < min) throw new TypeError(`${name} must be an integer of at least ${min}`);
    return Number(value);
  };
  const instanceId = env.PRESENZA_INSTANCE_ID ?? defaultInstanceId();
  if (!/^[A-Za-z0-9._:-]{1,64}$/.test(instanceId)) throw new TypeError('PRESENZA_INSTANCE_ID must be 1–64 letters, digits, dots, dashes, colons or underscores');
  return {
    instanceId,
    poolSize: integer('PRESENZA_DB_POOL_SIZE', DEFAULT_POOL_SIZE, 1),
    drainDelayMs: integer('PRESENZA_DRAIN_DELAY_MS', 0, 0),
    shutdownTimeoutMs: integer('PRESENZA_SHUTDOWN_TIMEOUT_MS', 15_000, 1),
  };
}

/**
 * The deployment configuration named by `PRESENZA_CONFIG` (a JSON file following
 * `compliance/presenza-config.schema.json`, the one the compliance documents are generated from),
 * and what the service takes from it; undefined when the variable is not set. Throws a coded
 * `DeploymentConfigError` for a bad file, so the service does not start on one.
 */
export function deploymentFromEnv(env: NodeJS.ProcessEnv = process.env) {
  if (!env.PRESENZA_CONFIG) return undefined;
  const deployment = loadDeploymentConfig(env.PRESENZA_CONFIG);
  return {
    deployment,
    /** Where users reach the service (`PRESENZA_PUBLIC_URL` still wins when set). */
    publicUrl: deployment.hosting.serviceUrl,
    limits: { auditRetentionMs: deployment.retention.auditLogDays * 86_400_000 } satisfies Partial<Limits>,
    /** When lessons, checks, attendance and device keys of the course are deleted (epoch ms, 00:00 UTC of `retention.attendanceUntil`). */
    attendanceRetainUntil: Date.parse(`${deployment.retention.attendanceUntil}T00:00:00Z`),
    /** The `retainUntil` to hand out with enrollment challenges: the SDK deletes the template then. */
    templateRetainUntil: templateRetainUntil(deployment).getTime(),
  };
}
