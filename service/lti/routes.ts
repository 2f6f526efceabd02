/**
 * The LTI routes (each one is in the access table, access.ts): login initiation, the cookie check
 * of a login in the LMS's frame, launch, Deep Linking, the handoff of a session to a new window,
 * the tool's public JWKS, the stylesheet of the LTI pages, and the teacher's views of the
 * platform's services (the course roster, the gradebook scores of a lesson).
 *
 * The launch arrives as a form POST from the LMS's origin, so a redirect answering it would still
 * be a cross-site navigation and the browser would not send a `SameSite=Strict` cookie just set.
 * The launch therefore answers with a small page of our own that continues (meta refresh, and a
 * link for anyone whose browser does not follow it) to the teacher's or student's page: that
 * navigation starts on our origin. In the LMS's frame the session cookie is the partitioned one
 * of frame.ts instead.
 *
 * A login in a frame first checks that the browser kept its state cookie (a round trip through
 * /lti/login/check); a browser that keeps no cookie in the frame is offered the same login in a
 * new window, where it works, instead of a launch that would fail.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { JSONWebKeySet, JWK } from 'jose';
import type { Db } from '../db.js';
import { ServiceError } from '../errors.js';
import type { Sessions } from '../sessions.js';
import { DEFAULT_TITLE, deepLinkPage, deepLinkResponseCsp, deepLinkResponsePage, signDeepLinkResponse, storeDeepLinkRequest, takeDeepLinkRequest } from './deepLinking.js';
import { FRAMED_COOKIE, isFramed, stateCookieName } from './frame.js';
import type { LtiGrades } from './grades.js';
import { recordLink } from './links.js';
import { continuePage, newWindowPage, PAGE_CSS, pageLanguages } from './pages.js';
import { PlatformServiceError, type PlatformClient } from './platformClient.js';
import { register, registrationDoneCsp, registrationDonePage } from './registration.js';
import type { LtiRegistry } from './registry.js';
import { lessonRoster } from './roster.js';
import { LTI_STATE_MS, type LtiTool } from './tool.js';

/** Largest form body of the LTI routes: an id_token with its claims is a few KB, some LMSs send more. */
export const LTI_BODY_LIMIT_BYTES = 64 * 1024;

/** The content type of the platform's POSTs: its body reaches the LTI handlers as a string. */
export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** Where a session's cookie is kept: in the LMS's frame (partitioned), or in a window of its own. */
export type SessionPlace = 'frame' | 'window';

/** What the LTI routes need from the app. */
export interface LtiRouteDeps {
  readonly db: Db;
  readonly now: () => number;
  /** Absent when the service has no LTI registration. */
  readonly lti:
    | {
        readonly tool: LtiTool;
        readonly registry: LtiRegistry;
        readonly toolKey: JWK;
        readonly jwks: JSONWebKeySet;
        readonly grades: LtiGrades;
        readonly clientFor: (issuer: string, clientId: string) => PlatformClient | undefined;
      }
    | undefined;
  readonly sessions: Sessions;
  /** Sets the session cookie for a frame or a window (and clears the other one). */
  readonly setSessionCookie: (reply: FastifyReply, cookie: string, place: SessionPlace) => void;
}

/** A path on our own origin (with its query), never another site's URL. */
const OWN_PATH = /^\/(?![/\\])[A-Za-z0-9._~/?=&%+-]{0,500}$/;

const html = (reply: FastifyReply, page: string) => reply.type('text/html; charset=utf-8').send(page);

/** Reads the form fields of a platform's POST (or the query of a GET login). */
function fields(request: FastifyRequest): Record<string, string> {
  if (request.method === 'GET') return { ...(request.query as Record<string, string>) };
  if (typeof request.body !== 'string') throw new ServiceError(415, 'unsupported_media_type', `send ${FORM_CONTENT_TYPE}`);
  const out: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(request.body)) {
    // A repeated field is ambiguous: refuse rather than pick one.
    if (name in out) throw new ServiceError(400, 'lti_malformed', `field ${name} is repeated`);
    out[name] = value;
  }
  return out;
}

/** The handlers of the LTI routes, keyed like the access table. */
export function ltiHandlers(deps: LtiRouteDeps): Record<string, { handler: Handler; bodyLimit?: number; schema?: object }> {
  const lti = () =>
    deps.lti ??
    (() => {
      throw new ServiceError(404, 'lti_not_configured', 'this service has no LTI registration');
    })();
  const tool = () => lti().tool;
  const lessonOf = (request: FastifyRequest) => (request.params as { lessonId: string }).lessonId;
  const noClient = () => undefined;
  const lessonParams = { params: { type: 'object', additionalProperties: false, required: ['lessonId'], properties: { lessonId: { type: 'string', pattern: '^l-[0-9a-f-]{36}$' } } } };
  const login: Handler = async (request, reply) => {
    const url = new URL(await tool().login(fields(request)));
    const state = url.searchParams.get('state')!;
    reply.setCookie(stateCookieName(state), state, { ...FRAMED_COOKIE, maxAge: LTI_STATE_MS / 1000 });
    // In a window of its own the browser keeps the cookie: straight to the platform.
    if (!isFramed(request)) return reply.redirect(url.toString(), 302);
    // In a frame, first a round trip to see whether the browser kept it.
    return html(reply, continuePage(`/lti/login/check?${new URLSearchParams({ next: url.toString() })}`, pageLanguages(request.headers['accept-language']), 'signingIn'));
  };
  return {
    'GET /lti/login': { handler: login },
    'POST /lti/login': { handler: login, bodyLimit: LTI_BODY_LIMIT_BYTES },
    'GET /lti/login/check': {
      handler: async (request, reply) => {
        const { next } = request.query as { next?: unknown };
        let url: URL | undefined;
        try {
          url = new URL(String(next));
        } catch {
          // Refused just below.
        }
        // Only to the authorization endpoint of a registered platform, never anywhere else.
        const platform = url && tool().platformOfAuthRequest(url);
        const state = url?.searchParams.get('state');
        if (!url || !platform || !state) throw new ServiceError(400, 'lti_target', 'not an authentication request of this tool');
        if (request.cookies[stateCookieName(state)] === state) return reply.redirect(url.toString(), 302);
        // No cookie came back: the same login, started again in a window of its own.
        const restart = new URLSearchParams({ iss: platform.issuer, login_hint: url.searchParams.get('login_hint') ?? '', target_link_uri: tool().urls.launch, client_id: platform.clientId });
        const hint = url.searchParams.get('lti_message_hint');
        if (hint !== null) restart.set('lti_message_hint', hint);
        return html(reply, newWindowPage(`/lti/login?${restart}`, pageLanguages(request.headers['accept-language'])));
      },
    },
    'POST /lti/launch': {
      bodyLimit: LTI_BODY_LIMIT_BYTES,
      handler: async (request, reply) => {
        const form = fields(request);
        const stateCookie = typeof form.state === 'string' ? stateCookieName(form.state) : undefined;
        const checked = await tool().verify(form, { state: stateCookie ? request.cookies[stateCookie] : undefined });
        // Single use: of two posts of the same state, only one opens a session (or a Deep Linking page).
        if (!(await checked.consumeState())) throw new ServiceError(401, 'lti_state_unknown', 'unknown, used or expired state: start the launch again from the platform');
        if (checked.kind === 'deepLinking') {
          const requestId = await storeDeepLinkRequest(deps.db, checked, deps.now());
          request.log.info({ platform: checked.platform.name }, 'LTI deep linking request');
          return html(reply, deepLinkPage(requestId));
        }
        const { cookie, session } = await deps.sessions.open(checked.launch);
        await recordLink(deps.db, checked, deps.now());
        deps.setSessionCookie(reply, cookie, isFramed(request) ? 'frame' : 'window');
        reply.clearCookie(stateCookie!, FRAMED_COOKIE);
        request.log.info({ user: session.userId, role: session.role, platform: checked.platform.name, framed: isFramed(request) }, 'LTI launch');
        return html(reply, continuePage(checked.page, pageLanguages(request.headers['accept-language'])));
      },
    },
    'POST /lti/deep-linking': {
      bodyLimit: LTI_BODY_LIMIT_BYTES,
      handler: async (request, reply) => {
        const form = fields(request);
        const title = (form.title ?? '').replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, 120) || DEFAULT_TITLE;
        const { toolKey } = lti();
        const pending = await takeDeepLinkRequest(deps.db, form.request, deps.now());
        const jwt = await signDeepLinkResponse({ toolKey, request: pending, launchUrl: tool().urls.launch, title, now: deps.now() });
        const csp = reply.getHeader('content-security-policy');
        if (typeof csp === 'string') reply.header('content-security-policy', deepLinkResponseCsp(csp, pending.returnUrl));
        return html(reply, deepLinkResponsePage(pending.returnUrl, jwt));
      },
    },
    'POST /lti/handoff': {
      handler: async (request, reply) => {
        const form = fields(request);
        const next = OWN_PATH.test(form.next ?? '') ? form.next! : '/';
        const { cookie, session } = await deps.sessions.claimHandoff(form.code);
        // A new window is a top-level page of our own: the SameSite=Strict cookie works there.
        deps.setSessionCookie(reply, cookie, 'window');
        request.log.info({ user: session.userId, role: session.role }, 'session handed to a new window');
        return html(reply, continuePage(next, pageLanguages(request.headers['accept-language'])));
      },
    },
    'GET /lti/register': {
      handler: async (request, reply) => {
        const platform = await register(request.query as Record<string, unknown>, { registry: lti().registry, urls: tool().urls, now: deps.now() });
        request.log.info({ platform: platform.name, issuer: platform.issuer }, 'LTI platform registered');
        const csp = reply.getHeader('content-security-policy');
        if (typeof csp === 'string') reply.header('content-security-policy', registrationDoneCsp(csp, platform));
        return html(reply, registrationDonePage(pageLanguages(request.headers['accept-language'])));
      },
    },
    'GET /lti/jwks': {
      handler: async (_request, reply) => reply.header('Cache-Control', 'public, max-age=300').send(lti().jwks),
    },
    'GET /api/lessons/:lessonId/roster': {
      schema: lessonParams,
      handler: async (request) => {
        try {
          return await lessonRoster(deps.db, lessonOf(request), deps.lti?.clientFor ?? noClient);
        } catch (error) {
          // The platform failed us: say which of its steps, as a bad gateway.
          if (error instanceof PlatformServiceError) throw new ServiceError(502, error.code, error.message);
          throw error;
        }
      },
    },
    'GET /lti/page.css': {
      handler: async (_request, reply) => reply.type('text/css; charset=utf-8').header('Cache-Control', 'public, max-age=3600').send(PAGE_CSS),
    },
    'GET /api/lessons/:lessonId/grades': {
      schema: lessonParams,
      handler: async (request) => (deps.lti ? deps.lti.grades.view(lessonOf(request)) : { available: false, lineItem: null, scores: [] }),
    },
    'POST /api/lessons/:lessonId/grades/retry': {
      schema: lessonParams,
      handler: async (request) => (deps.lti ? deps.lti.grades.retry(lessonOf(request), { id: request.session!.userId, role: request.session!.role }) : { requeued: 0 }),
    },
  };
}
