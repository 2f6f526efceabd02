/**
 * The deployment configuration the demo runs with: the compliance kit's example (a fictitious
 * university). The service publishes the full privacy notice generated from it at
 * `/privacy/notice-it.html` and `/privacy/notice-en.html`, where the student page links it.
 */
import { loadDeploymentConfig, type DeploymentConfig } from '../compliance/config.js';

/** The configuration file the demo's notice is written from. */
export const DEMO_CONFIG_FILE = new URL('../compliance/example.config.json', import.meta.url);

/** The demo's deployment configuration, validated. */
export const demoDeployment = (): DeploymentConfig => loadDeploymentConfig(DEMO_CONFIG_FILE);
