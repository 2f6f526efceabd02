/**
 * Calls to a platform's LTI services (1EdTech Security Framework 1.0 §4, NRPS 2.0, AGS 2.0):
 * an access token from the platform's token endpoint by the OAuth 2 client-credentials grant with
 * a JWT client assertion signed by the tool's key (cached until shortly before it expires), the
 * context membership with its paging, and the gradebook's line items and scores.
 *
 * Every failure is a {@link PlatformServiceError} with a stable code; nothing here stores data.
 */
import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT, type JWK } from 'jose';
import type { LtiPlatform } from './config.js';
import { serviceUrl } from './tool.js';
import { TOOL_KEY_ALG } from './toolKey.js';

export const SCOPE_MEMBERSHIP = 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly';
export const SCOPE_LINEITEM = 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem';
export const SCOPE_SCORE = 'https://purl.imsglobal.org/spec/lti-ags/scope/score';

/** Lifetime of the client assertion. */
export const CLIENT_ASSERTION_SECONDS = 300;
/** A cached token is renewed this long before the platform says it expires. */
export const TOKEN_RENEW_MARGIN_MS = 60_000;
/** Longest wait for one answer of the platform. */
export const PLATFORM_TIMEOUT_MS = 10_000;
/** Most membership pages read (a runaway `next` link stops here). */
export const MAX_MEMBERSHIP_PAGES = 100;

export type PlatformServiceErrorCode =
  | 'lti_no_token_url'
  | 'lti_platform_unreachable'
  | 'lti_token_refused'
  | 'lti_membership_refused'
  | 'lti_lineitem_refused'
  | 'lti_score_refused'
  | 'lti_platform_malformed';

/** A platform service call that failed; `status` is the platform's HTTP status when it answered. */
export class PlatformServiceError extends Error {
  constructor(
    readonly code: PlatformServiceErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(`${code}: ${message}`);
  }
}

/** A member of the context as NRPS lists it (only what the roster shows). */
export interface ContextMember {
  readonly userId: string;
  readonly name: string | null;
  readonly roles: readonly string[];
  /** `Active` unless the platform says `Inactive` or `Deleted`. */
  readonly status: string;
}

/** One score as AGS takes it. */
export interface Score {
  readonly userId: string;
  readonly scoreGiven: number;
  readonly scoreMaximum: number;
  readonly comment: string;
  readonly timestamp: string;
}

/** The line item a lesson's scores go to, when the tool may create it. */
export interface LineItemSpec {
  readonly label: string;
  readonly resourceId: string;
  readonly resourceLinkId: string;
  readonly scoreMaximum: number;
  readonly tag: string;
}

const str = (v: unknown, max = 2000): string | null => (typeof v === 'string' && v.length > 0 && v.length <= max ? v : null);

/** The `next` URL of an RFC 8288 `Link` header, if any. */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(',')) {
    const match = /^\s*<([^>]+)>\s*;(.*)$/.exec(part);
    if (match && /(^|;)\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(match[2]!)) return match[1]!;
  }
  return null;
}

/** Calls one platform's services as the tool. */
export class PlatformClient {
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();
  private signingKey: Promise<CryptoKey | Uint8Array> | undefined;

  constructor(
    private readonly options: {
      readonly platform: LtiPlatform;
      /** The tool's private JWK (toolKey.ts). */
      readonly toolKey: JWK;
      readonly now?: () => number;
      readonly fetch?: typeof fetch;
    },
  ) {}

  private get now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** An access token for `scopes`: the cached one while it lasts, else a new one. */
  async accessToken(scopes: readonly string[]): Promise<string> {
    const { platform, toolKey } = this.options;
    if (!platform.accessTokenUrl) throw new PlatformServiceError('lti_no_token_url', `platform ${platform.name} has no accessTokenUrl`);
    const key = [...scopes].sort().join(' ');
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > this.now) return cached.token;
    this.signingKey ??= importJWK(toolKey, TOOL_KEY_ALG);
    const iat = Math.floor(this.now / 1000);
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: TOOL_KEY_ALG, kid: toolKey.kid!, typ: 'JWT' })
      .setIssuer(platform.clientId)
      .setSubject(platform.clientId)
      .setAudience(platform.tokenAudience ?? platform.accessTokenUrl.toString())
      .setIssuedAt(iat)
      .setExpirationTime(iat + CLIENT_ASSERTION_SECONDS)
      .setJti(randomUUID())
      .sign(await this.signingKey);
    const response = await this.send(platform.accessTokenUrl.toString(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
        scope: key,
      }).toString(),
    });
    if (!response.ok) throw new PlatformServiceError('lti_token_refused', `the token endpoint answered ${response.status}`, response.status);
    const body = (await response.json().catch(() => null)) as { access_token?: unknown; expires_in?: unknown } | null;
    const token = str(body?.access_token, 4000);
    if (!token) throw new PlatformServiceError('lti_platform_malformed', 'the token endpoint sent no access_token');
    const lifetime = typeof body!.expires_in === 'number' && body!.expires_in > 0 ? body!.expires_in * 1000 : 3600_000;
    this.tokens.set(key, { token, expiresAt: this.now + lifetime - TOKEN_RENEW_MARGIN_MS });
    return token;
  }

  /** Every member of the context (NRPS), following the `next` links. */
  async members(membershipsUrl: string): Promise<ContextMember[]> {
    const token = await this.accessToken([SCOPE_MEMBERSHIP]);
    const members: ContextMember[] = [];
    const seen = new Set<string>();
    let url: string | null = membershipsUrl;
    for (let page = 0; url && page < MAX_MEMBERSHIP_PAGES; page++) {
      // A page link must stay on the platform's membership service (no request to another host).
      if (seen.has(url) || new URL(url).origin !== new URL(membershipsUrl).origin) throw new PlatformServiceError('lti_platform_malformed', 'a membership page link leaves the platform or loops');
      seen.add(url);
      const response = await this.send(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.ims.lti-nrps.v2.membershipcontainer+json' } });
      if (!response.ok) throw new PlatformServiceError('lti_membership_refused', `the membership service answered ${response.status}`, response.status);
      const body = (await response.json().catch(() => null)) as { members?: unknown } | null;
      if (!body || !Array.isArray(body.members)) throw new PlatformServiceError('lti_platform_malformed', 'the membership answer has no members');
      for (const raw of body.members as Record<string, unknown>[]) {
        const userId = str(raw?.user_id, 255);
        if (!userId) continue;
        const name = str(raw.name, 200) ?? ([str(raw.given_name, 100), str(raw.family_name, 100)].filter(Boolean).join(' ') || null);
        members.push({
          userId,
          name,
          roles: Array.isArray(raw.roles) ? raw.roles.filter((r): r is string => typeof r === 'string') : [],
          status: raw.status === 'Inactive' || raw.status === 'Deleted' ? raw.status : 'Active',
        });
      }
      const next = nextLink(response.headers.get('link'));
      url = next ? serviceUrl(new URL(next, url).toString()) : null;
    }
    return members;
  }

  /** The line item of `spec` in the context's `lineItemsUrl`: found by its resource id, else created. */
  async lineItem(lineItemsUrl: string, spec: LineItemSpec): Promise<string> {
    const token = await this.accessToken([SCOPE_LINEITEM, SCOPE_SCORE]);
    const query = new URL(lineItemsUrl);
    query.searchParams.set('resource_link_id', spec.resourceLinkId);
    query.searchParams.set('resource_id', spec.resourceId);
    const found = await this.send(query.toString(), { headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.ims.lis.v2.lineitemcontainer+json' } });
    if (!found.ok) throw new PlatformServiceError('lti_lineitem_refused', `the line items service answered ${found.status}`, found.status);
    const items = (await found.json().catch(() => null)) as { id?: unknown; resourceId?: unknown }[] | null;
    if (!Array.isArray(items)) throw new PlatformServiceError('lti_platform_malformed', 'the line items answer is not a list');
    // (A platform may ignore the filter: match the resource id here too.)
    const existing = items.map((i) => (i?.resourceId === spec.resourceId ? serviceUrl(i.id) : null)).find(Boolean);
    if (existing) return existing;
    const created = await this.send(lineItemsUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/vnd.ims.lis.v2.lineitem+json', accept: 'application/vnd.ims.lis.v2.lineitem+json' },
      body: JSON.stringify(spec),
    });
    if (!created.ok) throw new PlatformServiceError('lti_lineitem_refused', `creating the line item answered ${created.status}`, created.status);
    const id = serviceUrl(((await created.json().catch(() => null)) as { id?: unknown } | null)?.id);
    if (!id) throw new PlatformServiceError('lti_platform_malformed', 'the created line item has no id');
    return id;
  }

  /** Posts one score to the line item (its `/scores` endpoint). */
  async postScore(lineItemUrl: string, score: Score): Promise<void> {
    const token = await this.accessToken([SCOPE_SCORE]);
    const url = new URL(lineItemUrl);
    url.pathname = `${url.pathname.replace(/\/$/, '')}/scores`;
    const response = await this.send(url.toString(), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/vnd.ims.lis.v1.score+json' },
      body: JSON.stringify({ ...score, activityProgress: 'Completed', gradingProgress: 'FullyGraded' }),
    });
    if (!response.ok) throw new PlatformServiceError('lti_score_refused', `the score service answered ${response.status}`, response.status);
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    try {
      return await (this.options.fetch ?? fetch)(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(PLATFORM_TIMEOUT_MS) });
    } catch (error) {
      throw new PlatformServiceError('lti_platform_unreachable', `cannot reach ${new URL(url).origin}: ${(error as Error).message}`);
    }
  }
}
