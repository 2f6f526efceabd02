/**
 * The course roster for the teacher (LTI Names and Role Provisioning Services 2.0): the context's
 * learners as the platform lists them, each with what Presenza knows of them: whether they have
 * opened Presenza from the LMS, joined this lesson, and enrolled a device. Read from the platform
 * on every request and never stored; only names, roles and status are kept from the platform's
 * answer (no e-mail, no picture).
 */
import type { Db } from '../db.js';
import { linkOfLesson } from './links.js';
import type { PlatformClient } from './platformClient.js';
import { mapRoles } from './tool.js';

/** One learner of the course. */
export interface RosterMember {
  readonly name: string;
  /** Active in the course, or `Inactive` / `Deleted` as the platform says. */
  readonly status: string;
  /** Opened Presenza from the LMS at least once (the service knows them). */
  readonly launched: boolean;
  readonly joined: boolean;
  /** Has an active device key. */
  readonly enrolled: boolean;
}

/** The roster of a lesson's course; `available` is false outside an LMS course with NRPS. */
export async function lessonRoster(
  db: Db,
  lessonId: string,
  clientFor: (issuer: string, clientId: string) => PlatformClient | undefined,
): Promise<{ available: boolean; members: RosterMember[] }> {
  const link = await linkOfLesson(db, lessonId);
  const client = link && clientFor(link.issuer, link.clientId);
  if (!link?.services.membershipsUrl || !client) return { available: false, members: [] };
  const learners = (await client.members(link.services.membershipsUrl)).filter((m) => mapRoles(m.roles) === 'student');
  const known = await db.all<{ subject: string; seen: number; joined: number; enrolled: number }>(
    `SELECT u.subject, u.last_seen_at AS seen,
       CASE WHEN EXISTS (SELECT 1 FROM lesson_students ls WHERE ls.student_id = u.id AND ls.lesson_id = ?) THEN 1 ELSE 0 END AS joined,
       CASE WHEN EXISTS (SELECT 1 FROM device_keys k WHERE k.student_id = u.id AND k.status = 'active') THEN 1 ELSE 0 END AS enrolled
     FROM users u WHERE u.issuer = ? AND u.role = 'student'`,
    [lessonId, link.issuer],
  );
  const bySubject = new Map(known.map((k) => [k.subject, k]));
  const members = learners.map((m): RosterMember => {
    const k = bySubject.get(m.userId);
    // (A learner known only from an earlier roster, for an absent score, was never seen: last_seen_at 0.)
    return { name: m.name ?? m.userId, status: m.status, launched: k !== undefined && Number(k.seen) > 0, joined: Number(k?.joined ?? 0) === 1, enrolled: Number(k?.enrolled ?? 0) === 1 };
  });
  // Who still has something to do first, then by name.
  const rank = (m: RosterMember) => (m.joined ? 2 : 0) + (m.enrolled ? 1 : 0);
  members.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  return { available: true, members };
}
