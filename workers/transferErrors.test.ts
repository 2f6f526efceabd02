import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import { PresenzaError, reviveError } from '../src/protocol/errors.js';
import { preserveErrorCodes } from './transferErrors.js';

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
