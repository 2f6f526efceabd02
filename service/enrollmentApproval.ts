/**
 * Whether a freshly verified device key is active at once or waits for a teacher. A student's
 * first key is active; a further one (a new device, a re-enrollment) is pending, unless the
 * device matched the student's identity document during the enrollment: then it is approved
 * automatically, under its own audit action, and no teacher is asked.
 */
import type { IdDocumentResult } from 'presenza/server';
import type { AuditAction } from './audit.js';

/** The status a new device key gets and the audit action that records it. */
export interface KeyAdmission {
  readonly status: 'active' | 'pending';
  readonly action: Extract<AuditAction, 'enrollment.registered' | 'enrollment.pending' | 'enrollment.document_matched'>;
}

/**
 * Decides a new key's admission from whether the student already has an active key and the
 * enrollment's verified `idDocument` claim. Only `matched` skips the teacher; `not_matched` and
 * `not_run` keep the key pending.
 */
export function admitDeviceKey(hasActiveKey: boolean, idDocument: IdDocumentResult): KeyAdmission {
  if (!hasActiveKey) return { status: 'active', action: 'enrollment.registered' };
  if (idDocument === 'matched') return { status: 'active', action: 'enrollment.document_matched' };
  return { status: 'pending', action: 'enrollment.pending' };
}

/** Why a device key waits for the teacher: the identity-document outcome that did not approve it. */
export type PendingReason = Exclude<IdDocumentResult, 'matched'>;

/**
 * The pending reason from a key's stored `id_document`: `null` for keys stored before the service
 * kept it (and for anything else, so a stray value never reaches the teacher's page).
 */
export function pendingReason(stored: string | null): PendingReason | null {
  return stored === 'not_matched' || stored === 'not_run' ? stored : null;
}
