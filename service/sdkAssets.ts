/**
 * Serves the built SDK (dist/) the way the README's "Serving the SDK" section tells a CDN to:
 * the precompressed `.br`/`.gz` sibling the browser accepts, content-hashed files as `immutable`
 * for a year (their name changes with their bytes), the entry points revalidated (`no-cache`, with
 * ETag), and never the unpublished `testing/` folder.
 */
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** A content-hashed file of dist/: 16 hex digits before the extension (see scripts/cdnAssets.mjs). */
export const HASHED_FILE = /\.[0-9a-f]{16}\.[a-z]+$/;

/** Cache-Control of a content-hashed file. */
export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';

/** Cache-Control of an entry point (`presenza.iife.js`, `presenza.js`) and anything else unhashed. */
export const REVALIDATE_CACHE = 'no-cache';

/** The Cache-Control header for a file of dist/ (its precompressed sibling counts as the file). */
export function sdkCacheControl(path: string): string {
  return HASHED_FILE.test(path.replace(/\.(br|gz)$/, '')) ? IMMUTABLE_CACHE : REVALIDATE_CACHE;
}

/** Options of {@link registerSdkAssets}. */
export interface SdkAssetsOptions {
  /** The built SDK folder. */
  readonly root: string;
  /** URL prefix, e.g. `/sdk/`. */
  readonly prefix: string;
  /** Whether this registration adds `reply.sendFile` (only one @fastify/static registration may). */
  readonly decorateReply: boolean;
}

/** Registers the SDK's files on `app` under `options.prefix`. */
export async function registerSdkAssets(app: FastifyInstance, options: SdkAssetsOptions): Promise<void> {
  await app.register(fastifyStatic, {
    root: options.root,
    prefix: options.prefix,
    decorateReply: options.decorateReply,
    allowedPath: (path) => !/(^|\/)testing(\/|$)/i.test(path),
    preCompressed: true,
    // Cache-Control is ours (below): @fastify/static's own would replace it.
    cacheControl: false,
    setHeaders: (response, path) => {
      response.setHeader('Cache-Control', sdkCacheControl(path));
      response.setHeader('Vary', 'Accept-Encoding');
    },
  });
}
