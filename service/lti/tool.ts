/**
 * Presenza as an LTI 1.3 tool: the launch (1EdTech Security Framework 1.0, LTI Core 1.3, Deep
 * Linking 2.0 requests).
 *
 * 1. The platform sends the browser to the login URL (OIDC third-party login initiation, GET or
 *    POST). The tool stores a single-use `state` (only its SHA-256) with a fresh `nonce`, bound to
 *    the registration, and redirects to the platform's authorization endpoint.
 * 2. The platform form-POSTs an `id_token` and the `state` to the launch URL. The token is
 *    checked in full (linear guard clauses below); nothing is written until every check passed.
 *    Then the state is consumed and the launch becomes an ordinary session (sessions.ts), whose
 *    single-use record is the nonce, so a token is never accepted twice. A Deep Linking request
 *    (teachers only) opens no session: it leads to the page where the teacher adds the tool
 *    (deepLinking.ts). A launch also names the platform's services (NRPS, AGS) for services.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Db } from '../db.js';
import { ServiceError } from '../errors.js';
import type { Launch, Role } from '../launch.js';
import { isPlatformScheme, isText, type LtiConfig, type LtiPlatform } from './config.js';

/** How long a login's state waits for the platform's answer. */
export const LTI_STATE_MS = 10 * 60_000;
/** Clock skew tolerated on `iat`/`exp`. */
export const LTI_CLOCK_SKEW_SECONDS = 60;
/** Oldest `iat` accepted: the platform signs the token just before the browser posts it. */
export const LTI_MAX_TOKEN_AGE_SECONDS = 10 * 60;
/** Signature algorithms accepted from platforms (RS256 is the one LTI requires). */
export const LTI_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256'];
/** Shortest wait between two fetches of a platform's JWKS when a token names an unknown `kid`. */
export const JWKS_COOLDOWN_MS = 30_000;
/** How long a fetched JWKS is used before it is fetched again. */
export const JWKS_MAX_AGE_MS = 10 * 60_000;

const CLAIM = 'https://purl.imsglobal.org/spec/lti/claim/';
const DL_SETTINGS = 'https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings';
const NRPS_CLAIM = 'https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice';
const AGS_CLAIM = 'https://purl.imsglobal.org/spec/lti-ags/claim/endpoint';
const MEMBERSHIP = 'http://purl.imsglobal.org/vocab/lis/v2/membership#';
/** Roles that make a teacher: the context's Instructor or Administrator, or a platform administrator. */
const TEACHER_ROLES = new Set([
  `${MEMBERSHIP}Instructor`,
  `${MEMBERSHIP}Administrator`,
  'http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator',
  'http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator',
]);
const STUDENT_ROLES = new Set([`${MEMBERSHIP}Learner`]);

/** The parameters of a login initiation. */
export interface LoginRequest {
  readonly iss?: unknown;
  readonly login_hint?: unknown;
  readonly target_link_uri?: unknown;
  readonly lti_message_hint?: unknown;
  readonly client_id?: unknown;
  readonly lti_deployment_id?: unknown;
}

/** The platform's services a launch offers for its resource link (null when it offers none). */
export interface LtiServiceEndpoints {
  /** NRPS: the context's membership URL. */
  readonly membershipsUrl: string | null;
  /** AGS: the context's line items (to find or create one per lesson, with the lineitem scope). */
  readonly lineItemsUrl: string | null;
  /** AGS: the resource link's own line item (enough with the score scope alone). */
  readonly lineItemUrl: string | null;
  /** AGS: the scopes the platform grants. */
  readonly agsScopes: readonly string[];
}

/** A checked resource-link launch, ready to become a session. */
export interface LtiLaunch {
  readonly kind: 'resourceLink';
  readonly launch: Launch;
  readonly platform: LtiPlatform;
  /** The page the browser continues to (the teacher's or the student's). */
  readonly page: string;
  /** Where the launch came from, and what the platform offers there. */
  readonly link: { readonly deploymentId: string; readonly contextId: string | null; readonly resourceLinkId: string; readonly services: LtiServiceEndpoints };
  /** Consumes the state (single use); false when another request consumed it first. */
  readonly consumeState: () => Promise<boolean>;
}

/** A checked Deep Linking request of a teacher: the platform waits for the tool's choice. */
export interface LtiDeepLinkingLaunch {
  readonly kind: 'deepLinking';
  readonly platform: LtiPlatform;
  readonly deploymentId: string;
  /** Where the signed response is posted back. */
  readonly returnUrl: string;
  /** The platform's opaque `data`, echoed in the response. */
  readonly data: string | undefined;
  readonly consumeState: () => Promise<boolean>;
}

const hash = (value: string) => createHash('sha256').update(value).digest('hex');
const refuse = (code: string, message: string, status = 401): never => {
  throw new ServiceError(status, code, message);
};

/** Options of {@link LtiTool}. */
export interface LtiToolOptions {
  readonly db: Db;
  readonly config: LtiConfig;
  /** The service's public origin: the login and launch URLs live there. */
  readonly origin: string;
  readonly now?: () => number;
  /** Overrides {@link JWKS_COOLDOWN_MS} (tests rotate keys without waiting). */
  readonly jwksCooldownMs?: number;
  /** Reads the registered platforms again (registry.ts), when a login or launch names one not known yet. */
  readonly reload?: () => Promise<void>;
}

/** The tool's endpoints on the service's origin. */
export const ltiUrls = (origin: string) => ({ login: `${origin}/lti/login`, launch: `${origin}/lti/launch`, jwks: `${origin}/lti/jwks` });

/** Logins and launches of the registered platforms. */
export class LtiTool {
  private readonly keys = new Map<string, JWTVerifyGetKey>();
  private readonly db: Db;
  private readonly now: () => number;
  readonly urls: ReturnType<typeof ltiUrls>;

  constructor(private readonly options: LtiToolOptions) {
    this.db = options.db;
    this.now = options.now ?? Date.now;
    this.urls = ltiUrls(options.origin);
  }

  /**
   * One cached key set per platform: refetched after its max age, or sooner (after the cooldown)
   * when a token names a kid it does not hold, which is how a platform rotates its key.
   */
  private keysOf(platform: LtiPlatform): JWTVerifyGetKey {
    const id = `${platform.issuer}\n${platform.clientId}`;
    let keys = this.keys.get(id);
    if (!keys) {
      keys = createRemoteJWKSet(platform.jwksUrl, { cooldownDuration: this.options.jwksCooldownMs ?? JWKS_COOLDOWN_MS, cacheMaxAge: JWKS_MAX_AGE_MS });
      this.keys.set(id, keys);
    }
    return keys;
  }

  /** The registered platforms matching `test`, read again once when none does (another instance may have registered it). */
  private async platformsWhere(test: (platform: LtiPlatform) => boolean): Promise<LtiPlatform[]> {
    const found = this.options.config.platforms.filter(test);
    if (found.length > 0 || !this.options.reload) return found;
    await this.options.reload();
    return this.options.config.platforms.filter(test);
  }

  /** Answers a login initiation: the URL of the platform's authorization request. */
  async login(request: LoginRequest): Promise<string> {
    // The platform must be registered (by issuer, and by client id when it sends one).
    if (!isText(request.iss)) refuse('lti_login_malformed', 'iss is required', 400);
    const candidates = await this.platformsWhere((p) => p.issuer === request.iss && (request.client_id === undefined || p.clientId === request.client_id));
    if (candidates.length === 0) refuse('lti_untrusted_issuer', 'this platform (issuer and client id) is not registered with the tool', 400);
    if (candidates.length > 1) refuse('lti_ambiguous_client', 'several registrations share this issuer: the platform must send client_id', 400);
    const platform = candidates[0]!;
    // A deployment hint, when sent, must already be one of the registration's.
    if (request.lti_deployment_id !== undefined && !platform.deployments.includes(String(request.lti_deployment_id))) {
      refuse('lti_unknown_deployment', 'this deployment is not registered for the platform', 400);
    }
    if (!isText(request.login_hint, 2000)) refuse('lti_login_malformed', 'login_hint is required', 400);
    // The launch must come back to this tool, never to another site.
    if (!isText(request.target_link_uri, 2000) || !this.isOurs(request.target_link_uri)) refuse('lti_target', 'target_link_uri is not on this tool', 400);
    if (request.lti_message_hint !== undefined && !isText(request.lti_message_hint, 2000)) refuse('lti_login_malformed', 'lti_message_hint is not text', 400);

    const state = randomBytes(32).toString('base64url');
    const nonce = randomBytes(32).toString('base64url');
    const now = this.now();
    await this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM lti_states WHERE expires_at <= ?', [now]);
      await tx.run('INSERT INTO lti_states (state_hash, nonce, issuer, client_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)', [
        hash(state),
        nonce,
        platform.issuer,
        platform.clientId,
        now,
        now + LTI_STATE_MS,
      ]);
    });
    const url = new URL(platform.authLoginUrl);
    const query = {
      scope: 'openid',
      response_type: 'id_token',
      response_mode: 'form_post',
      prompt: 'none',
      client_id: platform.clientId,
      redirect_uri: this.urls.launch,
      login_hint: request.login_hint as string,
      state,
      nonce,
      ...(request.lti_message_hint !== undefined ? { lti_message_hint: request.lti_message_hint as string } : {}),
    };
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    return url.toString();
  }

  /**
   * Checks a launch (`id_token` and `state` of the platform's form POST, and the state the
   * posting browser holds in its state cookie, frame.ts). Throws a 401
   * {@link ServiceError} with a code saying which check failed; writes nothing.
   */
  async verify(form: { id_token?: unknown; state?: unknown; error?: unknown }, browser: { readonly state: string | undefined }): Promise<LtiLaunch | LtiDeepLinkingLaunch> {
    // The platform may answer the authorization request with an error instead of a token.
    if (form.error !== undefined) refuse('lti_platform_error', `the platform refused the login: ${String(form.error).slice(0, 100)}`);
    if (!isText(form.state, 100) || !isText(form.id_token, 60_000)) refuse('lti_malformed', 'the launch needs id_token and state');
    const idToken = form.id_token as string;
    // The state must be one this tool issued, not yet used nor expired.
    const stateHash = hash(form.state as string);
    const stored = await this.db.get<{ nonce: string; issuer: string; client_id: string }>(
      'SELECT nonce, issuer, client_id FROM lti_states WHERE state_hash = ? AND expires_at > ?',
      [stateHash, this.now()],
    );
    if (!stored) refuse('lti_state_unknown', 'unknown, used or expired state: start the launch again from the platform');
    const [platform] = await this.platformsWhere((p) => p.issuer === stored!.issuer && p.clientId === stored!.client_id);
    if (!platform) refuse('lti_state_unknown', 'the registration of this state is gone');
    // The browser posting the launch must be the one that started the login (its state cookie).
    if (browser.state !== form.state) refuse('lti_state_cookie', 'this browser did not start this login (no state cookie): open the activity again from the platform');
    let claims: JWTPayload;
    try {
      decodeProtectedHeader(idToken);
      claims = decodeJwt(idToken);
    } catch {
      return refuse('lti_malformed', 'id_token is not a JWT');
    }
    // The issuer must be the platform the login was started for.
    if (claims.iss !== platform!.issuer) refuse('lti_issuer', 'id_token iss is not the platform of this login');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, this.keysOf(platform!), {
        algorithms: LTI_ALGORITHMS,
        issuer: platform!.issuer,
        requiredClaims: ['sub', 'aud', 'iat', 'exp', 'nonce'],
        maxTokenAge: LTI_MAX_TOKEN_AGE_SECONDS,
        clockTolerance: LTI_CLOCK_SKEW_SECONDS,
        currentDate: new Date(this.now()),
      }));
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) refuse('lti_unknown_kid', 'no key of the platform matches the token’s kid');
      // (jose reports a too old iat as expired too.)
      if (error instanceof errors.JWTExpired) refuse(error.claim === 'iat' ? 'lti_iat' : 'lti_expired', error.claim === 'iat' ? 'id_token iat is too old' : 'id_token has expired');
      if (error instanceof errors.JWTClaimValidationFailed) refuse(error.claim === 'iat' ? 'lti_iat' : 'lti_claims', `id_token claim refused: ${error.claim}`);
      if (error instanceof errors.JOSEAlgNotAllowed) refuse('lti_algorithm', 'id_token algorithm not allowed');
      if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || (error as Error).name === 'TypeError' || (error as { code?: string }).code === 'ERR_JOSE_GENERIC') {
        refuse('lti_jwks_unavailable', 'the platform’s keys could not be fetched', 502);
      }
      return refuse('lti_signature', 'id_token does not verify with the platform’s keys');
    }
    // The audience must be this tool's client id; with several audiences, azp must name it.
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (!audiences.includes(platform!.clientId)) refuse('lti_audience', 'id_token is not addressed to this tool');
    if ((audiences.length > 1 || payload.azp !== undefined) && payload.azp !== platform!.clientId) refuse('lti_audience', 'id_token azp is not this tool');
    // The nonce must be the one issued with this state (a token from another login is refused).
    if (payload.nonce !== stored!.nonce) refuse('lti_nonce', 'id_token nonce is not the one of this login');
    // The deployment must be registered for this platform.
    const deploymentId = payload[`${CLAIM}deployment_id`];
    if (!isText(deploymentId, 255) || !platform!.deployments.includes(deploymentId)) refuse('lti_unknown_deployment', 'this deployment is not registered for the platform');
    // Resource-link launches and Deep Linking requests of LTI 1.3.0.
    const messageType = payload[`${CLAIM}message_type`];
    if (messageType !== 'LtiResourceLinkRequest' && messageType !== 'LtiDeepLinkingRequest') refuse('lti_message_type', 'only LtiResourceLinkRequest and LtiDeepLinkingRequest launches are supported');
    if (payload[`${CLAIM}version`] !== '1.3.0') refuse('lti_version', 'only LTI 1.3.0 is supported');
    // Who: the platform's user id and a role this service has.
    if (!isText(payload.sub, 255)) refuse('lti_claims', 'id_token sub must be the user id');
    const role = mapRoles(payload[`${CLAIM}roles`]);
    if (!role) refuse('lti_roles', 'the user is neither Instructor, Administrator nor Learner here');
    const consumeState = async () => (await this.db.run('DELETE FROM lti_states WHERE state_hash = ?', [stateHash])) === 1;

    if (messageType === 'LtiDeepLinkingRequest') {
      // Only a teacher adds the tool to a course.
      if (role !== 'teacher') refuse('lti_deep_linking_role', 'only an Instructor or Administrator can add Presenza to a course', 403);
      const settings = payload[DL_SETTINGS] as { deep_link_return_url?: unknown; accept_types?: unknown; data?: unknown } | undefined;
      const returnUrl = settings && typeof settings === 'object' ? serviceUrl(settings.deep_link_return_url) : null;
      if (!returnUrl) refuse('lti_claims', 'deep_linking_settings.deep_link_return_url must be an https URL');
      // The platform must take what the tool offers: a resource link.
      if (!Array.isArray(settings!.accept_types) || !settings!.accept_types.includes('ltiResourceLink')) refuse('lti_deep_linking_types', 'the platform does not accept an ltiResourceLink here');
      if (settings!.data !== undefined && !isText(settings!.data, 4000)) refuse('lti_claims', 'deep_linking_settings.data must be text');
      return { kind: 'deepLinking', platform: platform!, deploymentId: deploymentId as string, returnUrl: returnUrl!, data: settings!.data as string | undefined, consumeState };
    }

    // Where: the resource link (required) in its course context.
    const link = payload[`${CLAIM}resource_link`] as { id?: unknown } | undefined;
    if (!link || !isText(link.id, 255)) refuse('lti_claims', 'id_token resource_link.id is required');
    const context = payload[`${CLAIM}context`] as { id?: unknown } | undefined;
    if (context !== undefined && (typeof context !== 'object' || context === null || !isText(context.id, 255))) refuse('lti_claims', 'id_token context.id is malformed');

    const launch: Launch = {
      issuer: platform!.issuer,
      subject: payload.sub!,
      name: displayName(payload),
      role: role!,
      course: seriesKey(platform!.name, context?.id as string | undefined, link!.id as string),
      lessonId: null,
      // The nonce is remembered as used until the token expires (sessions.ts: launch_tokens).
      jti: `lti-nonce:${payload.nonce as string}`,
      expiresAt: (payload.exp! + LTI_CLOCK_SKEW_SECONDS) * 1000,
    };
    return {
      kind: 'resourceLink',
      launch,
      platform: platform!,
      page: this.options.config.pages[role === 'teacher' ? 'teacher' : 'student'],
      link: { deploymentId: deploymentId as string, contextId: (context?.id as string | undefined) ?? null, resourceLinkId: link!.id as string, services: serviceEndpoints(payload) },
      consumeState,
    };
  }

  /**
   * The platform of an authentication request this tool made (its URL): the authorization
   * endpoint and client id of a registration, else undefined. Keeps a redirect to it from going
   * anywhere else.
   */
  platformOfAuthRequest(url: URL): LtiPlatform | undefined {
    const endpoint = (u: URL) => `${u.origin}${u.pathname}`;
    return this.options.config.platforms.find((p) => endpoint(p.authLoginUrl) === endpoint(url) && p.clientId === url.searchParams.get('client_id'));
  }

    private isOurs(uri: string): boolean {
    try {
      return new URL(uri).origin === this.options.origin;
    } catch {
      return false;
    }
  }
}

/** A service URL a platform names: https, or http on the loopback host (tests, local Moodle); null otherwise. */
export function serviceUrl(value: unknown): string | null {
  if (!isText(value, 2000)) return null;
  try {
    const url = new URL(value as string);
    return isPlatformScheme(url) ? url.toString() : null;
  } catch {
    return null;
  }
}

/** The NRPS and AGS endpoints of a launch's claims; a malformed one counts as absent. */
function serviceEndpoints(payload: JWTPayload): LtiServiceEndpoints {
  const nrps = payload[NRPS_CLAIM] as { context_memberships_url?: unknown } | undefined;
  const ags = payload[AGS_CLAIM] as { scope?: unknown; lineitems?: unknown; lineitem?: unknown } | undefined;
  const object = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';
  return {
    membershipsUrl: object(nrps) ? serviceUrl(nrps.context_memberships_url) : null,
    lineItemsUrl: object(ags) ? serviceUrl(ags.lineitems) : null,
    lineItemUrl: object(ags) ? serviceUrl(ags.lineitem) : null,
    agsScopes: object(ags) && Array.isArray(ags.scope) ? ags.scope.filter((s): s is string => isText(s, 200)) : [],
  };
}

/** The service role of an LTI roles claim: teacher wins over student; undefined when neither. */
export function mapRoles(roles: unknown): Role | undefined {
  if (!Array.isArray(roles)) return undefined;
  // Short names ("Instructor") are the context roles' deprecated simple form.
  const full = roles.filter((r): r is string => typeof r === 'string').map((r) => (r.includes('/') ? r : `${MEMBERSHIP}${r}`));
  if (full.some((r) => TEACHER_ROLES.has(r))) return 'teacher';
  if (full.some((r) => STUDENT_ROLES.has(r))) return 'student';
  return undefined;
}

/**
 * The service's course of a launch: the platform's name, the course context and the resource
 * link. A resource link is one series of lessons: the lessons a teacher starts from it are the ones
 * its students are invited to. Hashed when too long for the column.
 */
export function seriesKey(platform: string, contextId: string | undefined, resourceLinkId: string): string {
  const key = `${platform}:${contextId ?? '-'}:${resourceLinkId}`;
  return key.length <= 200 ? key : `${platform}:${hash(`${contextId ?? '-'}\n${resourceLinkId}`)}`;
}

/** The user's display name from the OIDC claims, or a neutral one when the platform sends none. */
function displayName(payload: JWTPayload): string {
  const clean = (v: unknown) => (typeof v === 'string' ? v.replace(/[\u0000-\u001f\u007f]/g, ' ').trim() : '');
  const name = clean(payload.name) || [clean(payload.given_name), clean(payload.family_name)].filter(Boolean).join(' ') || 'LTI user';
  return name.slice(0, 60).trim();
}
