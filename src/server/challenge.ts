import { randomBytes } from 'node:crypto';

/** Random bytes in a nonce from {@link createChallenge}: 32 bytes = 256 bits. */
export const CHALLENGE_BYTES = 32;

/**
 * Creates a fresh nonce for one enrollment or one check: {@link CHALLENGE_BYTES} random bytes
 * from the operating system's CSPRNG as unpadded base64url (43 characters). Keep it server-side
 * with the student and check it was issued for, and pass it as `expectedNonce` when verifying.
 */
export function createChallenge(): string {
  return randomBytes(CHALLENGE_BYTES).toString('base64url');
}
