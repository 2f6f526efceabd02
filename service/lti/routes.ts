/**
 * The LTI routes (each one is in the access table, access.ts): login initiation, launch, Deep
 * Linking, the tool's public JWKS, and the teacher's views of the platform's services (the course
 * roster, the gradebook scores of a lesson).
 *
 * The session cookie is `SameSite=Strict`. The launch arrives as a form POST from the LMS's
 * origin, so a redirect answering it would still be a cross-site navigation and the browser would
 * not send the cookie just set. The launch therefore answers with a small page of our own that
 * continues (meta refresh, and a link for anyone whose browser does not follow it) to the
 * teacher's or student's page: that navigation starts on our origin, so the cookie goes with it.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { JSONWebKeySet, JWK } from 'jose';
import type { Db } from '../db.js';
import { ServiceError } from '../errors.js';
import type { Sessions } from '../sessions.js';
import { DEFAULT_TITLE, deepLinkPage, deepLinkResponseCsp, deepLinkResponsePage, signDeepLinkResponse, storeDeepLinkRequest, takeDeepLinkRequest } from './deepLinking.js';
import type { LtiGrades } from './grades.js';
import { recordLink } from './links.js';
import { PlatformServiceError, type PlatformClient } from './platformClient.js';
import { lessonRoster } from './roster.js';
import type { LtiTool } from './tool.js';

/** Largest form body of the LTI routes: an id_token with its claims is a few KB, some LMSs send more. */
export const LTI_BODY_LIMIT_BYTES = 64 * 1024;

/** The content type of the platform's POSTs: its body reaches the LTI handlers as a string. */
export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** What the LTI routes need from the app. */
export interface LtiRouteDeps {
  readonly db: Db;
  readonly now: () => number;
  /** Absent when the service has no LTI registration. */
  readonly lti:
    | {
        readonly tool: LtiTool;
        readonly toolKey: JWK;
        readonly jwks: JSONWebKeySet;
        readonly grades: LtiGrades;
        readonly clientFor: (issuer: string, clientId: string) => PlatformClient | undefined;
      }
    | undefined;
  readonly sessions: Sessions;
  /** Sets the session cookie exactly as the launch-token exchange does. */
  readonly setSessionCookie: (reply: FastifyReply, cookie: string) => void;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page answering a launch: continues to `page` on our own origin. */
export function continuePage(page: string): string {
  const href = escapeHtml(page);
  return `<!doctype html>
<html lang="it">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="0;url=${href}">
<title>Presenza</title>
</head>
<body>
<main>
<p>Accesso eseguito. <a href="${href}">Continua su Presenza</a></p>
<p lang="en">Signed in. <a href="${href}">Continue to Presenza</a></p>
</main>
</body>
</html>
`;
}

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
  const html = (reply: FastifyReply, page: string) => reply.type('text/html; charset=utf-8').send(page);
  const lessonOf = (request: FastifyRequest) => (request.params as { lessonId: string }).lessonId;
  const noClient = () => undefined;
  const lessonParams = { params: { type: 'object', additionalProperties: false, required: ['lessonId'], properties: { lessonId: { type: 'string', pattern: '^l-[0-9a-f-]{36}$' } } } };
  const login: Handler = async (request, reply) => reply.redirect(await tool().login(fields(request)), 302);
  return {
    'GET /lti/login': { handler: login },
    'POST /lti/login': { handler: login, bodyLimit: LTI_BODY_LIMIT_BYTES },
    'POST /lti/launch': {
      bodyLimit: LTI_BODY_LIMIT_BYTES,
      handler: async (request, reply) => {
        const checked = await tool().verify(fields(request));
        // Single use: of two posts of the same state, only one opens a session (or a Deep Linking page).
        if (!(await checked.consumeState())) throw new ServiceError(401, 'lti_state_unknown', 'unknown, used or expired state: start the launch again from the platform');
        if (checked.kind === 'deepLinking') {
          const requestId = await storeDeepLinkRequest(deps.db, checked, deps.now());
          request.log.info({ platform: checked.platform.name }, 'LTI deep linking request');
          return html(reply, deepLinkPage(requestId));
        }
        const { cookie, session } = await deps.sessions.open(checked.launch);
        await recordLink(deps.db, checked, deps.now());
        deps.setSessionCookie(reply, cookie);
        request.log.info({ user: session.userId, role: session.role, platform: checked.platform.name }, 'LTI launch');
        return html(reply, continuePage(checked.page));
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

