/**
 * The imported registered keys of one verifier: `node:crypto` `KeyObject`s with their RFC 7638
 * thumbprints, kept in a bounded least-recently-used cache so that a check does not import its key
 * again. Each verifier (`createVerifier`) has its own; the standalone `verifyCheck` shares one.
 */

import type { KeyObject } from 'node:crypto';
import type { EcPublicJwk } from '../protocol/assertion.js';
import { importP256PublicKey, p256Thumbprint } from './es256.js';

/** Registered keys a verifier keeps imported by default (the least recently used is dropped first). */
export const REGISTERED_KEY_CACHE_SIZE = 1024;

/** A registered key, imported. */
export interface RegisteredKey {
  readonly key: KeyObject;
  /** RFC 7638 thumbprint: the `kid` of every check assertion signed with it. */
  readonly thumbprint: string;
}

/** A bounded LRU of imported registered keys, keyed by the point (`x`, `y`). */
export class KeyCache {
  readonly #entries = new Map<string, Promise<RegisteredKey>>();
  readonly #capacity: number;

  /** @param capacity Most keys kept (default {@link REGISTERED_KEY_CACHE_SIZE}); 0 keeps none. */
  constructor(capacity: number = REGISTERED_KEY_CACHE_SIZE) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) throw new TypeError('KeyCache: capacity must be a non-negative integer');
    this.#capacity = capacity;
  }

  /** Number of keys currently kept. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Resolves to the imported `publicJwk` (whose `x` and `y` the caller has checked), importing it
   * on first use. Only `kty`, `crv`, `x`, `y` are read. A key `node:crypto` refuses rejects with a
   * `TypeError` and is not kept, so a later call tries again.
   */
  resolve(publicJwk: EcPublicJwk): Promise<RegisteredKey> {
    const id = `${publicJwk.x}.${publicJwk.y}`;
    const cached = this.#entries.get(id);
    if (cached !== undefined) {
      // Most recently used goes last: Map keeps insertion order.
      this.#entries.delete(id);
      this.#entries.set(id, cached);
      return cached;
    }
    const entry = importRegisteredKey(publicJwk);
    if (this.#capacity === 0) return entry;
    this.#entries.set(id, entry);
    entry.catch(() => {
      if (this.#entries.get(id) === entry) this.#entries.delete(id);
    });
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return entry;
  }
}

async function importRegisteredKey(publicJwk: EcPublicJwk): Promise<RegisteredKey> {
  let key: KeyObject;
  try {
    key = importP256PublicKey(publicJwk.x, publicJwk.y);
  } catch (cause) {
    throw new TypeError('verifyCheck: options.publicJwk is not a valid P-256 public key', { cause });
  }
  return { key, thumbprint: p256Thumbprint(publicJwk) };
}
