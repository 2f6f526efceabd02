/**
 * The demo's deployment configuration and its full privacy notice. One configuration (the compliance
 * kit's example, a fictitious university) gives the full notice published where the student UI links
 * it (`/privacy/notice-it.html`, `/privacy/notice-en.html`), the first layer's texts
 * (`/privacy/ui-options.json`: controller, purpose, the alternative) and the service's retention
 * dates, so the first layer's "deleted on" date is the course end the full notice names.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { loadDeploymentConfig, NOTICE_PATH_PREFIX, templateRetainUntil, type DeploymentConfig, type DocumentLanguage } from '../compliance/config.js';
import { noticePage } from '../compliance/generate.js';

/** The configuration the demo runs with. */
export const DEMO_CONFIG_FILE = new URL('../compliance/example.config.json', import.meta.url);

/** Where the demo's student page reads the element's texts from (per language). */
export const DEMO_UI_OPTIONS_PATH = '/privacy/ui-options.json';

/** `date` (YYYY-MM-DD) moved by `years`. */
function shiftYears(date: string, years: number): string {
  const moved = new Date(`${date}T00:00:00Z`);
  moved.setUTCFullYear(moved.getUTCFullYear() + years);
  return moved.toISOString().slice(0, 10);
}

/**
 * The example configuration as the demo runs it at `nowMs`: once its course has ended, its dates
 * move forward by whole years (the course, attendance retention) until the course end is ahead again,
 * so that an enrollment can still be kept until the course end. Otherwise unchanged.
 */
export function demoDeployment(nowMs: number = Date.now()): DeploymentConfig {
  const example = loadDeploymentConfig(DEMO_CONFIG_FILE);
  let years = 0;
  while (templateRetainUntil({ ...example, course: { ...example.course, end: shiftYears(example.course.end, years) } }).getTime() <= nowMs) years += 1;
  if (years === 0) return example;
  return {
    ...example,
    course: { ...example.course, start: shiftYears(example.course.start, years), end: shiftYears(example.course.end, years) },
    retention: { ...example.retention, attendanceUntil: shiftYears(example.retention.attendanceUntil, years) },
  };
}

/** The service's retention dates from the configuration: attendance at `attendanceUntil`, device keys and templates at the course end. */
export function demoRetention(config: DeploymentConfig): { lessonsUntil: number; enrollmentsUntil: number } {
  // As the service reads PRESENZA_CONFIG (service/config.ts, deploymentFromEnv).
  return { lessonsUntil: Date.parse(`${config.retention.attendanceUntil}T00:00:00Z`), enrollmentsUntil: templateRetainUntil(config).getTime() };
}

/**
 * Serves the full notice in Italian and English, and the element's first-layer texts. The notice
 * page is self-contained with one inline stylesheet; its route's CSP allows exactly that stylesheet
 * by hash (still no script at all).
 */
export async function registerDemoNotice(app: FastifyInstance, config: DeploymentConfig): Promise<void> {
  const langs = ['it', 'en'] as const satisfies readonly DocumentLanguage[];
  for (const lang of langs) {
    const html = noticePage(config, lang);
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`);
    app.get(`${NOTICE_PATH_PREFIX}${lang}.html`, async (_request, reply) => {
      const csp = String(reply.getHeader('content-security-policy') ?? "default-src 'self'; style-src 'self'");
      reply.header('content-security-policy', csp.replace(/style-src [^;]*/, (directive) => `${directive} ${styles.join(' ')}`));
      return reply.type('text/html; charset=utf-8').send(html);
    });
  }
  const uiOptions = Object.fromEntries(
    langs.map((lang) => [
      lang,
      { controller: config.controller.name, purpose: config.course.purpose[lang], noticeUrl: `${NOTICE_PATH_PREFIX}${lang}.html`, alternativeDescription: config.policies.alternative.description[lang] },
    ]),
  );
  app.get(DEMO_UI_OPTIONS_PATH, async () => uiOptions);
}
