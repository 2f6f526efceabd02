/**
 * Who may call what: ONE table of every API route, the roles allowed on it, and the ownership
 * each role must have over the resource the route names. The app registers its routes from this
 * table (a route missing from it cannot exist) and enforces it before any handler runs; a test
 * walks the whole table for every role, on its own resource and on another's.
 *
 * Deny by default: no session is 401, a role the route does not list is 403, a resource the
 * user does not own (or belong to) is 403, a resource that does not exist is 404.
 */
import type { Db } from './db.js';
import type { Role } from './launch.js';
import type { Session } from './sessions.js';

/**
 * What a role must be to the resource of the route:
 * - `any`: nothing more than the role (the user's own data comes from the session);
 * - `lessonOwner` / `checkOwner`: the teacher who created the lesson (of the check);
 * - `lessonMember` / `checkMember`: a student who joined the lesson (of the check);
 * - `lessonInvited`: a student whose launch named this lesson or its course (to join it);
 * - `ownKey`: the student the device key belongs to.
 */
export type Ownership = 'any' | 'lessonOwner' | 'checkOwner' | 'lessonMember' | 'checkMember' | 'lessonInvited' | 'ownKey';

export interface RouteRule {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  /** Roles allowed, each with the ownership it needs. Absent role: refused. */
  readonly roles: Partial<Record<Role, Ownership>>;
  /** Open without a session (the launch-token exchange, the LTI launch, the health probes and the privacy notice). */
  readonly public?: true;
  /** Takes POSTs from another origin (the LMS's login and launch form posts). Public routes only. */
  readonly crossSite?: true;
  /** What the route does, for the README table. */
  readonly what: string;
}

/** The table. */
export const ROUTES = [
  { method: 'GET', url: '/health/live', roles: {}, public: true, what: 'liveness probe: the process answers' },
  { method: 'GET', url: '/health/ready', roles: {}, public: true, what: 'readiness probe: database and event notifications up, not shutting down' },
  { method: 'POST', url: '/api/launch', roles: {}, public: true, what: 'exchange a launch token for a session' },
  { method: 'GET', url: '/lti/login', roles: {}, public: true, what: 'LTI 1.3 login initiation from the LMS: redirects to its authorization endpoint' },
  { method: 'POST', url: '/lti/login', roles: {}, public: true, crossSite: true, what: 'LTI 1.3 login initiation from the LMS (form POST)' },
  { method: 'POST', url: '/lti/launch', roles: {}, public: true, crossSite: true, what: 'LTI 1.3 launch (id_token form POST): opens a session, continues to the teacher or student page' },
  { method: 'GET', url: '/lti/login/check', roles: {}, public: true, what: 'LTI login in the LMS’s frame: on to the platform if the state cookie came back, else the offer of a new window' },
  { method: 'POST', url: '/lti/handoff', roles: {}, public: true, what: 'open a session handed over by the LMS’s frame in a new window (single-use code)' },
  { method: 'POST', url: '/lti/deep-linking', roles: {}, public: true, crossSite: true, what: 'LTI Deep Linking: the teacher’s choice (single-use request id) → the signed response auto-posted to the LMS' },
  { method: 'GET', url: '/lti/register', roles: {}, public: true, what: 'LTI Dynamic Registration: the LMS opens it with its OpenID configuration and a registration token; the tool registers itself there and stores the platform' },
  { method: 'GET', url: '/lti/jwks', roles: {}, public: true, what: 'the LTI tool’s public keys' },
  { method: 'GET', url: '/lti/page.css', roles: {}, public: true, what: 'the stylesheet of the LTI pages' },
  { method: 'GET', url: '/privacy/notice-it.html', roles: {}, public: true, what: 'the full privacy notice in Italian, generated at start from PRESENZA_CONFIG (404 without one)' },
  { method: 'GET', url: '/privacy/notice-en.html', roles: {}, public: true, what: 'the full privacy notice in English, as above' },
  { method: 'GET', url: '/api/session', roles: { student: 'any', teacher: 'any', auditor: 'any' }, what: 'who am I, and my CSRF token' },
  { method: 'POST', url: '/api/session/end', roles: { student: 'any', teacher: 'any', auditor: 'any' }, what: 'sign out (revoke the session)' },
  { method: 'POST', url: '/api/session/handoff', roles: { student: 'any', teacher: 'any' }, what: 'a single-use code that opens my session in a new window (from the LMS’s frame)' },
  { method: 'GET', url: '/api/me/enrollment', roles: { student: 'any' }, what: 'my device keys (active, pending)' },
  { method: 'POST', url: '/api/me/enrollment-challenge', roles: { student: 'any' }, what: 'nonce and enrollment id for a new device key' },
  { method: 'POST', url: '/api/me/enrollment', roles: { student: 'any' }, what: 'register a device key (pending if one is active)' },
  { method: 'POST', url: '/api/me/keys/:keyId/revoke', roles: { student: 'ownKey' }, what: 'revoke one of my device keys' },
  { method: 'POST', url: '/api/lessons', roles: { teacher: 'any' }, what: 'start a lesson' },
  { method: 'GET', url: '/api/lessons/:lessonId', roles: { teacher: 'lessonOwner', student: 'lessonMember' }, what: 'lesson title and status' },
  { method: 'POST', url: '/api/lessons/:lessonId/join', roles: { student: 'lessonInvited' }, what: 'join a lesson' },
  { method: 'POST', url: '/api/lessons/:lessonId/end', roles: { teacher: 'lessonOwner' }, what: 'end a lesson' },
  { method: 'POST', url: '/api/lessons/:lessonId/checks', roles: { teacher: 'lessonOwner' }, what: 'fire a check now or at a random moment' },
  { method: 'GET', url: '/api/lessons/:lessonId/attendance', roles: { teacher: 'lessonOwner' }, what: 'attendance of the lesson (every check, or one with ?checkId=)' },
  { method: 'GET', url: '/api/lessons/:lessonId/checks', roles: { teacher: 'lessonOwner' }, what: 'every check of the lesson with its counts' },
  { method: 'GET', url: '/api/lessons/:lessonId/attendance.csv', roles: { teacher: 'lessonOwner' }, what: 'attendance as CSV' },
  { method: 'GET', url: '/api/lessons/:lessonId/events', roles: { teacher: 'lessonOwner' }, what: 'teacher event stream (SSE: snapshot, then one event per change; resumes with Last-Event-ID)' },
  { method: 'GET', url: '/api/lessons/:lessonId/me/events', roles: { student: 'lessonMember' }, what: 'my check requests and results in the lesson (SSE; resumes with Last-Event-ID)' },
  { method: 'GET', url: '/api/lessons/:lessonId/roster', roles: { teacher: 'lessonOwner' }, what: 'the LMS course’s learners (NRPS): launched, joined, enrolled' },
  { method: 'GET', url: '/api/lessons/:lessonId/grades', roles: { teacher: 'lessonOwner' }, what: 'the lesson’s scores for the LMS gradebook (AGS) and their delivery' },
  { method: 'POST', url: '/api/lessons/:lessonId/grades/retry', roles: { teacher: 'lessonOwner' }, what: 'send the lesson’s failed scores again' },
  { method: 'GET', url: '/api/lessons/:lessonId/enrollments', roles: { teacher: 'lessonOwner' }, what: 'pending device keys of the lesson’s students, each with why it waits (idDocument)' },
  {
    method: 'POST',
    url: '/api/lessons/:lessonId/enrollments/:keyId/approve',
    roles: { teacher: 'lessonOwner' },
    what: 'approve a pending device key of a student of the lesson',
  },
  { method: 'POST', url: '/api/checks/:checkId/result', roles: { student: 'checkMember' }, what: 'post my signed check assertion' },
  { method: 'POST', url: '/api/checks/:checkId/retry', roles: { student: 'checkMember' }, what: 'a fresh nonce for another attempt' },
  { method: 'POST', url: '/api/checks/:checkId/alternative', roles: { student: 'checkMember' }, what: 'choose the non-biometric alternative' },
  { method: 'POST', url: '/api/checks/:checkId/confirm', roles: { teacher: 'checkOwner' }, what: 'confirm a student present (alternative, in person) or absent' },
  { method: 'GET', url: '/api/audit', roles: { auditor: 'any' }, what: 'read the audit log' },
  { method: 'GET', url: '/api/audit/verify', roles: { auditor: 'any' }, what: 'verify the audit chain' },
  { method: 'GET', url: '/api/retention', roles: { auditor: 'any' }, what: 'retention report (rows per table, next deletion)' },
] as const satisfies readonly RouteRule[];

/** The outcome of an ownership check. */
export type Ownedness = 'yes' | 'no' | 'missing';

/** Decides whether `session` has `ownership` over the resource named by `params`. */
export async function owns(db: Db, session: Session, ownership: Ownership, params: Record<string, string | undefined>): Promise<Ownedness> {
  const user = session.userId;
  const verdict = (row: { mine: unknown } | undefined): Ownedness => (row === undefined ? 'missing' : Number(row.mine) === 1 ? 'yes' : 'no');
  switch (ownership) {
    case 'any':
      return 'yes';
    case 'lessonOwner':
      return verdict(await db.get('SELECT CASE WHEN teacher_id = ? THEN 1 ELSE 0 END AS mine FROM lessons WHERE id = ?', [user, params.lessonId]));
    case 'lessonMember':
      return verdict(
        await db.get(
          'SELECT CASE WHEN EXISTS (SELECT 1 FROM lesson_students ls WHERE ls.lesson_id = l.id AND ls.student_id = ?) THEN 1 ELSE 0 END AS mine FROM lessons l WHERE l.id = ?',
          [user, params.lessonId],
        ),
      );
    case 'lessonInvited':
      return verdict(
        await db.get('SELECT CASE WHEN id = ? OR (course IS NOT NULL AND course = ?) THEN 1 ELSE 0 END AS mine FROM lessons WHERE id = ?', [
          session.lessonId,
          session.course,
          params.lessonId,
        ]),
      );
    case 'checkOwner':
      return verdict(
        await db.get('SELECT CASE WHEN l.teacher_id = ? THEN 1 ELSE 0 END AS mine FROM checks c JOIN lessons l ON l.id = c.lesson_id WHERE c.id = ?', [
          user,
          params.checkId,
        ]),
      );
    case 'checkMember':
      return verdict(
        await db.get(
          'SELECT CASE WHEN EXISTS (SELECT 1 FROM lesson_students ls WHERE ls.lesson_id = c.lesson_id AND ls.student_id = ?) THEN 1 ELSE 0 END AS mine FROM checks c WHERE c.id = ?',
          [user, params.checkId],
        ),
      );
    case 'ownKey':
      return verdict(await db.get('SELECT CASE WHEN student_id = ? THEN 1 ELSE 0 END AS mine FROM device_keys WHERE id = ?', [user, params.keyId]));
  }
}
