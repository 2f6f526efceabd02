/**
 * The registered platforms: those of the configuration file and those registered by LTI Dynamic
 * Registration (registration.ts), stored in `lti_registrations` so every instance knows them. It
 * reads like the configuration (`platforms`, `pages`, `toolKeyFile`), so the launch checks, the
 * framing policy and the service clients take either. Another instance's registration is loaded on
 * the first login or launch that names it.
 */
import type { Db } from '../db.js';
import type { LtiConfig, LtiPlatform } from './config.js';

interface RegistrationRow {
  readonly [column: string]: unknown;
  readonly name: string;
  readonly issuer: string;
  readonly client_id: string;
  readonly deployment_id: string;
  readonly auth_login_url: string;
  readonly jwks_url: string;
  readonly access_token_url: string | null;
  readonly lms_page_origins: string;
}

const platformOf = (row: RegistrationRow): LtiPlatform => ({
  name: row.name,
  issuer: row.issuer,
  clientId: row.client_id,
  authLoginUrl: new URL(row.auth_login_url),
  jwksUrl: new URL(row.jwks_url),
  deployments: [row.deployment_id],
  frameOrigins: JSON.parse(row.lms_page_origins) as string[],
  ...(row.access_token_url ? { accessTokenUrl: new URL(row.access_token_url) } : {}),
});

/** The configuration's platforms and the dynamically registered ones. */
export class LtiRegistry implements LtiConfig {
  private stored: LtiPlatform[] = [];

  constructor(
    private readonly config: LtiConfig,
    private readonly db: Db,
  ) {}

  get platforms(): readonly LtiPlatform[] {
    return [...this.config.platforms, ...this.stored];
  }

  get toolKeyFile(): string {
    return this.config.toolKeyFile;
  }

  get pages(): LtiConfig['pages'] {
    return this.config.pages;
  }

  get registrationHosts(): readonly string[] {
    return this.config.registrationHosts;
  }

  /** Reads the stored registrations again (at start, and when a login names an unknown one). */
  async load(): Promise<void> {
    const rows = await this.db.all<RegistrationRow>('SELECT * FROM lti_registrations ORDER BY registered_at');
    this.stored = rows.map(platformOf);
  }

  /** Stores a registration; false (and nothing stored) when its issuer and client id are known already. */
  async add(platform: LtiPlatform, now: number): Promise<boolean> {
    if (this.platforms.some((p) => p.issuer === platform.issuer && p.clientId === platform.clientId)) return false;
    const added = await this.db.run(
      `INSERT INTO lti_registrations (issuer, client_id, name, deployment_id, auth_login_url, jwks_url, access_token_url, lms_page_origins, registered_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (issuer, client_id) DO NOTHING`,
      [
        platform.issuer,
        platform.clientId,
        platform.name,
        platform.deployments[0],
        platform.authLoginUrl.toString(),
        platform.jwksUrl.toString(),
        platform.accessTokenUrl?.toString() ?? null,
        JSON.stringify(platform.frameOrigins),
        now,
      ],
    );
    await this.load();
    return added === 1;
  }
}
