/**
 * Starts the face worker. Platforms load the SDK from a CDN, and browsers refuse `new Worker(url)`
 * across origins, so the worker is bootstrapped from a same-origin Blob whose only line imports the
 * real worker module (which needs CORS, like every other asset). Every call to the worker races
 * against the worker failing to start and against the caller's AbortSignal, so nothing hangs.
 * Without Web Workers at all it throws `ERR_UNSUPPORTED_BROWSER` (what the worker needs is checked
 * inside it, by `workers/capabilities.ts`).
 */
import * as Comlink from 'comlink';
import { PresenzaError, reviveError } from '../protocol/errors.js';

/** A started worker. */
export interface WorkerHandle<Api> {
  /** Calls `method` with `args`; rejects if the worker dies or `signal` aborts first. */
  call<K extends keyof Api>(
    method: K,
    ...args: Api[K] extends (...a: infer A) => unknown ? A : never
  ): Promise<Api[K] extends (...a: never[]) => infer R ? Awaited<R> : never>;
  /** Stops the worker at once. */
  terminate(): void;
}

/** Starts the module worker at `scriptUrl` through a Blob bootstrap. */
export function startWorker<Api>(scriptUrl: string, signal?: AbortSignal): WorkerHandle<Api> {
  if (typeof Worker !== 'function') {
    throw new PresenzaError('ERR_UNSUPPORTED_BROWSER', 'this browser has no Web Workers, so the face check cannot run here. Offer the alternative.');
  }
  const bootstrap = URL.createObjectURL(
    new Blob([`import ${JSON.stringify(scriptUrl)};\n`], { type: 'text/javascript' }),
  );
  let worker: Worker;
  try {
    worker = new Worker(bootstrap, { type: 'module', name: 'presenza-face' });
  } catch (error) {
    URL.revokeObjectURL(bootstrap);
    throw new PresenzaError('ERR_WORKER_START', `could not start the face worker: ${String(error)}`, { cause: error });
  }
  const remote = Comlink.wrap<Api>(worker);
  let stopped = false;
  const failure = new Promise<never>((_, reject) => {
    worker.addEventListener(
      'error',
      (event) => {
        event.preventDefault();
        reject(
          new PresenzaError(
            'ERR_WORKER_START',
            `the face worker failed to load from ${scriptUrl}` +
              `${event.message ? ` (${event.message})` : ''}; check that the file exists and is served with CORS headers`,
          ),
        );
      },
      { once: true },
    );
    signal?.addEventListener('abort', () => reject(new PresenzaError('ERR_ABORTED', 'aborted by the caller')), { once: true });
  });
  failure.catch(() => undefined);

  const terminate = () => {
    if (stopped) return;
    stopped = true;
    remote[Comlink.releaseProxy]();
    worker.terminate();
    URL.revokeObjectURL(bootstrap);
  };
  signal?.addEventListener('abort', terminate, { once: true });

  return {
    async call(method, ...args) {
      if (stopped) throw new PresenzaError('ERR_CLOSED', 'the face worker was closed');
      if (signal?.aborted) throw new PresenzaError('ERR_ABORTED', 'aborted by the caller');
      const fn = remote[method as keyof Comlink.Remote<Api>] as unknown as (...a: unknown[]) => Promise<never>;
      try {
        return await Promise.race([fn(...args), failure]);
      } catch (error) {
        throw reviveError(error);
      }
    },
    terminate,
  };
}
