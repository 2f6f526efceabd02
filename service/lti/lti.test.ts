/**
 * LTI 1.3 launch against a fake LMS (testing/fakeLms.ts: its own keys, its JWKS on a random port):
 * the whole OIDC flow into a session of the service, the JWKS cache and key rotation, and a
 * refusal with its code for every check of the launch, each leaving the database as it was.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudit } from '../audit.js';
import { FakeLms, INSTRUCTOR, LEARNER, LTI_CLAIM, stateCookie } from '../../testing/fakeLms.js';
import { ENGINES, ORIGIN, snapshot, startHarness, type Harness } from '../../testing/serviceWorld.js';
import { loadLtiConfig, LtiConfigError, parseLtiConfig } from './config.js';
import { mapRoles, seriesKey } from './tool.js';
import { toolInfo } from './toolInfo.js';
import { loadToolKey } from './toolKey.js';

const teacher = { sub: 'moodle-user-2', roles: [INSTRUCTOR], name: 'Prof. Rossi' };
const student = { sub: 'moodle-user-9', roles: [LEARNER], name: 'Anna Bianchi' };
const dir = mkdtempSync(join(tmpdir(), 'presenza-lti-'));
const toolKeyFile = join(dir, 'tool-key.json');

const cookieOf = (response: { headers: Record<string, string | string[] | undefined> }) => String(response.headers['set-cookie'] ?? '').split(';')[0]!;

describe.each(ENGINES)('LTI 1.3 launch on %s', (engine) => {
  let h: Harness;
  let lms: FakeLms;
  const now = () => h.clock.now;

  beforeAll(async () => {
    lms = await FakeLms.start();
    await loadToolKey(toolKeyFile, { create: true }).catch(() => undefined);
    const config = parseLtiConfig({ toolKeyFile, platforms: [lms.registration()] }, dir);
    h = await startHarness(engine, {}, undefined, undefined, { lti: { config, jwksCooldownMs: 0 } });
  });
  afterAll(async () => {
    await h.close();
    await lms.close();
  });

  const sessionOf = async (cookie: string) => {
    const response = await h.transport({ method: 'GET', path: '/api/session', headers: { cookie } });
    return { status: response.status, body: JSON.parse(response.text) as Record<string, unknown> };
  };

  it('login initiation (GET and POST) redirects to the platform with a fresh state and nonce', async () => {
    const params = lms.loginParams(`${ORIGIN}/lti/launch`, teacher);
    const viaGet = await h.transport({ method: 'GET', path: `/lti/login?${new URLSearchParams(params)}`, headers: {} });
    const viaPost = await h.transport({ method: 'POST', path: '/lti/login', headers: lms.formHeaders(), body: new URLSearchParams(params).toString() });
    const a = lms.readAuthRequest(String(viaGet.headers.location));
    const b = lms.readAuthRequest(String(viaPost.headers.location));
    expect([viaGet.status, viaPost.status]).toEqual([302, 302]);
    expect(a).toMatchObject({ clientId: lms.clientId, redirectUri: `${ORIGIN}/lti/launch`, loginHint: teacher.sub });
    expect(a.params.get('lti_message_hint')).toBe('resource-link-1');
    expect(a.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set([a.state, b.state, a.nonce, b.nonce]).size).toBe(4);
    // Only the state's hash is stored.
    expect(await snapshot(h.db)).not.toContain(a.state);
  });

  it('a teacher launch becomes a session (same cookie, role, audit) and continues to the teacher page on our origin', async () => {
    const { response } = await lms.launch(h.transport, ORIGIN, teacher, { now: now() });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    // Answered with a page of our own (not a redirect): the SameSite=Strict cookie goes with its next navigation.
    expect(response.text).toContain('<meta http-equiv="refresh" content="0;url=/teacher.html">');
    expect(response.text).toContain('href="/teacher.html"');
    const setCookie = String(response.headers['set-cookie']);
    expect(setCookie).toMatch(/^presenza=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const session = await sessionOf(cookieOf(response));
    expect(session.body).toMatchObject({ role: 'teacher', displayName: 'Prof. Rossi', course: 'fake-lms:course-42:link-7', lessonId: null });
    const audit = await readAudit(h.db, { afterSeq: 0, limit: 500 });
    expect(audit.at(-1)).toMatchObject({ action: 'session.started', actorId: session.body.userId, actorRole: 'teacher' });
  });

  it('a student launched from the same resource link is invited to the lessons the teacher started from it', async () => {
    const t = (await lms.launch(h.transport, ORIGIN, teacher, { now: now() })).response;
    const tCookie = cookieOf(t);
    const { csrfToken } = (await sessionOf(tCookie)).body as { csrfToken: string };
    const lesson = await h.transport({
      method: 'POST',
      path: '/api/lessons',
      headers: { cookie: tCookie, origin: ORIGIN, 'content-type': 'application/json', 'x-csrf-token': csrfToken },
      body: JSON.stringify({ title: 'Lezione 1' }),
    });
    const { lessonId } = JSON.parse(lesson.text) as { lessonId: string };
    const s = (await lms.launch(h.transport, ORIGIN, student, { now: now() })).response;
    expect(s.text).toContain('url=/student.html');
    const sCookie = cookieOf(s);
    const me = (await sessionOf(sCookie)).body as { role: string; csrfToken: string };
    expect(me.role).toBe('student');
    const join = await h.transport({ method: 'POST', path: `/api/lessons/${lessonId}/join`, headers: { cookie: sCookie, origin: ORIGIN, 'x-csrf-token': me.csrfToken } });
    expect(join.status).toBe(200);
  });

  it('fetches the platform’s JWKS once, and again when a token names a new kid (key rotation)', async () => {
    const before = lms.jwksFetches;
    expect((await lms.launch(h.transport, ORIGIN, student, { now: now() })).response.status).toBe(200);
    expect(lms.jwksFetches).toBe(before);
    await lms.rotateKey({ dropOld: true });
    expect((await lms.launch(h.transport, ORIGIN, student, { now: now() })).response.status).toBe(200);
    expect(lms.jwksFetches).toBe(before + 1);
  });

  it('serves the tool’s public JWKS (no private member)', async () => {
    const response = await h.transport({ method: 'GET', path: '/lti/jwks', headers: {} });
    const jwks = JSON.parse(response.text) as { keys: Record<string, unknown>[] };
    expect(response.status).toBe(200);
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(Object.keys(jwks.keys[0]!).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
  });

  const claim = (name: string) => `${LTI_CLAIM}${name}`;
  type Edit = (c: JWTPayload) => JWTPayload | void;
  const refusals: [string, string, { edit?: Edit; unpublishedKey?: true; form?: (f: Record<string, string>) => void }][] = [
    ['wrong issuer', 'lti_issuer', { edit: (c) => void (c.iss = 'https://evil.example') }],
    ['unknown deployment', 'lti_unknown_deployment', { edit: (c) => void (c[claim('deployment_id')] = 'deployment-99') }],
    ['expired token', 'lti_expired', { edit: (c) => void ((c.iat = c.iat! - 400), (c.exp = c.iat + 300)) }],
    ['issued in the future', 'lti_iat', { edit: (c) => void ((c.iat = c.iat! + 600), (c.exp = c.iat + 300)) }],
    ['issued too long ago', 'lti_iat', { edit: (c) => void ((c.iat = c.iat! - 3600), (c.exp = c.iat + 7200)) }],
    ['wrong audience', 'lti_audience', { edit: (c) => void (c.aud = 'another-tool') }],
    ['several audiences without azp', 'lti_audience', { edit: (c) => void (c.aud = [String(c.aud), 'another-tool']) }],
    ['azp of another client', 'lti_audience', { edit: (c) => void (c.azp = 'another-tool') }],
    ['nonce of another login', 'lti_nonce', { edit: (c) => void (c.nonce = 'not-the-nonce') }],
    ['tampered signature', 'lti_signature', { form: (f) => void (f.id_token = f.id_token!.slice(0, -6) + (f.id_token!.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA')) }],
    ['tampered claims', 'lti_signature', { form: (f) => void (f.id_token = tamperSub(f.id_token!)) }],
    ['unknown kid', 'lti_unknown_kid', { unpublishedKey: true }],
    ['another message type', 'lti_message_type', { edit: (c) => void (c[claim('message_type')] = 'LtiSubmissionReviewRequest') }],
    ['another version', 'lti_version', { edit: (c) => void (c[claim('version')] = '1.1') }],
    ['no usable role', 'lti_roles', { edit: (c) => void (c[claim('roles')] = ['http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor']) }],
    ['no resource link', 'lti_claims', { edit: (c) => void delete c[claim('resource_link')] }],
    ['no sub', 'lti_claims', { edit: (c) => void delete c.sub }],
    ['unknown state', 'lti_state_unknown', { form: (f) => void (f.state = 'A'.repeat(43)) }],
    ['no id_token', 'lti_malformed', { form: (f) => void delete f.id_token }],
    ['not a JWT', 'lti_malformed', { form: (f) => void (f.id_token = 'not-a-jwt') }],
    ['platform error', 'lti_platform_error', { form: (f) => void (f.error = 'login_required') }],
  ];
  for (const [what, code, how] of refusals) {
    it(`refuses a launch: ${what} (${code}), and changes nothing`, async () => {
      let before = '';
      const { response } = await lms.launch(h.transport, ORIGIN, teacher, {
        now: now(),
        ...(how.edit ? { edit: how.edit } : {}),
        ...(how.unpublishedKey ? { key: await lms.unpublishedKey() } : {}),
        form: (f) => how.form?.(f),
        beforePost: async () => {
          before = await snapshot(h.db);
        },
      });
      expect({ status: response.status, error: JSON.parse(response.text).error }).toEqual({ status: 401, error: code });
      expect(response.headers['set-cookie']).toBeUndefined();
      expect(await snapshot(h.db), 'a refused launch changed nothing').toBe(before);
    });
  }

  it('a refused launch leaves every table as it was; the state stays usable until its expiry', async () => {
    const login = await h.transport({ method: 'POST', path: '/lti/login', headers: lms.formHeaders(), body: new URLSearchParams(lms.loginParams(`${ORIGIN}/lti/launch`, teacher)).toString() });
    const auth = lms.readAuthRequest(String(login.headers.location));
    const cookie = stateCookie(login);
    const before = await snapshot(h.db);
    const bad = lms.claims(auth, teacher, now());
    bad[claim('deployment_id')] = 'deployment-99';
    expect(JSON.parse((await lms.post(h.transport, { id_token: await lms.sign(bad), state: auth.state }, cookie)).text).error).toBe('lti_unknown_deployment');
    expect(JSON.parse((await lms.post(h.transport, { id_token: await lms.sign({ ...lms.claims(auth, teacher, now()), aud: 'x' }), state: auth.state }, cookie)).text).error).toBe('lti_audience');
    expect(await snapshot(h.db)).toBe(before);
  });

  it('never accepts a nonce or a state twice', async () => {
    const { form, response, cookie: firstCookie } = await lms.launch(h.transport, ORIGIN, student, { now: now() });
    expect(response.status).toBe(200);
    // The same form again (even with its state cookie): its state was consumed.
    const before = await snapshot(h.db);
    expect(JSON.parse((await lms.post(h.transport, form, firstCookie)).text).error).toBe('lti_state_unknown');
    // The same id_token (its nonce) with the state of a new login: not this login's nonce.
    const login = await h.transport({ method: 'POST', path: '/lti/login', headers: lms.formHeaders(), body: new URLSearchParams(lms.loginParams(`${ORIGIN}/lti/launch`, student)).toString() });
    const auth = lms.readAuthRequest(String(login.headers.location));
    const afterLogin = await snapshot(h.db);
    expect(afterLogin).not.toBe(before);
    expect(JSON.parse((await lms.post(h.transport, { id_token: form.id_token!, state: auth.state }, stateCookie(login))).text).error).toBe('lti_nonce');
    expect(await snapshot(h.db)).toBe(afterLogin);
  });

  it('a state expires', async () => {
    const login = await h.transport({ method: 'POST', path: '/lti/login', headers: lms.formHeaders(), body: new URLSearchParams(lms.loginParams(`${ORIGIN}/lti/launch`, student)).toString() });
    const auth = lms.readAuthRequest(String(login.headers.location));
    h.clock.now += 11 * 60_000;
    try {
      const token = await lms.sign(lms.claims(auth, student, now()));
      expect(JSON.parse((await lms.post(h.transport, { id_token: token, state: auth.state }, stateCookie(login))).text).error).toBe('lti_state_unknown');
    } finally {
      h.clock.now -= 11 * 60_000;
    }
  });

  it('retention deletes the states of logins whose launch never came', async () => {
    await h.transport({ method: 'GET', path: `/lti/login?${new URLSearchParams(lms.loginParams(`${ORIGIN}/lti/launch`, student))}`, headers: {} });
    expect((await h.attendance.retentionReport()).find((t) => t.table === 'lti_states')!.rows).toBeGreaterThan(0);
    h.clock.now += 11 * 60_000;
    try {
      expect((await h.attendance.purgeExpired()).ltiStates).toBeGreaterThan(0);
      expect(await h.db.all('SELECT * FROM lti_states')).toEqual([]);
    } finally {
      h.clock.now -= 11 * 60_000;
    }
  });

  it('refuses logins from unregistered platforms, deployments, or for another site', async () => {
    const login = async (extra: Record<string, string>) => {
      const response = await h.transport({ method: 'GET', path: `/lti/login?${new URLSearchParams(lms.loginParams(`${ORIGIN}/lti/launch`, teacher, extra))}`, headers: {} });
      return { status: response.status, error: (JSON.parse(response.text) as { error: string }).error };
    };
    const before = await snapshot(h.db);
    expect(await login({ iss: 'https://other.example' })).toEqual({ status: 400, error: 'lti_untrusted_issuer' });
    expect(await login({ client_id: 'someone-else' })).toEqual({ status: 400, error: 'lti_untrusted_issuer' });
    expect(await login({ lti_deployment_id: 'deployment-99' })).toEqual({ status: 400, error: 'lti_unknown_deployment' });
    expect(await login({ target_link_uri: 'https://evil.example/lti/launch' })).toEqual({ status: 400, error: 'lti_target' });
    expect(await login({ login_hint: '' })).toEqual({ status: 400, error: 'lti_login_malformed' });
    expect(await snapshot(h.db)).toBe(before);
  });

  it('a JSON body on the launch is refused (only the platform’s form is read)', async () => {
    const response = await h.transport({ method: 'POST', path: '/lti/launch', headers: { origin: lms.origin, 'content-type': 'application/json' }, body: '{"id_token":"a.b.c","state":"x"}' });
    expect(JSON.parse(response.text).error).toBe('unsupported_media_type');
  });

  it('a form body on a JSON route is refused', async () => {
    const response = await h.transport({ method: 'POST', path: '/api/launch', headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=a.b.c' });
    expect({ status: response.status, error: JSON.parse(response.text).error }).toEqual({ status: 415, error: 'unsupported_media_type' });
  });
});

/** Changes the token's sub without re-signing it. */
function tamperSub(token: string): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as JWTPayload;
  claims.sub = 'moodle-user-1';
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

describe('LTI configuration', () => {
  const platform = { name: 'moodle', issuer: 'https://moodle.example', clientId: 'c1', authLoginUrl: 'https://moodle.example/mod/lti/auth.php', jwksUrl: 'https://moodle.example/mod/lti/certs.php', deployments: ['1'] };
  const code = (raw: unknown) => {
    try {
      parseLtiConfig(raw, dir);
      return 'ok';
    } catch (error) {
      return (error as LtiConfigError).code;
    }
  };

  it('accepts several platforms and deployments, resolving the key file next to the configuration', () => {
    const config = parseLtiConfig({ toolKeyFile: 'k.json', platforms: [platform, { ...platform, name: 'moodle-2', clientId: 'c2', deployments: ['1', '2'] }] }, '/etc/presenza');
    expect(config.toolKeyFile).toBe('/etc/presenza/k.json');
    expect(config.platforms.map((p) => p.deployments)).toEqual([['1'], ['1', '2']]);
    expect(config.pages).toEqual({ teacher: '/teacher.html', student: '/student.html' });
    // Dynamic Registration is off unless hosts are listed.
    expect(config.registrationHosts).toEqual([]);
    expect(parseLtiConfig({ toolKeyFile: 'k.json', platforms: [platform], registrationHosts: ['Moodle.School.example', '10.0.0.7'] }, '/').registrationHosts).toEqual(['moodle.school.example', '10.0.0.7']);
  });

  it('refuses a bad file with a coded error', () => {
    expect(code({ toolKeyFile: 'k', platforms: [] })).toBe('lti_config_shape');
    expect(code({ toolKeyFile: 'k', platforms: [platform], extra: 1 })).toBe('lti_config_shape');
    expect(code({ toolKeyFile: 'k', platforms: [{ ...platform, deployments: [] }] })).toBe('lti_config_shape');
    expect(code({ toolKeyFile: 'k', platforms: [{ ...platform, name: 'Moodle!' }] })).toBe('lti_config_shape');
    expect(code({ toolKeyFile: 'k', platforms: [{ ...platform, jwksUrl: 'http://moodle.example/certs' }] })).toBe('lti_config_url');
    expect(code({ toolKeyFile: 'k', platforms: [{ ...platform, authLoginUrl: 'not a url' }] })).toBe('lti_config_url');
    expect(code({ toolKeyFile: 'k', platforms: [{ ...platform, accessTokenUrl: 'http://moodle.example/token' }] })).toBe('lti_config_url');
    expect(code({ toolKeyFile: 'k', platforms: [{ ...platform, tokenAudience: '' }] })).toBe('lti_config_shape');
    expect(code({ toolKeyFile: 'k', platforms: [{ ...platform, accessTokenUrl: 'https://moodle.example/mod/lti/token.php', tokenAudience: 'https://moodle.example' }] })).toBe('ok');
    expect(code({ toolKeyFile: 'k', platforms: [platform, { ...platform, name: 'again' }] })).toBe('lti_config_duplicate');
    expect(code({ toolKeyFile: 'k', platforms: [platform], pages: { teacher: 'https://evil.example/' } })).toBe('lti_config_page');
    expect(code({ toolKeyFile: 'k', platforms: [platform], pages: { teacher: '//evil.example/' } })).toBe('lti_config_page');
    expect(code({ toolKeyFile: 'k', platforms: [platform], registrationHosts: 'moodle.example' })).toBe('lti_config_shape');
    for (const host of ['https://moodle.example', 'moodle.example:443', 'moodle.example/path', '', '*.example']) {
      expect(code({ toolKeyFile: 'k', platforms: [platform], registrationHosts: [host] }), host).toBe('lti_config_host');
    }
    const notJson = join(dir, 'bad.json');
    writeFileSync(notJson, '{');
    expect(() => loadLtiConfig(notJson)).toThrow(expect.objectContaining({ code: 'lti_config_not_json' }));
    expect(() => loadLtiConfig(join(dir, 'missing.json'))).toThrow(expect.objectContaining({ code: 'lti_config_unreadable' }));
  });

  it('maps LTI roles: Instructor or Administrator → teacher, Learner → student', () => {
    expect(mapRoles([LEARNER])).toBe('student');
    expect(mapRoles([INSTRUCTOR])).toBe('teacher');
    expect(mapRoles(['Instructor'])).toBe('teacher');
    expect(mapRoles([LEARNER, 'http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator'])).toBe('teacher');
    expect(mapRoles(['http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator'])).toBe('teacher');
    expect(mapRoles(['http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student'])).toBeUndefined();
    expect(mapRoles('Learner')).toBeUndefined();
    expect(seriesKey('m', 'c'.repeat(300), 'l')).toMatch(/^m:[0-9a-f]{64}$/);
  });

  it('tool info gives the LMS administrator the URLs and the public JWKS', async () => {
    const file = join(dir, 'lti.json');
    writeFileSync(file, JSON.stringify({ toolKeyFile: 'info-key.json', platforms: [platform] }));
    const info = await toolInfo(loadLtiConfig(file), 'https://attendance.school.example/some/path', { createKey: true });
    expect(info).toMatchObject({
      loginUrl: 'https://attendance.school.example/lti/login',
      launchUrl: 'https://attendance.school.example/lti/launch',
      redirectUris: ['https://attendance.school.example/lti/launch'],
      deepLinkingUrl: 'https://attendance.school.example/lti/launch',
      jwksUrl: 'https://attendance.school.example/lti/jwks',
      registrationUrl: 'https://attendance.school.example/lti/register',
      registrationHosts: [],
      publicJwks: { keys: [{ kty: 'RSA', alg: 'RS256' }] },
      platforms: [{ name: 'moodle', issuer: 'https://moodle.example', clientId: 'c1', deployments: ['1'] }],
    });
    expect(JSON.stringify(info)).not.toMatch(/"d"|"p"|"q"/);
  });
});
