/**
 * Simulated users for tests and the load benchmark. A {@link ApiClient} is one browser: it signs
 * in with a launch token, keeps its session cookie and echoes the CSRF token, like the demo pages.
 * A {@link SimulatedStudent} adds real device keys and real JWS made with the SDK's own signer
 * (WebCrypto in Node). It never sees a face: it signs whatever outcome it is told to, which is
 * exactly what a tampered client could do (see the README's threat model).
 */
import type { CheckOutcome, CheckReason } from '../src/protocol/assertion.js';
import { signCheck, signEnrollment } from '../workers/assertions.js';
import { modelIds } from '../workers/runtime/assets.js';
import { createDeviceKeys, type DeviceKeys } from '../workers/vault.js';

/** One HTTP exchange, however it is carried (app.inject, fetch, a TLS proxy). */
export type Transport = (request: {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}) => Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>;

/** Sends one JSON request; resolves with the status and parsed body. */
export type Send = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: Record<string, unknown> }>;

/** A {@link Transport} over fetch to `baseUrl`. */
export function fetchTransport(baseUrl: string): Transport {
  return async ({ method, path, headers, body }) => {
    const response = await fetch(`${baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    return { status: response.status, headers: Object.fromEntries(response.headers), text: await response.text() };
  };
}

/** One browser's session with the service. */
export class ApiClient {
  cookie: string | undefined;
  csrfToken: string | undefined;
  userId = '';

  constructor(
    readonly transport: Transport,
    /** The Origin header its pages send (also the assertions' audience). */
    readonly origin: string,
  ) {}

  /** Exchanges a launch token for a session. */
  static async signIn(transport: Transport, origin: string, token: string): Promise<ApiClient> {
    const client = new ApiClient(transport, origin);
    const launched = await client.send('POST', '/api/launch', { token });
    if (launched.status !== 200) throw new Error(`launch refused: ${JSON.stringify(launched.body)}`);
    const session = await client.send('GET', '/api/session');
    client.userId = String(session.body.userId);
    return client;
  }

  /** The same browser session over another transport (another instance of the service). */
  through(transport: Transport): ApiClient {
    const copy = new ApiClient(transport, this.origin);
    copy.cookie = this.cookie;
    copy.csrfToken = this.csrfToken;
    copy.userId = this.userId;
    return copy;
  }

  /** Sends a JSON request with the session cookie, the Origin and the CSRF token. */
  send: Send = async (method, path, body) => {
    const headers: Record<string, string> = { origin: this.origin };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.cookie) headers.cookie = this.cookie;
    if (this.csrfToken && method !== 'GET') headers['x-csrf-token'] = this.csrfToken;
    const response = await this.transport({ method, path, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const setCookie = response.headers['set-cookie'];
    const first = Array.isArray(setCookie) ? setCookie[0] : setCookie;
    if (first) this.cookie = first.split(';')[0];
    const parsed = response.text.startsWith('{') || response.text.startsWith('[') ? (JSON.parse(response.text) as Record<string, unknown>) : { text: response.text };
    if (typeof parsed.csrfToken === 'string') this.csrfToken = parsed.csrfToken;
    return { status: response.status, body: parsed };
  };
}

/** Model ids the simulated device claims: those of the shipped pipeline. */
const MODELS = modelIds();

/** A student's device with its own key, enrolled through the API. */
export class SimulatedStudent {
  private keys: DeviceKeys | undefined;
  private enrollmentId = '';
  keyId = '';
  keyStatus = '';
  /** The audience the device signs for: its page's origin, unless a test says otherwise. */
  audience: string | undefined;

  constructor(readonly client: ApiClient) {}

  get studentId(): string {
    return this.client.userId;
  }

  /** Enrolls a new device key for the signed-in student; resolves with it (active or pending). */
  static async enroll(client: ApiClient, now: () => number = Date.now): Promise<SimulatedStudent> {
    const student = new SimulatedStudent(client);
    const registered = await student.tryEnroll(now);
    if (registered.status !== 200) throw new Error(`enrollment refused: ${JSON.stringify(registered.body)}`);
    return student;
  }

  /** Asks for a challenge, signs an enrollment with a fresh device key, posts it. */
  async tryEnroll(now: () => number = Date.now) {
    const prepared = await this.prepareEnrollment(now);
    if (!('assertion' in prepared)) return prepared;
    const registered = await this.client.send('POST', '/api/me/enrollment', { assertion: prepared.assertion });
    if (registered.status === 200) {
      this.keyId = String(registered.body.keyId);
      this.keyStatus = String(registered.body.status);
    }
    return registered;
  }

  /** Asks for a challenge and signs an enrollment with a fresh device key, without posting it. */
  async prepareEnrollment(now: () => number = Date.now): Promise<{ assertion: string } | { status: number; body: Record<string, unknown> }> {
    const challenge = await this.client.send('POST', '/api/me/enrollment-challenge');
    if (challenge.status !== 200) return challenge;
    this.keys = await createDeviceKeys();
    this.enrollmentId = String(challenge.body.enrollmentId);
    const assertion = await signEnrollment(this.keys, {
      audience: this.audience ?? this.client.origin,
      enrollmentId: this.enrollmentId,
      nonce: String(challenge.body.nonce),
      retainUntilMs: Number(challenge.body.retainUntil),
      nowMs: now(),
      // A simulated student shows no identity document: the service sees a pending enrollment.
      idDocument: 'not_run',
      models: MODELS,
    });
    return { assertion };
  }

  /** Joins a lesson. */
  async join(lessonId: string): Promise<void> {
    const joined = await this.client.send('POST', `/api/lessons/${lessonId}/join`);
    if (joined.status !== 200) throw new Error(`join refused: ${JSON.stringify(joined.body)}`);
  }

  /** Signs a check assertion for the given check and outcome. */
  signCheck(check: { checkId: string; nonce: string }, outcome: CheckOutcome, reason?: CheckReason, now: () => number = Date.now): Promise<string> {
    if (!this.keys) throw new Error('not enrolled');
    return signCheck(this.keys, {
      audience: this.audience ?? this.client.origin,
      enrollmentId: this.enrollmentId,
      checkId: check.checkId,
      nonce: check.nonce,
      nowMs: now(),
      outcome,
      ...(reason ? { reason } : {}),
      liveness: outcome === 'pass' ? 'passed' : 'not_run',
      models: MODELS,
    });
  }

  /**
   * Opens the student's SSE stream of a lesson over HTTP at `baseUrl`, as the student page does,
   * and resolves with the first check it announces.
   */
  async waitForCheck(baseUrl: string, lessonId: string): Promise<{ checkId: string; nonce: string }> {
    const response = await fetch(`${baseUrl}/api/lessons/${lessonId}/me/events`, { headers: { cookie: this.client.cookie ?? '' } });
    if (response.status !== 200) throw new Error(`event stream refused: ${response.status} ${await response.text()}`);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('the event stream ended before a check');
      text += decoder.decode(value, { stream: true });
      const match = /event: check\ndata: (.+)\n/.exec(text);
      if (match) {
        await reader.cancel();
        return JSON.parse(match[1]!) as { checkId: string; nonce: string };
      }
    }
  }

  /** Posts a check assertion. */
  submit(checkId: string, assertion: string) {
    return this.client.send('POST', `/api/checks/${checkId}/result`, { assertion });
  }
}
