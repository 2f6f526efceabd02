/**
 * The tool inside the LMS's iframe (frame.ts, routes.ts, pages.ts): the state cookie binding a
 * login to its browser, the framed session cookie and its same-origin rule, the cookie check of a
 * framed login with its new-window offer, the session handoff to a new window, frame-ancestors,
 * and the refusal page a browser gets instead of JSON. Each refusal leaves the database as it was.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeLms, INSTRUCTOR, LEARNER, stateCookie } from '../../testing/fakeLms.js';
import { ENGINES, ORIGIN, snapshot, startHarness, type Harness } from '../../testing/serviceWorld.js';
import { FRAMED_SESSION_COOKIE, HANDOFF_MS } from '../sessions.js';
import { LtiConfigError, parseLtiConfig } from './config.js';
import { pageLanguages, refusalPage } from './pages.js';
import { loadToolKey } from './toolKey.js';

const teacher = { sub: 'moodle-user-2', roles: [INSTRUCTOR], name: 'Prof. Rossi' };
const student = { sub: 'moodle-user-9', roles: [LEARNER], name: 'Anna Bianchi' };
const dir = mkdtempSync(join(tmpdir(), 'presenza-lti-frame-'));
const toolKeyFile = join(dir, 'tool-key.json');

/** What a browser sends on a navigation inside the LMS's iframe. */
const IN_FRAME = { 'sec-fetch-dest': 'iframe', accept: 'text/html,application/xhtml+xml', 'accept-language': 'it-IT,it;q=0.9,en;q=0.8' };
const cookies = (response: { headers: Record<string, string | string[] | undefined> }) => [response.headers['set-cookie'] ?? []].flat();

describe.each(ENGINES)('LTI in the LMS frame on %s', (engine) => {
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

  const loginParams = (user = student) => new URLSearchParams(lms.loginParams(`${ORIGIN}/lti/launch`, user)).toString();
  /** A launch in the frame: login (its state cookie kept), then the launch posted with it. */
  const framedLaunch = async (user = student) => {
    const login = await h.transport({ method: 'GET', path: `/lti/login?${loginParams(user)}`, headers: {} });
    const auth = lms.readAuthRequest(String(login.headers.location));
    const form = { id_token: await lms.sign(lms.claims(auth, user, now())), state: auth.state };
    return lms.post(h.transport, form, stateCookie(login)).then((r) => r);
  };
  const framedPost = (form: Record<string, string>, cookie: string) =>
    h.transport({ method: 'POST', path: '/lti/launch', headers: { ...lms.formHeaders(), ...IN_FRAME, cookie }, body: new URLSearchParams(form).toString() });

  it('a login sets a state cookie for that login only: SameSite=None, Secure, Partitioned, HttpOnly, 10 minutes', async () => {
    const login = await h.transport({ method: 'GET', path: `/lti/login?${loginParams()}`, headers: {} });
    const auth = lms.readAuthRequest(String(login.headers.location));
    const [cookie] = cookies(login);
    expect(cookie).toMatch(/^__Host-presenza-state-[A-Za-z0-9_-]{16}=[A-Za-z0-9_-]{43}; /);
    expect(cookie!.split('; ').slice(1).sort()).toEqual(['HttpOnly', 'Max-Age=600', 'Partitioned', 'Path=/', 'SameSite=None', 'Secure']);
    expect(stateCookie(login)).toBe(`${cookie!.split('=')[0]}=${auth.state}`);
  });

  it('refuses a launch whose browser holds no state cookie, or another login’s, and changes nothing', async () => {
    const login = await h.transport({ method: 'GET', path: `/lti/login?${loginParams()}`, headers: {} });
    const auth = lms.readAuthRequest(String(login.headers.location));
    const other = await h.transport({ method: 'GET', path: `/lti/login?${loginParams()}`, headers: {} });
    const form = { id_token: await lms.sign(lms.claims(auth, student, now())), state: auth.state };
    const before = await snapshot(h.db);
    for (const cookie of [undefined, stateCookie(other), `${stateCookie(login).split('=')[0]}=${lms.readAuthRequest(String(other.headers.location)).state}`]) {
      const response = await lms.post(h.transport, form, cookie);
      expect({ status: response.status, error: JSON.parse(response.text).error }).toEqual({ status: 401, error: 'lti_state_cookie' });
      expect(response.headers['set-cookie']).toBeUndefined();
    }
    expect(await snapshot(h.db)).toBe(before);
    // The right browser still launches with it.
    expect((await lms.post(h.transport, form, stateCookie(login))).status).toBe(200);
  });

  it('a login in a frame checks that the cookie came back before going to the platform', async () => {
    const login = await h.transport({ method: 'GET', path: `/lti/login?${loginParams()}`, headers: IN_FRAME });
    expect(login.status).toBe(200);
    const check = /content="0;url=([^"]+)"/.exec(login.text)![1]!.replace(/&#38;/g, '&');
    expect(check).toMatch(/^\/lti\/login\/check\?next=/);
    const next = new URL(new URLSearchParams(check.split('?')[1]).get('next')!);
    // The cookie came back: on to the platform's authorization endpoint, state and all.
    const kept = await h.transport({ method: 'GET', path: check, headers: { ...IN_FRAME, cookie: stateCookie(login) } });
    expect(kept.status).toBe(302);
    expect(lms.readAuthRequest(String(kept.headers.location)).state).toBe(next.searchParams.get('state'));
    // It did not: the same login offered in a new window (a link, no script), in the browser's language first.
    const lost = await h.transport({ method: 'GET', path: check, headers: IN_FRAME });
    expect(lost.status).toBe(200);
    expect(lost.text).toMatch(/<html lang="it">/);
    expect(lost.text.indexOf('Apri in una nuova finestra')).toBeLessThan(lost.text.indexOf('Open in a new window'));
    expect(lost.text).not.toContain('<script');
    const restart = /<a class="button" href="([^"]+)" target="_blank" rel="noopener">/.exec(lost.text)![1]!.replace(/&#38;/g, '&');
    const params = new URLSearchParams(restart.split('?')[1]);
    expect(restart.startsWith('/lti/login?')).toBe(true);
    expect(Object.fromEntries(params)).toEqual({ iss: lms.issuer, login_hint: student.sub, target_link_uri: `${ORIGIN}/lti/launch`, client_id: lms.clientId, lti_message_hint: 'resource-link-1' });
    // In the new window (a page of its own) that login goes straight to the platform.
    const again = await h.transport({ method: 'GET', path: restart, headers: { 'sec-fetch-dest': 'document' } });
    expect(again.status).toBe(302);
  });

  it('the cookie check redirects only to a registered platform’s authorization endpoint', async () => {
    const before = await snapshot(h.db);
    for (const next of ['https://evil.example/auth?state=x&client_id=presenza-client', `${lms.origin}/auth?state=x&client_id=someone-else`, `${lms.origin}/auth?client_id=presenza-client`, 'not a url']) {
      const response = await h.transport({ method: 'GET', path: `/lti/login/check?${new URLSearchParams({ next })}`, headers: { cookie: '__Host-presenza-state-x=x' } });
      expect({ status: response.status, error: JSON.parse(response.text).error }).toEqual({ status: 400, error: 'lti_target' });
    }
    expect(await snapshot(h.db)).toBe(before);
  });

  it('a launch in a frame sets the partitioned session cookie, which works on our own pages’ requests only', async () => {
    const login = await h.transport({ method: 'GET', path: `/lti/login?${loginParams()}`, headers: IN_FRAME });
    const cookie = stateCookie(login);
    const check = /content="0;url=([^"]+)"/.exec(login.text)![1]!.replace(/&#38;/g, '&');
    const auth = lms.readAuthRequest(String((await h.transport({ method: 'GET', path: check, headers: { ...IN_FRAME, cookie } })).headers.location));
    const response = await framedPost({ id_token: await lms.sign(lms.claims(auth, student, now())), state: auth.state }, cookie);
    expect(response.status).toBe(200);
    const [session, clearedState] = cookies(response);
    expect(session).toMatch(new RegExp(`^${FRAMED_SESSION_COOKIE}=[A-Za-z0-9_-]{43}; `));
    expect(session!.split('; ').slice(1).sort()).toEqual(['HttpOnly', 'Max-Age=28800', 'Partitioned', 'Path=/', 'SameSite=None', 'Secure']);
    expect(clearedState).toMatch(new RegExp(`^${cookie.split('=')[0]}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; .*Partitioned; SameSite=None`));
    const sid = session!.split(';')[0]!;
    const get = (headers: Record<string, string>) => h.transport({ method: 'GET', path: '/api/session', headers: { cookie: sid, ...headers } });
    const me = await get({ 'sec-fetch-site': 'same-origin' });
    expect(JSON.parse(me.text)).toMatchObject({ role: 'student', displayName: 'Anna Bianchi' });
    expect((await get({})).status).toBe(200);
    // Another site's request carrying the cookie (the browser sends SameSite=None ones) is refused.
    for (const site of ['cross-site', 'same-site', 'none']) {
      const refused = await get({ 'sec-fetch-site': site });
      expect({ status: refused.status, error: JSON.parse(refused.text).error }).toEqual({ status: 403, error: 'cross_site' });
    }
    // CSRF protection is intact: no token, or another origin, is refused.
    const { csrfToken } = JSON.parse(me.text) as { csrfToken: string };
    const post = (headers: Record<string, string>) => h.transport({ method: 'POST', path: '/api/session/handoff', headers: { cookie: sid, 'sec-fetch-site': 'same-origin', ...headers } });
    expect(JSON.parse((await post({ origin: ORIGIN })).text).error).toBe('csrf');
    expect(JSON.parse((await post({ origin: lms.origin, 'x-csrf-token': csrfToken })).text).error).toBe('bad_origin');
    expect((await post({ origin: ORIGIN, 'x-csrf-token': csrfToken })).status).toBe(200);
  });

  it('a launch in a window of its own keeps the SameSite=Strict session cookie', async () => {
    const response = await framedLaunch(teacher);
    const [session] = cookies(response);
    expect(session).toMatch(/^presenza=[A-Za-z0-9_-]{43}; /);
    expect(session).toMatch(/SameSite=Strict/);
    expect(session).not.toMatch(/Partitioned|SameSite=None/);
  });

  describe('handing the session to a new window', () => {
    let sid: string;
    let csrfToken: string;
    beforeAll(async () => {
      const login = await h.transport({ method: 'GET', path: `/lti/login?${loginParams()}`, headers: {} });
      const auth = lms.readAuthRequest(String(login.headers.location));
      const response = await framedPost({ id_token: await lms.sign(lms.claims(auth, student, now())), state: auth.state }, stateCookie(login));
      sid = cookies(response)[0]!.split(';')[0]!;
      ({ csrfToken } = JSON.parse((await h.transport({ method: 'GET', path: '/api/session', headers: { cookie: sid } })).text) as { csrfToken: string });
    });
    const code = async () => {
      const response = await h.transport({ method: 'POST', path: '/api/session/handoff', headers: { cookie: sid, origin: ORIGIN, 'x-csrf-token': csrfToken } });
      return JSON.parse(response.text) as { code: string; expiresAt: number };
    };
    const claim = (form: Record<string, string>, origin = ORIGIN) =>
      h.transport({ method: 'POST', path: '/lti/handoff', headers: { origin, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', 'sec-fetch-dest': 'document' }, body: new URLSearchParams(form).toString() });

    it('a single-use code opens the same user’s session, with the SameSite=Strict cookie, continuing to the page', async () => {
      const handoff = await code();
      expect(handoff.code).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(handoff.expiresAt).toBe(now() + HANDOFF_MS);
      // Only its hash is stored.
      expect(await snapshot(h.db)).not.toContain(handoff.code);
      const response = await claim({ code: handoff.code, next: '/student.html?lesson=l-1' });
      expect(response.status).toBe(200);
      expect(response.text).toContain('content="0;url=/student.html?lesson=l-1"');
      const [session] = cookies(response);
      expect(session).toMatch(/^presenza=[A-Za-z0-9_-]{43}; .*SameSite=Strict/);
      const before = JSON.parse((await h.transport({ method: 'GET', path: '/api/session', headers: { cookie: sid } })).text) as Record<string, unknown>;
      const after = JSON.parse((await h.transport({ method: 'GET', path: '/api/session', headers: { cookie: session!.split(';')[0]! } })).text) as Record<string, unknown>;
      expect(after).toMatchObject({ userId: before.userId, role: 'student', course: before.course, expiresAt: before.expiresAt });
      expect(after.csrfToken).not.toBe(before.csrfToken);
      expect(h.logs.join('')).not.toContain(handoff.code);
      // Used once: a second claim is refused, with a page for the browser.
      const again = await claim({ code: handoff.code });
      expect(again.status).toBe(401);
      expect(again.text).toContain('<code>handoff_invalid</code>');
    });

    it('refuses an expired code, a code posted from another site, and never continues to another site', async () => {
      const stale = await code();
      h.clock.now += HANDOFF_MS;
      try {
        const before = await snapshot(h.db);
        expect((await claim({ code: stale.code })).status).toBe(401);
        expect(await snapshot(h.db)).toBe(before);
      } finally {
        h.clock.now -= HANDOFF_MS;
      }
      const fresh = await code();
      expect((await claim({ code: fresh.code }, lms.origin)).status).toBe(403);
      // A form of our own page says Origin: null (no-referrer); only the browser's fetch metadata tells it from another site's.
      const nullOrigin = (site: string) =>
        h.transport({ method: 'POST', path: '/lti/handoff', headers: { origin: 'null', 'sec-fetch-site': site, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ code: fresh.code }).toString() });
      expect((await nullOrigin('cross-site')).status).toBe(403);
      expect((await nullOrigin('same-origin')).status).toBe(200);
      for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil.example']) {
        const response = await claim({ code: (await code()).code, next });
        expect(response.text).toContain('content="0;url=/"');
      }
    });

    it('retention deletes unclaimed codes', async () => {
      await code();
      h.clock.now += HANDOFF_MS;
      try {
        expect((await h.attendance.purgeExpired()).sessionHandoffs).toBeGreaterThan(0);
        expect(await h.db.all('SELECT * FROM session_handoffs')).toEqual([]);
      } finally {
        h.clock.now -= HANDOFF_MS;
      }
    });
  });

  it('LTI pages may be framed by the registered platform only; every other page by nobody', async () => {
    const header = async (path: string) => {
      const response = await h.transport({ method: 'GET', path, headers: {} });
      const directives = String(response.headers['content-security-policy']).split(';');
      return { framing: directives.find((d) => d.startsWith('frame-ancestors')), xfo: response.headers['x-frame-options'] };
    };
    for (const path of ['/lti/login/check', '/student.html', '/teacher.html?lesson=l-1']) {
      const { framing, xfo } = await header(path);
      expect(framing).toBe(`frame-ancestors 'self' ${lms.origin}`);
      expect(xfo).toBeUndefined();
    }
    for (const path of ['/api/session', '/auditor.html', '/sdk/presenza.iife.js', '/']) {
      const { framing, xfo } = await header(path);
      expect(framing).toBe("frame-ancestors 'none'");
      expect(xfo).toBe('SAMEORIGIN');
    }
  });

  it('a launch refused in a browser is a page in plain words with its code (no JSON, no stack); API clients keep JSON', async () => {
    const login = await h.transport({ method: 'GET', path: `/lti/login?${loginParams()}`, headers: {} });
    const auth = lms.readAuthRequest(String(login.headers.location));
    const claims = { ...lms.claims(auth, student, now()), aud: 'another-tool' };
    const form = new URLSearchParams({ id_token: await lms.sign(claims), state: auth.state }).toString();
    const page = await h.transport({ method: 'POST', path: '/lti/launch', headers: { ...lms.formHeaders(), ...IN_FRAME, 'accept-language': 'en-GB,en;q=0.9', cookie: stateCookie(login) }, body: form });
    expect(page.status).toBe(401);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toMatch(/<html lang="en">/);
    expect(page.text).toContain('Presenza could not be opened');
    expect(page.text).toContain('Non è stato possibile aprire Presenza');
    expect(page.text).toContain('<code>lti_audience</code>');
    expect(page.text).not.toMatch(/at [A-Za-z]+ \(|\.ts:\d|"error"/);
    // The page may show inside the LMS's frame.
    expect(String(page.headers['content-security-policy'])).toContain(`frame-ancestors 'self' ${lms.origin}`);
    const json = await h.transport({ method: 'GET', path: '/lti/login?iss=https://other.example', headers: {} });
    expect(JSON.parse(json.text).error).toBe('lti_untrusted_issuer');
  });
});

describe('LTI frame pages and configuration', () => {
  it('orders the page languages by the browser’s preference (Italian when it names neither)', () => {
    expect(pageLanguages('en-US,en;q=0.9,it;q=0.8')).toEqual(['en', 'it']);
    expect(pageLanguages('de-DE,it;q=0.5,en;q=0.9')).toEqual(['en', 'it']);
    expect(pageLanguages('it')).toEqual(['it', 'en']);
    expect(pageLanguages(undefined)).toEqual(['it', 'en']);
    expect(pageLanguages('fr')).toEqual(['it', 'en']);
  });

  it('explains each group of refusals in plain words, and escapes the code', () => {
    expect(refusalPage('lti_state_unknown', ['en', 'it'])).toContain('has expired or was already used');
    expect(refusalPage('lti_unknown_deployment', ['en', 'it'])).toContain('not set up for this platform');
    expect(refusalPage('lti_roles', ['en', 'it'])).toContain('Your role in this course');
    expect(refusalPage('lti_signature', ['en', 'it'])).toContain('cannot accept');
    expect(refusalPage('<b>', ['en', 'it'])).toContain('<code>&#60;b&#62;</code>');
  });

  it('takes the platform’s frame origins from the file, else from its issuer and authorization endpoint', () => {
    const platform = { name: 'canvas', issuer: 'https://canvas.instructure.com', clientId: 'c1', authLoginUrl: 'https://sso.canvaslms.com/api/lti/authorize_redirect', jwksUrl: 'https://sso.canvaslms.com/api/lti/security/jwks', deployments: ['1'] };
    expect(parseLtiConfig({ toolKeyFile: 'k', platforms: [platform] }, '/').platforms[0]!.frameOrigins).toEqual(['https://canvas.instructure.com', 'https://sso.canvaslms.com']);
    expect(parseLtiConfig({ toolKeyFile: 'k', platforms: [{ ...platform, frameOrigins: ['https://school.instructure.com'] }] }, '/').platforms[0]!.frameOrigins).toEqual(['https://school.instructure.com']);
    for (const frameOrigins of [[], ['https://school.example/path'], ['http://school.example'], ["https://a.example 'unsafe-inline'"], 'https://school.example']) {
      expect(() => parseLtiConfig({ toolKeyFile: 'k', platforms: [{ ...platform, frameOrigins }] }, '/')).toThrow(LtiConfigError);
    }
  });
});
