/**
 * Keeps the `code` of errors thrown inside the worker. Comlink serialises a thrown Error as
 * name, message and stack only; this wraps its "throw" handler to carry `code` too, and the main
 * thread rebuilds the class with `reviveError`.
 */
import { transferHandlers } from 'comlink';

/** Installs the code-preserving error serialiser. Call once in the worker, before `expose`. */
export function preserveErrorCodes(): void {
  const original = transferHandlers.get('throw');
  if (!original) throw new Error('Comlink has no "throw" transfer handler');
  transferHandlers.set('throw', {
    canHandle: original.canHandle,
    deserialize: original.deserialize,
    serialize(thrown: unknown) {
      const [wire, transfers] = original.serialize(thrown);
      const code = (thrown as { value?: { code?: unknown } }).value?.code;
      const value = (wire as { isError?: boolean; value?: Record<string, unknown> }).value;
      if (typeof code === 'string' && value && typeof value === 'object') value.code = code;
      return [wire, transfers];
    },
  });
}
