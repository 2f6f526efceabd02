/**
 * LTI Dynamic Registration against the fake LMS (testing/fakeLms.ts), which serves its OpenID
 * configuration and a registration endpoint taking a single-use token: the tool registers, stores
 * the platform and its deployment, ends with the close message, and a launch from that LMS then
 * works. Each refusal (no token, a bad configuration URL, an issuer off the configuration's origin,
 * a configuration without its endpoints, a refused or used token, a host the configuration does not
 * list) has its code and stores nothing; without `registrationHosts` Dynamic Registration is off.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeLms, LEARNER } from '../../testing/fakeLms.js';
import { ENGINES, ORIGIN, snapshot, startHarness, type Harness } from '../../testing/serviceWorld.js';
import { parseLtiConfig } from './config.js';
import { CLOSE_SCRIPT_HASH } from './registration.js';
import { loadToolKey } from './toolKey.js';

const dir = mkdtempSync(join(tmpdir(), 'presenza-lti-registration-'));
const toolKeyFile = join(dir, 'tool-key.json');

describe.each(ENGINES)('LTI Dynamic Registration on %s', (engine) => {
  let h: Harness;
  let configured: FakeLms;
  const register = (query: URLSearchParams) => h.transport({ method: 'GET', path: `/lti/register?${query}`, headers: { accept: 'text/html' } });
  const refusal = async (lms: FakeLms, query: URLSearchParams, code: string) => {
    const before = await snapshot(h.db);
    const registered = lms.registrations.length;
    const response = await register(query);
    expect(response.text).toContain(code);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(await snapshot(h.db)).toBe(before);
    expect(lms.registrations).toHaveLength(registered);
  };

  beforeAll(async () => {
    configured = await FakeLms.start();
    await loadToolKey(toolKeyFile, { create: true }).catch(() => undefined);
    // The fake LMSs listen on 127.0.0.1: the one host allowed to register.
    h = await startHarness(engine, {}, undefined, undefined, { lti: { config: parseLtiConfig({ toolKeyFile, platforms: [configured.registration()], registrationHosts: ['127.0.0.1'] }, dir), jwksCooldownMs: 0 } });
  });
  afterAll(async () => {
    await h.close();
    await configured.close();
  });

  it('registers with the platform, stores it, says so to the LMS; a launch from that platform then works', async () => {
    const lms = await FakeLms.start({ clientId: 'dyn-client-1', deploymentId: 'dyn-deployment-1' });
    try {
      const user = { sub: 'dyn-student', roles: [LEARNER], name: 'Dora' };
      // Before: the platform is unknown to the tool.
      expect((await h.transport({ method: 'POST', path: '/lti/login', headers: lms.formHeaders(), body: new URLSearchParams(lms.loginParams(`${ORIGIN}/lti/launch`, user)).toString() })).status).toBe(400);
      const response = await register(lms.registrationQuery());
      expect(response.status).toBe(200);
      // The close message, allowed by its hash in the page's CSP.
      expect(response.text).toContain("postMessage({ subject: 'org.imsglobal.lti.close' }, '*')");
      expect(String(response.headers['content-security-policy'])).toContain(CLOSE_SCRIPT_HASH);
      // What the tool registered: its URLs on the service's origin, private_key_jwt, the services' scopes.
      expect(lms.registrations).toHaveLength(1);
      expect(lms.registrations[0]).toMatchObject({
        initiate_login_uri: `${ORIGIN}/lti/login`,
        redirect_uris: [`${ORIGIN}/lti/launch`],
        jwks_uri: `${ORIGIN}/lti/jwks`,
        token_endpoint_auth_method: 'private_key_jwt',
        'https://purl.imsglobal.org/spec/lti-tool-configuration': { target_link_uri: `${ORIGIN}/lti/launch` },
      });
      expect(String(lms.registrations[0]!.scope).split(' ')).toHaveLength(3);
      expect(await h.db.all('SELECT issuer, client_id, deployment_id FROM lti_registrations')).toEqual([{ issuer: lms.issuer, client_id: 'dyn-client-1', deployment_id: 'dyn-deployment-1' }]);
      // A launch from the registered platform opens a session.
      const { response: launched } = await lms.launch(h.transport, ORIGIN, user, { now: h.clock.now });
      expect(launched.status).toBe(200);
      // The token was single use: registering again is refused by the platform, and nothing more is stored.
      await refusal(lms, lms.registrationQuery(), 'lti_registration_refused');
    } finally {
      await lms.close();
    }
  });

  it('refuses with a code and stores nothing: no token, a bad URL, an issuer elsewhere, a configuration without its endpoints', async () => {
    const lms = await FakeLms.start({ clientId: 'dyn-client-2' });
    try {
      const query = lms.registrationQuery();
      const without = (name: string) => {
        const q = new URLSearchParams(query);
        q.delete(name);
        return q;
      };
      await refusal(lms, without('registration_token'), 'lti_registration_token');
      await refusal(lms, without('openid_configuration'), 'lti_registration_request');
      await refusal(lms, new URLSearchParams({ ...Object.fromEntries(query), openid_configuration: 'http://lms.example/.well-known/openid-configuration' }), 'lti_registration_request');
      lms.editConfiguration = (config) => ({ ...config, issuer: 'https://other-lms.example' });
      await refusal(lms, query, 'lti_registration_issuer');
      lms.editConfiguration = ({ registration_endpoint: _gone, ...config }) => config;
      await refusal(lms, query, 'lti_registration_config');
      lms.editConfiguration = (config) => ({ ...config, id_token_signing_alg_values_supported: ['HS256'] });
      await refusal(lms, query, 'lti_registration_config');
      lms.editConfiguration = ({ 'https://purl.imsglobal.org/spec/lti-platform-configuration': _gone, ...config }) => config;
      await refusal(lms, query, 'lti_registration_config');
      // A token the platform does not know.
      lms.editConfiguration = (config) => config;
      await refusal(lms, new URLSearchParams({ ...Object.fromEntries(query), registration_token: 'forged' }), 'lti_registration_refused');
    } finally {
      await lms.close();
    }
  });

  it('takes registrations only from the listed hosts, and fetches nothing from any other', async () => {
    const lms = await FakeLms.start({ clientId: 'dyn-client-3' });
    try {
      // Another host: refused before any request (an unreachable host would otherwise say lti_platform_unreachable).
      const elsewhere = new URLSearchParams({ ...Object.fromEntries(lms.registrationQuery()), openid_configuration: 'https://lms.elsewhere.example/.well-known/openid-configuration' });
      await refusal(lms, elsewhere, 'lti_registration_not_allowed');
      // A service whose configuration lists no host takes no registration at all.
      const closed = await startHarness(engine, {}, undefined, undefined, { lti: { config: parseLtiConfig({ toolKeyFile, platforms: [configured.registration()] }, dir) } });
      try {
        const before = await snapshot(closed.db);
        const response = await closed.transport({ method: 'GET', path: `/lti/register?${lms.registrationQuery()}`, headers: { accept: 'text/html' } });
        expect(response.status).toBe(403);
        expect(response.text).toContain('lti_registration_not_allowed');
        expect(await snapshot(closed.db)).toBe(before);
        expect(lms.registrations).toHaveLength(0);
      } finally {
        await closed.close();
      }
    } finally {
      await lms.close();
    }
  });
});
