/**
 * `--check`: the settings of a configuration that the Garante's decision of 29 January 2026 found
 * unlawful, or that carry the same risk, each with the reason. A valid configuration may still
 * have findings: the schema says what is well formed, this says what is risky.
 */
import type { DeploymentConfig, Localized } from './config.js';

/** What a finding is about. */
export type FindingCode =
  /** Consent as the legal basis of a check the student cannot in practice refuse. */
  | 'consent_for_mandatory_check'
  /** Attendance data kept beyond the course end plus the dispute period. */
  | 'retention_beyond_dispute_period'
  /** No non-biometric alternative. */
  | 'no_alternative'
  /** Evidence of failed checks kept. */
  | 'failed_check_evidence_kept'
  /** Liveness off with no reason given. */
  | 'liveness_off_without_reason'
  /** The service's data stored outside the EEA without an adequacy decision. */
  | 'data_outside_eea';

export interface Finding {
  readonly code: FindingCode;
  /** `unlawful`: the decision found this unlawful; `risky`: it raises a risk the DPIA must address. */
  readonly severity: 'unlawful' | 'risky';
  /** The configuration field (JSON pointer). */
  readonly path: string;
  /** Why, in both languages. */
  readonly reason: Localized;
}

const DAY_MS = 86_400_000;

/** Every finding of a (valid) configuration, in a stable order. */
export function checkConfig(config: DeploymentConfig): Finding[] {
  const findings: Finding[] = [];
  const { legalBasis, retention, course, policies, hosting } = config;
  if (legalBasis.article6 === 'consent' || legalBasis.article9 === 'explicit_consent') {
    findings.push({
      code: 'consent_for_mandatory_check',
      severity: 'unlawful',
      path: legalBasis.article6 === 'consent' ? '/legalBasis/article6' : '/legalBasis/article9',
      reason: {
        it: 'Il consenso non è una base giuridica valida per una verifica che lo studente non può rifiutare senza conseguenze: tra università e studente c’è uno squilibrio (considerando 43 e art. 7, par. 4, GDPR). Il Garante (provvedimento del 29 gennaio 2026) ha ritenuto illecito proprio il consenso reso di fatto obbligatorio. Usare il compito di interesse pubblico (art. 6, par. 1, lett. e) con l’art. 9, par. 2, lett. g) e la norma nazionale che lo fonda.',
        en: 'Consent is not a valid legal basis for a check the student cannot refuse without consequences: there is an imbalance between university and student (GDPR recital 43 and art. 7(4)). The Garante (decision of 29 January 2026) found exactly this, consent made mandatory in practice, unlawful. Use the public task (art. 6(1)(e)) with art. 9(2)(g) and the national provision that grounds it.',
      },
    });
  }
  const limit = Date.parse(`${course.end}T00:00:00Z`) + retention.disputePeriodDays * DAY_MS;
  if (Date.parse(`${retention.attendanceUntil}T00:00:00Z`) > limit) {
    const days = Math.round((Date.parse(`${retention.attendanceUntil}T00:00:00Z`) - limit) / DAY_MS);
    findings.push({
      code: 'retention_beyond_dispute_period',
      severity: 'unlawful',
      path: '/retention/attendanceUntil',
      reason: {
        it: `I dati di presenza restano ${days} giorni oltre la fine del corso più il periodo per le contestazioni (${retention.disputePeriodDays} giorni): la limitazione della conservazione (art. 5, par. 1, lett. e) chiede di cancellarli quando non servono più. Il Garante ha sanzionato una conservazione di 12 mesi.`,
        en: `Attendance data are kept ${days} days beyond the course end plus the dispute period (${retention.disputePeriodDays} days): storage limitation (art. 5(1)(e)) asks for their deletion once no longer needed. The Garante fined a retention of 12 months.`,
      },
    });
  }
  if (!policies.alternative.offered) {
    findings.push({
      code: 'no_alternative',
      severity: 'unlawful',
      path: '/policies/alternative/offered',
      reason: {
        it: 'Senza un’alternativa non biometrica di pari valore, chi rifiuta la verifica del volto perde la frequenza: il trattamento non è necessario né proporzionato (artt. 5, par. 1, lett. a) e c), 9) e il Garante ha contestato proprio l’assenza di alternative.',
        en: 'Without a non-biometric alternative of equal standing, a student who refuses the face check loses attendance: the processing is neither necessary nor proportionate (arts. 5(1)(a) and (c), 9), and the Garante objected to exactly this lack of an alternative.',
      },
    });
  }
  if (policies.failedCheckEvidence === 'kept') {
    findings.push({
      code: 'failed_check_evidence_kept',
      severity: 'unlawful',
      path: '/policies/failedCheckEvidence',
      reason: {
        it: 'Conservare prove delle verifiche non riuscite (il Garante ha sanzionato le foto conservate fino all’esame orale) non è necessario: Presenza non conserva nulla e propone una verifica umana immediata (artt. 5, par. 1, lett. c) ed e), 25).',
        en: 'Keeping evidence of failed checks (the Garante fined photos kept until the oral exam) is not necessary: Presenza keeps nothing and prompts an immediate human check (arts. 5(1)(c) and (e), 25).',
      },
    });
  }
  if (policies.liveness === 'off' && !policies.livenessOffReason) {
    findings.push({
      code: 'liveness_off_without_reason',
      severity: 'risky',
      path: '/policies/livenessOffReason',
      reason: {
        it: 'Con la verifica di vitalità disattivata basta una foto per superare la verifica: indicare perché è disattivata (per esempio, la piattaforma ne usa una propria) in policies.livenessOffReason.',
        en: 'With liveness off, a photo is enough to pass the check: state why it is off (for example, the platform runs its own) in policies.livenessOffReason.',
      },
    });
  }
  if (hosting.location === 'third_country') {
    findings.push({
      code: 'data_outside_eea',
      severity: 'risky',
      path: '/hosting/location',
      reason: {
        it: 'I dati del servizio (identificativi, esiti, registro) sono conservati fuori dallo Spazio economico europeo senza decisione di adeguatezza: servono garanzie adeguate (capo V GDPR) e una valutazione del trasferimento.',
        en: 'The service’s data (identifiers, outcomes, audit log) are stored outside the European Economic Area without an adequacy decision: appropriate safeguards (GDPR chapter V) and a transfer assessment are needed.',
      },
    });
  }
  return findings;
}
