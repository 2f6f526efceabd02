/**
 * A small static file server for tests and benchmarks, on loopback only. Each instance is one
 * origin; `isolated` adds COOP/COEP (cross-origin isolation, so WASM gets threads) and `cors`
 * lets pages of other origins fetch and import its files.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
};

/** Options of {@link serveStatic}. */
export interface StaticServerOptions {
  /** URL prefix → directory. */
  readonly mounts: Readonly<Record<string, string>>;
  /** Extra in-memory pages: path → HTML. */
  readonly pages?: Readonly<Record<string, string>>;
  /** In-memory files served instead of the mounted ones: path → bytes (e.g. a corrupted model). */
  readonly files?: Readonly<Record<string, Uint8Array>>;
  readonly isolated?: boolean;
  readonly cors?: boolean;
  /** Lets browsers cache files this long (default: revalidate every time), e.g. to measure a warm start. */
  readonly cacheMaxAgeSeconds?: number;
  /** Records every request path (for privacy assertions). */
  readonly onRequest?: (request: IncomingMessage) => void;
}

/** A running server. */
export interface StaticServer {
  readonly origin: string;
  close(): Promise<void>;
}

function setHeaders(response: ServerResponse, options: StaticServerOptions): void {
  if (options.isolated) {
    response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    response.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
  }
  if (options.cors) {
    response.setHeader('Access-Control-Allow-Origin', '*');
    response.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  } else {
    response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  }
}

async function resolveFile(options: StaticServerOptions, pathname: string): Promise<string | null> {
  for (const [prefix, dir] of Object.entries(options.mounts)) {
    if (!pathname.startsWith(prefix)) continue;
    const file = normalize(join(dir, decodeURIComponent(pathname.slice(prefix.length))));
    if (!file.startsWith(normalize(dir) + sep) && file !== normalize(dir)) return null;
    const info = await stat(file).catch(() => null);
    if (info?.isFile()) return file;
  }
  return null;
}

/** Starts a server on 127.0.0.1 with an ephemeral port. */
export async function serveStatic(options: StaticServerOptions): Promise<StaticServer> {
  const server = createServer(async (request, response) => {
    options.onRequest?.(request);
    const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
    setHeaders(response, options);
    if (request.method === 'OPTIONS') {
      response.writeHead(204).end();
      return;
    }
    const page = options.pages?.[pathname];
    if (page !== undefined) {
      response.writeHead(200, { 'Content-Type': CONTENT_TYPES['.html']! }).end(page);
      return;
    }
    const bytes = options.files?.[pathname];
    if (bytes !== undefined) {
      response.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(bytes);
      return;
    }
    const file = await resolveFile(options, pathname);
    if (!file) {
      response.writeHead(404).end('not found');
      return;
    }
    const { size } = await stat(file);
    response.writeHead(200, {
      'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': String(size),
      'Cache-Control': options.cacheMaxAgeSeconds ? `public, max-age=${options.cacheMaxAgeSeconds}` : 'no-cache',
    });
    createReadStream(file).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
