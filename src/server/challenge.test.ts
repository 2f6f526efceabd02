import { describe, expect, it } from 'vitest';
import { CHALLENGE_BYTES, createChallenge } from './challenge.js';
import { MIN_NONCE_LENGTH } from './index.js';

describe('createChallenge', () => {
  it('returns 256 random bits as unpadded base64url', () => {
    const nonce = createChallenge();
    expect(CHALLENGE_BYTES * 8).toBeGreaterThanOrEqual(256);
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(nonce, 'base64url')).toHaveLength(CHALLENGE_BYTES);
    expect(nonce.length).toBeGreaterThanOrEqual(MIN_NONCE_LENGTH);
  });

  it('does not repeat', () => {
    const nonces = new Set(Array.from({ length: 10_000 }, createChallenge));
    expect(nonces.size).toBe(10_000);
  });
});
