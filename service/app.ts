/**
 * The attendance service's HTTP server (Fastify): a JSON API whose every route is in the access
 * table (access.ts) and whose every body is validated by a JSON schema, the SDK files, and the
 * pages it is given to serve. Sessions come from launch tokens (launch.ts, sessions.ts).
 *
 * Every response, event streams included, carries the security headers (CSP without
 * `unsafe-inline`, frame-ancestors, HSTS over HTTPS) and COOP/COEP so the SDK's WASM backend
 * gets two threads. Logs are structured (pino) and carry no cookie, token, name or address.
 */
import { randomUUID } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import type { DestinationStream } from 'pino';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { owns, ROUTES, type RouteRule } from './access.js';
import { Attendance, MAX_RANDOM_DELAY_MINUTES } from './attendance.js';
import { readAudit, verifyAuditChain } from './audit.js';
import { defaultInstanceId, resolveConfig, type ResolvedConfig, type ServiceConfig } from './config.js';
import type { Db } from './db.js';
import { ServiceError } from './errors.js';
import { EventHub, lessonChannel, parseLastEventId, studentChannel, teacherChannel, type SnapshotMessage } from './events.js';
import { LaunchVerifier } from './launch.js';
import type { LtiConfig } from './lti/config.js';
import { FRAMED_COOKIE, frameAncestors, isLtiPage, wantsHtml } from './lti/frame.js';
import { LtiGrades } from './lti/grades.js';
import { pageLanguages, refusalPage } from './lti/pages.js';
import { PlatformClient } from './lti/platformClient.js';
import { FORM_CONTENT_TYPE, ltiHandlers, type SessionPlace } from './lti/routes.js';
import { loadToolKey, toolJwks } from './lti/toolKey.js';
import { LtiRegistry } from './lti/registry.js';
import { LtiTool } from './lti/tool.js';
import { noticeHandlers } from './notice.js';
import { registerSdkAssets } from './sdkAssets.js';
import { CSRF_HEADER, csrfMatches, FRAMED_SESSION_COOKIE, sessionCookieName, Sessions, type Session } from './sessions.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The built SDK (served at /sdk/, except its unpublished testing/ folder). */
export const SDK_DIR = resolve(here, '..', 'dist');

/** Largest request body: an assertion is at most 4 KB, a launch token less, everything else is tiny. */
export const BODY_LIMIT_BYTES = 8 * 1024;

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user, set before the handler of any non-public API route runs. */
    session?: Session;
    /** The access rule of the route, when it is an API route. */
    rule?: RouteRule;
    /** Why the request is refused, decided before its rate limit counted it. */
    refusal?: Error;
  }
}

const id = (prefix: string) => ({ type: 'string', pattern: `^${prefix}-[0-9a-f-]{36}$` }) as const;
const jws = { type: 'string', minLength: 20, maxLength: 4096, pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$' } as const;
const body = (properties: Record<string, unknown>, required = Object.keys(properties)) =>
  ({ type: 'object', additionalProperties: false, required, properties }) as const;
const params = (properties: Record<string, unknown>) => body(properties);
/** A display text: no control characters. */
const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength, pattern: '^[^\\u0000-\\u001f\\u007f]+$' }) as const;

/** Options of {@link buildApp}. */
export interface AppOptions {
  readonly db: Db;
  readonly config: ServiceConfig;
  /** A folder of pages served at `/` (the demo's); none by default. */
  readonly publicDir?: string;
  readonly now?: () => number;
  /** Structured logs: to this stream, or stdout when `true`; off by default. */
  readonly log?: boolean | DestinationStream;
  /** Names this instance in every log line (default: host name and process id). */
  readonly instanceId?: string;
  /** LTI 1.3 registrations (lti/config.ts); without them the LTI routes answer 404. */
  readonly lti?: { readonly config: LtiConfig; readonly jwksCooldownMs?: number };
}

/** A request id a load balancer may pass in `X-Request-Id` (else one is made): short, no spaces or controls. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Pino options: every line names the instance; no cookie, CSRF token, query string or client
 * address in any line.
 */
function loggerOptions(log: AppOptions['log'], instance: string): FastifyServerOptions['logger'] {
  if (!log) return false;
  return {
    level: 'info',
    base: { instance },
    ...(log === true ? {} : { stream: log }),
    redact: { paths: ['req.headers.cookie', 'req.headers.authorization', `req.headers["${CSRF_HEADER}"]`, 'res.headers["set-cookie"]'], censor: '[redacted]' },
    serializers: {
      req: (req: { method: string; url: string; id: string }) => ({ id: req.id, method: req.method, path: req.url.split('?')[0] }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  } as FastifyServerOptions['logger'];
}

/**
 * One log line per request, written when it is answered, with its method, path and status
 * (Fastify writes a second line when a request arrives: half the writes under load).
 */
class AnsweredRequestsLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) return super.requestCompleted(error, request, reply);
    reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}

/** Builds the service (not listening yet). */
export async function buildApp(options: AppOptions): Promise<BuiltApp> {
  const config = resolveConfig(options.config);
  const now = options.now ?? Date.now;
  const { db } = options;
  const sessions = new Sessions(db, config.limits.sessionMs, now);
  const launches = new LaunchVerifier(config.trustedIssuers, config.launchAudience, now);
  const cookieName = sessionCookieName(config.secure);
  let draining = false;

  const app = Fastify({
    logger: loggerOptions(options.log, options.instanceId ?? defaultInstanceId()),
    // Follow one request through the load balancer's logs and ours.
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: BODY_LIMIT_BYTES,
    logController: new AnsweredRequestsLog(),
    trustProxy: config.trustProxy,
    // Refuse unknown fields instead of silently dropping them.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  });

  const events = new EventHub(db, app.log);
  const attendance = new Attendance(db, {
    now,
    keysPerStudent: config.limits.keysPerStudent,
    auditRetentionMs: config.limits.auditRetentionMs,
    ...(config.retention ? { retention: config.retention } : {}),
    onEvents: () => void events.wake(),
    log: app.log,
  });
  await events.start();
  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
  });

  await app.register(fastifyCookie);
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        // The SDK compiles WebAssembly; no inline script, no eval.
        scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
        workerSrc: ["'self'", 'blob:'],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        mediaSrc: ["'self'", 'blob:', 'mediastream:'],
        // The SDK fetches its verified WASM and model bytes through blob: URLs.
        connectSrc: ["'self'", 'blob:'],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(config.secure ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    hsts: config.secure ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: { policy: 'require-corp' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  // The LTI pages may be framed by the registered platforms (frame.ts); every other page by nobody.
  // (The configuration's platforms and the dynamically registered ones: registry.ts.)
  const ltiConfig = options.lti && new LtiRegistry(options.lti.config, db);
  await ltiConfig?.load();
  app.addHook('onRequest', async (request, reply) => {
    if (ltiConfig && isLtiPage(ltiConfig, request.url.split('?')[0]!)) {
      const csp = String(reply.raw.getHeader('Content-Security-Policy'));
      reply.raw.setHeader('Content-Security-Policy', csp.replace("frame-ancestors 'none'", `frame-ancestors 'self' ${frameAncestors(ltiConfig).join(' ')}`));
      // CSP frame-ancestors is the rule; helmet's X-Frame-Options (same origin only) would contradict it.
      reply.raw.removeHeader('X-Frame-Options');
    }
    reply.header('Permissions-Policy', 'camera=(self), microphone=(), geolocation=()');
    // API answers (attendance, tokens) are never cached; the SDK's files may be.
    if (request.url.startsWith('/api/') || request.url.startsWith('/lti/')) reply.header('Cache-Control', 'no-store');
  });

  // API routes only (the SDK's static files are cheap, and a class behind one NAT loads them at
  // once). Each route's limit runs right after authentication (see `config.rateLimit` below), so
  // refused requests count too: a signed-in user is limited as a user, anyone else per address.
  await app.register(fastifyRateLimit, {
    global: false,
    hook: 'onRequest',
    errorResponseBuilder: (_request, context) => new ServiceError(429, 'rate_limited', `too many requests: retry in ${Math.ceil(context.ttl / 1000)} s`),
  });

  // The SDK's unpublished test harness is never served, however the path is spelled.
  app.addHook('onRequest', async (request, reply) => {
    let path = request.url.split('?')[0]!;
    try {
      path = decodeURIComponent(path);
    } catch {
      return reply.code(400).send({ error: 'bad_request', message: 'malformed path' });
    }
    if (/^\/+sdk\/+(.*\/)?testing(\/|$)/i.test(path.replace(/\\/g, '/'))) return reply.code(404).send({ error: 'not_found', message: 'not found' });
  });

  /** The audience a page of this request's origin signs for. */
  const audienceOf = (request: FastifyRequest): string => {
    const origin = request.headers.origin;
    return typeof origin === 'string' && config.allowedOrigins.includes(origin) ? origin : config.publicOrigin;
  };

  // Authentication, CSRF and role, before the body is even read. A refusal is decided here and
  // raised once the route's rate limit has counted the request.
  const rules = new Map<string, RouteRule>(ROUTES.map((r) => [`${r.method} ${r.url}`, r as RouteRule]));
  app.addHook('onRequest', async (request) => {
    const path = request.routeOptions.url;
    // HEAD is answered by the GET route (Fastify adds it): it takes the GET rule.
    const rule = rules.get(`${request.method === 'HEAD' ? 'GET' : request.method} ${path}`);
    if (!rule) {
      // Deny by default: a matched API route that is not in the table is never served.
      if (path?.startsWith('/api/')) request.refusal = new ServiceError(403, 'forbidden_route', 'this route is not in the access table');
      return;
    }
    request.rule = rule;
    try {
      request.session = await authenticate(request, rule);
    } catch (error) {
      request.refusal = error as Error;
    }
  });
  app.addHook('preParsing', async (request) => {
    if (request.refusal) throw request.refusal;
  });

  async function authenticate(request: FastifyRequest, rule: RouteRule): Promise<Session | undefined> {
    const origin = request.headers.origin;
    // A state-changing request from a page of another origin is refused outright.
    const changes = request.method !== 'GET' && request.method !== 'HEAD';
    // A form our own page posts says `Origin: null` (our Referrer-Policy is no-referrer); the
    // browser's fetch metadata still says where it comes from.
    const ownForm = origin === 'null' && request.headers['sec-fetch-site'] === 'same-origin';
    if (changes && !rule.crossSite && typeof origin === 'string' && !ownForm && !config.allowedOrigins.includes(origin)) {
      throw new ServiceError(403, 'bad_origin', 'requests from this origin are not allowed');
    }
    if (rule.public) return undefined;
    // The frame's cookie (SameSite=None) is sent on other sites' requests too: it is taken only
    // on our own pages' requests (fetch metadata; old browsers send none), as SameSite=Strict would.
    const fetchSite = request.headers['sec-fetch-site'];
    if (!request.cookies[cookieName] && request.cookies[FRAMED_SESSION_COOKIE] && fetchSite !== undefined && fetchSite !== 'same-origin') {
      throw new ServiceError(403, 'cross_site', 'requests from another site are not allowed');
    }
    const session = await sessions.find(sessionCookieOf(request));
    // No session: sign in through the platform.
    if (!session) throw new ServiceError(401, 'unauthenticated', 'no valid session: sign in through your platform');
    // State-changing requests echo the session's CSRF token.
    if (changes && !csrfMatches(session, request.headers[CSRF_HEADER])) throw new ServiceError(403, 'csrf', 'missing or wrong CSRF token');
    // The role must be listed for the route.
    if (!(session.role in rule.roles)) throw new ServiceError(403, 'forbidden_role', `a ${session.role} may not do this`);
    return session;
  }

  // A NUL byte anywhere in the input is refused the same way on both engines.
  app.addHook('preValidation', async (request) => {
    const hasNul = (value: unknown): boolean =>
      typeof value === 'string' ? value.includes('\u0000') : value !== null && typeof value === 'object' && Object.entries(value).some(([k, v]) => k.includes('\u0000') || hasNul(v));
    if (hasNul(request.body) || hasNul(request.params) || hasNul(request.query)) throw new ServiceError(400, 'nul_byte', 'input contains a NUL byte');
  });

  // Ownership of the resource the route names, once its parameters are validated.
  app.addHook('preHandler', async (request) => {
    const { rule, session } = request;
    if (!rule || rule.public || !session || request.refusal) return;
    const ownership = rule.roles[session.role]!;
    const verdict = await owns(db, session, ownership, request.params as Record<string, string>);
    if (verdict === 'missing') throw new ServiceError(404, 'not_found', 'no such resource');
    if (verdict === 'no') throw new ServiceError(403, 'forbidden', 'not yours');
  });

  /** The session cookie of a request: the window's (SameSite=Strict), else the LMS frame's. */
  function sessionCookieOf(request: FastifyRequest): string | undefined {
    return request.cookies[cookieName] ?? request.cookies[FRAMED_SESSION_COOKIE];
  }

  const STATUS_CODES: Record<number, string> = { 404: 'not_found', 413: 'body_too_large', 415: 'unsupported_media_type', 429: 'rate_limited' };
  app.setErrorHandler((error, request, reply) => {
    // A browser refused on an LTI route (often inside the LMS's frame) gets a page, not JSON.
    if (error instanceof ServiceError && request.url.startsWith('/lti/') && wantsHtml(request)) {
      return reply.code(error.status).type('text/html; charset=utf-8').send(refusalPage(error.code, pageLanguages(request.headers['accept-language'])));
    }
    if (error instanceof ServiceError) return reply.code(error.status).send({ error: error.code, message: error.message });
    const status = (error as { statusCode?: number }).statusCode;
    if ((error as { validation?: unknown }).validation || (status && status >= 400 && status < 500)) {
      const code = status ? (STATUS_CODES[status] ?? 'bad_request') : 'bad_request';
      return reply.code(status ?? 400).send({ error: code, message: error instanceof Error ? error.message : String(error) });
    }
    request.log.error({ err: { type: (error as Error).name, message: (error as Error).message, stack: (error as Error).stack } }, 'request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal error' });
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not_found', message: 'not found' }));

  if (options.publicDir) await app.register(fastifyStatic, { root: options.publicDir, prefix: '/', index: ['index.html'] });
  await registerSdkAssets(app, { root: SDK_DIR, prefix: '/sdk/', decorateReply: !options.publicDir });

  const me = (request: FastifyRequest) => request.session!;
  const actor = (request: FastifyRequest) => ({ id: me(request).userId, role: me(request).role });

  /**
   * Opens an SSE stream for the session's user, within the per-user cap, with the security
   * headers: resumed after the browser's `Last-Event-ID`, or started from `snapshot`.
   */
  const stream = async (request: FastifyRequest, reply: FastifyReply, channels: string[], snapshot: () => Promise<SnapshotMessage[]>) => {
    const userId = me(request).userId;
    if (events.openStreams(userId) >= config.limits.streamsPerUser) throw new ServiceError(429, 'too_many_streams', 'too many open event streams');
    const headers = reply.getHeaders();
    reply.hijack();
    await events.subscribe(channels, reply.raw, { userId, headers, lastEventId: parseLastEventId(request.headers['last-event-id']), snapshot });
  };

  /** Whether this instance should get traffic: not shutting down, database answering, notifications arriving. */
  const readiness = async (): Promise<{ ready: boolean; checks: Record<string, boolean> }> => {
    const database = await db.get('SELECT 1 AS ok').then(
      () => true,
      () => false,
    );
    const checks = { accepting: !draining, database, notifications: events.connected };
    return { ready: Object.values(checks).every(Boolean), checks };
  };

  const setSessionCookie = (reply: FastifyReply, cookie: string, place: SessionPlace = 'window') => {
    const maxAge = Math.floor(config.limits.sessionMs / 1000);
    if (place === 'frame') reply.setCookie(FRAMED_SESSION_COOKIE, cookie, { ...FRAMED_COOKIE, maxAge });
    else reply.setCookie(cookieName, cookie, { httpOnly: true, secure: config.secure, sameSite: 'strict', path: '/', maxAge });
  };
  // LTI platforms post forms: the body stays a string that only the LTI handlers read; every other
  // route refuses a form as before (a cross-site form can never reach the JSON API).
  app.addContentTypeParser(FORM_CONTENT_TYPE, { parseAs: 'string' }, (request, text, done) =>
    request.routeOptions.url?.startsWith('/lti/') ? done(null, text) : done(new ServiceError(415, 'unsupported_media_type', 'send application/json'), undefined),
  );
  const lti = options.lti && ltiConfig && (await ltiServices({ ...options.lti, registry: ltiConfig }, { db, origin: config.publicOrigin, now, log: app.log }));
  type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  const lessonParam = params({ lessonId: id('l') });
  const checkParam = params({ checkId: id('c') });
  const handlers: Record<string, { schema?: object; handler: Handler; bodyLimit?: number }> = {
    ...ltiHandlers({ db, now, lti, sessions, setSessionCookie }),
    ...noticeHandlers(config.deployment),
    'GET /health/live': { handler: async () => ({ status: 'live' }) },
    'GET /health/ready': {
      handler: async (_request, reply) => {
        const { ready, checks } = await readiness();
        return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks });
      },
    },
    'POST /api/launch': {
      schema: { body: body({ token: jws }) },
      handler: async (request, reply) => {
        const launch = await launches.verify((request.body as { token: string }).token);
        const { cookie, session } = await sessions.open(launch);
        setSessionCookie(reply, cookie);
        request.log.info({ user: session.userId, role: session.role }, 'session started');
        return { role: session.role, lessonId: session.lessonId, csrfToken: session.csrfToken };
      },
    },
    'GET /api/session': {
      handler: async (request) => {
        const { userId, role, displayName, course, lessonId, csrfToken, expiresAt } = me(request);
        return { userId, role, displayName, course, lessonId, csrfToken, expiresAt };
      },
    },
    'POST /api/session/end': {
      handler: async (request, reply) => {
        await sessions.revoke(sessionCookieOf(request)!, me(request));
        if (request.cookies[cookieName]) reply.clearCookie(cookieName, { path: '/' });
        else reply.clearCookie(FRAMED_SESSION_COOKIE, FRAMED_COOKIE);
        return { ended: true };
      },
    },
    'POST /api/session/handoff': { handler: async (request) => sessions.handoff(sessionCookieOf(request)!) },
    'GET /api/me/enrollment': { handler: async (request) => attendance.studentStatus(me(request).userId) },
    'POST /api/me/enrollment-challenge': { handler: async (request) => attendance.enrollmentChallenge(me(request).userId) },
    'POST /api/me/enrollment': {
      schema: { body: body({ assertion: jws }) },
      handler: async (request) => attendance.registerEnrollment(me(request).userId, (request.body as { assertion: string }).assertion, audienceOf(request)),
    },
    'POST /api/me/keys/:keyId/revoke': {
      schema: { params: params({ keyId: id('k') }) },
      handler: async (request) => attendance.revokeKey(me(request).userId, (request.params as { keyId: string }).keyId),
    },
    'POST /api/lessons': {
      schema: { body: body({ title: text(120) }) },
      handler: async (request) => attendance.createLesson(me(request).userId, (request.body as { title: string }).title, me(request).course),
    },
    'GET /api/lessons/:lessonId': {
      schema: { params: lessonParam },
      handler: async (request) => attendance.lesson((request.params as { lessonId: string }).lessonId),
    },
    'POST /api/lessons/:lessonId/join': {
      schema: { params: lessonParam },
      handler: async (request) => {
        const { lessonId } = request.params as { lessonId: string };
        await attendance.join(lessonId, me(request).userId);
        return attendance.lesson(lessonId);
      },
    },
    'POST /api/lessons/:lessonId/end': {
      schema: { params: lessonParam },
      handler: async (request) => {
        const { lessonId } = request.params as { lessonId: string };
        await attendance.endLesson(me(request).userId, lessonId);
        // A lesson of an LMS course: its scores go to the gradebook (delivered by lti.grades).
        await lti?.grades.enqueue(lessonId, actor(request));
        return { status: 'ended' };
      },
    },
    'POST /api/lessons/:lessonId/checks': {
      schema: { params: lessonParam, body: body({ withinMinutes: { type: 'number', minimum: 0, maximum: MAX_RANDOM_DELAY_MINUTES } }) },
      handler: async (request) =>
        attendance.triggerCheck(me(request).userId, (request.params as { lessonId: string }).lessonId, (request.body as { withinMinutes: number }).withinMinutes),
    },
    'GET /api/lessons/:lessonId/attendance': {
      schema: { params: lessonParam, querystring: { type: 'object', additionalProperties: false, properties: { checkId: id('c') } } },
      handler: async (request) => {
        const { lessonId } = request.params as { lessonId: string };
        const result = await attendance.attendance(lessonId, (request.query as { checkId?: string }).checkId);
        await attendance.recordAccess(actor(request), 'attendance.viewed', lessonId);
        return result;
      },
    },
    'GET /api/lessons/:lessonId/checks': {
      schema: { params: lessonParam },
      handler: async (request) => ({ checks: await attendance.checkHistory((request.params as { lessonId: string }).lessonId) }),
    },
    'GET /api/lessons/:lessonId/attendance.csv': {
      schema: { params: lessonParam },
      handler: async (request, reply) => {
        const { lessonId } = request.params as { lessonId: string };
        const csv = await attendance.attendanceCsv(lessonId);
        await attendance.recordAccess(actor(request), 'attendance.exported', lessonId);
        request.log.info({ user: me(request).userId, lesson: lessonId }, 'attendance exported');
        return reply
          .header('Content-Type', 'text/csv; charset=utf-8')
          .header('Content-Disposition', `attachment; filename="attendance-${lessonId}.csv"`)
          .send(csv);
      },
    },
    'GET /api/lessons/:lessonId/events': {
      schema: { params: lessonParam },
      handler: async (request, reply) => {
        const { lessonId } = request.params as { lessonId: string };
        await attendance.recordAccess(actor(request), 'attendance.viewed', lessonId);
        await stream(request, reply, [teacherChannel(lessonId), lessonChannel(lessonId)], () => attendance.teacherSnapshot(lessonId));
      },
    },
    'GET /api/lessons/:lessonId/me/events': {
      schema: { params: lessonParam },
      handler: async (request, reply) => {
        const { lessonId } = request.params as { lessonId: string };
        const studentId = me(request).userId;
        await stream(request, reply, [studentChannel(lessonId, studentId), lessonChannel(lessonId)], () => attendance.studentSnapshot(lessonId, studentId));
      },
    },
    'GET /api/lessons/:lessonId/enrollments': {
      schema: { params: lessonParam },
      handler: async (request) => attendance.pendingEnrollments((request.params as { lessonId: string }).lessonId),
    },
    'POST /api/lessons/:lessonId/enrollments/:keyId/approve': {
      schema: { params: params({ lessonId: id('l'), keyId: id('k') }) },
      handler: async (request) => {
        const { lessonId, keyId } = request.params as { lessonId: string; keyId: string };
        return attendance.approveEnrollment(me(request).userId, lessonId, keyId);
      },
    },
    'POST /api/checks/:checkId/result': {
      schema: { params: checkParam, body: body({ assertion: jws }) },
      handler: async (request) =>
        attendance.submitResult(
          (request.params as { checkId: string }).checkId,
          me(request).userId,
          (request.body as { assertion: string }).assertion,
          audienceOf(request),
          // Makes a repeated post idempotent for this session only (the CSRF token is per session).
          me(request).csrfToken,
        ),
    },
    'POST /api/checks/:checkId/retry': {
      schema: { params: checkParam },
      handler: async (request) => attendance.retry((request.params as { checkId: string }).checkId, me(request).userId),
    },
    'POST /api/checks/:checkId/alternative': {
      schema: { params: checkParam },
      handler: async (request) => attendance.chooseAlternative((request.params as { checkId: string }).checkId, me(request).userId),
    },
    'POST /api/checks/:checkId/confirm': {
      schema: { params: checkParam, body: body({ studentId: id('u'), present: { type: 'boolean' } }) },
      handler: async (request) => {
        const { studentId, present } = request.body as { studentId: string; present: boolean };
        return attendance.teacherConfirm(me(request).userId, (request.params as { checkId: string }).checkId, studentId, present);
      },
    },
    'GET /api/audit': {
      schema: { querystring: { type: 'object', additionalProperties: false, properties: { after: { type: 'string', pattern: '^[0-9]{1,15}$' } } } },
      handler: async (request) => {
        const after = Number((request.query as { after?: string }).after ?? 0);
        const entries = await readAudit(db, { afterSeq: after, limit: 500 });
        await attendance.recordAccess(actor(request), 'audit.viewed');
        return { entries };
      },
    },
    'GET /api/audit/verify': { handler: async () => verifyAuditChain(db) },
    'GET /api/retention': { handler: async () => ({ tables: await attendance.retentionReport() }) },
  };

  // The table and the handlers must match one to one: no route outside the table.
  const unlisted = Object.keys(handlers).filter((key) => !rules.has(key));
  if (unlisted.length) throw new Error(`routes missing from the access table: ${unlisted.join(', ')}`);
  for (const rule of ROUTES) {
    const route = handlers[`${rule.method} ${rule.url}`];
    if (!route) throw new Error(`no handler for ${rule.method} ${rule.url}`);
    app.route({
      method: rule.method,
      url: rule.url,
      ...(route.schema ? { schema: route.schema } : {}),
      ...(route.bodyLimit ? { bodyLimit: route.bodyLimit } : {}),
      // The launch exchange is limited per address; everything else per user once signed in;
      // the load balancer's health probes not at all.
      config: {
        rateLimit: rule.url.startsWith('/health/')
          ? false
          : rule.url === '/api/launch' || rule.url.startsWith('/lti/')
            ? { max: config.limits.launchesPerMinute, timeWindow: 60_000, keyGenerator: (r: FastifyRequest) => r.ip }
            : { max: config.limits.requestsPerMinute, timeWindow: 60_000, keyGenerator: (r: FastifyRequest) => r.session?.userId ?? `ip:${r.ip}` },
      },
      handler: route.handler,
    });
  }

  // SSE streams are hijacked responses: end them before the server waits for its connections
  // (their browsers reconnect to another instance and resume).
  app.addHook('preClose', async () => {
    draining = true;
    events.closeAll();
  });
  app.addHook('onClose', async () => {
    await lti?.grades.stop();
    await events.stop();
  });
  return {
    app,
    ...(lti ? { grades: lti.grades } : {}),
    attendance,
    config,
    sessions,
    events,
    drain: () => {
      draining = true;
    },
  };
}

/** What {@link buildApp} returns. */
export interface BuiltApp {
  app: FastifyInstance;
  attendance: Attendance;
  config: ResolvedConfig;
  sessions: Sessions;
  events: EventHub;
  /** The LMS gradebook outbox (with LTI registrations): started by main.ts, ticked by tests. */
  grades?: LtiGrades;
  /** Marks the instance as shutting down: readiness answers 503 from now on. */
  drain(): void;
}

/** The LTI tool and its services: launch checks, the tool's key, one service client per registration, the gradebook outbox. */
async function ltiServices(options: NonNullable<AppOptions['lti']> & { registry: LtiRegistry }, deps: { db: Db; origin: string; now: () => number; log: FastifyInstance['log'] }) {
  const { db, origin, now, log } = deps;
  const { registry } = options;
  const toolKey = await loadToolKey(registry.toolKeyFile);
  // One client per registration (its token cache), made when first needed.
  const clients = new Map<string, PlatformClient>();
  const clientFor = (issuer: string, clientId: string) => {
    const id = `${issuer}\n${clientId}`;
    const platform = registry.platforms.find((p) => p.issuer === issuer && p.clientId === clientId);
    if (platform && !clients.has(id)) clients.set(id, new PlatformClient({ platform, toolKey, now }));
    return platform && clients.get(id);
  };
  return {
    tool: new LtiTool({ db, config: registry, origin, now, reload: () => registry.load(), ...(options.jwksCooldownMs !== undefined ? { jwksCooldownMs: options.jwksCooldownMs } : {}) }),
    registry,
    toolKey,
    jwks: toolJwks(toolKey),
    clientFor,
    grades: new LtiGrades({ db, clientFor, now, log }),
  };
}

/** Where the SQLite file lives by default (the demo's data folder). */
export const DEFAULT_SQLITE_FILE = join(here, '..', 'demo', 'data', 'presenza.sqlite');
