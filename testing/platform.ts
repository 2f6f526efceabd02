/**
 * A test platform: its own ES256 key, trusted by the service under test, signing launch tokens
 * for any user (the same signer as the demo platform's).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreatePlatformKey, platformJwks, signLaunchToken, type LaunchClaims, type PlatformKey } from '../demo/platform.js';
import type { TrustedIssuer } from '../service/config.js';
import { ApiClient, type Transport } from './simulatedStudent.js';

export const TEST_ISSUER = 'https://lms.test.example';
export const TEST_COURSE = 'course-1';

/** A platform whose key the service trusts. */
export class TestPlatform {
  private constructor(
    readonly key: PlatformKey,
    readonly issuer: string,
  ) {}

  static async create(issuer = TEST_ISSUER): Promise<TestPlatform> {
    return new TestPlatform(await loadOrCreatePlatformKey(join(mkdtempSync(join(tmpdir(), 'presenza-platform-')), 'key.json')), issuer);
  }

  get trusted(): TrustedIssuer {
    return { issuer: this.issuer, jwks: platformJwks(this.key) };
  }

  /** A launch token for `claims` (course-1 unless told otherwise). */
  token(audience: string, claims: Partial<LaunchClaims> & Pick<LaunchClaims, 'subject' | 'role'>, options: { now?: number; lifetimeSeconds?: number } = {}): Promise<string> {
    return signLaunchToken(this.key, { name: claims.subject, course: TEST_COURSE, ...claims }, { issuer: this.issuer, audience, ...options });
  }

  /** A signed-in browser of a user. */
  async signIn(transport: Transport, origin: string, claims: Partial<LaunchClaims> & Pick<LaunchClaims, 'subject' | 'role'>, now?: number): Promise<ApiClient> {
    return ApiClient.signIn(transport, origin, await this.token(origin, claims, now === undefined ? {} : { now }));
  }
}
