import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import { isPresenzaError, PresenzaError, reviveError } from './errors.js';
import { preserveErrorCodes } from './workerErrors.js';

describe('isPresenzaError and reviveError', () => {
  it('recognises a plain object with a known code, as errors look after crossing a worker', () => {
    const crossed = Object.assign(new Error('bad model'), { code: 'ERR_MODEL_INTEGRITY' });
    expect(crossed instanceof PresenzaError).toBe(false);
    expect(isPresenzaError(crossed)).toBe(true);
    const revived = reviveError(crossed);
    expect(revived).toBeInstanceOf(PresenzaError);
    expect(revived).toMatchObject({ code: 'ERR_MODEL_INTEGRITY', message: 'bad model' });
  });

  it('leaves other errors alone', () => {
    const other = Object.assign(new Error('x'), { code: 'ENOENT' });
    expect(isPresenzaError(other)).toBe(false);
    expect(reviveError(other)).toBe(other);
    expect(isPresenzaError(null)).toBe(false);
  });
});

describe('preserveErrorCodes', () => {
  it("keeps the code through Comlink's throw serialiser", () => {
    preserveErrorCodes();
    const handler = Comlink.transferHandlers.get('throw')!;
    const thrown = { value: new PresenzaError('ERR_BAD_FRAME', 'no frame'), [Symbol('marker')]: 0 };
    const [wire] = handler.serialize(thrown);
    let received: unknown;
    try {
      handler.deserialize(wire);
    } catch (error) {
      received = error;
    }
    expect(reviveError(received)).toMatchObject({ code: 'ERR_BAD_FRAME', message: 'no frame' });
  });
});
