/**
 * LTI Dynamic Registration 1.0 (1EdTech): the LMS administrator gives the LMS the tool's
 * registration URL (`/lti/register`); the LMS opens it (in a frame or window) with
 * `openid_configuration` (the URL of its OpenID configuration) and `registration_token`. The tool
 * reads that configuration, checks it (the issuer on the configuration URL's origin, the endpoints
 * a launch needs, RS256, the private_key_jwt client authentication), posts its own client
 * registration (its login, launch and JWKS URLs, the NRPS and AGS scopes, Deep Linking) to the
 * platform's `registration_endpoint` with the token, and stores the client id and deployment the
 * platform answers (registry.ts). The last page tells the LMS it is done with
 * `postMessage({ subject: 'org.imsglobal.lti.close' }, '*')`. Every refusal has its code and stores
 * nothing. Only the hosts the configuration lists (`registrationHosts`) may register, and nothing is
 * fetched from any other: the URL comes from whoever opens the page.
 */
import { createHash } from 'node:crypto';
import { ServiceError } from '../errors.js';
import { isText, type LtiPlatform } from './config.js';
import { registeredPage, type PageLanguage } from './pages.js';
import { PLATFORM_TIMEOUT_MS, SCOPE_LINEITEM, SCOPE_MEMBERSHIP, SCOPE_SCORE } from './platformClient.js';
import type { LtiRegistry } from './registry.js';
import { serviceUrl, type ltiUrls } from './tool.js';

/** The claim of the platform's configuration that names its LTI product. */
export const PLATFORM_CONFIGURATION = 'https://purl.imsglobal.org/spec/lti-platform-configuration';
/** The claim of the tool's registration with its LTI messages (and, in the answer, the deployment). */
export const TOOL_CONFIGURATION = 'https://purl.imsglobal.org/spec/lti-tool-configuration';
/** Largest platform answer read (an OpenID configuration is a few KB). */
const MAX_ANSWER_BYTES = 64 * 1024;

/** The close message's script, allowed by its hash in the page's CSP (no inline script otherwise). */
const CLOSE_SCRIPT = "(window.opener || window.parent).postMessage({ subject: 'org.imsglobal.lti.close' }, '*');";
export const CLOSE_SCRIPT_HASH = `'sha256-${createHash('sha256').update(CLOSE_SCRIPT).digest('base64')}'`;

const refuse = (status: number, code: string, message: string): never => {
  throw new ServiceError(status, code, message);
};
/** A URL the platform names (https, or http on the loopback host: {@link serviceUrl}), parsed. */
function platformUrl(value: unknown): URL | undefined {
  const url = serviceUrl(value);
  return url === null ? undefined : new URL(url);
}

/** A JSON answer of the platform, or the code of what went wrong. */
async function platformJson(fetcher: typeof fetch, url: URL, init: RequestInit, code: string): Promise<{ status: number; body: Record<string, unknown> | null }> {
  let response: Response;
  try {
    response = await fetcher(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(PLATFORM_TIMEOUT_MS) });
  } catch (error) {
    return refuse(502, 'lti_platform_unreachable', `cannot reach ${url.origin}: ${(error as Error).message}`);
  }
  const text = await response.text();
  if (text.length > MAX_ANSWER_BYTES) refuse(502, code, 'the platform answered too much');
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // Refused by the caller as a malformed answer.
  }
  return { status: response.status, body: body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : null };
}

/** What the registration needs. */
export interface RegistrationDeps {
  readonly registry: LtiRegistry;
  readonly urls: ReturnType<typeof ltiUrls>;
  readonly now: number;
  readonly fetch?: typeof fetch;
}

/** Runs a registration for the LMS's request (`openid_configuration`, `registration_token`); returns the platform stored. */
export async function register(query: Record<string, unknown>, deps: RegistrationDeps): Promise<LtiPlatform> {
  const fetcher = deps.fetch ?? fetch;
  // The request: a configuration URL of a platform, and the token that lets the tool register.
  const configUrl = platformUrl(query.openid_configuration);
  if (!configUrl) refuse(400, 'lti_registration_request', 'openid_configuration must be an https URL');
  if (!deps.registry.registrationHosts.includes(configUrl!.hostname)) {
    refuse(403, 'lti_registration_not_allowed', 'this service takes Dynamic Registration only from the hosts listed in registrationHosts');
  }
  if (!isText(query.registration_token, 4000)) refuse(400, 'lti_registration_token', 'the registration needs the platform’s registration_token');
  const token = query.registration_token as string;

  // The platform's OpenID configuration, with what a launch and the services need.
  const { status, body: config } = await platformJson(fetcher, configUrl!, { headers: { accept: 'application/json' } }, 'lti_registration_config');
  if (status !== 200 || !config) refuse(502, 'lti_registration_config', `the OpenID configuration answered ${status} without a JSON object`);
  const c = config!;
  // The issuer must be the platform the configuration URL belongs to.
  const issuer = platformUrl(c.issuer);
  if (!issuer || issuer.origin !== configUrl!.origin || issuer.search || issuer.hash) refuse(502, 'lti_registration_issuer', 'the configuration’s issuer is not on the origin of its URL');
  const auth = platformUrl(c.authorization_endpoint);
  const jwks = platformUrl(c.jwks_uri);
  const tokenUrl = platformUrl(c.token_endpoint);
  const registrationUrl = platformUrl(c.registration_endpoint);
  if (!auth || !jwks || !tokenUrl || !registrationUrl) refuse(502, 'lti_registration_config', 'the configuration lacks an endpoint (authorization, jwks_uri, token, registration)');
  const algorithms = c.id_token_signing_alg_values_supported;
  if (!Array.isArray(algorithms) || !algorithms.includes('RS256')) refuse(502, 'lti_registration_config', 'the platform does not sign with RS256');
  const methods = c.token_endpoint_auth_methods_supported;
  if (methods !== undefined && (!Array.isArray(methods) || !methods.includes('private_key_jwt'))) refuse(502, 'lti_registration_config', 'the platform does not take private_key_jwt');
  const product = c[PLATFORM_CONFIGURATION] as Record<string, unknown> | undefined;
  if (!product || typeof product !== 'object' || !isText(product.product_family_code, 100)) refuse(502, 'lti_registration_config', `the configuration lacks ${PLATFORM_CONFIGURATION}`);

  // The tool's registration (OpenID Connect Dynamic Client Registration with the LTI claim).
  const registration = {
    application_type: 'web',
    response_types: ['id_token'],
    grant_types: ['implicit', 'client_credentials'],
    initiate_login_uri: deps.urls.login,
    redirect_uris: [deps.urls.launch],
    client_name: 'Presenza',
    jwks_uri: deps.urls.jwks,
    token_endpoint_auth_method: 'private_key_jwt',
    scope: [SCOPE_MEMBERSHIP, SCOPE_LINEITEM, SCOPE_SCORE].join(' '),
    [TOOL_CONFIGURATION]: {
      domain: new URL(deps.urls.launch).host,
      target_link_uri: deps.urls.launch,
      claims: ['iss', 'sub', 'name'],
      messages: [{ type: 'LtiDeepLinkingRequest', target_link_uri: deps.urls.launch, label: 'Presenza attendance' }],
    },
  };
  const answer = await platformJson(
    fetcher,
    registrationUrl!,
    { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(registration) },
    'lti_registration_refused',
  );
  if (answer.status < 200 || answer.status > 299) refuse(502, 'lti_registration_refused', `the registration endpoint answered ${answer.status}`);
  const clientId = answer.body?.client_id;
  const deployment = (answer.body?.[TOOL_CONFIGURATION] as Record<string, unknown> | undefined)?.deployment_id;
  if (!isText(clientId, 255) || !isText(deployment, 255)) refuse(502, 'lti_registration_response', 'the platform’s answer lacks client_id or the deployment_id');

  const platform: LtiPlatform = {
    // (A name like the configuration file's: it starts the course ids of the platform's launches.)
    name: `${product!.product_family_code as string}-${issuer!.host}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 32),
    issuer: c.issuer as string,
    clientId: clientId as string,
    authLoginUrl: auth!,
    jwksUrl: jwks!,
    deployments: [deployment as string],
    frameOrigins: [...new Set([issuer!.origin, auth!.origin])],
    accessTokenUrl: tokenUrl!,
  };
  if (!(await deps.registry.add(platform, deps.now))) refuse(409, 'lti_registration_duplicate', 'this platform and client id are registered already');
  return platform;
}

/**
 * The content security policy of the last page: the close script by its hash, and framing by the
 * platform just registered (it opens the registration in its frame before any other page of it is
 * allowed to frame Presenza).
 */
export const registrationDoneCsp = (policy: string, platform: LtiPlatform) =>
  policy
    .split(';')
    .map((directive) => {
      const d = directive.trim();
      if (d.startsWith('script-src ')) return `${d} ${CLOSE_SCRIPT_HASH}`;
      if (d.startsWith('frame-ancestors ')) return `frame-ancestors 'self' ${platform.frameOrigins.join(' ')}`;
      return d;
    })
    .join(';');

/** The last page: registered, in Italian and English, and the close message to the LMS. */
export const registrationDonePage = (languages: [PageLanguage, PageLanguage]) => registeredPage(languages, CLOSE_SCRIPT);
