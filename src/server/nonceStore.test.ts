import { describe, expect, it } from 'vitest';
import { DEFAULT_NONCE_PURGE_INTERVAL_MS, MemoryNonceStore } from './nonceStore.js';

const T0 = Date.UTC(2026, 2, 2, 10, 0, 0);
const use = (expiresAt: number) => ({ subject: 'enr_1', checkId: 'c1', expiresAt });

describe('MemoryNonceStore', () => {
  it('returns true the first time and false afterwards', async () => {
    const store = new MemoryNonceStore({ now: () => T0 });
    expect(await store.consume('n1', use(T0 + 1000))).toBe(true);
    expect(await store.consume('n1', use(T0 + 1000))).toBe(false);
    expect(await store.consume('n2', use(T0 + 1000))).toBe(true);
    expect(store.size).toBe(2);
  });

  it('still refuses an expired but not yet purged nonce', async () => {
    let now = T0;
    const store = new MemoryNonceStore({ now: () => now });
    await store.consume('n1', use(T0 + 1000));
    now = T0 + 5000; // expired, but the purge interval has not elapsed
    expect(await store.consume('n1', use(T0 + 1000))).toBe(false);
  });

  it('purges expired entries automatically once per interval, keeping live ones', async () => {
    let now = T0;
    const store = new MemoryNonceStore({ now: () => now });
    await store.consume('old', use(T0 + 1000));
    await store.consume('live', use(T0 + 10 * DEFAULT_NONCE_PURGE_INTERVAL_MS));
    now = T0 + DEFAULT_NONCE_PURGE_INTERVAL_MS - 1;
    await store.consume('x', use(now + 1));
    expect(store.size).toBe(3);
    now = T0 + DEFAULT_NONCE_PURGE_INTERVAL_MS;
    await store.consume('y', use(now + 1000));
    // 'old' and 'x' expired and were dropped; 'live' and 'y' remain.
    expect(store.size).toBe(2);
    expect(await store.consume('live', use(0))).toBe(false);
  });

  it('purges on demand and reports how many entries it dropped', async () => {
    const store = new MemoryNonceStore({ now: () => T0 });
    await store.consume('a', use(T0 - 1));
    await store.consume('b', use(T0));
    await store.consume('c', use(T0 + 1));
    expect(store.purge()).toBe(2);
    expect(store.size).toBe(1);
    expect(store.purge(T0 + 1)).toBe(1);
  });

  it('throws TypeError on misuse', async () => {
    expect(() => new MemoryNonceStore({ now: 5 as unknown as () => number })).toThrow(TypeError);
    expect(() => new MemoryNonceStore({ purgeIntervalMs: -1 })).toThrow(TypeError);
    const store = new MemoryNonceStore();
    await expect(store.consume('', use(T0))).rejects.toThrow(TypeError);
    await expect(store.consume('n', { subject: 's', checkId: null, expiresAt: Number.NaN })).rejects.toThrow(TypeError);
  });
});
