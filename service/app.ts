/**
 * The demo's HTTP server (Fastify): the teacher and student pages, the SDK files, and a JSON API
 * whose every body is validated by a JSON schema. Every response carries COOP/COEP so the SDK's
 * WASM backend gets two threads. The demo has no login: a platform puts its own in front.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { Attendance, DemoError, MAX_RANDOM_DELAY_MINUTES } from './attendance.js';
import type { Db } from './db.js';
import { EventHub, studentChannel, teacherChannel } from './events.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The built SDK (served at /sdk/) and the demo's pages (served at /). */
export const SDK_DIR = resolve(here, '..', 'dist');
export const PUBLIC_DIR = resolve(here, '..', 'demo', 'public');

/** Largest request body: an assertion is at most 4 KB, everything else is tiny. */
export const BODY_LIMIT_BYTES = 8 * 1024;

const id = (prefix: string) => ({ type: 'string', pattern: `^${prefix}-[0-9a-f-]{36}$` }) as const;
const jws = { type: 'string', minLength: 20, maxLength: 4096, pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$' } as const;
const body = (properties: Record<string, unknown>, required = Object.keys(properties)) =>
  ({ type: 'object', additionalProperties: false, required, properties }) as const;
const params = (properties: Record<string, unknown>) => body(properties);

/** Options of {@link buildApp}. */
export interface AppOptions {
  readonly db: Db;
  /** Origins the pages are served from; an assertion's `aud` must be one of them. */
  readonly origins: readonly string[];
  readonly now?: () => number;
  readonly logger?: boolean;
}

/** Builds the demo server (not listening yet). */
export async function buildApp(options: AppOptions): Promise<{ app: FastifyInstance; attendance: Attendance }> {
  const events = new EventHub();
  const attendance = new Attendance(options.db, events, options.now);
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: BODY_LIMIT_BYTES,
    // Refuse unknown fields instead of silently dropping them.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  });

  /** The audience a page of this request's origin signs for. */
  const audienceOf = (request: FastifyRequest): string => {
    const origin = request.headers.origin;
    return typeof origin === 'string' && options.origins.includes(origin) ? origin : options.origins[0]!;
  };

  app.addHook('onSend', async (_request, reply) => {
    reply.header('Cross-Origin-Opener-Policy', 'same-origin');
    reply.header('Cross-Origin-Embedder-Policy', 'require-corp');
    reply.header('Cross-Origin-Resource-Policy', 'same-origin');
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('Permissions-Policy', 'camera=(self)');
  });

  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof DemoError) return reply.code(error.status).send({ error: error.code, message: error.message });
    const status = (error as { statusCode?: number }).statusCode;
    if ((error as { validation?: unknown }).validation || (status && status >= 400 && status < 500)) {
      return reply.code(status ?? 400).send({ error: 'bad_request', message: error instanceof Error ? error.message : String(error) });
    }
    app.log.error(error);
    return reply.code(500).send({ error: 'internal', message: 'internal error' });
  });

  await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/', index: ['index.html'] });
  await app.register(fastifyStatic, { root: SDK_DIR, prefix: '/sdk/', decorateReply: false });

  app.post('/api/students', { schema: { body: body({ displayName: { type: 'string', minLength: 1, maxLength: 60 } }) } }, async (request) => {
    const { displayName } = request.body as { displayName: string };
    return attendance.createStudent(displayName);
  });

  app.get('/api/students/:studentId', { schema: { params: params({ studentId: id('s') }) } }, async (request) => {
    return attendance.studentStatus((request.params as { studentId: string }).studentId);
  });

  app.post('/api/students/:studentId/enrollment-challenge', { schema: { params: params({ studentId: id('s') }) } }, async (request) => {
    return attendance.enrollmentChallenge((request.params as { studentId: string }).studentId);
  });

  app.post(
    '/api/students/:studentId/enrollment',
    { schema: { params: params({ studentId: id('s') }), body: body({ assertion: jws }) } },
    async (request) => {
      const { studentId } = request.params as { studentId: string };
      return attendance.registerEnrollment(studentId, (request.body as { assertion: string }).assertion, audienceOf(request));
    },
  );

  app.post('/api/lessons', { schema: { body: body({ title: { type: 'string', minLength: 1, maxLength: 120 } }) } }, async (request) => {
    return attendance.createLesson((request.body as { title: string }).title);
  });

  app.get('/api/lessons/:lessonId', { schema: { params: params({ lessonId: id('l') }) } }, async (request) => {
    return attendance.lesson((request.params as { lessonId: string }).lessonId);
  });

  app.post('/api/lessons/:lessonId/end', { schema: { params: params({ lessonId: id('l') }) } }, async (request) => {
    await attendance.endLesson((request.params as { lessonId: string }).lessonId);
    return { status: 'ended' };
  });

  app.post(
    '/api/lessons/:lessonId/join',
    { schema: { params: params({ lessonId: id('l') }), body: body({ studentId: id('s') }) } },
    async (request) => {
      await attendance.join((request.params as { lessonId: string }).lessonId, (request.body as { studentId: string }).studentId);
      return { joined: true };
    },
  );

  app.post(
    '/api/lessons/:lessonId/checks',
    {
      schema: {
        params: params({ lessonId: id('l') }),
        body: body({ withinMinutes: { type: 'integer', minimum: 0, maximum: MAX_RANDOM_DELAY_MINUTES } }),
      },
    },
    async (request) => {
      const { lessonId } = request.params as { lessonId: string };
      return attendance.triggerCheck(lessonId, (request.body as { withinMinutes: number }).withinMinutes);
    },
  );

  app.get('/api/lessons/:lessonId/attendance', { schema: { params: params({ lessonId: id('l') }) } }, async (request) => {
    return attendance.attendance((request.params as { lessonId: string }).lessonId);
  });

  app.get('/api/lessons/:lessonId/attendance.csv', { schema: { params: params({ lessonId: id('l') }) } }, async (request, reply) => {
    const { lessonId } = request.params as { lessonId: string };
    const csv = await attendance.attendanceCsv(lessonId);
    return reply
      .header('Content-Type', 'text/csv; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="attendance-${lessonId}.csv"`)
      .send(csv);
  });

  app.get('/api/lessons/:lessonId/events', { schema: { params: params({ lessonId: id('l') }) } }, async (request, reply) => {
    const { lessonId } = request.params as { lessonId: string };
    const snapshot = await attendance.attendance(lessonId);
    reply.hijack();
    events.subscribe(teacherChannel(lessonId), reply.raw, [{ event: 'attendance', data: snapshot }]);
  });

  app.get(
    '/api/lessons/:lessonId/students/:studentId/events',
    { schema: { params: params({ lessonId: id('l'), studentId: id('s') }) } },
    async (request, reply) => {
      const { lessonId, studentId } = request.params as { lessonId: string; studentId: string };
      await attendance.join(lessonId, studentId);
      const open = await attendance.openChecks(lessonId, studentId);
      reply.hijack();
      events.subscribe(
        studentChannel(lessonId, studentId),
        reply.raw,
        open.map((check) => ({ event: 'check', data: check })),
      );
    },
  );

  const checkRoute = { params: params({ checkId: id('c') }) };
  app.post('/api/checks/:checkId/result', { schema: { ...checkRoute, body: body({ studentId: id('s'), assertion: jws }) } }, async (request) => {
    const { studentId, assertion } = request.body as { studentId: string; assertion: string };
    return attendance.submitResult((request.params as { checkId: string }).checkId, studentId, assertion, audienceOf(request));
  });

  app.post('/api/checks/:checkId/retry', { schema: { ...checkRoute, body: body({ studentId: id('s') }) } }, async (request) => {
    return attendance.retry((request.params as { checkId: string }).checkId, (request.body as { studentId: string }).studentId);
  });

  app.post('/api/checks/:checkId/alternative', { schema: { ...checkRoute, body: body({ studentId: id('s') }) } }, async (request) => {
    return attendance.chooseAlternative((request.params as { checkId: string }).checkId, (request.body as { studentId: string }).studentId);
  });

  app.post(
    '/api/checks/:checkId/confirm',
    { schema: { ...checkRoute, body: body({ studentId: id('s'), present: { type: 'boolean' } }) } },
    async (request) => {
      const { studentId, present } = request.body as { studentId: string; present: boolean };
      return attendance.teacherConfirm((request.params as { checkId: string }).checkId, studentId, present);
    },
  );

  // SSE streams are hijacked responses: end them before the server waits for its connections.
  app.addHook('preClose', async () => {
    attendance.close();
    events.closeAll();
  });
  return { app, attendance };
}

/** Where the SQLite file lives by default. */
export const DEFAULT_SQLITE_FILE = join(here, '..', 'demo', 'data', 'presenza-demo.sqlite');
