/**
 * The access table, walked whole on each engine: every route, every role (and no session), on the
 * caller's own resource and on another's. Refusals come first and must leave every table as it
 * was; then each allowed call on its own resource must succeed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parseDeploymentConfig } from '../compliance/config.js';
import { ROUTES } from './access.js';
import { parseLtiConfig } from './lti/config.js';
import { loadToolKey } from './lti/toolKey.js';
import { FakeLms, INSTRUCTOR, LEARNER, stateCookie } from '../testing/fakeLms.js';
import { ENGINES, makeWorld, snapshot, startHarness, type Harness, type World } from '../testing/serviceWorld.js';
import { SimulatedStudent, type ApiClient } from '../testing/simulatedStudent.js';

type Role = 'anonymous' | 'student' | 'teacher' | 'auditor';
type Variant = 'own' | 'other';
const ROLES: Role[] = ['anonymous', 'student', 'teacher', 'auditor'];
const EXAMPLE_CONFIG = JSON.parse(readFileSync(new URL('../compliance/example.config.json', import.meta.url), 'utf8')) as unknown;

/** The request a cell makes: the route's parameters filled with the caller's own or another's resources. */
async function request(h: Harness, w: World, url: string, variant: Variant): Promise<{ path: string; body?: unknown; form?: string; headers?: Record<string, string> }> {
  const own = variant === 'own';
  const lessonId = own ? w.l1 : w.l2;
  const checkId = own ? w.c1 : w.c2;
  const keyId = own ? w.s1b.keyId : w.s2b.keyId;
  const path = url.replace(':lessonId', lessonId).replace(':checkId', checkId).replace(':keyId', keyId);
  switch (url) {
    case '/api/launch':
      return { path, body: { token: await h.platform.token('http://localhost:5173', { subject: `fresh-${Math.random()}`, role: 'student' }, { now: h.clock.now }) } };
    case '/lti/login': {
      // The LMS's login initiation: GET with a query, POST with a form.
      const query = new URLSearchParams(lms.loginParams('http://localhost:5173/lti/launch', { sub: 'x', roles: [LEARNER] })).toString();
      return walkingRoute(url, 'GET') ? { path: `${path}?${query}` } : { path, form: query };
    }
    case '/lti/launch': {
      const login = await h.transport({ method: 'GET', path: `/lti/login?${new URLSearchParams(lms.loginParams('http://localhost:5173/lti/launch', { sub: 'x', roles: [LEARNER] }))}`, headers: {} });
      const auth = lms.readAuthRequest(String(login.headers.location));
      const token = await lms.sign(lms.claims(auth, { sub: `fresh-${Math.random()}`, roles: [LEARNER] }, h.clock.now));
      return { path, form: new URLSearchParams({ id_token: token, state: auth.state }).toString(), headers: { cookie: stateCookie(login) } };
    }
    case '/lti/login/check': {
      // A login in the LMS's frame whose state cookie came back.
      const login = await h.transport({ method: 'GET', path: `/lti/login?${new URLSearchParams(lms.loginParams('http://localhost:5173/lti/launch', { sub: 'x', roles: [LEARNER] }))}`, headers: {} });
      return { path: `${path}?${new URLSearchParams({ next: String(login.headers.location) })}`, headers: { cookie: stateCookie(login) } };
    }
    case '/lti/handoff': {
      // A code of student 1's session, posted by its own page into a new window.
      const { body } = await w.s1.client.send('POST', '/api/session/handoff');
      return { path, form: new URLSearchParams({ code: String(body.code) }).toString(), headers: { origin: 'http://localhost:5173' } };
    }
    case '/lti/register': {
      // An LMS of its own per call (a registration token is single use, a registration unique).
      const platform = await FakeLms.start({ clientId: `registered-${registering.length}` });
      registering.push(platform);
      return { path: `${path}?${platform.registrationQuery()}` };
    }
    case '/lti/deep-linking': {
      // A teacher's Deep Linking request from the LMS, then the choice made on its page.
      const { response } = await lms.launch(h.transport, 'http://localhost:5173', { sub: 'dl-teacher', roles: [INSTRUCTOR] }, { now: h.clock.now, messageHint: 'deep-linking' });
      const requestId = /name="request" value="([^"]+)"/.exec(response.text)![1]!;
      return { path, form: new URLSearchParams({ request: requestId, title: 'Presenza attendance' }).toString() };
    }
    case '/api/me/enrollment': {
      // A real enrollment of a third device of student 1 (its own challenge, its own key).
      const prepared = await new SimulatedStudent(w.s1.client).prepareEnrollment(() => h.clock.now);
      return { path, body: prepared };
    }
    case '/api/lessons':
      return { path, body: { title: 'Another lesson' } };
    case '/api/lessons/:lessonId/checks':
      return { path, body: { withinMinutes: 0 } };
    case '/api/checks/:checkId/result': {
      const open = await w.nonceOf(w.s1, w.l1);
      return { path, body: { assertion: await w.s1.signCheck(open, 'pass', undefined, () => h.clock.now) } };
    }
    case '/api/checks/:checkId/confirm':
      return { path, body: { studentId: own ? w.s1.studentId : w.s2.studentId, present: true } };
    default:
      return { path };
  }
}


async function call(h: Harness, client: ApiClient, method: string, path: string, body: unknown, form?: string, extra: Record<string, string> = {}): Promise<{ status: number; error?: unknown }> {
  if (form !== undefined || path.startsWith('/lti/') || path.startsWith('/privacy/')) {
    // The LMS's requests: form posts from its origin, or a top-level GET (so is a visit to the notice page), with the cookies the route needs.
    const cookie = [client.cookie, extra.cookie].filter(Boolean).join('; ');
    const headers = { ...(form !== undefined ? lms.formHeaders() : {}), ...extra, ...(cookie ? { cookie } : {}) };
    const response = await h.transport({ method, path, headers, ...(form !== undefined ? { body: form } : {}) });
    return { status: response.status, error: response.status >= 400 ? (JSON.parse(response.text) as { error: string }).error : undefined };
  }
  if (path.endsWith('/events')) {
    // Event streams: read the status line, then hang up.
    const address = await h.app.listen({ port: 0, host: '127.0.0.1' }).catch(() => h.app.listeningOrigin);
    const controller = new AbortController();
    const response = await fetch(`${address}${path}`, { headers: client.cookie ? { cookie: client.cookie } : {}, signal: controller.signal });
    const error = response.status === 200 ? undefined : ((await response.json()) as { error: string }).error;
    controller.abort();
    return { status: response.status, error };
  }
  const response = await client.send(method, path, body);
  return { status: response.status, error: response.body.error };
}

/** The fake LMS the LTI routes are called from (one per engine's table). */
let lms: FakeLms;
/** The LMSs that registered the tool by Dynamic Registration. */
const registering: FakeLms[] = [];
/** Which method of the route is being walked (the LTI login has a GET and a POST). */
let walking = '';
const walkingRoute = (url: string, method: string) => walking === `${method} ${url}`;

describe.each(ENGINES)('the route × role table on %s', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    lms = await FakeLms.start();
    const dir = mkdtempSync(join(tmpdir(), 'presenza-access-'));
    await loadToolKey(join(dir, 'tool-key.json'), { create: true });
    // With a deployment configuration, so that the service publishes the privacy notice.
    h = await startHarness(engine, { deployment: parseDeploymentConfig(EXAMPLE_CONFIG) }, undefined, undefined, { lti: { config: parseLtiConfig({ toolKeyFile: 'tool-key.json', platforms: [lms.registration()], registrationHosts: ['127.0.0.1'] }, dir) } });
  });
  afterAll(async () => {
    await h.close();
    await lms.close();
    for (const platform of registering.splice(0)) await platform.close();
  });

  it('lists every API route the app serves, once', () => {
    const served = h.app
      .printRoutes({ commonPrefix: false })
      .split('\n')
      .filter((line) => line.includes('/api/'));
    expect(served.length).toBeGreaterThan(0);
    const keys = ROUTES.map((r) => `${r.method} ${r.url}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  for (const rule of ROUTES) {
    it(`${rule.method} ${rule.url}`, async () => {
      walking = `${rule.method} ${rule.url}`;
      const w = await makeWorld(h);
      const clients: Record<Role, ApiClient> = { anonymous: w.anonymous, student: w.s1.client, teacher: w.t1, auditor: w.auditor };
      const allowed = (role: Role) => role !== 'anonymous' && role in rule.roles;
      const ownershipMatters = (role: Role) => allowed(role) && (rule.roles as Record<string, string>)[role] !== 'any';
      const cells: { role: Role; variant: Variant; expected: number; code?: string }[] = [];
      for (const role of ROLES) {
        for (const variant of ['own', 'other'] as const) {
          // Public: answered for anyone (the LTI login by a redirect to the platform).
          if ('public' in rule) cells.push({ role, variant, expected: rule.url === '/lti/login' || rule.url === '/lti/login/check' ? 302 : 200 });
          else if (role === 'anonymous') cells.push({ role, variant, expected: 401, code: 'unauthenticated' });
          else if (!allowed(role)) cells.push({ role, variant, expected: 403, code: 'forbidden_role' });
          else if (variant === 'other' && ownershipMatters(role)) cells.push({ role, variant, expected: 403, code: 'forbidden' });
          else if (variant === 'own' || ownershipMatters(role)) cells.push({ role, variant, expected: 200 });
        }
      }
      const refusals = cells.filter((c) => c.expected === 401 || c.expected === 403);
      // Requests are made up first (making one may issue a challenge), then the tables are read.
      const prepared = [];
      for (const cell of refusals) prepared.push({ cell, ...(await request(h, w, rule.url, cell.variant)) });
      const before = await snapshot(h.db);
      for (const { cell, path, body, form, headers } of prepared) {
        const got = await call(h, clients[cell.role], rule.method, path, body, form, headers);
        expect({ cell, got }).toEqual({ cell, got: { status: cell.expected, error: cell.code } });
      }
      expect(await snapshot(h.db), 'a refused request changed nothing').toBe(before);
      for (const cell of cells.filter((c) => !refusals.includes(c))) {
        const { path, body, form, headers } = await request(h, w, rule.url, cell.variant);
        const got = await call(h, clients[cell.role], rule.method, path, body, form, headers);
        expect({ cell, status: got.status }).toEqual({ cell, status: cell.expected });
      }
    });
  }
});
