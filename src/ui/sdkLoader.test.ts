import { describe, expect, it, vi } from 'vitest';
import type { LoadProgress } from '../protocol/capture.js';
import type { PresenzaOptions } from '../sdk/options.js';
import type { PresenzaProgressDetail } from './options.js';
import { SdkLoader, type CreatePresenza } from './sdkLoader.js';

function fakeInstance() {
  return {
    enroll: vi.fn(),
    check: vi.fn(),
    useAlternativeGesture: vi.fn(async () => false),
    declineIdentityDocument: vi.fn(() => false),
    close: vi.fn(async () => undefined),
  };
}

/** A `Presenza.create` that waits until the test resolves or rejects it, and keeps the options it got. */
function controlledCreate() {
  const calls: { options: PresenzaOptions; resolve: (sdk: ReturnType<typeof fakeInstance>) => void; reject: (error: unknown) => void }[] = [];
  const create: CreatePresenza = (options) =>
    new Promise((resolve, reject) => {
      calls.push({ options, resolve, reject });
    });
  return { create, calls };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('SdkLoader', () => {
  it('uses a given instance as is: ready at once, never closed', async () => {
    const sdk = fakeInstance();
    const create = vi.fn<CreatePresenza>();
    const loader = new SdkLoader(sdk as never, { create });
    expect(await loader.load()).toBe(sdk);
    expect(loader.ready).toBe(true);
    loader.release();
    await tick();
    expect(sdk.close).not.toHaveBeenCalled();
    expect(create).not.toHaveBeenCalled();
  });

  it('creates the instance once from create options, and is ready when it has loaded', async () => {
    const { create, calls } = controlledCreate();
    const loader = new SdkLoader({ assetsBaseUrl: 'https://cdn.example/' }, { create });
    const first = loader.load();
    expect(loader.load()).toBe(first);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.options.assetsBaseUrl).toBe('https://cdn.example/');
    expect(loader.ready).toBe(false);
    const sdk = fakeInstance();
    calls[0]!.resolve(sdk);
    expect(await first).toBe(sdk);
    expect(loader.ready).toBe(true);
  });

  it('closes the instance it created when released, and aborts a creation still running', async () => {
    const { create, calls } = controlledCreate();
    const loader = new SdkLoader({}, { create });
    void loader.load();
    const sdk = fakeInstance();
    calls[0]!.resolve(sdk);
    await tick();
    loader.release();
    await tick();
    expect(sdk.close).toHaveBeenCalled();
    expect(loader.ready).toBe(false);

    void loader.load();
    expect(calls).toHaveLength(2);
    loader.release();
    expect(calls[1]!.options.signal?.aborted).toBe(true);
    // The instance arrives after all: it is closed, never used.
    const late = fakeInstance();
    calls[1]!.resolve(late);
    await tick();
    expect(late.close).toHaveBeenCalled();
    expect(loader.ready).toBe(false);
  });

  it("passes the platform's own signal and progress callback on", async () => {
    const { create, calls } = controlledCreate();
    const platform = new AbortController();
    const onProgress = vi.fn();
    void new SdkLoader({ signal: platform.signal, onProgress }, { create }).load();
    const options = calls[0]!.options;
    platform.abort();
    expect(options.signal?.aborted).toBe(true);
    options.onProgress?.({ file: 'a.onnx', loaded: 1, total: 2 });
    expect(onProgress).toHaveBeenCalledWith({ file: 'a.onnx', loaded: 1, total: 2 });
  });

  it('creates the instance again on the next load after a failed one', async () => {
    const { create, calls } = controlledCreate();
    const loader = new SdkLoader({}, { create });
    const failed = loader.load();
    calls[0]!.reject(new Error('offline'));
    await expect(failed).rejects.toThrow('offline');
    const again = loader.load();
    expect(calls).toHaveLength(2);
    const sdk = fakeInstance();
    calls[1]!.resolve(sdk);
    expect(await again).toBe(sdk);
  });

  it('reports the overall download fraction over the files seen, and a progress that never moves backwards', () => {
    const { create, calls } = controlledCreate();
    const seen: [PresenzaProgressDetail, number][] = [];
    const loader = new SdkLoader({}, { create, onProgress: (detail, progress) => seen.push([detail, progress]) });
    void loader.load();
    const report = (progress: LoadProgress) => calls[0]!.options.onProgress!(progress);
    report({ file: 'a', loaded: 50, total: 100 });
    report({ file: 'a', loaded: 100, total: 100 });
    // A new file: the overall fraction drops to 100 / 400, the bar stays where it was.
    report({ file: 'b', loaded: 0, total: 300 });
    report({ file: 'c', loaded: 10, total: null });
    report({ file: 'b', loaded: 300, total: 300 });
    expect(seen.map(([detail]) => detail.fraction)).toEqual([0.5, 1, 0.25, null, null]);
    expect(seen.map(([, progress]) => progress)).toEqual([0.5, 1, 1, 1, 1]);
    expect(seen[0]![0]).toEqual({ file: 'a', loaded: 50, total: 100, fraction: 0.5 });
    expect(loader.progress).toBe(1);
  });
});
