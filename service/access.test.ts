/**
 * The access table, walked whole on each engine: every route, every role (and no session), on the
 * caller's own resource and on another's. Refusals come first and must leave every table as it
 * was; then each allowed call on its own resource must succeed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from './access.js';
import { ENGINES, makeWorld, snapshot, startHarness, type Harness, type World } from '../testing/serviceWorld.js';
import { SimulatedStudent, type ApiClient } from '../testing/simulatedStudent.js';

type Role = 'anonymous' | 'student' | 'teacher' | 'auditor';
type Variant = 'own' | 'other';
const ROLES: Role[] = ['anonymous', 'student', 'teacher', 'auditor'];

/** The request a cell makes: the route's parameters filled with the caller's own or another's resources. */
async function request(h: Harness, w: World, url: string, variant: Variant): Promise<{ path: string; body?: unknown }> {
  const own = variant === 'own';
  const lessonId = own ? w.l1 : w.l2;
  const checkId = own ? w.c1 : w.c2;
  const keyId = own ? w.s1b.keyId : w.s2b.keyId;
  const path = url.replace(':lessonId', lessonId).replace(':checkId', checkId).replace(':keyId', keyId);
  switch (url) {
    case '/api/launch':
      return { path, body: { token: await h.platform.token('http://localhost:5173', { subject: `fresh-${Math.random()}`, role: 'student' }, { now: h.clock.now }) } };
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


async function call(h: Harness, client: ApiClient, method: string, path: string, body: unknown): Promise<{ status: number; error?: unknown }> {
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

describe.each(ENGINES)('the route × role table on %s', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(engine);
  });
  afterAll(() => h.close());

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
      const w = await makeWorld(h);
      const clients: Record<Role, ApiClient> = { anonymous: w.anonymous, student: w.s1.client, teacher: w.t1, auditor: w.auditor };
      const allowed = (role: Role) => role !== 'anonymous' && role in rule.roles;
      const ownershipMatters = (role: Role) => allowed(role) && (rule.roles as Record<string, string>)[role] !== 'any';
      const cells: { role: Role; variant: Variant; expected: number; code?: string }[] = [];
      for (const role of ROLES) {
        for (const variant of ['own', 'other'] as const) {
          if ('public' in rule) cells.push({ role, variant, expected: 200 });
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
      for (const { cell, path, body } of prepared) {
        const got = await call(h, clients[cell.role], rule.method, path, body);
        expect({ cell, got }).toEqual({ cell, got: { status: cell.expected, error: cell.code } });
      }
      expect(await snapshot(h.db), 'a refused request changed nothing').toBe(before);
      for (const cell of cells.filter((c) => !refusals.includes(c))) {
        const { path, body } = await request(h, w, rule.url, cell.variant);
        const got = await call(h, clients[cell.role], rule.method, path, body);
        expect({ cell, status: got.status }).toEqual({ cell, status: cell.expected });
      }
    });
  }
});
