/**
 * A fake LMS for the LTI 1.3 tests, written from the 1EdTech Security Framework, LTI Core, Deep
 * Linking 2.0, NRPS 2.0 and AGS 2.0 specifications: its own RS256 key pair, its JWKS served over
 * HTTP on a random port (counting fetches, so caching and key rotation can be asserted), an
 * authorization endpoint that answers the tool's OIDC authentication request with a signed
 * id_token, as the platform's form POST would; and the platform's services, each checking what
 * the tool sends and recording it:
 * - a token endpoint (client-credentials grant) that verifies the tool's client assertion with
 *   the tool's public keys (iss = sub = client id, aud = the token URL, fresh, jti never reused)
 *   and grants only the scopes this LMS offers;
 * - the context membership (NRPS), paged by `limit` with a `Link: rel="next"` header;
 * - line items and scores (AGS), with failures on demand;
 * - the Deep Linking return URL, which verifies the tool's signed response and creates the link;
 * - LTI Dynamic Registration: its OpenID configuration (`/.well-known/openid-configuration`) and a
 *   registration endpoint that takes the tool's registration with the single-use registration
 *   token, records it and answers with this LMS's client id and deployment.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JSONWebKeySet, type JWK, type JWTPayload } from 'jose';
import type { Transport } from './simulatedStudent.js';

export const DL_CLAIM = 'https://purl.imsglobal.org/spec/lti-dl/claim/';
export const SCOPES = {
  membership: 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly',
  lineItem: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
  score: 'https://purl.imsglobal.org/spec/lti-ags/scope/score',
} as const;

/** A member of the course, as the LMS's NRPS lists them. */
export interface LmsMember {
  readonly user_id: string;
  readonly name?: string;
  readonly email?: string;
  readonly roles: readonly string[];
  readonly status?: 'Active' | 'Inactive' | 'Deleted';
}

/** A line item of the LMS's gradebook, with the scores it received. */
export interface LmsLineItem {
  readonly id: string;
  readonly label: string;
  readonly scoreMaximum: number;
  readonly resourceId?: string;
  readonly resourceLinkId?: string;
  readonly tag?: string;
  readonly scores: Record<string, unknown>[];
}

/** A service request that reached the LMS, and how it was answered. */
export interface ServiceCall {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly body?: string;
}

/** A resource link the LMS created from a Deep Linking response. */
export interface CreatedLink {
  readonly id: string;
  readonly title: string;
  readonly url: string;
  readonly lineItem?: Record<string, unknown>;
}

export const LTI_CLAIM = 'https://purl.imsglobal.org/spec/lti/claim/';
export const INSTRUCTOR = 'http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor';
export const LEARNER = 'http://purl.imsglobal.org/vocab/lis/v2/membership#Learner';

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

async function makeKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return { kid, privateKey, publicJwk: { ...publicJwk, kid, alg: 'RS256', use: 'sig' } };
}

/** A user of the LMS launching the tool. */
export interface LmsUser {
  readonly sub: string;
  readonly roles: readonly string[];
  readonly name?: string;
}

/** What the authorization request of the tool carried. */
export interface AuthRequest {
  readonly state: string;
  readonly nonce: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly loginHint: string;
  readonly params: URLSearchParams;
}

/** The state cookie the tool's login answer sets (`name=value`), as the browser would send it back. */
export function stateCookie(login: { headers: Record<string, string | string[] | undefined> }): string {
  const all = [login.headers['set-cookie'] ?? []].flat();
  const state = all.find((c) => c.startsWith('__Host-presenza-state-'));
  if (!state) throw new Error('the login set no state cookie');
  return state.split(';')[0]!;
}

export class FakeLms {
  /** Keys published in the JWKS; the first one signs. */
  private published: SigningKey[];
  /** JWKS fetches so far. */
  jwksFetches = 0;

  private constructor(
    private readonly server: Server,
    readonly origin: string,
    key: SigningKey,
    readonly clientId: string,
    readonly deploymentId: string,
  ) {
    this.published = [key];
  }

  static async start(options: { clientId?: string; deploymentId?: string } = {}): Promise<FakeLms> {
    const key = await makeKey();
    let lms: FakeLms | undefined;
    const server = createServer((request, response) => {
      if (request.url === '/jwks' && lms) {
        lms.jwksFetches++;
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: lms.published.map((k) => k.publicJwk) }));
      } else if (request.url === '/.well-known/openid-configuration' && lms) {
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(lms.openIdConfiguration()));
      } else if (lms && request.url && /^\/(token|nrps|ags|deep-link-return|register)(\/|\?|$)/.test(request.url)) {
        void lms.service(request, response);
      } else if (lms?.browserTool && request.url) {
        lms.browserPage(request.url).then(
          (html) => response.writeHead(html ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' }).end(html ?? ''),
          (error: Error) => response.writeHead(500).end(error.message),
        );
      } else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    lms = new FakeLms(server, origin, key, options.clientId ?? 'presenza-client', options.deploymentId ?? 'deployment-1');
    return lms;
  }

  /** The platform's `iss` (its origin, as Moodle's is its wwwroot). */
  get issuer(): string {
    return this.origin;
  }

  /** The current signing key's id. */
  get kid(): string {
    return this.published[0]!.kid;
  }

  /** The registration entry of this LMS in the tool's LTI configuration file. */
  registration(name = 'fake-lms') {
    return {
      name,
      issuer: this.issuer,
      clientId: this.clientId,
      authLoginUrl: `${this.origin}/auth`,
      jwksUrl: `${this.origin}/jwks`,
      deployments: [this.deploymentId],
      accessTokenUrl: this.tokenUrl,
    };
  }

  // ---- The platform's services ----

  /** The tool's public keys (its JWKS), as the LMS administrator registered them. */
  toolJwks: JSONWebKeySet | undefined;
  /** The LMS's clock (the client assertion's iat and exp are checked against it). */
  now: () => number = Date.now;
  /** The scopes this LMS grants the tool (all three by default). */
  grantedScopes: string[] = [SCOPES.membership, SCOPES.lineItem, SCOPES.score];
  /** The course's members (NRPS). */
  members: LmsMember[] = [];
  /** Members per NRPS page (`limit`): a smaller roster fits one page. */
  pageSize = 2;
  /** The gradebook (AGS), by line item URL. */
  readonly lineItems = new Map<string, LmsLineItem>();
  /** Score posts to answer with 500 before taking them again. */
  failScores = 0;
  /** Membership (roster) reads to answer with 503 before answering again. */
  failMembership = 0;
  /** Access tokens issued, and the calls the services received. */
  readonly tokensIssued: { scope: string; token: string }[] = [];
  readonly calls: ServiceCall[] = [];
  /** Resource links created from Deep Linking responses, and the responses refused. */
  readonly createdLinks: CreatedLink[] = [];
  readonly refusedResponses: string[] = [];
  /** The `data` this LMS sends in its Deep Linking requests (the tool must echo it). */
  readonly deepLinkData = `dl-${randomUUID()}`;
  private readonly usedAssertionIds = new Set<string>();

  get tokenUrl(): string {
    return `${this.origin}/token`;
  }

  get membershipsUrl(): string {
    return `${this.origin}/nrps/course-42/memberships`;
  }

  get lineItemsUrl(): string {
    return `${this.origin}/ags/course-42/lineitems`;
  }

  /** The line item of resource link `linkId` (created with it), whose URL launches name. */
  linkLineItem(linkId: string): string {
    const url = `${this.lineItemsUrl}/link-${encodeURIComponent(linkId)}`;
    if (!this.lineItems.has(url)) this.lineItems.set(url, { id: url, label: 'Presenza attendance', scoreMaximum: 100, resourceLinkId: linkId, scores: [] });
    return url;
  }

  /** Every score the gradebook received, with its line item. */
  scores(): (Record<string, unknown> & { lineItem: string })[] {
    return [...this.lineItems.values()].flatMap((item) => item.scores.map((score) => ({ ...score, lineItem: item.id })));
  }

  private async service(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    const url = new URL(request.url!, this.origin);
    const answer = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      this.calls.push({ method: request.method!, path: url.pathname + url.search, status, ...(body ? { body } : {}) });
      response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(json));
    };
    try {
      if (url.pathname === '/token' && request.method === 'POST') return answer(...(await this.tokenAnswer(request, body)));
      if (url.pathname === '/register' && request.method === 'POST') return answer(...this.registerAnswer(request, body));
      if (url.pathname === '/deep-link-return' && request.method === 'POST') {
        const page = await this.deepLinkReturn(body);
        this.calls.push({ method: 'POST', path: url.pathname, status: page.status, body });
        response.writeHead(page.status, { 'content-type': 'text/html; charset=utf-8' }).end(page.html);
        return;
      }
      // Every other service needs a bearer token with its scope.
      const scope = url.pathname.startsWith('/nrps/') ? SCOPES.membership : url.pathname.endsWith('/scores') ? SCOPES.score : SCOPES.lineItem;
      const bearer = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
      const grant = this.tokensIssued.find((t) => t.token === bearer);
      if (!grant) return answer(401, { error: 'invalid_token' });
      if (!grant.scope.split(' ').includes(scope)) return answer(403, { error: 'insufficient_scope' });
      if (url.pathname === '/nrps/course-42/memberships' && request.method === 'GET') {
        if (request.headers.accept !== 'application/vnd.ims.lti-nrps.v2.membershipcontainer+json') return answer(406, { error: 'accept' });
        if (this.failMembership > 0) {
          this.failMembership--;
          return answer(503, { error: 'roster unavailable' });
        }
        const offset = Number(url.searchParams.get('offset') ?? 0);
        const page = this.members.slice(offset, offset + this.pageSize);
        const next = offset + this.pageSize < this.members.length ? `<${this.membershipsUrl}?offset=${offset + this.pageSize}>; rel="next"` : undefined;
        return answer(200, { id: this.membershipsUrl, context: { id: 'course-42', label: 'BIO101', title: 'Biologia' }, members: page }, next ? { link: next } : {});
      }
      if (url.pathname === '/ags/course-42/lineitems' && request.method === 'GET') {
        const items = [...this.lineItems.values()].filter(
          (i) => (!url.searchParams.has('resource_id') || i.resourceId === url.searchParams.get('resource_id')) && (!url.searchParams.has('resource_link_id') || i.resourceLinkId === url.searchParams.get('resource_link_id')),
        );
        return answer(200, items.map(({ scores: _scores, ...item }) => item));
      }
      if (url.pathname === '/ags/course-42/lineitems' && request.method === 'POST') {
        if (request.headers['content-type'] !== 'application/vnd.ims.lis.v2.lineitem+json') return answer(415, { error: 'content-type' });
        const spec = JSON.parse(body) as Omit<LmsLineItem, 'id' | 'scores'>;
        if (typeof spec.label !== 'string' || !(spec.scoreMaximum > 0)) return answer(400, { error: 'invalid line item' });
        const id = `${this.lineItemsUrl}/${randomUUID()}`;
        const { label, scoreMaximum, resourceId, resourceLinkId, tag } = spec;
        this.lineItems.set(id, { id, label, scoreMaximum, ...(resourceId ? { resourceId } : {}), ...(resourceLinkId ? { resourceLinkId } : {}), ...(tag ? { tag } : {}), scores: [] });
        return answer(201, { id, label, scoreMaximum, resourceId, resourceLinkId, tag });
      }
      const scores = /^(\/ags\/course-42\/lineitems\/[^/]+)\/scores$/.exec(url.pathname);
      if (scores && request.method === 'POST') {
        const item = this.lineItems.get(`${this.origin}${scores[1]}`);
        if (!item) return answer(404, { error: 'no such line item' });
        if (request.headers['content-type'] !== 'application/vnd.ims.lis.v1.score+json') return answer(415, { error: 'content-type' });
        if (this.failScores > 0) {
          this.failScores--;
          return answer(500, { error: 'gradebook unavailable' });
        }
        const score = JSON.parse(body) as Record<string, unknown>;
        for (const field of ['userId', 'activityProgress', 'gradingProgress', 'timestamp']) if (typeof score[field] !== 'string') return answer(400, { error: `score ${field}` });
        if (typeof score.scoreGiven !== 'number' || typeof score.scoreMaximum !== 'number' || score.scoreGiven > score.scoreMaximum) return answer(400, { error: 'score values' });
        item.scores.push(score);
        return answer(200, {});
      }
      return answer(404, { error: 'not found' });
    } catch (error) {
      return answer(500, { error: (error as Error).message });
    }
  }

  // ---- LTI Dynamic Registration ----

  /** The registration token this LMS hands the tool (single use); undefined once used. */
  registrationToken: string | undefined = `reg-${randomUUID()}`;
  /** The registrations the tool posted. */
  readonly registrations: Record<string, unknown>[] = [];
  /** Changes the OpenID configuration this LMS serves (the refusal tests). */
  editConfiguration: (config: Record<string, unknown>) => Record<string, unknown> = (config) => config;

  /** The URL the LMS opens the tool's registration URL with (`openid_configuration`, `registration_token`). */
  registrationQuery(): URLSearchParams {
    return new URLSearchParams({ openid_configuration: `${this.origin}/.well-known/openid-configuration`, registration_token: this.registrationToken ?? 'used' });
  }

  /** The platform's OpenID configuration (LTI Dynamic Registration §3.4). */
  openIdConfiguration(): Record<string, unknown> {
    return this.editConfiguration({
      issuer: this.issuer,
      authorization_endpoint: `${this.origin}/auth`,
      registration_endpoint: `${this.origin}/register`,
      jwks_uri: `${this.origin}/jwks`,
      token_endpoint: this.tokenUrl,
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', ...Object.values(SCOPES)],
      response_types_supported: ['id_token'],
      subject_types_supported: ['public', 'pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      claims_supported: ['iss', 'sub', 'name'],
      'https://purl.imsglobal.org/spec/lti-platform-configuration': {
        product_family_code: 'fake-lms',
        version: '1.0',
        messages_supported: [{ type: 'LtiResourceLinkRequest' }, { type: 'LtiDeepLinkingRequest' }],
      },
    });
  }

  /** The registration endpoint (§3.5): the bearer token once, a registration with the tool's URLs; answers the client id and deployment. */
  private registerAnswer(request: IncomingMessage, body: string): [number, unknown] {
    const bearer = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
    if (!bearer || bearer !== this.registrationToken) return [401, { error: 'invalid_token' }];
    if (request.headers['content-type'] !== 'application/json') return [400, { error: 'invalid_client_metadata' }];
    const registration = JSON.parse(body) as Record<string, unknown>;
    const tool = registration['https://purl.imsglobal.org/spec/lti-tool-configuration'] as Record<string, unknown> | undefined;
    for (const field of ['initiate_login_uri', 'jwks_uri', 'client_name']) if (typeof registration[field] !== 'string') return [400, { error: 'invalid_client_metadata', field }];
    if (!Array.isArray(registration.redirect_uris) || registration.token_endpoint_auth_method !== 'private_key_jwt' || !tool || typeof tool.target_link_uri !== 'string') return [400, { error: 'invalid_client_metadata' }];
    this.registrationToken = undefined;
    this.registrations.push(registration);
    return [200, { ...registration, client_id: this.clientId, 'https://purl.imsglobal.org/spec/lti-tool-configuration': { ...tool, deployment_id: this.deploymentId } }];
  }

  /** The token endpoint (Security Framework §4.1): a client-credentials grant with a JWT assertion. */
  private async tokenAnswer(request: IncomingMessage, body: string): Promise<[number, unknown]> {
    if (request.headers['content-type'] !== 'application/x-www-form-urlencoded') return [400, { error: 'invalid_request' }];
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'client_credentials') return [400, { error: 'unsupported_grant_type' }];
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') return [400, { error: 'invalid_request' }];
    if (!this.toolJwks) return [401, { error: 'invalid_client', error_description: 'no tool keys registered' }];
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(form.get('client_assertion') ?? '', createLocalJWKSet(this.toolJwks), {
        algorithms: ['RS256'],
        issuer: this.clientId,
        subject: this.clientId,
        audience: this.tokenUrl,
        requiredClaims: ['iat', 'exp', 'jti'],
        currentDate: new Date(this.now()),
        maxTokenAge: 600,
      }));
    } catch (error) {
      return [401, { error: 'invalid_client', error_description: (error as Error).message }];
    }
    // An assertion is single use.
    if (this.usedAssertionIds.has(claims.jti!)) return [401, { error: 'invalid_client', error_description: 'jti reused' }];
    this.usedAssertionIds.add(claims.jti!);
    const asked = (form.get('scope') ?? '').split(' ').filter(Boolean);
    const scope = asked.filter((s) => this.grantedScopes.includes(s));
    if (scope.length === 0) return [400, { error: 'invalid_scope' }];
    const token = randomUUID();
    this.tokensIssued.push({ scope: scope.join(' '), token });
    return [200, { access_token: token, token_type: 'Bearer', expires_in: 3600, scope: scope.join(' ') }];
  }

  /** The Deep Linking return URL: verifies the tool's response JWT (Deep Linking 2.0 §4.2) and creates the link. */
  private async deepLinkReturn(body: string): Promise<{ status: number; html: string }> {
    const refuse = (why: string) => {
      this.refusedResponses.push(why);
      return { status: 400, html: `<!doctype html><title>Refused</title><p id="refused">${why}</p>` };
    };
    const jwt = new URLSearchParams(body).get('JWT');
    if (!jwt || !this.toolJwks) return refuse('no JWT');
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(jwt, createLocalJWKSet(this.toolJwks), { algorithms: ['RS256'], issuer: this.clientId, audience: this.issuer, requiredClaims: ['iat', 'exp', 'nonce'], currentDate: new Date(this.now()) }));
    } catch (error) {
      return refuse((error as Error).message);
    }
    if (claims[`${LTI_CLAIM}message_type`] !== 'LtiDeepLinkingResponse') return refuse('message_type');
    if (claims[`${LTI_CLAIM}version`] !== '1.3.0') return refuse('version');
    if (claims[`${LTI_CLAIM}deployment_id`] !== this.deploymentId) return refuse('deployment_id');
    if (claims[`${DL_CLAIM}data`] !== this.deepLinkData) return refuse('data not echoed');
    const items = claims[`${DL_CLAIM}content_items`] as { type?: string; title?: string; url?: string; lineItem?: Record<string, unknown> }[] | undefined;
    if (!Array.isArray(items) || items.length !== 1 || items[0]!.type !== 'ltiResourceLink' || typeof items[0]!.url !== 'string') return refuse('content_items');
    const link: CreatedLink = { id: `link-dl-${this.createdLinks.length + 1}`, title: items[0]!.title ?? '', url: items[0]!.url!, ...(items[0]!.lineItem ? { lineItem: items[0]!.lineItem } : {}) };
    this.createdLinks.push(link);
    return { status: 200, html: `<!doctype html><title>LMS</title><p id="created">${link.title}: ${link.id}</p>` };
  }

  /** Rotates: a new key signs from now on; the old one stays published unless `dropOld`. */
  async rotateKey({ dropOld = false } = {}): Promise<void> {
    const next = await makeKey();
    this.published = dropOld ? [next] : [next, ...this.published];
  }

  /** A key this LMS never publishes (a token signed with it names an unknown kid). */
  unpublishedKey(): Promise<SigningKey> {
    return makeKey();
  }

  /** The login initiation's parameters for a launch of `targetLinkUri`. */
  loginParams(targetLinkUri: string, user: LmsUser, extra: Record<string, string> = {}): Record<string, string> {
    return { iss: this.issuer, login_hint: user.sub, target_link_uri: targetLinkUri, lti_message_hint: 'resource-link-1', client_id: this.clientId, lti_deployment_id: this.deploymentId, ...extra };
  }

  /** Reads the tool's authentication request (the Location of its login answer). */
  readAuthRequest(location: string): AuthRequest {
    const url = new URL(location);
    if (`${url.origin}${url.pathname}` !== `${this.origin}/auth`) throw new Error(`the tool redirected elsewhere: ${location}`);
    const p = url.searchParams;
    for (const [name, value] of Object.entries({ scope: 'openid', response_type: 'id_token', response_mode: 'form_post', prompt: 'none' })) {
      if (p.get(name) !== value) throw new Error(`authentication request ${name} is ${p.get(name)}`);
    }
    return { state: p.get('state')!, nonce: p.get('nonce')!, clientId: p.get('client_id')!, redirectUri: p.get('redirect_uri')!, loginHint: p.get('login_hint')!, params: p };
  }

  /**
   * The claims of a launch for `user`, as this LMS would send them: a resource-link launch of
   * `link-7` by default (or of the link the login's `lti_message_hint` names, `link:<id>`), a
   * Deep Linking request when the hint is `deep-linking`. With `services`, the NRPS claim and the
   * AGS endpoint claim (scopes as granted, the link's own line item).
   */
  claims(auth: AuthRequest, user: LmsUser, now: number): JWTPayload {
    const hint = auth.params.get('lti_message_hint') ?? '';
    if (hint === 'deep-linking') return this.deepLinkingClaims(auth, user, now);
    const linkId = hint.startsWith('link:') ? hint.slice(5) : 'link-7';
    const claims = this.baseClaims(auth, user, now);
    claims[`${LTI_CLAIM}resource_link`] = { id: linkId, title: 'Presenza attendance' };
    if (this.services) {
      claims['https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice'] = { context_memberships_url: this.membershipsUrl, service_versions: ['2.0'] };
      claims['https://purl.imsglobal.org/spec/lti-ags/claim/endpoint'] = {
        scope: this.grantedScopes.filter((s) => s !== SCOPES.membership),
        lineitems: this.lineItemsUrl,
        lineitem: this.linkLineItem(linkId),
      };
    }
    return claims;
  }

  /** Whether launches name the NRPS and AGS services. */
  services = false;

  /** The claims of a Deep Linking request (Deep Linking 2.0 §4.4) for `user`. */
  deepLinkingClaims(auth: AuthRequest, user: LmsUser, now: number): JWTPayload {
    const claims = this.baseClaims(auth, user, now);
    claims[`${LTI_CLAIM}message_type`] = 'LtiDeepLinkingRequest';
    claims[`${DL_CLAIM}deep_linking_settings`] = {
      deep_link_return_url: `${this.origin}/deep-link-return`,
      accept_types: ['ltiResourceLink'],
      accept_presentation_document_targets: ['iframe', 'window'],
      accept_multiple: false,
      data: this.deepLinkData,
    };
    return claims;
  }

  private baseClaims(auth: AuthRequest, user: LmsUser, now: number): JWTPayload {
    const iat = Math.floor(now / 1000);
    return {
      iss: this.issuer,
      aud: this.clientId,
      sub: user.sub,
      iat,
      exp: iat + 300,
      nonce: auth.nonce,
      name: user.name ?? user.sub,
      [`${LTI_CLAIM}message_type`]: 'LtiResourceLinkRequest',
      [`${LTI_CLAIM}version`]: '1.3.0',
      [`${LTI_CLAIM}deployment_id`]: this.deploymentId,
      [`${LTI_CLAIM}target_link_uri`]: auth.redirectUri,
      [`${LTI_CLAIM}roles`]: [...user.roles],
      [`${LTI_CLAIM}context`]: { id: 'course-42', label: 'BIO101', title: 'Biologia' },
    };
  }

  /** Signs `claims` as an id_token (with the current key, or `key`). */
  async sign(claims: JWTPayload, key?: SigningKey): Promise<string> {
    const k = key ?? this.published[0]!;
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: k.kid, typ: 'JWT' }).sign(k.privateKey);
  }

  /**
   * Drives a whole launch against the tool through `transport`: login initiation (POST), the
   * authorization answer, and the launch form POST from this LMS's origin. `edit` changes the
   * claims (or the form) before sending, for the refusal tests.
   */
  async launch(
    transport: Transport,
    toolOrigin: string,
    user: LmsUser,
    options: {
      now: number;
      edit?: (claims: JWTPayload) => JWTPayload | void;
      key?: SigningKey;
      form?: (form: Record<string, string>) => void;
      /** Runs just before the launch is posted (e.g. to read the database). */
      beforePost?: () => Promise<void>;
      /** `deep-linking`, or `link:<id>` to launch another resource link (see {@link claims}). */
      messageHint?: string;
    } = { now: Date.now() },
  ) {
    const params = this.loginParams(`${toolOrigin}/lti/launch`, user, options.messageHint ? { lti_message_hint: options.messageHint } : {});
    const login = await transport({ method: 'POST', path: '/lti/login', headers: this.formHeaders(), body: new URLSearchParams(params).toString() });
    if (login.status !== 302) throw new Error(`login answered ${login.status}: ${login.text}`);
    const auth = this.readAuthRequest(String(login.headers.location));
    const cookie = stateCookie(login);
    const claims = this.claims(auth, user, options.now);
    const edited = options.edit?.(claims) ?? claims;
    const form: Record<string, string> = { id_token: await this.sign(edited, options.key), state: auth.state };
    options.form?.(form);
    await options.beforePost?.();
    const response = await this.post(transport, form, cookie);
    return { auth, form, response, cookie };
  }

  /** Posts a launch form to the tool, as the browser does from this LMS's page (with the state cookie of its login). */
  post(transport: Transport, form: Record<string, string>, cookie?: string) {
    return transport({ method: 'POST', path: '/lti/launch', headers: { ...this.formHeaders(), ...(cookie ? { cookie } : {}) }, body: new URLSearchParams(form).toString() });
  }

  formHeaders(): Record<string, string> {
    return { origin: this.origin, 'content-type': 'application/x-www-form-urlencoded' };
  }

  /** The tool a browser is sent to by {@link browserPage} (set to drive a real browser). */
  browserTool: string | undefined;
  private readonly browserUsers = new Map<string, LmsUser>();

  /** The URL a browser opens to launch the tool as `user`, as a click in the LMS would (`messageHint`: see {@link claims}). */
  startUrl(user: LmsUser, messageHint?: string): string {
    this.browserUsers.set(user.sub, user);
    return `${this.origin}/start?sub=${encodeURIComponent(user.sub)}${messageHint ? `&hint=${encodeURIComponent(messageHint)}` : ''}`;
  }

  /**
   * The URL of a course page of this LMS that shows the tool to `user` in an iframe, as Moodle's
   * "embed" launch does: the iframe starts on the LMS's own /start. `allow` is the iframe's
   * permissions (none by default: no camera); `messageHint` as in {@link startUrl}.
   */
  courseUrl(user: LmsUser, allow?: string, messageHint?: string): string {
    return `${this.startUrl(user, messageHint).replace('/start?', '/course?')}${allow === undefined ? '' : `&allow=${encodeURIComponent(allow)}`}`;
  }

  /**
   * The LMS's pages in a real browser: /course frames /start, /start posts the login initiation to the tool, /auth
   * answers the tool's authentication request by posting the id_token to its launch URL. Both
   * are auto-submitting forms, as LMSs do.
   */
  private async browserPage(path: string): Promise<string | undefined> {
    const url = new URL(path, this.origin);
    const form = (action: string, fields: Record<string, string>) =>
      `<!doctype html><html><body><form method="post" action="${action}">${Object.entries(fields)
        .map(([name, value]) => `<input type="hidden" name="${name}" value="${value.replace(/"/g, '&quot;')}">`)
        .join('')}</form><script>document.forms[0].submit()</script></body></html>`;
    if (url.pathname === '/course' || url.pathname === '/embed') {
      const allow = url.searchParams.get('allow');
      // /embed frames a page of the tool directly (without a launch), as a page framing it against its will would.
      const path = url.searchParams.get('path') ?? '';
      const hint = url.searchParams.get('hint');
      const start =
        url.pathname === '/embed' && path.startsWith('/')
          ? `${this.browserTool}${path}`
          : `/start?sub=${encodeURIComponent(url.searchParams.get('sub') ?? '')}${hint ? `&amp;hint=${encodeURIComponent(hint)}` : ''}`;
      return `<!doctype html><html lang="en"><head><meta name="viewport" content="width=device-width, initial-scale=1"><title>Course · Fake LMS</title></head><body style="margin:0;font-family:system-ui"><main aria-label="Fake LMS course"><h1 style="font-size:1rem;margin:0;padding:0.5rem;background:#eee">Biologia · Fake LMS</h1><iframe title="Presenza" src="${start}"${allow === null ? '' : ` allow="${allow.replace(/"/g, '&quot;')}"`} style="border:0;width:100%;height:calc(100vh - 2.5rem);display:block"></iframe></main></body></html>`;
    }
    if (url.pathname === '/start') {
      const user = this.browserUsers.get(url.searchParams.get('sub') ?? '');
      const hint = url.searchParams.get('hint');
      return user && form(`${this.browserTool}/lti/login`, this.loginParams(`${this.browserTool}/lti/launch`, user, hint ? { lti_message_hint: hint } : {}));
    }
    if (url.pathname === '/auth') {
      const auth = this.readAuthRequest(url.toString());
      const user = this.browserUsers.get(auth.loginHint);
      return user && form(auth.redirectUri, { id_token: await this.sign(this.claims(auth, user, this.now())), state: auth.state });
    }
    return undefined;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
