/**
 * The deployment configuration the demo runs with: the compliance kit's example (a fictitious
 * university). The service publishes the full privacy notice generated from it at
 * `/privacy/notice-it.html` and `/privacy/notice-en.html`, where the student page links it.
 */
import { loadDeploymentConfig, type DeploymentConfig } from '../compliance/config.js';
import { withNoticeApproved } from '../compliance/generate.js';

/** The configuration file the demo's notice is written from. */
export const DEMO_CONFIG_FILE = new URL('../compliance/example.config.json', import.meta.url);

/**
 * The demo's deployment configuration, validated, with its notice marked approved on the course's
 * first day: the demo shows the notice as students of a real deployment read it, without the
 * kit's draft statement (a fictitious university has no DPO to review it).
 */
export function demoDeployment(): DeploymentConfig {
  const example = loadDeploymentConfig(DEMO_CONFIG_FILE);
  return withNoticeApproved(example, example.course.start);
}
