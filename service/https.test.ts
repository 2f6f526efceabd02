/**
 * Behind an HTTPS reverse proxy: a local TLS proxy (self-signed certificate made with openssl)
 * forwards to the service on plain HTTP; the service is configured with the proxy's public URL.
 * Sign-in, enrollment and a check work end to end over TLS; the cookie is `__Host-` and Secure;
 * every response carries HSTS.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, request as httpsRequest, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../testing/serviceWorld.js';
import { ApiClient, SimulatedStudent, type Transport } from '../testing/simulatedStudent.js';

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasOpenssl)('behind an HTTPS reverse proxy', () => {
  let h: Harness;
  let proxy: Server;
  let publicOrigin: string;
  let ca: Buffer;
  let appPort = 0;

  /** HTTPS to the proxy, verifying its certificate against our own CA. */
  const transport: Transport = ({ method, path, headers, body }) =>
    new Promise((resolve, reject) => {
      const req = httpsRequest(`${publicOrigin}${path}`, { method, headers, ca }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
      });
      req.on('error', reject);
      req.end(body);
    });

  /** Reads a student's event stream over TLS until the first check. */
  const firstCheck = (client: ApiClient, lessonId: string) =>
    new Promise<{ checkId: string; nonce: string; headers: Record<string, unknown> }>((resolve, reject) => {
      const req = httpsRequest(`${publicOrigin}/api/lessons/${lessonId}/me/events`, { headers: { cookie: client.cookie! }, ca }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
          const match = /event: check\ndata: (.+)\n/.exec(text);
          if (match) {
            resolve({ ...(JSON.parse(match[1]!) as { checkId: string; nonce: string }), headers: res.headers });
            req.destroy();
          }
        });
      });
      req.on('error', reject);
      req.end();
    });

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'presenza-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    ca = readFileSync(join(dir, 'cert.pem'));
    // The proxy: TLS in front, plain HTTP to the service, with the usual X-Forwarded-* headers.
    proxy = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: ca }, (req, res) => {
      const upstream = httpRequest(
        { host: '127.0.0.1', port: appPort, path: req.url, method: req.method, headers: { ...req.headers, 'x-forwarded-proto': 'https', 'x-forwarded-for': req.socket.remoteAddress, 'x-forwarded-host': req.headers.host } },
        (up) => {
          res.writeHead(up.statusCode!, up.headers);
          up.pipe(res);
        },
      );
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    publicOrigin = `https://localhost:${(proxy.address() as { port: number }).port}`;
    h = await startHarness('sqlite', { publicUrl: publicOrigin, trustProxy: '127.0.0.1' });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    appPort = (h.app.server.address() as { port: number }).port;
  });

  afterAll(async () => {
    proxy.closeAllConnections();
    proxy.close();
    await h.close();
  });

  it('signs in, enrolls and answers a check with the public origin as audience; Secure __Host- cookie; HSTS everywhere', async () => {
    const signIn = (subject: string, role: 'teacher' | 'student') =>
      h.platform.signIn(transport, publicOrigin, { subject, role }, h.clock.now);
    const teacher = await signIn('t', 'teacher');
    expect(teacher.cookie).toMatch(/^__Host-presenza=/);
    const raw = await transport({ method: 'GET', path: '/api/session', headers: { cookie: teacher.cookie! } });
    expect(raw.headers['strict-transport-security']).toMatch(/max-age=31536000/);
    expect(raw.headers['content-security-policy']).toMatch(/upgrade-insecure-requests/);
    const launch = await transport({
      method: 'POST',
      path: '/api/launch',
      headers: { origin: publicOrigin, 'content-type': 'application/json' },
      body: JSON.stringify({ token: await h.platform.token(publicOrigin, { subject: 'x', role: 'student' }, { now: h.clock.now }) }),
    });
    expect(String(launch.headers['set-cookie'])).toMatch(/; Secure/);
    expect(String(launch.headers['set-cookie'])).toMatch(/HttpOnly/);

    const lessonId = String((await teacher.send('POST', '/api/lessons', { title: 'Over TLS' })).body.lessonId);
    const student = await SimulatedStudent.enroll(await signIn('s', 'student'), () => h.clock.now);
    expect(student.keyStatus).toBe('active');
    await student.join(lessonId);
    const waiting = firstCheck(student.client, lessonId);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await teacher.send('POST', `/api/lessons/${lessonId}/checks`, { withinMinutes: 0 })).status).toBe(200);
    const check = await waiting;
    expect(check.headers['strict-transport-security']).toMatch(/max-age/);
    expect(check.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect((await student.submit(check.checkId, await student.signCheck(check, 'pass', undefined, () => h.clock.now))).body).toEqual({ status: 'passed' });
  });

  it('an assertion signed for the plain-HTTP origin is refused (ERR_AUDIENCE)', async () => {
    const client = await h.platform.signIn(transport, publicOrigin, { subject: 's2', role: 'student' }, h.clock.now);
    // The page's Origin is the public one; the device signed for the plain-HTTP origin.
    const device = new SimulatedStudent(client);
    device.audience = publicOrigin.replace('https:', 'http:');
    const prepared = await device.prepareEnrollment(() => h.clock.now);
    expect('assertion' in prepared).toBe(true);
    const refused = await client.send('POST', '/api/me/enrollment', prepared);
    expect(refused.body).toMatchObject({ error: 'ERR_AUDIENCE' });
  });
});
