/**
 * Checks of the caller's options. A mistake here is the platform's bug, not a bad assertion, so
 * it throws `TypeError` with a precise message, never an `AssertionError`.
 */

import type { EcPublicJwk } from '../protocol/assertion.js';
import { isP256Coordinate } from '../protocol/jws.js';
import { isJsonObject } from './compactJws.js';
import type { NonceStore } from './nonceStore.js';

/** Clock skew tolerated between the device and the server by default, in seconds. */
export const DEFAULT_MAX_SKEW_SECONDS = 30;

/** Largest `maxSkewSeconds` a caller may configure, in seconds. */
export const MAX_SKEW_SECONDS_LIMIT = 300;

/** Shortest `expectedNonce` accepted, in characters: 22 base64url characters carry 128 bits. */
export const MIN_NONCE_LENGTH = 22;

/** Throws unless `options` is an object. */
export function assertOptionsObject(options: unknown, fn: string): asserts options is object {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${fn}: options must be an object`);
}

/** Throws unless `value` is a non-empty string; `name` is the option's full name for the message. */
export function assertNonEmptyString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${name} must be a non-empty string`);
}

/** Throws unless `value` can be a nonce from `createChallenge`. */
export function assertExpectedNonce(value: unknown, fn: string): asserts value is string {
  if (typeof value !== 'string' || value.length < MIN_NONCE_LENGTH) {
    throw new TypeError(`${fn}: options.expectedNonce must be a string of at least ${MIN_NONCE_LENGTH} characters (use createChallenge())`);
  }
}

/** Throws unless `value` is an EC P-256 public JWK with canonical coordinates (extra members are ignored). */
export function assertRegisteredJwk(value: unknown): asserts value is EcPublicJwk {
  if (!isJsonObject(value)) throw new TypeError('verifyCheck: options.publicJwk must be a JWK object');
  if (Object.hasOwn(value, 'd')) throw new TypeError('verifyCheck: options.publicJwk must be a public key (it has "d")');
  if (value.kty !== 'EC' || value.crv !== 'P-256') throw new TypeError('verifyCheck: options.publicJwk must have kty "EC" and crv "P-256"');
  if (!isP256Coordinate(value.x) || !isP256Coordinate(value.y)) {
    throw new TypeError('verifyCheck: options.publicJwk x and y must be canonical base64url of 32 bytes (43 characters)');
  }
}

/** Throws unless `value` is undefined or has a `consume` method. */
export function assertNonceStore(value: unknown, fn: string): asserts value is NonceStore | undefined {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null || typeof (value as NonceStore).consume !== 'function') {
    throw new TypeError(`${fn}: options.nonceStore must have a consume(nonce, use) method`);
  }
}

/** `now` (milliseconds since the epoch, default `Date.now()`) in seconds. */
export function resolveNowSeconds(now: unknown, fn: string): number {
  if (now === undefined) return Date.now() / 1000;
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new TypeError(`${fn}: options.now must be milliseconds since the Unix epoch (a finite number)`);
  }
  return now / 1000;
}

/** `maxSkewSeconds`, default {@link DEFAULT_MAX_SKEW_SECONDS}, at most {@link MAX_SKEW_SECONDS_LIMIT}. */
export function resolveSkew(skew: unknown, fn: string): number {
  if (skew === undefined) return DEFAULT_MAX_SKEW_SECONDS;
  if (typeof skew !== 'number' || !Number.isFinite(skew) || skew < 0 || skew > MAX_SKEW_SECONDS_LIMIT) {
    throw new TypeError(`${fn}: options.maxSkewSeconds must be a number from 0 to ${MAX_SKEW_SECONDS_LIMIT}`);
  }
  return skew;
}

/** The verifier-wide settings of one verification, resolved from the caller's options. */
export interface CallSettings {
  /** This platform's origin; `aud` must equal it. */
  audience: string;
  /** Where nonces are spent; without one, replays are not detected. */
  nonceStore: NonceStore | undefined;
  /** The verifier's clock for this call, Unix seconds. */
  nowSeconds: number;
  /** Tolerated clock skew, seconds. */
  skewSeconds: number;
}

/** Settings of the standalone `verifyCheck` / `verifyEnrollment`, from their options object. */
export function standaloneSettings(
  options: { audience?: unknown; nonceStore?: unknown; now?: unknown; maxSkewSeconds?: unknown },
  fn: string,
): CallSettings {
  assertNonEmptyString(options.audience, `${fn}: options.audience`);
  assertNonceStore(options.nonceStore, fn);
  return {
    audience: options.audience,
    nonceStore: options.nonceStore,
    nowSeconds: resolveNowSeconds(options.now, fn),
    skewSeconds: resolveSkew(options.maxSkewSeconds, fn),
  };
}
