import { afterEach, describe, expect, it, vi } from 'vitest';
import { PreviewCamera } from './camera.js';

afterEach(() => vi.unstubAllGlobals());

describe('PreviewCamera', () => {
  it('does not ask for the camera once the attempt was aborted', async () => {
    const getUserMedia = vi.fn(async () => ({ getTracks: () => [] }) as unknown as MediaStream);
    vi.stubGlobal('window', { isSecureContext: true });
    vi.stubGlobal('navigator', { mediaDevices: { getUserMedia } });
    vi.stubGlobal('document', {});
    await expect(new PreviewCamera().open(AbortSignal.abort())).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    expect(getUserMedia).not.toHaveBeenCalled();
  });

  it('asks for it, and stops its tracks on stop()', async () => {
    const track = { stop: vi.fn() };
    const getUserMedia = vi.fn(async () => ({ getTracks: () => [track] }) as unknown as MediaStream);
    vi.stubGlobal('window', { isSecureContext: true });
    vi.stubGlobal('navigator', { mediaDevices: { getUserMedia } });
    vi.stubGlobal('document', {});
    const camera = new PreviewCamera();
    await camera.open(new AbortController().signal);
    expect(getUserMedia).toHaveBeenCalledTimes(1);
    camera.stop();
    expect(track.stop).toHaveBeenCalledTimes(1);
  });
});
