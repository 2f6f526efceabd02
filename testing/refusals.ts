/** Expectations for the verifier's tests: an assertion refused with a given code, naming the claim at fault. */
import { expect } from 'vitest';
import { AssertionError } from '../src/server/index.js';

/** Resolves to the error `promise` rejects with; fails the test if it fulfils. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => expect.fail(`expected a rejection, got ${JSON.stringify(value)}`),
    (error: unknown) => error,
  );
}

/** Expects a refusal with `code`; with `claim`, also that the error names that claim (property and message). */
export async function expectCode(promise: Promise<unknown>, code: string, claim?: string): Promise<void> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(AssertionError);
  expect((error as AssertionError).code).toBe(code);
  if (claim === undefined) return;
  expect((error as AssertionError).claim).toBe(claim);
  expect((error as AssertionError).message.startsWith(`${claim}: `)).toBe(true);
}
