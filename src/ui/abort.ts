/** Abort helpers: the element stops waiting at once when the student or the platform cancels. */
import { PresenzaError } from '../protocol/errors.js';

/** The error an aborted enroll(), check() or wait rejects with. */
export function abortedError(what: string): PresenzaError {
  return new PresenzaError('ERR_ABORTED', `${what} was aborted`);
}

/**
 * Settles like `promise`, or rejects with `ERR_ABORTED` as soon as `signal` aborts. The work
 * behind `promise` is not cancelled by this; the caller owns that.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError(what));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
