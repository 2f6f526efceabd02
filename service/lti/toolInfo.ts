/**
 * `npm run lti:tool-info`: what an LMS administrator enters when registering Presenza as an
 * LTI 1.3 tool (login, launch and JWKS URLs, the public JWKS) and the platforms registered so far.
 *
 *   PRESENZA_LTI_CONFIG=lti.json PRESENZA_PUBLIC_URL=https://attendance.school.example npm run lti:tool-info [-- --create-key]
 *
 * `--create-key` creates the tool's key file named in the configuration when it is missing.
 */
import { pathToFileURL } from 'node:url';
import type { JSONWebKeySet } from 'jose';
import { loadLtiConfig, type LtiConfig } from './config.js';
import { ltiUrls } from './tool.js';
import { loadToolKey, toolJwks } from './toolKey.js';

/** The tool's registration details for `publicUrl`. */
export async function toolInfo(config: LtiConfig, publicUrl: string, { createKey = false } = {}) {
  const origin = new URL(publicUrl).origin;
  const publicJwks: JSONWebKeySet = toolJwks(await loadToolKey(config.toolKeyFile, { create: createKey }));
  const urls = ltiUrls(origin);
  return {
    loginUrl: urls.login,
    // The tool URL the platform launches and its only redirect URI: the launch URL.
    launchUrl: urls.launch,
    redirectUris: [urls.launch],
    // Deep Linking requests (Moodle's "content selection URL") come to the launch URL too.
    deepLinkingUrl: urls.launch,
    jwksUrl: urls.jwks,
    // For an LMS with LTI Dynamic Registration: this one URL instead of all of the above, once its
    // host is in the configuration's registrationHosts (none by default).
    registrationUrl: `${origin}/lti/register`,
    registrationHosts: config.registrationHosts,
    publicJwks,
    platforms: config.platforms.map((p) => ({ name: p.name, issuer: p.issuer, clientId: p.clientId, deployments: p.deployments })),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.env.PRESENZA_LTI_CONFIG;
  const url = process.env.PRESENZA_PUBLIC_URL;
  if (!file || !url) {
    process.stderr.write('set PRESENZA_LTI_CONFIG (the LTI configuration file) and PRESENZA_PUBLIC_URL\n');
    process.exit(2);
  }
  try {
    const info = await toolInfo(loadLtiConfig(file), url, { createKey: process.argv.includes('--create-key') });
    process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
}
