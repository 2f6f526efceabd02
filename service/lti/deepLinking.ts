/**
 * LTI Deep Linking 2.0: a teacher adds "Presenza attendance" to a course section.
 *
 * 1. The platform's LtiDeepLinkingRequest launch (checked in tool.ts, teachers only) is answered
 *    with a page to name the activity. The request waits in `lti_deep_links` under the SHA-256 of
 *    a random id the page's form carries (no cookie: the page may sit in the LMS's iframe, where
 *    a SameSite=Strict cookie never arrives), single use, for {@link DEEP_LINK_MS}.
 * 2. The form posts back; the tool signs an LtiDeepLinkingResponse with its own key (iss = the
 *    client id, aud = the platform, the request's deployment id, its `data` echoed) holding one
 *    ltiResourceLink to the launch URL with a line item, and the page auto-posts it as `JWT` to
 *    the platform's return URL. The platform then creates the resource link, whose launches open
 *    the teacher's page for teachers and the student's for students (tool.ts).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { importJWK, SignJWT, type JWK } from 'jose';
import type { Db } from '../db.js';
import { ServiceError } from '../errors.js';
import { SCORE_MAXIMUM, LINE_ITEM_TAG } from './grades.js';
import type { LtiDeepLinkingLaunch } from './tool.js';
import { TOOL_KEY_ALG } from './toolKey.js';

/** How long the teacher has to add the activity. */
export const DEEP_LINK_MS = 30 * 60_000;
/** Lifetime of the signed response. */
export const DEEP_LINK_RESPONSE_SECONDS = 300;
/** The activity's default title. */
export const DEFAULT_TITLE = 'Presenza attendance';

const CLAIM = 'https://purl.imsglobal.org/spec/lti/claim/';
const DL = 'https://purl.imsglobal.org/spec/lti-dl/claim/';

const hash = (value: string) => createHash('sha256').update(value).digest('hex');
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The inline script that submits the response form; allowed by its hash on that page only. */
const AUTO_SUBMIT = 'document.forms[0].submit();';
export const AUTO_SUBMIT_HASH = `'sha256-${createHash('sha256').update(AUTO_SUBMIT).digest('base64')}'`;

/** Stores a checked Deep Linking request; returns the id the teacher's form carries. */
export async function storeDeepLinkRequest(db: Db, request: LtiDeepLinkingLaunch, now: number): Promise<string> {
  const id = randomBytes(32).toString('base64url');
  await db.transaction(async (tx) => {
    await tx.run('DELETE FROM lti_deep_links WHERE expires_at <= ?', [now]);
    await tx.run('INSERT INTO lti_deep_links (request_hash, issuer, client_id, deployment_id, return_url, data, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      hash(id),
      request.platform.issuer,
      request.platform.clientId,
      request.deploymentId,
      request.returnUrl,
      request.data ?? null,
      now + DEEP_LINK_MS,
    ]);
  });
  return id;
}

/** The page where the teacher adds the activity (a plain form: works without script). */
export function deepLinkPage(requestId: string): string {
  return `<!doctype html>
<html lang="it">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Presenza: aggiungi al corso / add to the course</title>
</head>
<body>
<main>
<h1>Presenza</h1>
<form method="post" action="/lti/deep-linking">
<input type="hidden" name="request" value="${escapeHtml(requestId)}">
<p><label for="title">Titolo dell’attività <span lang="en">(activity title)</span></label><br>
<input id="title" name="title" required maxlength="120" value="${DEFAULT_TITLE}"></p>
<p>Aggiunge al corso le verifiche di presenza di Presenza: i docenti vi aprono le lezioni, gli studenti le verifiche.</p>
<p lang="en">Adds Presenza attendance checks to the course: teachers open lessons from it, students their checks.</p>
<p><button type="submit">Aggiungi <span lang="en">/ Add</span></button></p>
</form>
</main>
</body>
</html>
`;
}

/** A pending request taken (single use) for its response; throws a coded error when there is none. */
export async function takeDeepLinkRequest(db: Db, requestId: unknown, now: number) {
  if (typeof requestId !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(requestId)) throw new ServiceError(400, 'lti_deep_link_unknown', 'no such Deep Linking request');
  const row = await db.get<{ issuer: string; client_id: string; deployment_id: string; return_url: string; data: string | null }>(
    'SELECT issuer, client_id, deployment_id, return_url, data FROM lti_deep_links WHERE request_hash = ? AND expires_at > ?',
    [hash(requestId), now],
  );
  // Deleted first: of two posts of the same form, only one answers.
  if (!row || (await db.run('DELETE FROM lti_deep_links WHERE request_hash = ?', [hash(requestId)])) !== 1) {
    throw new ServiceError(400, 'lti_deep_link_unknown', 'unknown, used or expired Deep Linking request: add the activity again from the platform');
  }
  return { issuer: row.issuer, clientId: row.client_id, deploymentId: row.deployment_id, returnUrl: row.return_url, data: row.data };
}

/** Signs the LtiDeepLinkingResponse with the tool's key. */
export async function signDeepLinkResponse(options: {
  toolKey: JWK;
  request: { issuer: string; clientId: string; deploymentId: string; data: string | null };
  launchUrl: string;
  title: string;
  now: number;
}): Promise<string> {
  const { toolKey, request, title } = options;
  const iat = Math.floor(options.now / 1000);
  return new SignJWT({
    nonce: randomUUID(),
    [`${CLAIM}message_type`]: 'LtiDeepLinkingResponse',
    [`${CLAIM}version`]: '1.3.0',
    [`${CLAIM}deployment_id`]: request.deploymentId,
    [`${DL}content_items`]: [
      {
        type: 'ltiResourceLink',
        title,
        url: options.launchUrl,
        // The platform creates the link's gradebook column: attendance scores land there.
        lineItem: { scoreMaximum: SCORE_MAXIMUM, label: title, tag: LINE_ITEM_TAG },
      },
    ],
    ...(request.data !== null ? { [`${DL}data`]: request.data } : {}),
  })
    .setProtectedHeader({ alg: TOOL_KEY_ALG, kid: toolKey.kid!, typ: 'JWT' })
    .setIssuer(request.clientId)
    .setAudience(request.issuer)
    .setIssuedAt(iat)
    .setExpirationTime(iat + DEEP_LINK_RESPONSE_SECONDS)
    .sign(await importJWK(toolKey, TOOL_KEY_ALG));
}

/** The page that posts the signed response to the platform (by script, or by a click without it). */
export function deepLinkResponsePage(returnUrl: string, jwt: string): string {
  return `<!doctype html>
<html lang="it">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Presenza</title>
</head>
<body>
<main>
<form method="post" action="${escapeHtml(returnUrl)}">
<input type="hidden" name="JWT" value="${escapeHtml(jwt)}">
<p>Attività pronta. <span lang="en">Activity ready.</span></p>
<p><button type="submit">Torna alla piattaforma <span lang="en">/ Back to the platform</span></button></p>
</form>
</main>
<script>${AUTO_SUBMIT}</script>
</body>
</html>
`;
}

/**
 * The page's Content-Security-Policy: the service's own, with the auto-submit script allowed by
 * its hash and the platform's return URL as a form target (every other directive, frame-ancestors
 * included, stays as the service set it).
 */
export function deepLinkResponseCsp(policy: string, returnUrl: string): string {
  const origin = new URL(returnUrl).origin;
  return policy
    .split(';')
    .map((directive) => {
      const d = directive.trim();
      if (d.startsWith('script-src ')) return `${d} ${AUTO_SUBMIT_HASH}`;
      if (d.startsWith('form-action ')) return `${d} ${origin}`;
      return d;
    })
    .join(';');
}
