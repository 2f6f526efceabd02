/**
 * LTI Deep Linking, Names and Role Provisioning and Assignment and Grade Services against the fake
 * LMS (testing/fakeLms.ts), whose endpoints verify what the tool sends (client assertions, the
 * signed Deep Linking response) and record it: the teacher adds the activity, the created link
 * launches, the roster shows who has not joined or enrolled, a lesson's end puts one score per
 * student in the gradebook, with retries that survive a restart. Refusals with their codes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader, type JWK } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeLms, INSTRUCTOR, LEARNER, SCOPES, type LmsUser } from '../../testing/fakeLms.js';
import { ENGINES, ORIGIN, snapshot, startHarness, type Harness } from '../../testing/serviceWorld.js';
import { ApiClient, SimulatedStudent } from '../../testing/simulatedStudent.js';
import { readAudit } from '../audit.js';
import { parseLtiConfig } from './config.js';
import { AUTO_SUBMIT_HASH } from './deepLinking.js';
import { LtiGrades, MAX_SCORE_ATTEMPTS, SCORE_RETRY_BASE_MS } from './grades.js';
import { nextLink, PlatformClient } from './platformClient.js';
import { loadToolKey, toolJwks } from './toolKey.js';

const dir = mkdtempSync(join(tmpdir(), 'presenza-lti-services-'));
const toolKeyFile = join(dir, 'tool-key.json');
const teacher: LmsUser = { sub: 'moodle-teacher-1', roles: [INSTRUCTOR], name: 'Prof. Rossi' };
const learners: LmsUser[] = ['Anna Bianchi', 'Bruno Conti', 'Carla Deri', 'Dario Esposito'].map((name, i) => ({ sub: `moodle-student-${i + 1}`, roles: [LEARNER], name }));

const cookieOf = (response: { headers: Record<string, string | string[] | undefined> }) => String(response.headers['set-cookie'] ?? '').split(';')[0]!;
const errorOf = (response: { status: number; text: string }) => ({ status: response.status, error: (JSON.parse(response.text) as { error: string }).error });

describe.each(ENGINES)('LTI services on %s', (engine) => {
  let h: Harness;
  let lms: FakeLms;
  let toolKey: JWK;
  const now = () => h.clock.now;

  beforeAll(async () => {
    lms = await FakeLms.start();
    toolKey = await loadToolKey(toolKeyFile, { create: true }).catch(() => loadToolKey(toolKeyFile));
    lms.toolJwks = toolJwks(toolKey);
    const config = parseLtiConfig({ toolKeyFile, platforms: [lms.registration()] }, dir);
    h = await startHarness(engine, {}, undefined, undefined, { lti: { config, jwksCooldownMs: 0 } });
    lms.now = () => h.clock.now;
    lms.services = true;
  });
  afterAll(async () => {
    await h.close();
    await lms.close();
  });
  beforeEach(() => {
    lms.grantedScopes = [SCOPES.membership, SCOPES.lineItem, SCOPES.score];
    lms.failScores = 0;
    lms.failMembership = 0;
    lms.toolJwks = toolJwks(toolKey);
    lms.members = rosterOf(learners);
  });
  /** The course's members as the LMS lists them: the teacher and `students`. */
  const rosterOf = (students: LmsUser[]) => [
    { user_id: teacher.sub, name: teacher.name!, roles: [INSTRUCTOR] },
    ...students.map((l) => ({ user_id: l.sub, name: l.name!, email: `${l.sub}@school.example`, roles: [LEARNER] })),
  ];

  /** A browser session opened by an LMS launch. */
  const launchClient = async (user: LmsUser, messageHint?: string) => {
    const { response } = await lms.launch(h.transport, ORIGIN, user, { now: now(), ...(messageHint ? { messageHint } : {}) });
    expect(response.status).toBe(200);
    const client = new ApiClient(h.transport, ORIGIN);
    client.cookie = cookieOf(response);
    client.userId = String((await client.send('GET', '/api/session')).body.userId);
    return { client, page: response.text };
  };
  /** A teacher's lesson with `students` joined; each check's attendance as given. */
  const lessonWith = async (students: LmsUser[], messageHint?: string) => {
    const t = (await launchClient(teacher, messageHint)).client;
    const lessonId = String((await t.send('POST', '/api/lessons', { title: 'Genetica' })).body.lessonId);
    const joined: ApiClient[] = [];
    for (const s of students) {
      const c = (await launchClient(s, messageHint)).client;
      expect((await c.send('POST', `/api/lessons/${lessonId}/join`)).status).toBe(200);
      joined.push(c);
    }
    return { t, lessonId, joined };
  };

  describe('Deep Linking', () => {
    const deepLinkPage = async (user: LmsUser = teacher) => {
      const { response } = await lms.launch(h.transport, ORIGIN, user, { now: now(), messageHint: 'deep-linking' });
      return response;
    };
    const requestIdOf = (html: string) => /name="request" value="([A-Za-z0-9_-]{43})"/.exec(html)![1]!;
    const choose = (requestId: string, title = 'Presenza attendance') =>
      h.transport({ method: 'POST', path: '/lti/deep-linking', headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ request: requestId, title }).toString() });

    it('a teacher adds the activity: a signed response goes back to the platform, which creates the link', async () => {
      const page = await deepLinkPage();
      expect(page.status).toBe(200);
      // No session: the page works without a cookie (it may sit in the LMS's frame).
      expect(page.headers['set-cookie']).toBeUndefined();
      expect(page.text).toContain('action="/lti/deep-linking"');
      const answer = await choose(requestIdOf(page.text), 'Presenza: Biologia');
      expect(answer.status).toBe(200);
      // The form posts to the platform's return URL; the page's CSP allows exactly that and its one script.
      expect(answer.text).toContain(`action="${lms.origin}/deep-link-return"`);
      const csp = String(answer.headers['content-security-policy']);
      expect(csp).toContain(`form-action 'self' ${lms.origin}`);
      expect(csp).toContain(AUTO_SUBMIT_HASH);
      expect(csp).toMatch(/frame-ancestors/);
      const jwt = /name="JWT" value="([^"]+)"/.exec(answer.text)![1]!;
      expect(decodeProtectedHeader(jwt)).toMatchObject({ alg: 'RS256', kid: toolKey.kid });
      expect(decodeJwt(jwt)).toMatchObject({
        iss: lms.clientId,
        aud: lms.issuer,
        'https://purl.imsglobal.org/spec/lti/claim/deployment_id': lms.deploymentId,
        'https://purl.imsglobal.org/spec/lti/claim/message_type': 'LtiDeepLinkingResponse',
        'https://purl.imsglobal.org/spec/lti-dl/claim/data': lms.deepLinkData,
      });
      // The platform verifies it (signature with the tool's keys, audience, data echoed) and creates the link.
      const returned = await fetch(`${lms.origin}/deep-link-return`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ JWT: jwt }) });
      expect(returned.status).toBe(200);
      const link = lms.createdLinks.at(-1)!;
      expect(link).toMatchObject({ title: 'Presenza: Biologia', url: `${ORIGIN}/lti/launch`, lineItem: { scoreMaximum: 100, label: 'Presenza: Biologia' } });
      // The created link launches to the teacher page for teachers, the student page for students.
      expect((await launchClient(teacher, `link:${link.id}`)).page).toContain('url=/teacher.html');
      expect((await launchClient(learners[0]!, `link:${link.id}`)).page).toContain('url=/student.html');
    });

    it('a Deep Linking request is answered once', async () => {
      const id = requestIdOf((await deepLinkPage()).text);
      expect((await choose(id)).status).toBe(200);
      expect(errorOf(await choose(id))).toEqual({ status: 400, error: 'lti_deep_link_unknown' });
      expect(errorOf(await choose('A'.repeat(43)))).toEqual({ status: 400, error: 'lti_deep_link_unknown' });
      expect(errorOf(await choose('not an id'))).toEqual({ status: 400, error: 'lti_deep_link_unknown' });
    });

    it('a Deep Linking request expires', async () => {
      const id = requestIdOf((await deepLinkPage()).text);
      h.clock.now += 31 * 60_000;
      try {
        expect(errorOf(await choose(id))).toEqual({ status: 400, error: 'lti_deep_link_unknown' });
        expect((await h.attendance.purgeExpired()).ltiDeepLinks).toBeGreaterThan(0);
      } finally {
        h.clock.now -= 31 * 60_000;
      }
    });

    const refusals: [string, string, number, (claims: Record<string, unknown>) => void][] = [
      ['a learner', 'lti_deep_linking_role', 403, (c) => void (c['https://purl.imsglobal.org/spec/lti/claim/roles'] = [LEARNER])],
      ['no return URL', 'lti_claims', 401, (c) => void delete (c['https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings'] as Record<string, unknown>).deep_link_return_url],
      ['a return URL over http', 'lti_claims', 401, (c) => void ((c['https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings'] as Record<string, unknown>).deep_link_return_url = 'http://lms.example/return')],
      ['no resource links accepted', 'lti_deep_linking_types', 401, (c) => void ((c['https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings'] as Record<string, unknown>).accept_types = ['file'])],
    ];
    for (const [what, code, status, edit] of refusals) {
      it(`refuses a Deep Linking request: ${what} (${code}), and stores nothing`, async () => {
        let before = '';
        const { response } = await lms.launch(h.transport, ORIGIN, teacher, {
          now: now(),
          messageHint: 'deep-linking',
          edit: (c) => edit(c),
          beforePost: async () => {
            before = await snapshot(h.db);
          },
        });
        expect(errorOf(response)).toEqual({ status, error: code });
        expect(await snapshot(h.db)).toBe(before);
      });
    }

    it('the platform refuses a response that is not the tool’s or does not echo its data', async () => {
      const answer = await choose(requestIdOf((await deepLinkPage()).text));
      const jwt = /name="JWT" value="([^"]+)"/.exec(answer.text)![1]!;
      const [header, payload, signature] = jwt.split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
      claims['https://purl.imsglobal.org/spec/lti-dl/claim/data'] = 'forged';
      const tampered = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
      const before = lms.createdLinks.length;
      const returned = await fetch(`${lms.origin}/deep-link-return`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ JWT: tampered }) });
      expect(returned.status).toBe(400);
      expect(lms.createdLinks.length).toBe(before);
    });
  });

  describe('Names and Role Provisioning', () => {
    it('the teacher sees every learner of the course: who launched, joined, enrolled (all pages read)', async () => {
      const { lessonId, t, joined } = await lessonWith(learners.slice(0, 2));
      // The first student enrolls a device; the third launched but never joined; the fourth never came.
      await SimulatedStudent.enroll(joined[0]!, now);
      await launchClient(learners[2]!);
      const pagesBefore = lms.calls.filter((c) => c.path.startsWith('/nrps/')).length;
      const tokensBefore = lms.tokensIssued.length;
      const roster = await t.send('GET', `/api/lessons/${lessonId}/roster`);
      expect(roster.status).toBe(200);
      expect(roster.body).toEqual({
        available: true,
        members: [
          { name: 'Carla Deri', status: 'Active', launched: true, joined: false, enrolled: false },
          { name: 'Dario Esposito', status: 'Active', launched: false, joined: false, enrolled: false },
          { name: 'Bruno Conti', status: 'Active', launched: true, joined: true, enrolled: false },
          { name: 'Anna Bianchi', status: 'Active', launched: true, joined: true, enrolled: true },
        ],
      });
      // Five members at two a page: three pages, one token with the membership scope.
      expect(lms.calls.filter((c) => c.path.startsWith('/nrps/')).length - pagesBefore).toBe(3);
      expect(lms.tokensIssued.slice(tokensBefore).map((t) => t.scope)).toEqual([SCOPES.membership]);
      // Only names: no e-mail reaches the teacher.
      expect(JSON.stringify(roster.body)).not.toContain('@school.example');
      // The token is cached: a second look asks for none.
      await t.send('GET', `/api/lessons/${lessonId}/roster`);
      expect(lms.tokensIssued.length).toBe(tokensBefore + 1);
    });

    it('a lesson outside an LMS course has no roster; a platform that refuses the tool is a coded 502', async () => {
      const { lessonId, t } = await lessonWith([]);
      const plain = await h.platform.signIn(h.transport, ORIGIN, { subject: 'plain-teacher', name: 'T', role: 'teacher', course: 'c-plain' }, now());
      const plainLesson = String((await plain.send('POST', '/api/lessons', { title: 'x' })).body.lessonId);
      expect((await plain.send('GET', `/api/lessons/${plainLesson}/roster`)).body).toEqual({ available: false, members: [] });
      // A client whose assertion the platform cannot verify (another key) gets no token.
      const other = new PlatformClient({ platform: parseLtiConfig({ toolKeyFile, platforms: [lms.registration()] }, dir).platforms[0]!, toolKey: { ...toolKey, kid: 'unknown-kid' }, now });
      await expect(other.accessToken([SCOPES.membership])).rejects.toMatchObject({ code: 'lti_token_refused', status: 401 });
      // The service's own token is cached; a platform that stops granting the scope answers 403 on a fresh token.
      lms.grantedScopes = [SCOPES.score];
      const fresh = new PlatformClient({ platform: parseLtiConfig({ toolKeyFile, platforms: [lms.registration()] }, dir).platforms[0]!, toolKey, now });
      await expect(fresh.accessToken([SCOPES.membership])).rejects.toMatchObject({ code: 'lti_token_refused', status: 400 });
      expect((await t.send('GET', `/api/lessons/${lessonId}/roster`)).status).toBe(200);
    });

    it('reads the next page from the Link header only', () => {
      expect(nextLink('<https://lms.example/m?p=2>; rel="next", <https://lms.example/m?p=9>; rel="last"')).toBe('https://lms.example/m?p=2');
      expect(nextLink('<https://lms.example/m?p=1>; rel="prev"')).toBeNull();
      expect(nextLink(null)).toBeNull();
    });
  });

  describe('Assignment and Grade Services', () => {
    /** Fires a check and confirms the given students present. */
    const checkWith = async (t: ApiClient, lessonId: string, present: ApiClient[]) => {
      const { checkId } = await h.attendance.fireCheck(lessonId);
      for (const s of present) expect((await t.send('POST', `/api/checks/${checkId}/confirm`, { studentId: s.userId, present: true })).status).toBe(200);
    };

    it('at the lesson’s end, one score per student goes to a line item of the lesson (lineitem scope), and “absent” to the learner who never came', async () => {
      const { t, lessonId, joined } = await lessonWith(learners.slice(0, 3), 'link:link-ags-1');
      await checkWith(t, lessonId, [joined[0]!, joined[1]!]);
      await checkWith(t, lessonId, [joined[0]!]);
      expect((await t.send('GET', `/api/lessons/${lessonId}/grades`)).body).toMatchObject({ available: true, lineItem: 'lineitems', roster: null, scores: [] });
      expect((await t.send('POST', `/api/lessons/${lessonId}/end`)).status).toBe(200);
      const queued = (await t.send('GET', `/api/lessons/${lessonId}/grades`)).body as { roster: unknown; scores: { status: string }[] };
      expect(queued.scores.map((s) => s.status)).toEqual(['pending', 'pending', 'pending']);
      // The roster is read by the outbox, not by the lesson's end.
      expect(queued.roster).toMatchObject({ status: 'pending', attempts: 0 });
      const tokensBefore = lms.tokensIssued.length;
      // The three who joined, and Dario, who never opened Presenza: absent.
      expect(await h.grades!.tick()).toEqual({ sent: 4, failed: 0 });
      const item = [...lms.lineItems.values()].find((i) => i.resourceId === lessonId)!;
      expect(item).toMatchObject({ resourceLinkId: 'link-ags-1', scoreMaximum: 100, tag: 'presenza-attendance' });
      expect(item.label).toMatch(/^Presenza: Genetica \(\d{4}-\d{2}-\d{2}\)$/);
      const bySub = Object.fromEntries(item.scores.map((s) => [s.userId, s]));
      expect(bySub['moodle-student-1']).toMatchObject({ scoreGiven: 100, scoreMaximum: 100, activityProgress: 'Completed', gradingProgress: 'FullyGraded' });
      expect(bySub['moodle-student-2']).toMatchObject({ scoreGiven: 50, comment: 'Presenza: presente / attended, verifiche superate o confermate / checks passed or confirmed: 1/2' });
      expect(bySub['moodle-student-3']).toMatchObject({ scoreGiven: 0, comment: 'Presenza: assente / absent, verifiche superate o confermate / checks passed or confirmed: 0/2' });
      expect(bySub['moodle-student-4']).toMatchObject({ scoreGiven: 0, comment: 'Presenza: assente, non ha partecipato alla lezione / absent, did not join the lesson' });
      // Only these fields go to the platform: nothing biometric, no key, no assertion.
      for (const score of item.scores) expect(Object.keys(score).sort()).toEqual(['activityProgress', 'comment', 'gradingProgress', 'scoreGiven', 'scoreMaximum', 'timestamp', 'userId']);
      // Tokens: one for line items and scores together, one for scores, both cached for the four posts.
      expect(lms.tokensIssued.length - tokensBefore).toBeLessThanOrEqual(2);
      const view = (await t.send('GET', `/api/lessons/${lessonId}/grades`)).body as { roster: unknown; scores: { displayName: string; status: string; joined: boolean; attended: boolean; scoreGiven: number }[] };
      expect(view.roster).toEqual({ status: 'done', attempts: 1, lastError: null, nextAttemptAt: null });
      expect(view.scores.map((s) => [s.displayName, s.status, s.joined, s.attended, s.scoreGiven])).toEqual([
        ['Anna Bianchi', 'sent', true, true, 100],
        ['Bruno Conti', 'sent', true, true, 50],
        ['Carla Deri', 'sent', true, false, 0],
        ['Dario Esposito', 'sent', false, false, 0],
      ]);
      // Dario is known now only by the platform's id and name: the roster still says he never opened Presenza.
      const roster = (await t.send('GET', `/api/lessons/${lessonId}/roster`)).body as { members: { name: string; launched: boolean }[] };
      expect(roster.members.find((m) => m.name === 'Dario Esposito')).toMatchObject({ launched: false });
      // The audit log: the queueing by the teacher, each delivery by the service; no score in it.
      const audit = (await readAudit(h.db, { afterSeq: 0, limit: 500 })).filter((e) => e.lessonId === lessonId && e.action.startsWith('grades.'));
      expect(audit.map((e) => [e.action, e.actorRole])).toEqual([
        ['grades.queued', 'teacher'],
        ['grades.queued', 'system'],
        ['grades.sent', 'system'],
        ['grades.sent', 'system'],
        ['grades.sent', 'system'],
        ['grades.sent', 'system'],
      ]);
      expect(JSON.parse(audit[0]!.detail)).toEqual({ students: 3 });
      expect(JSON.parse(audit[1]!.detail)).toEqual({ absent: 1 });
      // Ending again queues nothing new; a second tick sends nothing.
      await t.send('POST', `/api/lessons/${lessonId}/end`);
      expect(await h.grades!.tick()).toEqual({ sent: 0, failed: 0 });
    });

    it('with the score scope alone, the scores go to the resource link’s own line item', async () => {
      lms.grantedScopes = [SCOPES.membership, SCOPES.score];
      const itemsBefore = lms.lineItems.size;
      const creations = () => lms.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/lineitems')).length;
      const created = creations();
      lms.members = rosterOf(learners.slice(0, 1));
      const { t, lessonId, joined } = await lessonWith(learners.slice(0, 1), 'link:link-ags-2');
      await checkWith(t, lessonId, joined);
      await t.send('POST', `/api/lessons/${lessonId}/end`);
      expect((await t.send('GET', `/api/lessons/${lessonId}/grades`)).body).toMatchObject({ lineItem: 'lineitem' });
      expect(await h.grades!.tick()).toEqual({ sent: 1, failed: 0 });
      expect(lms.lineItems.size).toBe(itemsBefore + 1); // the link's own, named by the launch
      expect(lms.lineItems.get(lms.linkLineItem('link-ags-2'))!.scores).toMatchObject([{ userId: 'moodle-student-1', scoreGiven: 100 }]);
      expect(creations()).toBe(created);
    });

    it('a platform that grants no gradebook gets no scores queued', async () => {
      lms.grantedScopes = [SCOPES.membership];
      const { t, lessonId } = await lessonWith(learners.slice(0, 1), 'link:link-ags-3');
      await t.send('POST', `/api/lessons/${lessonId}/end`);
      expect((await t.send('GET', `/api/lessons/${lessonId}/grades`)).body).toEqual({ available: false, lineItem: null, roster: null, scores: [] });
    });

    it('failures are retried with backoff, survive a restart, give up visibly, and the teacher can send them again', async () => {
      lms.members = rosterOf(learners.slice(0, 1));
      const { t, lessonId, joined } = await lessonWith(learners.slice(0, 1), 'link:link-ags-4');
      await checkWith(t, lessonId, joined);
      await t.send('POST', `/api/lessons/${lessonId}/end`);
      lms.failScores = 1;
      expect(await h.grades!.tick()).toEqual({ sent: 0, failed: 1 });
      let view = (await t.send('GET', `/api/lessons/${lessonId}/grades`)).body as { scores: { status: string; attempts: number; lastError: string; nextAttemptAt: number }[] };
      expect(view.scores[0]).toMatchObject({ status: 'pending', attempts: 1, lastError: 'lti_score_refused 500', nextAttemptAt: now() + SCORE_RETRY_BASE_MS });
      // Not due yet.
      expect(await h.grades!.tick()).toEqual({ sent: 0, failed: 0 });
      // After a restart (a new outbox on the same database), the row is still there and goes out when due.
      const restarted = new LtiGrades({ db: h.db, clientFor: () => new PlatformClient({ platform: parseLtiConfig({ toolKeyFile, platforms: [lms.registration()] }, dir).platforms[0]!, toolKey, now }), now });
      h.clock.now += SCORE_RETRY_BASE_MS;
      expect(await restarted.tick()).toEqual({ sent: 1, failed: 0 });

      // A platform that keeps failing: the row waits for the teacher after the last attempt.
      lms.members = rosterOf(learners.slice(1, 2));
      const second = await lessonWith(learners.slice(1, 2), 'link:link-ags-5');
      await second.t.send('POST', `/api/lessons/${second.lessonId}/end`);
      lms.failScores = 1000;
      for (let attempt = 0; attempt < MAX_SCORE_ATTEMPTS; attempt++) {
        expect((await h.grades!.tick()).failed).toBe(1);
        h.clock.now += 3600_000;
      }
      // (Hours later: the teacher opens Presenza from the LMS again.)
      const later = (await launchClient(teacher, 'link:link-ags-5')).client;
      view = (await later.send('GET', `/api/lessons/${second.lessonId}/grades`)).body as typeof view;
      expect(view.scores[0]).toMatchObject({ status: 'failed', attempts: MAX_SCORE_ATTEMPTS, lastError: 'lti_score_refused 500', nextAttemptAt: null });
      expect(await h.grades!.tick()).toEqual({ sent: 0, failed: 0 });
      lms.failScores = 0;
      expect((await later.send('POST', `/api/lessons/${second.lessonId}/grades/retry`)).body).toEqual({ requeued: 1 });
      expect(await h.grades!.tick()).toEqual({ sent: 1, failed: 0 });
      const audit = (await readAudit(h.db, { afterSeq: 0, limit: 500 })).filter((e) => e.lessonId === second.lessonId && e.action.startsWith('grades.'));
      expect(audit.map((e) => e.action)).toEqual(['grades.queued', 'grades.failed', 'grades.retried', 'grades.sent']);
      // Another teacher's lesson is not theirs to read or retry.
      const other = await h.platform.signIn(h.transport, ORIGIN, { subject: 'other-teacher', name: 'T', role: 'teacher', course: 'c-other' }, now());
      expect((await other.send('GET', `/api/lessons/${lessonId}/grades`)).body.error).toBe('forbidden');
      expect((await other.send('POST', `/api/lessons/${lessonId}/grades/retry`)).body.error).toBe('forbidden');
    });

    it('a roster the platform does not give is read again with backoff; the absent scores follow once it answers', async () => {
      lms.members = rosterOf(learners.slice(0, 3));
      const { t, lessonId } = await lessonWith(learners.slice(0, 1), 'link:link-ags-7');
      await t.send('POST', `/api/lessons/${lessonId}/end`);
      lms.failMembership = 1000;
      // Anna's score goes; the roster read fails and waits.
      expect(await h.grades!.tick()).toEqual({ sent: 1, failed: 0 });
      type View = { roster: { status: string; attempts: number; lastError: string | null; nextAttemptAt: number | null }; scores: { displayName: string; joined: boolean }[] };
      let view = (await t.send('GET', `/api/lessons/${lessonId}/grades`)).body as View;
      expect(view.roster).toEqual({ status: 'pending', attempts: 1, lastError: 'lti_membership_refused 503', nextAttemptAt: now() + SCORE_RETRY_BASE_MS });
      expect(view.scores.map((s) => s.displayName)).toEqual(['Anna Bianchi']);
      for (let attempt = 1; attempt < MAX_SCORE_ATTEMPTS; attempt++) {
        h.clock.now += 3600_000;
        await h.grades!.tick();
      }
      view = (await t.send('GET', `/api/lessons/${lessonId}/grades`)).body as View;
      expect(view.roster).toMatchObject({ status: 'failed', attempts: MAX_SCORE_ATTEMPTS, nextAttemptAt: null });
      // The teacher's "send again" reads the roster again too.
      lms.failMembership = 0;
      expect((await t.send('POST', `/api/lessons/${lessonId}/grades/retry`)).body).toEqual({ requeued: 0 });
      expect(await h.grades!.tick()).toEqual({ sent: 2, failed: 0 });
      view = (await t.send('GET', `/api/lessons/${lessonId}/grades`)).body as View;
      expect(view.roster).toMatchObject({ status: 'done', lastError: null });
      expect(view.scores.map((s) => [s.displayName, s.joined])).toEqual([
        ['Anna Bianchi', true],
        ['Bruno Conti', false],
        ['Carla Deri', false],
      ]);
      // Read once: a second tick queues nobody twice.
      expect(await h.grades!.tick()).toEqual({ sent: 0, failed: 0 });
    });

    it('a token the platform refuses is a coded, retried failure', async () => {
      lms.members = rosterOf(learners.slice(2, 3));
      const { t, lessonId } = await lessonWith(learners.slice(2, 3), 'link:link-ags-6');
      await t.send('POST', `/api/lessons/${lessonId}/end`);
      // The platform no longer knows the tool's key: no token (a fresh client, so no cached token either).
      lms.toolJwks = { keys: [] };
      const fresh = new LtiGrades({ db: h.db, clientFor: () => new PlatformClient({ platform: parseLtiConfig({ toolKeyFile, platforms: [lms.registration()] }, dir).platforms[0]!, toolKey, now }), now });
      expect(await fresh.tick()).toEqual({ sent: 0, failed: 1 });
      const view = (await t.send('GET', `/api/lessons/${lessonId}/grades`)).body as { scores: { lastError: string }[] };
      expect(view.scores[0]!.lastError).toBe('lti_token_refused 401');
    });

    it('scores go with their lesson at retention', async () => {
      const rows = await h.db.all('SELECT lesson_id FROM lti_grades');
      expect(rows.length).toBeGreaterThan(0);
      h.clock.now += 10 * 365 * 86_400_000;
      try {
        await h.attendance.purgeExpired();
        expect(await h.db.all('SELECT * FROM lti_grades')).toEqual([]);
        expect(await h.db.all('SELECT * FROM lti_roster_reads')).toEqual([]);
        expect(await h.db.all('SELECT * FROM lti_links')).toEqual([]);
      } finally {
        h.clock.now -= 10 * 365 * 86_400_000;
      }
    });
  });
});
