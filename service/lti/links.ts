/**
 * The platform's service endpoints of each series of lessons (one LTI resource link, the
 * service's `course`), as its latest launch named them: the roster (NRPS) and the gradebook (AGS)
 * of a lesson are found from the lesson's course. Written on every accepted launch, so a platform
 * that moves an endpoint is followed; deleted with the last lesson of the series (retention).
 */
import type { Db } from '../db.js';
import type { LtiLaunch, LtiServiceEndpoints } from './tool.js';

/** A series of lessons launched from an LMS, with what its platform offers. */
export interface LtiLink {
  readonly course: string;
  readonly issuer: string;
  readonly clientId: string;
  readonly deploymentId: string;
  readonly contextId: string | null;
  readonly resourceLinkId: string;
  readonly services: LtiServiceEndpoints;
}

/** Records the resource link and the services of an accepted launch. */
export async function recordLink(db: Db, launch: LtiLaunch, now: number): Promise<void> {
  const { link, platform } = launch;
  const s = link.services;
  await db.run(
    `INSERT INTO lti_links (course, issuer, client_id, deployment_id, context_id, resource_link_id, memberships_url, lineitems_url, lineitem_url, ags_scopes, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (course) DO UPDATE SET issuer = excluded.issuer, client_id = excluded.client_id, deployment_id = excluded.deployment_id,
       context_id = excluded.context_id, resource_link_id = excluded.resource_link_id, memberships_url = excluded.memberships_url,
       lineitems_url = excluded.lineitems_url, lineitem_url = excluded.lineitem_url, ags_scopes = excluded.ags_scopes, updated_at = excluded.updated_at`,
    [launch.launch.course, platform.issuer, platform.clientId, link.deploymentId, link.contextId, link.resourceLinkId, s.membershipsUrl, s.lineItemsUrl, s.lineItemUrl, JSON.stringify(s.agsScopes), now],
  );
}

/** The LTI link of a lesson's series, if the lesson was started from an LMS launch. */
export async function linkOfLesson(db: Db, lessonId: string): Promise<LtiLink | undefined> {
  const row = await db.get<{
    course: string;
    issuer: string;
    client_id: string;
    deployment_id: string;
    context_id: string | null;
    resource_link_id: string;
    memberships_url: string | null;
    lineitems_url: string | null;
    lineitem_url: string | null;
    ags_scopes: string;
  }>('SELECT k.* FROM lti_links k JOIN lessons l ON l.course = k.course WHERE l.id = ?', [lessonId]);
  if (!row) return undefined;
  return {
    course: row.course,
    issuer: row.issuer,
    clientId: row.client_id,
    deploymentId: row.deployment_id,
    contextId: row.context_id,
    resourceLinkId: row.resource_link_id,
    services: { membershipsUrl: row.memberships_url, lineItemsUrl: row.lineitems_url, lineItemUrl: row.lineitem_url, agsScopes: JSON.parse(row.ags_scopes) as string[] },
  };
}
