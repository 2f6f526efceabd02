/**
 * The LTI 1.3 registrations: which platforms (LMSs) may launch the tool, with which client ids
 * and deployments, and the tool's own key. Read from a JSON file (`PRESENZA_LTI_CONFIG`), checked
 * field by field; a bad file throws an {@link LtiConfigError} with a stable code so the service
 * does not start on it.
 *
 * ```json
 * {
 *   "toolKeyFile": "lti-tool-key.json",
 *   "pages": { "teacher": "/teacher.html", "student": "/student.html" },
 *   "registrationHosts": ["moodle.school.example"],
 *   "platforms": [{
 *     "name": "moodle",
 *     "issuer": "https://moodle.school.example",
 *     "clientId": "Kx8b2…",
 *     "authLoginUrl": "https://moodle.school.example/mod/lti/auth.php",
 *     "jwksUrl": "https://moodle.school.example/mod/lti/certs.php",
 *     "deployments": ["1"],
 *     "frameOrigins": ["https://moodle.school.example"],
 *     "accessTokenUrl": "https://moodle.school.example/mod/lti/token.php"
 *   }]
 * }
 * ```
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** One registration of the tool in one platform. */
export interface LtiPlatform {
  /** Short name, unique in the file: prefixes the courses launched from this platform. */
  readonly name: string;
  /** The platform's `iss`, exactly. */
  readonly issuer: string;
  /** The client id the platform gave the tool (the id_token's `aud`). */
  readonly clientId: string;
  /** The platform's OIDC authorization endpoint (where the login redirects). */
  readonly authLoginUrl: URL;
  /** The platform's public keys. */
  readonly jwksUrl: URL;
  /** The `deployment_id`s of this registration that may launch. */
  readonly deployments: readonly string[];
  /**
   * Origins whose pages may frame the tool's LTI pages (CSP `frame-ancestors`): `frameOrigins`
   * in the file, or else the origins of the issuer and the authorization endpoint (where Moodle's
   * course pages live; Canvas's course pages are on the school's own host, so name it there).
   */
  readonly frameOrigins: readonly string[];
  /**
   * The platform's OAuth 2 token endpoint (client-credentials JWT grant) for its services: the
   * course roster (NRPS) and the gradebook (AGS). Without it those services are off.
   */
  readonly accessTokenUrl?: URL;
  /** The `aud` of the tool's client assertion when the platform wants another than the token URL. */
  readonly tokenAudience?: string;
}

/** The LTI configuration the service runs with. */
export interface LtiConfig {
  readonly platforms: readonly LtiPlatform[];
  /** Absolute path of the tool's private JWK (signs Deep Linking and service requests later). */
  readonly toolKeyFile: string;
  /** Where a launch lands, by role (paths on the service's origin). */
  readonly pages: { readonly teacher: string; readonly student: string };
  /**
   * Hosts whose LMS may register the tool by LTI Dynamic Registration (the host of its
   * `openid_configuration` URL). None by default: Dynamic Registration is off, so nobody can make
   * the service fetch a URL of their choosing or register an LMS the school did not choose.
   */
  readonly registrationHosts: readonly string[];
}

export type LtiConfigErrorCode =
  | 'lti_config_unreadable'
  | 'lti_config_not_json'
  | 'lti_config_shape'
  | 'lti_config_url'
  | 'lti_config_duplicate'
  | 'lti_config_page'
  | 'lti_config_host';

/** A configuration file the service refuses to start on. */
export class LtiConfigError extends Error {
  constructor(
    readonly code: LtiConfigErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

const NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;
/** A DNS name or an IPv4 address, without port or path. */
const HOST = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
/** Longest text field of the configuration, unless a field says otherwise. */
const MAX_FIELD = 500;

/** Non-empty text of at most `max` characters, without control characters. */
export const isText = (value: unknown, max = 1000): value is string => typeof value === 'string' && value.length > 0 && value.length <= max && !/[\u0000-\u001f\u007f]/.test(value);

/** Whether a platform may be reached at `url`: https, or http on the loopback host (tests, local Moodle). */
export function isPlatformScheme(url: URL): boolean {
  const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1';
  return url.protocol === 'https:' || (url.protocol === 'http:' && loopback);
}

/** A platform URL of the configuration ({@link isPlatformScheme}). */
function platformUrl(value: unknown, where: string): URL {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new LtiConfigError('lti_config_url', `${where} is not a URL`);
  }
  if (!isPlatformScheme(url)) throw new LtiConfigError('lti_config_url', `${where} must be https:`);
  return url;
}

/** A bare origin of a platform's pages (https, or http on the loopback host). */
function frameOrigin(value: unknown, where: string): string {
  const url = platformUrl(value, where);
  if (url.origin !== value) throw new LtiConfigError('lti_config_url', `${where} must be a bare origin such as https://lms.school.example`);
  return url.origin;
}

/** Checks a parsed configuration; relative `toolKeyFile` paths are taken from `baseDir`. */
export function parseLtiConfig(raw: unknown, baseDir: string): LtiConfig {
  const shape = (ok: boolean, what: string) => {
    if (!ok) throw new LtiConfigError('lti_config_shape', what);
  };
  shape(raw !== null && typeof raw === 'object' && !Array.isArray(raw), 'the file must hold a JSON object');
  const { platforms, toolKeyFile, pages, registrationHosts, ...rest } = raw as Record<string, unknown>;
  shape(Object.keys(rest).length === 0, `unknown field ${Object.keys(rest)[0]}`);
  shape(isText(toolKeyFile, MAX_FIELD), 'toolKeyFile must be a path');
  shape(Array.isArray(platforms) && platforms.length > 0, 'platforms must be a non-empty array');
  const seen = new Set<string>();
  const checked = (platforms as unknown[]).map((entry, i): LtiPlatform => {
    const where = `platforms[${i}]`;
    shape(entry !== null && typeof entry === 'object' && !Array.isArray(entry), `${where} must be an object`);
    const { name, issuer, clientId, authLoginUrl, jwksUrl, deployments, frameOrigins, accessTokenUrl, tokenAudience, ...extra } = entry as Record<string, unknown>;
    shape(Object.keys(extra).length === 0, `${where} has an unknown field ${Object.keys(extra)[0]}`);
    shape(typeof name === 'string' && NAME.test(name), `${where}.name must be 1–32 lower-case letters, digits or dashes`);
    shape(isText(issuer, MAX_FIELD), `${where}.issuer must be the platform's iss`);
    shape(isText(clientId, 255), `${where}.clientId must be the client id the platform gave the tool`);
    shape(Array.isArray(deployments) && deployments.length > 0 && deployments.every((d) => isText(d, 255)), `${where}.deployments must list deployment ids`);
    shape(tokenAudience === undefined || isText(tokenAudience, MAX_FIELD), `${where}.tokenAudience must be text`);
    // The issuer is a URL too (LTI 1.3 requires an https URL without query or fragment).
    platformUrl(issuer, `${where}.issuer`);
    const registration = `${issuer as string}\n${clientId as string}`;
    if (seen.has(name as string) || seen.has(registration)) throw new LtiConfigError('lti_config_duplicate', `${where} repeats a name or an issuer and client id`);
    seen.add(name as string).add(registration);
    const login = platformUrl(authLoginUrl, `${where}.authLoginUrl`);
    shape(frameOrigins === undefined || (Array.isArray(frameOrigins) && frameOrigins.length > 0), `${where}.frameOrigins must list origins`);
    const framing = frameOrigins === undefined ? [new URL(issuer as string).origin, login.origin] : (frameOrigins as unknown[]).map((o, j) => frameOrigin(o, `${where}.frameOrigins[${j}]`));
    return {
      name: name as string,
      issuer: issuer as string,
      clientId: clientId as string,
      authLoginUrl: login,
      jwksUrl: platformUrl(jwksUrl, `${where}.jwksUrl`),
      deployments: [...new Set(deployments as string[])],
      frameOrigins: [...new Set(framing)],
      ...(accessTokenUrl !== undefined ? { accessTokenUrl: platformUrl(accessTokenUrl, `${where}.accessTokenUrl`) } : {}),
      ...(tokenAudience !== undefined ? { tokenAudience: tokenAudience as string } : {}),
    };
  });
  const landing = { teacher: '/teacher.html', student: '/student.html' };
  if (pages !== undefined) {
    shape(pages !== null && typeof pages === 'object' && !Array.isArray(pages), 'pages must be an object');
    for (const [role, path] of Object.entries(pages as Record<string, unknown>)) {
      if (role !== 'teacher' && role !== 'student') throw new LtiConfigError('lti_config_shape', `pages.${role} is not a role`);
      // A path on our own origin only, so a launch can never redirect elsewhere.
      if (typeof path !== 'string' || !/^\/(?![/\\])[A-Za-z0-9._~/-]*$/.test(path)) throw new LtiConfigError('lti_config_page', `pages.${role} must be a path on the service`);
      landing[role] = path;
    }
  }
  shape(registrationHosts === undefined || Array.isArray(registrationHosts), 'registrationHosts must list host names');
  const hosts = ((registrationHosts as unknown[] | undefined) ?? []).map((host, i) => {
    if (typeof host !== 'string' || !HOST.test(host)) throw new LtiConfigError('lti_config_host', `registrationHosts[${i}] must be a host name such as moodle.school.example`);
    return host.toLowerCase();
  });
  return { platforms: checked, toolKeyFile: resolve(baseDir, toolKeyFile as string), pages: landing, registrationHosts: hosts };
}

/** Reads and checks the configuration file at `file`. */
export function loadLtiConfig(file: string): LtiConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new LtiConfigError('lti_config_unreadable', `cannot read ${file}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new LtiConfigError('lti_config_not_json', `${file} is not JSON`);
  }
  return parseLtiConfig(raw, dirname(resolve(file)));
}
