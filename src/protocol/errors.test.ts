import { describe, expect, it } from 'vitest';
import { CAMERA_ERROR_CODES, ERROR_CODES, isCameraErrorCode, isPresenzaError, PresenzaError, reviveError } from './errors.js';

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

describe('isCameraErrorCode', () => {
  it('knows the listed camera codes, all of them stable error codes', () => {
    for (const code of CAMERA_ERROR_CODES) {
      expect(ERROR_CODES).toContain(code);
      expect(isCameraErrorCode(code)).toBe(true);
    }
    expect(CAMERA_ERROR_CODES).toContain('ERR_CAMERA_POLICY');
  });

  it('rejects other codes, including unknown ones that only look like camera codes', () => {
    expect(isCameraErrorCode('ERR_NO_FACE')).toBe(false);
    expect(isCameraErrorCode('ERR_CAMERA_EXPLODED')).toBe(false);
    expect(isCameraErrorCode(undefined)).toBe(false);
  });
});
