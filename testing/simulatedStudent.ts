/**
 * A simulated student for tests and the load benchmark: real device keys and real JWS made with
 * the SDK's own signer (WebCrypto in Node), talking to the demo API over HTTP. It never sees a
 * face: it signs whatever outcome it is told to, which is exactly what a tampered client could do
 * (see the README's threat model).
 */
import type { CheckOutcome, CheckReason } from '../src/protocol/assertion.js';
import { signCheck, signEnrollment } from '../workers/assertions.js';
import { modelIds } from '../workers/runtime/assets.js';
import { createDeviceKeys, type DeviceKeys } from '../workers/vault.js';

/** Sends one JSON request; resolves with the status and parsed body. */
export type Send = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: Record<string, unknown> }>;

/** A {@link Send} over HTTP to `origin`, with the Origin header a page of that origin would send. */
export function httpSend(origin: string): Send {
  return async (method, path, body) => {
    const response = await fetch(`${origin}${path}`, {
      method,
      headers: { origin, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
}

/** Model ids the simulated device claims: those of the shipped pipeline. */
const MODELS = modelIds();

/** A student with a device key, enrolled through the demo API. */
export class SimulatedStudent {
  private keys: DeviceKeys | undefined;
  private enrollmentId = '';

  private constructor(
    private readonly send: Send,
    private readonly audience: string,
    readonly studentId: string,
  ) {}

  /** Registers a student and enrolls its device key. */
  static async enroll(send: Send, audience: string, displayName: string, now: () => number = Date.now): Promise<SimulatedStudent> {
    const created = await send('POST', '/api/students', { displayName });
    const student = new SimulatedStudent(send, audience, String(created.body.studentId));
    const challenge = (await send('POST', `/api/students/${student.studentId}/enrollment-challenge`)).body;
    student.keys = await createDeviceKeys();
    student.enrollmentId = String(challenge.enrollmentId);
    const assertion = await signEnrollment(student.keys, {
      audience,
      enrollmentId: student.enrollmentId,
      nonce: String(challenge.nonce),
      retainUntilMs: Number(challenge.retainUntil),
      nowMs: now(),
      // A simulated student shows no identity document: the service sees a pending enrollment.
      idDocument: 'not_run',
      models: MODELS,
    });
    const registered = await send('POST', `/api/students/${student.studentId}/enrollment`, { assertion });
    if (registered.status !== 200) throw new Error(`enrollment refused: ${JSON.stringify(registered.body)}`);
    return student;
  }

  /** Signs a check assertion for the given check and outcome. */
  signCheck(check: { checkId: string; nonce: string }, outcome: CheckOutcome, reason?: CheckReason, now: () => number = Date.now): Promise<string> {
    if (!this.keys) throw new Error('not enrolled');
    return signCheck(this.keys, {
      audience: this.audience,
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
   * Opens the student's SSE stream of a lesson, as the student page does, and resolves with the
   * first check it announces.
   */
  async waitForCheck(origin: string, lessonId: string): Promise<{ checkId: string; nonce: string }> {
    const response = await fetch(`${origin}/api/lessons/${lessonId}/students/${this.studentId}/events`);
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
    return this.send('POST', `/api/checks/${checkId}/result`, { studentId: this.studentId, assertion });
  }
}
