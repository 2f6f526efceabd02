/**
 * A fake LMS for the LTI 1.3 tests, written from the 1EdTech Security Framework and LTI Core
 * specifications: its own RS256 key pair, its JWKS served over HTTP on a random port (counting
 * fetches, so caching and key rotation can be asserted), an authorization endpoint that answers
 * the tool's OIDC authentication request with a signed id_token, as the platform's form POST would.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import type { Transport } from './simulatedStudent.js';

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
    };
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

  /** The claims of a resource-link launch for `user`, as this LMS would send them. */
  claims(auth: AuthRequest, user: LmsUser, now: number): JWTPayload {
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
      [`${LTI_CLAIM}resource_link`]: { id: 'link-7', title: 'Presenza attendance' },
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
    } = { now: Date.now() },
  ) {
    const login = await transport({ method: 'POST', path: '/lti/login', headers: this.formHeaders(), body: new URLSearchParams(this.loginParams(`${toolOrigin}/lti/launch`, user)).toString() });
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

  /** The URL a browser opens to launch the tool as `user`, as a click in the LMS would. */
  startUrl(user: LmsUser): string {
    this.browserUsers.set(user.sub, user);
    return `${this.origin}/start?sub=${encodeURIComponent(user.sub)}`;
  }

  /**
   * The URL of a course page of this LMS that shows the tool to `user` in an iframe, as Moodle's
   * "embed" launch does: the iframe starts on the LMS's own /start. `allow` is the iframe's
   * permissions (none by default: no camera).
   */
  courseUrl(user: LmsUser, allow?: string): string {
    return `${this.startUrl(user).replace('/start?', '/course?')}${allow === undefined ? '' : `&allow=${encodeURIComponent(allow)}`}`;
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
      const start = url.pathname === '/embed' && path.startsWith('/') ? `${this.browserTool}${path}` : `/start?sub=${encodeURIComponent(url.searchParams.get('sub') ?? '')}`;
      return `<!doctype html><html lang="en"><head><meta name="viewport" content="width=device-width, initial-scale=1"><title>Course · Fake LMS</title></head><body style="margin:0;font-family:system-ui"><main aria-label="Fake LMS course"><h1 style="font-size:1rem;margin:0;padding:0.5rem;background:#eee">Biologia · Fake LMS</h1><iframe title="Presenza" src="${start}"${allow === null ? '' : ` allow="${allow.replace(/"/g, '&quot;')}"`} style="border:0;width:100%;height:calc(100vh - 2.5rem);display:block"></iframe></main></body></html>`;
    }
    if (url.pathname === '/start') {
      const user = this.browserUsers.get(url.searchParams.get('sub') ?? '');
      return user && form(`${this.browserTool}/lti/login`, this.loginParams(`${this.browserTool}/lti/launch`, user));
    }
    if (url.pathname === '/auth') {
      const auth = this.readAuthRequest(url.toString());
      const user = this.browserUsers.get(auth.loginHint);
      return user && form(auth.redirectUri, { id_token: await this.sign(this.claims(auth, user, Date.now())), state: auth.state });
    }
    return undefined;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
