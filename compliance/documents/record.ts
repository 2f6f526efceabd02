/**
 * The entry of the record of processing activities (GDPR art. 30(1), in the order of its letters)
 * and the retention schedule.
 */
import { SDK_VERSION } from '../../src/protocol/version.js';
import type { ComplianceDocument } from '../document.js';
import { LOCATION, DRAFT_NOTICE, controllerContacts, dpoContacts, formats, legalBasisText, metaLines, pick, retentionRows, type DocumentContext } from './common.js';

/** The art. 30 entry. */
export function recordDocument(ctx: DocumentContext): ComplianceDocument {
  const { config, lang } = ctx;
  const f = formats(lang);
  const identityDocument = config.policies.identityDocument !== 'off';
  const rows: [string, string][] = pick(lang, {
    it: [
      ['Denominazione del trattamento', `Verifica biometrica della presenza alle lezioni in diretta con Presenza ${SDK_VERSION}: corso «${config.course.name}»`],
      ['a) Titolare del trattamento', controllerContacts(ctx).join('; ')],
      ['a) Responsabile della protezione dei dati', dpoContacts(ctx).join('; ')],
      ['b) Finalità', config.course.purpose.it],
      ['Base giuridica', `${legalBasisText(ctx)}.`],
      ['c) Categorie di interessati', 'Studenti iscritti al corso; docenti e revisori che usano il servizio presenze.'],
      [
        'c) Categorie di dati personali',
        `Dati biometrici (art. 9) trattati solo sul dispositivo dello studente: immagini della fotocamera, non conservate; template del volto cifrato${identityDocument ? '; immagini del documento d’identità, non conservate' : ''}. Sul servizio: identificativo della piattaforma e nome visualizzato, identificativo pseudonimo di registrazione, chiavi pubbliche dei dispositivi, esiti delle verifiche con motivo e ora, scelte dell’alternativa, conferme del docente, registro delle operazioni.`,
      ],
      [
        'd) Categorie di destinatari',
        `Docenti del corso (esiti delle proprie lezioni); revisori del titolare (registro delle operazioni)${config.hosting.providerIsProcessor ? `; ${config.hosting.provider}, in qualità di responsabile del trattamento (art. 28)` : ''}. Nessuna comunicazione a terzi.`,
      ],
      ['e) Trasferimenti verso Paesi terzi', config.hosting.location === 'adequacy' || config.hosting.location === 'third_country' ? `Sì: dati del servizio conservati ${LOCATION[config.hosting.location].it}.` : `Nessuno: dati del servizio conservati ${LOCATION[config.hosting.location].it}; i dati biometrici restano sul dispositivo dello studente.`],
      ['f) Termini di cancellazione', `Template sul dispositivo: ${f.date(config.course.end)}. Dati di presenza: ${f.date(config.retention.attendanceUntil)}. Registro delle operazioni: ${f.number(config.retention.auditLogDays)} giorni. Dettaglio nel calendario di conservazione.`],
      [
        'g) Misure di sicurezza tecniche e organizzative (art. 32)',
        'Elaborazione biometrica solo sul dispositivo, in un Web Worker; template cifrato AES-GCM con chiave non estraibile; esiti firmati ES256 con codici monouso; servizio con ruoli e accesso negato per impostazione predefinita, sessioni lato server, CSRF, intestazioni di sicurezza; registro delle operazioni a catena di hash non modificabile; cancellazione automatica di ogni tabella; log privi di nomi e indirizzi; verifica d’integrità dei modelli (SHA-256).',
      ],
      ['Valutazione d’impatto', 'Sì (art. 35): bozza generata con questo registro, da completare con il parere del RPD.'],
    ],
    en: [
      ['Name of the processing', `Biometric presence checks at live lessons with Presenza ${SDK_VERSION}: course “${config.course.name}”`],
      ['(a) Controller', controllerContacts(ctx).join('; ')],
      ['(a) Data Protection Officer', dpoContacts(ctx).join('; ')],
      ['(b) Purpose', config.course.purpose.en],
      ['Legal basis', `${legalBasisText(ctx)}.`],
      ['(c) Categories of data subjects', 'Students enrolled in the course; teachers and auditors who use the attendance service.'],
      [
        '(c) Categories of personal data',
        `Biometric data (art. 9) processed only on the student’s device: camera images, not kept; the encrypted face template${identityDocument ? '; identity document images, not kept' : ''}. On the service: the platform’s id and display name, a pseudonymous enrollment id, the devices’ public keys, check outcomes with reason and time, choices of the alternative, the teacher’s confirmations, the audit log.`,
      ],
      [
        '(d) Categories of recipients',
        `The course’s teachers (outcomes of their own lessons); the controller’s auditors (audit log)${config.hosting.providerIsProcessor ? `; ${config.hosting.provider}, as processor (art. 28)` : ''}. No disclosure to third parties.`,
      ],
      ['(e) Transfers to third countries', config.hosting.location === 'adequacy' || config.hosting.location === 'third_country' ? `Yes: the service’s data are stored ${LOCATION[config.hosting.location].en}.` : `None: the service’s data are stored ${LOCATION[config.hosting.location].en}; biometric data stay on the student’s device.`],
      ['(f) Time limits for erasure', `Template on the device: ${f.date(config.course.end)}. Attendance data: ${f.date(config.retention.attendanceUntil)}. Audit log: ${f.number(config.retention.auditLogDays)} days. Detail in the retention schedule.`],
      [
        '(g) Technical and organisational security measures (art. 32)',
        'Biometric processing only on the device, in a Web Worker; template encrypted with AES-GCM under a non-extractable key; outcomes signed with ES256 and single-use codes; a service with roles and deny-by-default access, server-side sessions, CSRF protection, security headers; an append-only hash-chained audit log; automatic deletion from every table; logs without names or addresses; model integrity checks (SHA-256).',
      ],
      ['Impact assessment', 'Yes (art. 35): a draft generated with this record, to be completed with the DPO’s advice.'],
    ],
  });
  return {
    id: 'record',
    lang,
    title: pick(lang, { it: 'Registro delle attività di trattamento (art. 30 GDPR): verifica della presenza', en: 'Record of processing activities (GDPR art. 30): presence checks' }),
    draftNotice: pick(lang, DRAFT_NOTICE),
    meta: metaLines(ctx),
    sections: [
      {
        id: 'record-entry',
        title: pick(lang, { it: 'Scheda del trattamento', en: 'Processing entry' }),
        blocks: [{ table: { caption: pick(lang, { it: 'Voci dell’art. 30, par. 1, GDPR', en: 'Items of GDPR art. 30(1)' }), head: pick(lang, { it: ['Voce', 'Contenuto'], en: ['Item', 'Content'] }), rows } }],
      },
    ],
  };
}

/** The retention schedule. */
export function retentionDocument(ctx: DocumentContext): ComplianceDocument {
  const { config, lang } = ctx;
  const f = formats(lang);
  return {
    id: 'retention',
    lang,
    title: pick(lang, { it: 'Calendario di conservazione dei dati: verifica della presenza', en: 'Data retention schedule: presence checks' }),
    draftNotice: pick(lang, DRAFT_NOTICE),
    meta: metaLines(ctx),
    sections: [
      {
        id: 'retention-schedule',
        title: pick(lang, { it: 'Calendario', en: 'Schedule' }),
        blocks: [
          {
            p: pick(lang, {
              it: `Fine del corso: ${f.date(config.course.end)}. Periodo per le contestazioni: ${config.retention.disputePeriodDays} giorni. Cancellazione dei dati di presenza: ${f.date(config.retention.attendanceUntil)}.`,
              en: `Course end: ${f.date(config.course.end)}. Dispute period: ${config.retention.disputePeriodDays} days. Deletion of attendance data: ${f.date(config.retention.attendanceUntil)}.`,
            }),
          },
          {
            table: {
              caption: pick(lang, { it: 'Ogni dato, dove si trova, fino a quando e come viene cancellato', en: 'Each kind of data, where it is, until when, and how it is deleted' }),
              head: pick(lang, { it: ['Dato', 'Dove', 'Fino a', 'Come'], en: ['Data', 'Where', 'Until', 'How'] }),
              rows: retentionRows(ctx).map((r) => [r.data, r.where, r.until, r.how]),
            },
          },
          {
            p: pick(lang, {
              it: 'Il servizio espone ai revisori un rapporto di conservazione (righe per tabella e prossima cancellazione) e registra ogni esecuzione della cancellazione nel registro delle operazioni.',
              en: 'The service gives auditors a retention report (rows per table and next deletion) and records every retention run in the audit log.',
            }),
          },
        ],
      },
    ],
  };
}
