/**
 * The full privacy notice the compliance kit writes, published by the service at a stable address
 * (`/privacy/notice-it.html`, `/privacy/notice-en.html`: `noticeUrlFor` in compliance/config.ts,
 * which the student UI's "full notice" link points to). The pages are generated once, at start,
 * from the deployment configuration (`PRESENZA_CONFIG`) and the bench results, so they say what
 * this service is configured to do. Without a configuration the service publishes no notice (404):
 * the platform then publishes its own and names it in `hosting.noticeUrl`.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { NOTICE_PATH_PREFIX, type DeploymentConfig, type DocumentLanguage } from '../compliance/config.js';
import { noticePage } from '../compliance/generate.js';
import { ServiceError } from './errors.js';

/** The notice's languages, each at `/privacy/notice-<lang>.html`. */
export const NOTICE_LANGUAGES = ['it', 'en'] as const satisfies readonly DocumentLanguage[];

/** One published page: its HTML and the CSP hashes of its inline stylesheet. */
interface NoticePage {
  readonly html: string;
  readonly styleHashes: readonly string[];
}

/** Route handlers for the notice pages (keys as in the access table). */
export function noticeHandlers(deployment: DeploymentConfig | undefined): Record<string, { handler: (request: unknown, reply: FastifyReply) => Promise<unknown> }> {
  const pages = new Map<DocumentLanguage, NoticePage>();
  if (deployment) {
    for (const lang of NOTICE_LANGUAGES) {
      const html = noticePage(deployment, lang);
      const styleHashes = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`);
      pages.set(lang, { html, styleHashes });
    }
  }
  return Object.fromEntries(
    NOTICE_LANGUAGES.map((lang) => [
      `GET ${NOTICE_PATH_PREFIX}${lang}.html`,
      {
        handler: async (_request: unknown, reply: FastifyReply) => {
          const page = pages.get(lang);
          if (!page) throw new ServiceError(404, 'not_found', 'this service publishes no privacy notice: it runs without a deployment configuration (PRESENZA_CONFIG)');
          // The page is self-contained with one inline stylesheet: the CSP allows exactly that stylesheet, still no script.
          const csp = String(reply.getHeader('content-security-policy') ?? "default-src 'self'; style-src 'self'");
          reply.header('content-security-policy', csp.replace(/style-src [^;]*/, (directive) => `${directive} ${page.styleHashes.join(' ')}`));
          // Regenerated when the service restarts with another configuration: revalidate.
          reply.header('cache-control', 'no-cache');
          return reply.type('text/html; charset=utf-8').send(page.html);
        },
      },
    ]),
  );
}
