import { describe, expect, it } from 'vitest';
import { isPresenzaError, PresenzaError, reviveError } from './errors.js';

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
