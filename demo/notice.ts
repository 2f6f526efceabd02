/**
 * The demo's deployment configuration. One configuration (the compliance kit's example, a fictitious
 * university) gives the full notice the service publishes where the student UI links it
 * (`/privacy/notice-it.html`, `/privacy/notice-en.html`), the first layer's texts
 * (`/privacy/ui-options.json`: controller, purpose, the alternative) and the service's retention
 * dates, so the first layer's "deleted on" date is the course end the full notice names.
 */
import type { FastifyInstance } from 'fastify';
import { loadDeploymentConfig, NOTICE_PATH_PREFIX, templateRetainUntil, type DeploymentConfig, type DocumentLanguage } from '../compliance/config.js';
import { withNoticeApproved } from '../compliance/generate.js';

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
 * move forward by whole years (the course, attendance retention) until the course end is ahead
 * again, so that an enrollment can still be kept until the course end. Its notice is marked
 * approved on the course's first day: the demo shows the notice as students of a real deployment
 * read it, without the kit's draft statement (a fictitious university has no DPO to review it).
 */
export function demoDeployment(nowMs: number = Date.now()): DeploymentConfig {
  const example = loadDeploymentConfig(DEMO_CONFIG_FILE);
  let years = 0;
  while (templateRetainUntil({ ...example, course: { ...example.course, end: shiftYears(example.course.end, years) } }).getTime() <= nowMs) years += 1;
  const current: DeploymentConfig = years === 0
    ? example
    : {
        ...example,
        course: { ...example.course, start: shiftYears(example.course.start, years), end: shiftYears(example.course.end, years) },
        retention: { ...example.retention, attendanceUntil: shiftYears(example.retention.attendanceUntil, years) },
      };
  // Approved after the shift: the approval names the text it approves, dates included.
  return withNoticeApproved(current, current.course.start);
}

/** The service's retention dates from the configuration: attendance at `attendanceUntil`, device keys and templates at the course end. */
export function demoRetention(config: DeploymentConfig): { lessonsUntil: number; enrollmentsUntil: number } {
  // As the service reads PRESENZA_CONFIG (service/config.ts, deploymentFromEnv).
  return { lessonsUntil: Date.parse(`${config.retention.attendanceUntil}T00:00:00Z`), enrollmentsUntil: templateRetainUntil(config).getTime() };
}

/** Serves the element's first-layer texts per language (the service itself publishes the full notice). */
export async function registerDemoUiOptions(app: FastifyInstance, config: DeploymentConfig): Promise<void> {
  const langs = ['it', 'en'] as const satisfies readonly DocumentLanguage[];
  const uiOptions = Object.fromEntries(
    langs.map((lang) => [
      lang,
      { controller: config.controller.name, purpose: config.course.purpose[lang], noticeUrl: `${NOTICE_PATH_PREFIX}${lang}.html`, alternativeDescription: config.policies.alternative.description[lang] },
    ]),
  );
  app.get(DEMO_UI_OPTIONS_PATH, async () => uiOptions);
}
