/**
 * Single-use nonces: the replay protection of `verifyCheck` (and optionally `verifyEnrollment`).
 */

import type { CheckClaims, EnrollClaims } from '../protocol/assertion.js';
import { claimError } from './assertionError.js';

/** What the verifier tells a {@link NonceStore} about the assertion that uses a nonce. */
export interface NonceUse {
  /** `sub` of the assertion (the platform's enrollment id). */
  subject: string;
  /** `jti` of a check assertion; `null` for an enrollment assertion (it has no `jti`). */
  checkId: string | null;
  /**
   * Milliseconds since the Unix epoch after which the verifier rejects this assertion as expired
   * anyway (`(exp + maxSkewSeconds) * 1000`). A store may forget the nonce after this instant,
   * never before.
   */
  expiresAt: number;
}

/**
 * Records which nonces have been used, so that each one is accepted once.
 *
 * Contract: `consume(nonce, use)` resolves to `true` the first time it is called for a given
 * `nonce` and to `false` on every later call (at least until `use.expiresAt` has passed), and
 * this must hold under concurrency: of two simultaneous calls with the same nonce, at most one
 * may resolve to `true`. Anything other than `true` is treated as "already used". A rejected
 * promise (e.g. the database is down) propagates unchanged out of the verifier; it is not an
 * assertion error.
 *
 * For more than one server process, back it with a shared store and let the store decide
 * atomically, e.g. a table with a unique constraint on the nonce:
 * `INSERT INTO used_nonces (nonce, subject, check_id, expires_at) VALUES (…) ON CONFLICT DO
 * NOTHING` and return whether one row was inserted; delete rows whose `expires_at` has passed
 * from time to time. A "SELECT then INSERT" is not atomic and does not meet the contract.
 */
export interface NonceStore {
  consume(nonce: string, use: NonceUse): Promise<boolean>;
}

/** How often {@link MemoryNonceStore} drops expired entries by default, in milliseconds. */
export const DEFAULT_NONCE_PURGE_INTERVAL_MS = 60_000;

/** Options of {@link MemoryNonceStore}. */
export interface MemoryNonceStoreOptions {
  /**
   * Clock in milliseconds since the Unix epoch (default `Date.now`). Use the same clock as the
   * verifier's `now`: an entry is purged once this clock passes its `expiresAt`.
   */
  now?: () => number;
  /** Minimum time between two automatic purges (default {@link DEFAULT_NONCE_PURGE_INTERVAL_MS}). */
  purgeIntervalMs?: number;
}

/**
 * A {@link NonceStore} in this process's memory, for a single server process, tests and
 * benchmarks. Consumption is atomic because the check and the insert happen synchronously in one
 * turn of the event loop. Expired entries are purged at most once per `purgeIntervalMs`, during
 * `consume`, or on demand with {@link MemoryNonceStore.purge}. Used nonces are lost on restart:
 * an assertion issued before a restart can then be replayed until it expires (at most
 * `MAX_ASSERTION_LIFETIME_SECONDS` plus the skew), which is why a multi-process or
 * restart-sensitive deployment should use a shared store.
 */
export class MemoryNonceStore implements NonceStore {
  readonly #used = new Map<string, number>();
  readonly #clock: () => number;
  readonly #purgeIntervalMs: number;
  #nextPurgeAt: number;

  constructor(options: MemoryNonceStoreOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError('MemoryNonceStore: options must be an object');
    }
    const { now = Date.now, purgeIntervalMs = DEFAULT_NONCE_PURGE_INTERVAL_MS } = options;
    if (typeof now !== 'function') throw new TypeError('MemoryNonceStore: options.now must be a function');
    if (!Number.isFinite(purgeIntervalMs) || purgeIntervalMs < 0) {
      throw new TypeError('MemoryNonceStore: options.purgeIntervalMs must be a non-negative finite number');
    }
    this.#clock = now;
    this.#purgeIntervalMs = purgeIntervalMs;
    this.#nextPurgeAt = now() + purgeIntervalMs;
  }

  /** Number of nonces currently remembered (used and not yet purged). */
  get size(): number {
    return this.#used.size;
  }

  /** Resolves to `true` the first time `nonce` is seen, `false` afterwards. */
  async consume(nonce: string, use: NonceUse): Promise<boolean> {
    if (typeof nonce !== 'string' || nonce === '') {
      throw new TypeError('MemoryNonceStore.consume: nonce must be a non-empty string');
    }
    if (typeof use !== 'object' || use === null || !Number.isFinite(use.expiresAt)) {
      throw new TypeError('MemoryNonceStore.consume: use.expiresAt must be a finite number');
    }
    const now = this.#clock();
    if (now >= this.#nextPurgeAt) this.purge(now);
    if (this.#used.has(nonce)) return false;
    this.#used.set(nonce, use.expiresAt);
    return true;
  }

  /**
   * Drops every nonce whose `expiresAt` is at or before `now` (default: the store's clock) and
   * returns how many were dropped.
   */
  purge(now: number = this.#clock()): number {
    let dropped = 0;
    for (const [nonce, expiresAt] of this.#used) {
      if (expiresAt <= now) {
        this.#used.delete(nonce);
        dropped++;
      }
    }
    this.#nextPurgeAt = now + this.#purgeIntervalMs;
    return dropped;
  }
}

/**
 * Spends the nonce of a fully verified assertion in `store`; throws `AssertionError`
 * (`ERR_REPLAYED`, claim `nonce`) unless the store says this is its first use. A rejection of the
 * store propagates unchanged. Called last, so a forged or broken assertion cannot burn a nonce.
 */
export async function spendNonce(store: NonceStore, claims: CheckClaims | EnrollClaims, skewSeconds: number): Promise<void> {
  const consumed = await store.consume(claims.nonce, {
    subject: claims.sub,
    checkId: 'jti' in claims ? claims.jti : null,
    expiresAt: (claims.exp + skewSeconds) * 1000,
  });
  if (consumed !== true) throw claimError('nonce', 'already used', 'ERR_REPLAYED');
}
