/**
 * The demo's full privacy notice, published where the student UI links it
 * (`/privacy/notice-it.html`, `/privacy/notice-en.html`), as a platform publishes the notice the
 * compliance kit writes. The demo uses the kit's example configuration (a fictitious university).
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { loadDeploymentConfig, NOTICE_PATH_PREFIX, type DocumentLanguage } from '../compliance/config.js';
import { noticePage } from '../compliance/generate.js';

/** The configuration the demo's notice is written from. */
export const DEMO_CONFIG_FILE = new URL('../compliance/example.config.json', import.meta.url);

/**
 * Serves the full notice in Italian and English. The page is self-contained with one inline
 * stylesheet; its route's CSP allows exactly that stylesheet by hash (still no script at all).
 */
export async function registerDemoNotice(app: FastifyInstance): Promise<void> {
  const config = loadDeploymentConfig(DEMO_CONFIG_FILE);
  for (const lang of ['it', 'en'] as const satisfies readonly DocumentLanguage[]) {
    const html = noticePage(config, lang);
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`);
    app.get(`${NOTICE_PATH_PREFIX}${lang}.html`, async (_request, reply) => {
      const csp = String(reply.getHeader('content-security-policy') ?? "default-src 'self'; style-src 'self'");
      reply.header('content-security-policy', csp.replace(/style-src [^;]*/, (directive) => `${directive} ${styles.join(' ')}`));
      return reply.type('text/html; charset=utf-8').send(html);
    });
  }
}
