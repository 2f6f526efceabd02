/**
 * The service publishes the full privacy notice the compliance kit writes from its deployment
 * configuration, at the address the student UI's "full notice" link points to.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { noticeUrlFor, parseDeploymentConfig, uiOptionsFromConfig } from '../compliance/config.js';
import { noticePage } from '../compliance/generate.js';
import { ROUTES } from './access.js';
import { configFromEnv } from './config.js';
import { NOTICE_LANGUAGES } from './notice.js';
import { startHarness } from '../testing/serviceWorld.js';

const EXAMPLE_FILE = fileURLToPath(new URL('../compliance/example.config.json', import.meta.url));
const EXAMPLE = JSON.parse(readFileSync(EXAMPLE_FILE, 'utf8')) as Record<string, any>;

describe('the privacy notice the service publishes', () => {
  it.each(NOTICE_LANGUAGES)('serves the kit’s full notice (%s) without a session, at the address the student UI links to', async (lang) => {
    const deployment = parseDeploymentConfig(EXAMPLE);
    const h = await startHarness('sqlite', { deployment });
    try {
      const path = new URL(uiOptionsFromConfig(deployment, lang).noticeUrl).pathname;
      expect(path).toBe(`/privacy/notice-${lang}.html`);
      expect(ROUTES.some((r) => r.method === 'GET' && r.url === path && 'public' in r)).toBe(true);
      const response = await h.app.inject({ url: path });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['cache-control']).toBe('no-cache');
      expect(response.body).toBe(noticePage(deployment, lang));
      // The page's one inline stylesheet is allowed by its hash, and nothing else is loosened: still no script of any kind.
      const style = /<style>([\s\S]*?)<\/style>/.exec(response.body)![1]!;
      const csp = String(response.headers['content-security-policy']);
      expect(csp).toContain(`style-src 'self' 'sha256-${createHash('sha256').update(style).digest('base64')}'`);
      expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
      expect(response.body).not.toContain('<script');
    } finally {
      await h.close();
    }
  });

  it('is generated from the configuration the service runs with', async () => {
    const changed = structuredClone(EXAMPLE);
    changed.controller.name = 'Ateneo Nuovo';
    changed.course.end = '2027-01-15';
    const h = await startHarness('sqlite', { deployment: parseDeploymentConfig(changed) });
    try {
      const body = (await h.app.inject({ url: '/privacy/notice-en.html' })).body;
      expect(body).toContain('Ateneo Nuovo');
      expect(body).toContain('January 15, 2027');
      expect(body).toContain('Controller: Ateneo Nuovo');
      expect(body).not.toContain(`Controller: ${EXAMPLE.controller.name}`);
    } finally {
      await h.close();
    }
  });

  it('comes from PRESENZA_CONFIG when the service starts from the environment', () => {
    const config = configFromEnv({ PRESENZA_CONFIG: EXAMPLE_FILE });
    expect(config.deployment).toEqual(parseDeploymentConfig(EXAMPLE));
    expect(noticeUrlFor(config.deployment!, 'it')).toBe('https://presenze.unitelesempio.it/privacy/notice-it.html');
  });

  it('is not published without a deployment configuration (404, coded)', async () => {
    const h = await startHarness('sqlite');
    try {
      for (const lang of NOTICE_LANGUAGES) {
        const response = await h.app.inject({ url: `/privacy/notice-${lang}.html` });
        expect(response.statusCode).toBe(404);
        expect(response.json()).toMatchObject({ error: 'not_found', message: expect.stringContaining('PRESENZA_CONFIG') });
      }
    } finally {
      await h.close();
    }
  });
});
