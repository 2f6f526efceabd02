/**
 * The two origins of a platform page: the SDK and its assets on a "CDN" origin (CORS), the page
 * itself on the platform's origin, both cross-origin isolated. The platform origin also serves
 * the shared face photos under /faces/ for tests to inject (and any further `mounts`, URL prefix →
 * directory).
 */
import { DIST, FACES } from './paths.js';
import { serveStatic, type StaticServer, type StaticServerOptions } from './staticServer.js';

/** A running pair of origins. */
export interface Origins {
  readonly cdn: StaticServer;
  readonly site: StaticServer;
  close(): Promise<void>;
}

/** Pages on the platform origin: `/sdk.html` loads the script-tag build, `/harness.html` the testing harness. */
export async function startOrigins(
  options: { isolated?: boolean; onRequest?: StaticServerOptions['onRequest']; mounts?: Readonly<Record<string, string>> } = {},
): Promise<Origins> {
  const isolated = options.isolated ?? true;
  const cdn = await serveStatic({ mounts: { '/': DIST }, cors: true, isolated, ...(options.onRequest ? { onRequest: options.onRequest } : {}) });
  const pages = {
    '/sdk.html': `<!doctype html><title>platform</title><script src="${cdn.origin}/presenza.iife.js"></script>`,
    '/harness.html': `<!doctype html><title>harness</title><script src="${cdn.origin}/testing/harness.iife.js"></script>`,
  };
  const site = await serveStatic({ mounts: { ...options.mounts, '/faces/': FACES }, pages, isolated });
  return { cdn, site, close: async () => void (await Promise.all([cdn.close(), site.close()])) };
}
