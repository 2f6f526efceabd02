/**
 * The tool inside the LMS's iframe, on another site than the LMS's page.
 *
 * - Cookies: a browser sends a `SameSite=Strict` or `Lax` cookie to a frame of another site
 *   never, and an unpartitioned `SameSite=None` one only where third-party cookies are allowed
 *   (not in Chrome's incognito, Safari, Firefox's strict mode). A `Partitioned` cookie (CHIPS) is
 *   kept for the tool under that LMS only, and Chromium keeps it with third-party cookies blocked.
 *   So the state cookie of a login and the session cookie of a framed launch are
 *   `SameSite=None; Secure; Partitioned; HttpOnly`; a launch in a window of its own keeps the
 *   service's `SameSite=Strict` session cookie.
 * - Framing: the LTI pages may be framed by the registered platforms' origins (CSP
 *   `frame-ancestors`), every other page by nobody.
 * - Whether a request comes from a frame: the browser's `Sec-Fetch-Dest` (fetch metadata).
 */
import { createHash } from 'node:crypto';
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyRequest } from 'fastify';
import type { LtiConfig } from './config.js';

/** Attributes of the cookies that must work in the LMS's frame (max-age set by each). */
export const FRAMED_COOKIE: CookieSerializeOptions = { httpOnly: true, secure: true, sameSite: 'none', partitioned: true, path: '/' };

/**
 * The cookie binding a login's `state` to the browser that started it (OpenID Connect's advice
 * for `state`, which the 1EdTech Security Framework takes up): the state the platform posts back
 * must be one this browser holds, so nobody can post their own launch into another's browser. One
 * cookie per login, named after the state's hash, so two launches in two tabs do not overwrite
 * each other's.
 */
export const stateCookieName = (state: string) => `__Host-presenza-state-${createHash('sha256').update(state).digest('base64url').slice(0, 16)}`;

/** Whether the browser is loading this request into a frame (fetch metadata; old browsers send none). */
export const isFramed = (request: FastifyRequest) => request.headers['sec-fetch-dest'] === 'iframe' || request.headers['sec-fetch-dest'] === 'frame';

/** Whether the request is a browser's page load (it takes HTML), as opposed to an API client. */
export const wantsHtml = (request: FastifyRequest) => String(request.headers.accept ?? '').includes('text/html');

/** The origins that may frame the LTI pages: every registered platform's. */
export const frameAncestors = (config: LtiConfig) => [...new Set(config.platforms.flatMap((p) => p.frameOrigins))];

/** The pages the LMS frames: the LTI routes' own and the landing pages of a launch. */
export function isLtiPage(config: LtiConfig, path: string): boolean {
  return path.startsWith('/lti/') || path === config.pages.teacher || path === config.pages.student;
}
