/**
 * The data-protection impact assessment draft (GDPR art. 35), in the structure the Garante and
 * the EDPB guidelines (WP248 rev.01) use: systematic description, necessity and proportionality,
 * risks to the students, the measures (each mapped to the risks it treats and to the articles the
 * decision of 29 January 2026 cites), the measured performance, residual risk.
 */
import { MAX_RETENTION_MONTHS } from '../../src/protocol/assertion.js';
import type { Localized } from '../config.js';
import type { ComplianceDocument, Section } from '../document.js';
import type { LivenessPolicyFacts, VerificationFacts } from '../facts.js';
import { ID_DOCUMENT, LIVENESS, LIVENESS_NAME, LOCATION, TRIGGER, DRAFT_NOTICE, disputeClause, formats, legalBasisText, metaLines, pick, retentionRows, type DocumentContext } from './common.js';

/** The articles the decision cites; every measure is mapped to at least one of them. */
export const DECISION_ARTICLES = ['5(1)(a)', '5(1)(c)', '5(1)(e)', '6', '9', '25', '35'] as const;

type RiskId = 'R1' | 'R2' | 'R3' | 'R4' | 'R5' | 'R6' | 'R7' | 'R8';
type Level = 'low' | 'medium' | 'high';

interface Risk {
  readonly id: RiskId;
  readonly title: Localized;
  readonly impact: Localized;
  /** Before any measure. */
  readonly inherent: Level;
}

interface Measure {
  readonly id: string;
  readonly title: Localized;
  readonly risks: readonly RiskId[];
  /** GDPR articles, as `5(1)(c)`, `25`, … (rendered per language). */
  readonly articles: readonly string[];
  /** How it is verified in Presenza. */
  readonly evidence: Localized;
}

const LEVEL = { low: { it: 'basso', en: 'low' }, medium: { it: 'medio', en: 'medium' }, high: { it: 'alto', en: 'high' } } as const;

const RISKS: readonly Risk[] = [
  {
    id: 'R1',
    title: { it: 'Accesso illecito, perdita o diffusione di dati biometrici', en: 'Unlawful access to, loss or disclosure of biometric data' },
    impact: { it: 'Un dato biometrico non si può cambiare: furto d’identità, impersonazione, perdita di controllo permanente.', en: 'A biometric trait cannot be changed: identity theft, impersonation, a permanent loss of control.' },
    inherent: 'high',
  },
  {
    id: 'R2',
    title: { it: 'Uso per altre finalità: identificazione, sorveglianza, banca dati di volti, inferenze su attenzione o emozioni', en: 'Use for other purposes: identification, surveillance, a face database, inferences on attention or emotions' },
    impact: { it: 'Sorveglianza degli studenti, effetto dissuasivo, discriminazione; il riconoscimento delle emozioni in ambito educativo è vietato (AI Act, art. 5, par. 1, lett. f).', en: 'Surveillance of students, a chilling effect, discrimination; emotion recognition in education is banned (AI Act art. 5(1)(f)).' },
    inherent: 'high',
  },
  {
    id: 'R3',
    title: { it: 'Conservazione eccessiva (template, prove delle verifiche non riuscite, dati di presenza)', en: 'Excessive retention (templates, evidence of failed checks, attendance data)' },
    impact: { it: 'Esposizione più lunga del necessario e riuso dei dati oltre il corso.', en: 'Exposure for longer than needed and reuse of the data beyond the course.' },
    inherent: 'high',
  },
  {
    id: 'R4',
    title: { it: 'Assenza di una scelta reale: consenso obbligato, nessuna alternativa', en: 'No real choice: consent made mandatory, no alternative' },
    impact: { it: 'Lo studente deve cedere un dato biometrico per frequentare: trattamento non libero e non proporzionato.', en: 'The student must hand over a biometric trait to attend: processing that is neither free nor proportionate.' },
    inherent: 'high',
  },
  {
    id: 'R5',
    title: { it: 'Rifiuti ingiusti ed errori distribuiti in modo diseguale tra gruppi di studenti', en: 'Wrongful rejections, and errors unequally spread across groups of students' },
    impact: { it: 'Uno studente presente risulta non confermato, deve rifare la verifica o essere verificato davanti alla classe; se alcuni gruppi sono rifiutati più spesso, l’effetto è discriminatorio.', en: 'A student who is present is not confirmed and must retry or be checked in front of the class; if some groups are rejected more often, the effect is discriminatory.' },
    inherent: 'medium',
  },
  {
    id: 'R6',
    title: { it: 'Sostituzione di persona (foto, schermo, un’altra persona) e manomissione del software sul dispositivo', en: 'Impersonation (a photo, a screen, another person) and tampering with the software on the device' },
    impact: { it: 'Presenze false a nome dello studente; per l’ente, dati di presenza inesatti (art. 5, par. 1, lett. d).', en: 'False attendance in the student’s name; for the institution, inaccurate attendance data (art. 5(1)(d)).' },
    inherent: 'medium',
  },
  {
    id: 'R7',
    title: { it: 'Informazione insufficiente', en: 'Insufficient information' },
    impact: { it: 'Lo studente non sa cosa accade al suo volto né come scegliere l’alternativa o esercitare i diritti.', en: 'The student does not know what happens to their face, nor how to choose the alternative or exercise their rights.' },
    inherent: 'medium',
  },
  {
    id: 'R8',
    title: { it: 'Registri di presenza alterati o riprodotti, accesso non autorizzato ai dati del servizio', en: 'Altered or replayed attendance records, unauthorised access to the service’s data' },
    impact: { it: 'Esiti attribuiti alla persona sbagliata, contestazioni non verificabili.', en: 'Outcomes attributed to the wrong person, disputes that cannot be settled.' },
    inherent: 'medium',
  },
];

/** `5(1)(c)` as the language writes it. */
function article(lang: 'it' | 'en', ref: string): string {
  const m = /^(\d+)(?:\((\d)\))?(?:\(([a-z])\))?$/.exec(ref);
  if (!m) return ref;
  const [, art, par, lett] = m;
  if (lang === 'en') return `art. ${ref}`;
  return `art. ${art}${par ? `, par. ${par}` : ''}${lett ? `, lett. ${lett})` : ''}`;
}

function measures(ctx: DocumentContext): Measure[] {
  const { config, lang } = ctx;
  const { policies } = config;
  const f = formats(lang);
  const list: Measure[] = [
    {
      id: 'M1',
      title: {
        it: 'Elaborazione solo sul dispositivo: rilevamento, vitalità, template e confronto avvengono nel browser dello studente, in un Web Worker; al server arriva solo un esito firmato (superata, non superata, non conclusa).',
        en: 'On-device processing only: detection, liveness, template and comparison run in the student’s browser, in a Web Worker; the server receives only a signed outcome (pass, fail, inconclusive).',
      },
      risks: ['R1', 'R2'],
      articles: ['5(1)(c)', '9', '25'],
      evidence: { it: 'Test end-to-end che registra ogni richiesta di registrazione e verifica e fallisce se un corpo contiene immagini, vettori numerici o campi diversi da quelli del protocollo.', en: 'An end-to-end test records every request of an enrollment and a check and fails if a body carries images, numeric arrays or fields beyond the protocol’s.' },
    },
    {
      id: 'M2',
      title: {
        it: 'Solo verifica uno a uno con il template registrato sullo stesso dispositivo: nessuna identificazione, nessuna ricerca, nessuna banca dati di volti, nessuna funzione che confronti due immagini qualsiasi.',
        en: 'One-to-one verification only, against the template enrolled on the same device: no identification, no search, no face database, no function that compares two arbitrary images.',
      },
      risks: ['R2'],
      articles: ['5(1)(a)', '5(1)(c)', '25'],
      evidence: { it: 'API pubblica dell’SDK e test di architettura sugli import.', en: 'The SDK’s public API and the architecture test on imports.' },
    },
    {
      id: 'M3',
      title: {
        it: `Template cifrato (AES-GCM, chiave non estraibile) nell’archivio del browser, cancellato automaticamente alla fine del corso (${f.date(config.course.end)}; l’SDK rifiuta oltre ${MAX_RETENTION_MONTHS} mesi); lo studente può cancellarlo in ogni momento.`,
        en: `Encrypted template (AES-GCM, non-extractable key) in the browser’s storage, deleted automatically at the course end (${f.date(config.course.end)}; the SDK refuses more than ${MAX_RETENTION_MONTHS} months); the student can delete it at any time.`,
      },
      risks: ['R1', 'R3'],
      articles: ['5(1)(e)', '25', '32'],
      evidence: { it: 'Test unitari del vault (cifratura, scadenza controllata a ogni avvio e verifica, cancellazione).', en: 'Unit tests of the vault (encryption, expiry checked at every start and check, deletion).' },
    },
    {
      id: 'M4',
      title: {
        it: 'Nessuna immagine conservata: i fotogrammi sono scartati appena analizzati; la fotocamera si spegne a fine acquisizione.',
        en: 'No image kept: frames are dropped as soon as analysed; the camera stops when the capture ends.',
      },
      risks: ['R1', 'R3'],
      articles: ['5(1)(c)', '5(1)(e)', '25'],
      evidence: { it: 'Test end-to-end: nessun fotogramma in IndexedDB, Cache, localStorage o nel DOM.', en: 'End-to-end tests: no frame in IndexedDB, Cache, localStorage or the DOM.' },
    },
    {
      id: 'M5',
      title:
        policies.failedCheckEvidence === 'none'
          ? {
              it: 'Una verifica non riuscita non conserva nulla oltre l’esito: si offre un nuovo tentativo, poi l’alternativa e una verifica immediata da parte del docente. Nessuna decisione è presa solo in modo automatizzato.',
              en: 'A failed check keeps nothing but its outcome: a retry is offered, then the alternative and an immediate check by the teacher. No decision is taken solely by automated means.',
            }
          : {
              it: 'Presenza non conserva nulla di una verifica non riuscita, ma la configurazione dichiara che il titolare ne conserva prove con una propria procedura: misura non attuata (vedi i punti di attenzione).',
              en: 'Presenza keeps nothing of a failed check, but the configuration says the controller keeps evidence under its own procedure: measure not in place (see the points of attention).',
            },
      risks: ['R3', 'R5'],
      articles: ['5(1)(c)', '5(1)(e)', '22'],
      evidence: { it: 'Matrice degli esiti (decideCheck) e test dell’interfaccia studente.', en: 'The verdict matrix (decideCheck) and the student UI’s tests.' },
    },
    {
      id: 'M6',
      title: policies.alternative.offered
        ? {
            it: `Alternativa non biometrica di pari valore, sempre disponibile e presentata con lo stesso rilievo della verifica del volto; l’interfaccia la descrive così: «${policies.alternative.description.it}»`,
            en: `A non-biometric alternative of equal standing, always available and shown with the same weight as the face check; the UI describes it as: “${policies.alternative.description.en}”`,
          }
        : {
            it: 'La configurazione dichiara che non si offre un’alternativa non biometrica: misura non attuata (vedi i punti di attenzione).',
            en: 'The configuration says no non-biometric alternative is offered: measure not in place (see the points of attention).',
          },
      risks: ['R4', 'R5'],
      articles: ['5(1)(a)', '6', '9'],
      evidence: { it: 'Interfaccia studente: scelta con pari peso prima di ogni registrazione e verifica; test di accessibilità.', en: 'The student UI: a choice of equal weight before every enrollment and check; accessibility tests.' },
    },
    {
      id: 'M7',
      title:
        config.legalBasis.article6 === 'consent' || config.legalBasis.article9 === 'explicit_consent'
          ? {
              it: 'La configurazione indica il consenso come base giuridica: misura non attuata (vedi i punti di attenzione). Resta l’informativa a più livelli: una prima informativa nell’interfaccia, prima della registrazione, e l’informativa completa.',
              en: 'The configuration names consent as the legal basis: measure not in place (see the points of attention). The layered notice remains: a first layer in the UI, before enrollment, and the full notice.',
            }
          : {
              it: 'Base giuridica diversa dal consenso (sezione 2) e informativa a più livelli: una prima informativa nell’interfaccia, prima della registrazione, e l’informativa completa.',
              en: 'A legal basis other than consent (section 2) and a layered notice: a first layer in the UI, before enrollment, and the full notice.',
            },
      risks: ['R4', 'R7'],
      articles: ['5(1)(a)', '6', '9', '13'],
      evidence: { it: 'Informativa generata dalla stessa configurazione e dagli stessi testi dell’interfaccia.', en: 'The notice is generated from the same configuration and the same UI texts.' },
    },
    {
      id: 'M8',
      title:
        policies.liveness === 'off'
          ? {
              it: `Verifica di vitalità disattivata${policies.livenessOffReason ? `: ${policies.livenessOffReason.it}` : ' senza una motivazione indicata'}.`,
              en: `Liveness off${policies.livenessOffReason ? `: ${policies.livenessOffReason.en}` : ' with no reason given'}.`,
            }
          : { it: `Verifica di vitalità ${LIVENESS[policies.liveness].it}, sul dispositivo.`, en: `Liveness ${LIVENESS[policies.liveness].en}, on the device.` },
      risks: ['R6'],
      articles: ['25', '35'],
      evidence: { it: 'Banco di prova bench:liveness-policy (cifre nella sezione sulle prestazioni misurate).', en: 'The bench:liveness-policy benchmark (figures in the measured performance section).' },
    },
    {
      id: 'M9',
      title: {
        it: `Soglia di decisione scelta per limitare le accettazioni false (al più 1 su 1.000 sulle coppie di sviluppo) e tassi di errore misurati e pubblicati, anche per genere; gli esiti non riportano mai un punteggio.`,
        en: `A decision threshold chosen to limit false accepts (at most 1 in 1,000 on the development pairs), and error rates measured and published, also by gender; outcomes never carry a score.`,
      },
      risks: ['R5', 'R6'],
      articles: ['5(1)(a)', '35'],
      evidence: { it: 'Banco di prova bench:accuracy (cifre nella sezione sulle prestazioni misurate).', en: 'The bench:accuracy benchmark (figures in the measured performance section).' },
    },
    {
      id: 'M10',
      title: {
        it: 'Esiti firmati (ES256) con la chiave del dispositivo, legati al destinatario, alla verifica e a un codice monouso con scadenza breve: un esito non si riusa né si attribuisce ad altri.',
        en: 'Outcomes signed (ES256) with the device key, bound to the recipient, the check and a short-lived single-use code: an outcome cannot be replayed or attributed to someone else.',
      },
      risks: ['R6', 'R8'],
      articles: ['5(1)(f)', '25', '32'],
      evidence: { it: 'Test del verificatore presenza/server (firma, destinatario, nonce, riuso, scadenza).', en: 'Tests of the presenza/server verifier (signature, audience, nonce, replay, expiry).' },
    },
    {
      id: 'M11',
      title: {
        it: 'Servizio presenze con ruoli e accesso negato per impostazione predefinita, identificativi pseudonimi, registro delle operazioni a catena di hash non modificabile, log senza nomi, indirizzi o esiti firmati.',
        en: 'Attendance service with roles and deny-by-default access, pseudonymous ids, an append-only hash-chained audit log, logs without names, addresses or signed results.',
      },
      risks: ['R1', 'R8'],
      articles: ['5(1)(c)', '25', '32'],
      evidence: { it: 'Test di ogni rotta per ogni ruolo; verifica della catena del registro (npm run audit:verify).', en: 'A test of every route for every role; verification of the audit chain (npm run audit:verify).' },
    },
    {
      id: 'M12',
      title: {
        it: `Cancellazione automatica di ogni tabella del servizio: dati di presenza il ${f.date(config.retention.attendanceUntil)}, registro dopo ${f.number(config.retention.auditLogDays)} giorni (calendario di conservazione allegato).`,
        en: `Automatic deletion from every table of the service: attendance data on ${f.date(config.retention.attendanceUntil)}, the audit log after ${f.number(config.retention.auditLogDays)} days (retention schedule attached).`,
      },
      risks: ['R3'],
      articles: ['5(1)(e)', '25'],
      evidence: { it: 'Test della cancellazione su SQLite e PostgreSQL; rapporto di conservazione per il revisore.', en: 'Retention tests on SQLite and PostgreSQL; the auditor’s retention report.' },
    },
    {
      id: 'M13',
      title: {
        it: 'Nessuna inferenza su attenzione, coinvolgimento o emozioni: i gesti servono solo alla vitalità e non sono conservati né riportati.',
        en: 'No inference of attention, engagement or emotion: gestures serve liveness only and are neither kept nor reported.',
      },
      risks: ['R2'],
      articles: ['5(1)(a)', '5(1)(c)'],
      evidence: { it: 'Protocollo degli esiti: nessun campo per gesti, punteggi o stati.', en: 'The outcome protocol: no field for gestures, scores or states.' },
    },
  ];
  if (policies.identityDocument !== 'off') {
    list.push({
      id: 'M14',
      title: {
        it: 'Documento d’identità analizzato sul dispositivo come ogni fotogramma e scartato subito: esce solo l’esito (corrisponde, non corrisponde, non eseguito); nessuna immagine, nome o numero del documento.',
        en: 'The identity document is analysed on the device like any frame and dropped at once: only the result leaves (matched, not matched, not run); no image, name or document number.',
      },
      risks: ['R1', 'R2', 'R6'],
      articles: ['5(1)(c)', '25'],
      evidence: { it: 'Test end-to-end che legge l’archivio del dispositivo e registra ogni richiesta.', en: 'An end-to-end test that reads the device storage and records every request.' },
    });
  }
  list.push({
    id: `M${list.length + 1}`,
    title: {
      it: 'Questa valutazione, l’informativa e il registro sono generati dalla stessa configurazione che governa il servizio e l’SDK, e vanno rigenerati a ogni modifica.',
      en: 'This assessment, the notice and the record are generated from the configuration that drives the service and the SDK, and are regenerated at every change.',
    },
    risks: ['R7'],
    articles: ['5(1)(a)', '35'],
    evidence: { it: 'Test: ogni valore della configurazione compare nei documenti che lo citano.', en: 'Tests: every configuration value appears in the documents that cite it.' },
  });
  return list;
}

/** Residual level of each risk under this configuration (a proposal for the DPO). */
function residual(ctx: DocumentContext): Record<RiskId, { level: Level; why: Localized }> {
  const codes = new Set(ctx.findings.map((f) => f.code));
  const groups = ctx.facts.verification.groups;
  const { policies } = ctx.config;
  const r4 = codes.has('consent_for_mandatory_check') || codes.has('no_alternative');
  const r3 = codes.has('retention_beyond_dispute_period') || codes.has('failed_check_evidence_kept');
  return {
    R1: codes.has('data_outside_eea')
      ? { level: 'medium', why: { it: 'Nessun dato biometrico lascia il dispositivo, ma i dati del servizio sono fuori dallo SEE.', en: 'No biometric data leave the device, but the service’s data are outside the EEA.' } }
      : { level: 'low', why: { it: 'Nessun dato biometrico lascia il dispositivo; il template è cifrato con chiave non estraibile.', en: 'No biometric data leave the device; the template is encrypted under a non-extractable key.' } },
    R2: { level: 'low', why: { it: 'Non esistono banca dati, ricerca né funzione di identificazione da riusare.', en: 'There is no database, search or identification function to reuse.' } },
    R3: r3
      ? { level: 'high', why: { it: 'La configurazione conserva dati oltre il necessario (vedi i punti di attenzione).', en: 'The configuration keeps data beyond what is needed (see the points of attention).' } }
      : { level: 'low', why: { it: 'Template fino alla fine del corso, nessuna prova dei tentativi falliti, dati di presenza entro il periodo per le contestazioni.', en: 'Template until the course end, no evidence of failed attempts, attendance data within the dispute period.' } },
    R4: r4
      ? { level: 'high', why: { it: 'La configurazione non garantisce una scelta libera (vedi i punti di attenzione).', en: 'The configuration does not ensure a free choice (see the points of attention).' } }
      : { level: 'low', why: { it: 'Base giuridica diversa dal consenso e alternativa di pari valore sempre disponibile.', en: 'A legal basis other than consent and an alternative of equal standing, always available.' } },
    R5: {
      level: groups && groups.ratio.value > 1.25 ? 'medium' : 'low',
      why:
        groups && groups.ratio.value > 1.25
          ? {
              it: `Le donne sono rifiutate ${formats('it').decimal(groups.ratio.value)} volte più spesso degli uomini (sezione 5); l’effetto è attenuato dal nuovo tentativo, dall’alternativa e dalla verifica umana, non eliminato.`,
              en: `Women are rejected ${formats('en').decimal(groups.ratio.value)} times as often as men (section 5); retry, the alternative and the human check soften the effect, they do not remove it.`,
            }
          : { it: 'Errori misurati bassi; nuovo tentativo, alternativa e verifica umana.', en: 'Low measured errors; retry, alternative and human check.' },
    },
    R6:
      policies.liveness === 'off'
        ? { level: 'high', why: { it: 'Senza verifica di vitalità una foto basta a superare la verifica.', en: 'Without liveness a photo is enough to pass.' } }
        : {
            level: 'medium',
            why: {
              it: 'Nessun browser può dimostrare che il proprio codice non è stato manomesso: l’esito è prova di presenza, non prova d’esame; la verifica del docente resta il presidio.',
              en: 'No browser can prove its code was not tampered with: the outcome is attendance evidence, not exam-grade proof; the teacher’s check remains the backstop.',
            },
          },
    R7: { level: 'low', why: { it: 'Informativa a due livelli coerente con l’interfaccia, generata dalla configurazione.', en: 'A two-layer notice consistent with the UI, generated from the configuration.' } },
    R8: { level: 'low', why: { it: 'Esiti firmati e monouso, registro a catena di hash verificabile.', en: 'Signed single-use outcomes, a verifiable hash-chained log.' } },
  };
}

function verificationRows(ctx: DocumentContext, v: VerificationFacts): string[][] {
  const f = formats(ctx.lang);
  const dataset = datasetName(ctx, v);
  const rows = [
    [pick(ctx.lang, { it: `Rifiuti falsi (stessa persona rifiutata), ${dataset}`, en: `False rejects (same person rejected), ${dataset}` }), f.rate(v.falseRejects), f.source(v.source)],
    [pick(ctx.lang, { it: `Accettazioni false (persone diverse accettate), ${dataset}`, en: `False accepts (different people accepted), ${dataset}` }), f.rate(v.falseAccepts), f.source(v.source)],
  ];
  if (v.checkProbeFalseRejects) {
    rows.push([pick(ctx.lang, { it: `Rifiuti falsi con il confronto di una verifica (3 fotogrammi), ${dataset}`, en: `False rejects with a check’s comparison (3 frames), ${dataset}` }), f.rate(v.checkProbeFalseRejects), f.source(v.source)]);
  }
  return rows;
}

function datasetName(ctx: DocumentContext, v: VerificationFacts): string {
  const f = formats(ctx.lang);
  const pairs = f.number(v.falseRejects.trials + v.falseAccepts.trials);
  if (v.dataset === 'lfw') return pick(ctx.lang, { it: `LFW (Labeled Faces in the Wild), View 2, fold 1–${v.folds}, ${pairs} coppie di foto`, en: `LFW (Labeled Faces in the Wild), View 2, folds 1–${v.folds}, ${pairs} photo pairs` });
  if (v.dataset === 'deepface') return pick(ctx.lang, { it: `coppie dei test della libreria deepface, ${pairs} coppie`, en: `the deepface library’s test pairs, ${pairs} pairs` });
  return pick(ctx.lang, { it: `insieme ${v.dataset}, ${pairs} coppie`, en: `set ${v.dataset}, ${pairs} pairs` });
}

function performanceSection(ctx: DocumentContext): Section {
  const { facts, lang, config } = ctx;
  const f = formats(lang);
  const v = facts.verification;
  const head = pick(lang, { it: ['Indicatore', 'Valore', 'Fonte e data'], en: ['Metric', 'Value', 'Source and date'] });
  const rows = [...verificationRows(ctx, v), ...(facts.verificationSecondSet ? verificationRows(ctx, facts.verificationSecondSet) : [])];
  const sections: Section[] = [];
  if (v.groups) {
    const g = v.groups;
    sections.push({
      id: 'performance-groups',
      title: pick(lang, { it: 'Rifiuti falsi per genere', en: 'False rejects by gender' }),
      blocks: [
        {
          table: {
            caption: pick(lang, { it: `Rifiuti falsi per genere alla soglia ${f.decimal(v.threshold)}, ${datasetName(ctx, v)} (${f.source(v.source)})`, en: `False rejects by gender at threshold ${f.decimal(v.threshold)}, ${datasetName(ctx, v)} (${f.source(v.source)})` }),
            head: pick(lang, { it: ['Gruppo', 'Rifiuti falsi'], en: ['Group', 'False rejects'] }),
            rows: [
              [pick(lang, { it: 'Donne', en: 'Women' }), f.rate(g.women)],
              [pick(lang, { it: 'Uomini', en: 'Men' }), f.rate(g.men)],
              [pick(lang, { it: 'Rapporto donne/uomini (intervallo bootstrap al 95%)', en: 'Ratio women/men (95% bootstrap interval)' }), `${f.decimal(g.ratio.value)} (${f.decimal(g.ratio.low)}–${f.decimal(g.ratio.high)})`],
            ],
          },
        },
        {
          p: pick(lang, {
            it: 'Le etichette di genere di LFW sono binarie, di terzi e non verificate; nessun insieme disponibile ha etichette di colore della pelle o di età, per cui i tassi per questi gruppi non sono noti. Gli studenti sono più giovani dei personaggi pubblici di LFW e sono ripresi da webcam.',
            en: 'LFW’s gender labels are binary, third-party and unverified; no set available has skin-tone or age labels, so the rates for those groups are unknown. Students are younger than LFW’s public figures and are seen through webcams.',
          }),
        },
      ],
    });
  }
  const l = facts.liveness;
  const policyRow = (name: 'passive' | 'active' | 'both', p: LivenessPolicyFacts) => [
    `${pick(lang, LIVENESS_NAME[name])}${name === config.policies.liveness ? pick(lang, { it: ' (configurata)', en: ' (configured)' }) : ''}`,
    f.rate(p.attacksPassed),
    f.rate(p.liveRejected),
  ];
  sections.push({
    id: 'performance-liveness',
    title: pick(lang, { it: 'Verifica di vitalità', en: 'Liveness' }),
    blocks: [
      {
        table: {
          caption: pick(lang, {
            it: `Attacchi superati e persone reali rifiutate per politica, ${f.number(l.samples.live)} campioni reali e ${f.number(l.samples.attacks)} di attacco (foto stampate, schermi), ${f.number(l.trials)} prove per clip (${f.source(l.source)}; campioni: ${f.source(l.samples.source)})`,
            en: `Attacks passed and live people rejected per policy, ${f.number(l.samples.live)} live and ${f.number(l.samples.attacks)} attack samples (prints, screens), ${f.number(l.trials)} runs per clip (${f.source(l.source)}; samples: ${f.source(l.samples.source)})`,
          }),
          head: pick(lang, { it: ['Politica', 'Attacchi superati', 'Persone reali rifiutate'], en: ['Policy', 'Attacks passed', 'Live people rejected'] }),
          rows: [policyRow('passive', l.policies.passive), policyRow('active', l.policies.active), policyRow('both', l.policies.both)],
        },
      },
      {
        p: pick(lang, {
          it: 'I campioni sono pochi e pubblici: queste cifre non sono tassi certificati di attacco di presentazione (ISO/IEC 30107-3 richiede campioni molto più numerosi). Le clip di persone reali sono registrazioni e non possono eseguire i gesti quando vengono chiesti: i rifiuti delle politiche con gesti nascono in parte da questo e non stimano il tasso per uno studente che segue le istruzioni. Chi non riesce a fare un gesto può chiederne un altro o usare l’alternativa.',
          en: 'The samples are few and public: these figures are not certified presentation-attack rates (ISO/IEC 30107-3 needs far more samples). The live clips are recordings and cannot make the gestures when asked: the rejections of the policies with gestures come partly from this and do not estimate the rate for a student who follows the prompts. A student who cannot make a gesture can ask for another one or use the alternative.',
        }),
      },
    ],
  });
  if (config.policies.identityDocument !== 'off' && facts.idDocument) {
    const d = facts.idDocument;
    sections.push({
      id: 'performance-id-document',
      title: pick(lang, { it: 'Confronto con il documento d’identità', en: 'Identity document match' }),
      blocks: [
        {
          table: {
            caption: pick(lang, { it: `Documenti sintetici costruiti da coppie LFW, soglia ${f.decimal(d.threshold)} (${f.source(d.source)})`, en: `Synthesised cards built from LFW pairs, threshold ${f.decimal(d.threshold)} (${f.source(d.source)})` }),
            head: pick(lang, { it: ['Indicatore', 'Valore'], en: ['Metric', 'Value'] }),
            rows: [
              [pick(lang, { it: 'Documenti della stessa persona non riconosciuti', en: 'Cards of the same person not matched' }), f.rate(d.falseRejects)],
              [pick(lang, { it: 'Documenti di altre persone accettati', en: 'Cards of other people matched' }), f.rate(d.falseAccepts)],
            ],
          },
        },
        {
          p: pick(lang, {
            it: 'Il confronto con il documento non riconosce una parte dei documenti autentici (tabella sopra): un esito «non corrisponde» non può da solo fondare alcuna decisione sullo studente e va sempre seguito dall’approvazione di una persona.',
            en: 'The document match misses a share of genuine cards (table above): a “not matched” result cannot by itself ground any decision on the student and must always be followed by a person’s approval.',
          }),
        },
      ],
    });
  }
  return {
    id: 'performance',
    title: pick(lang, { it: '5. Prestazioni misurate', en: '5. Measured performance' }),
    blocks: [
      {
        p: pick(lang, {
          it: `Cifre lette dai file dei risultati dei banchi di prova del progetto, non trascritte a mano; misurate su foto singole alla soglia distribuita (${f.decimal(v.threshold)}). Una verifica reale confronta la media di 3 fotogrammi con quella di 5 fotogrammi di registrazione.`,
          en: `Figures read from the project’s benchmark result files, not typed by hand; measured on single photos at the shipped threshold (${f.decimal(v.threshold)}). A real check compares the mean of 3 frames with the mean of 5 enrollment frames.`,
        }),
      },
      { table: { caption: pick(lang, { it: 'Verifica uno a uno', en: 'One-to-one verification' }), head, rows } },
    ],
    sections,
  };
}

/** The DPIA draft. */
export function dpiaDocument(ctx: DocumentContext): ComplianceDocument {
  const { config, lang, findings } = ctx;
  const f = formats(lang);
  const ms = measures(ctx);
  const res = residual(ctx);
  const art = (refs: readonly string[]) => refs.map((r) => article(lang, r)).join('; ');
  const levelOf = (l: Level) => pick(lang, LEVEL[l]);
  const highResidual = Object.values(res).some((r) => r.level === 'high');

  const description: Section = {
    id: 'description',
    title: pick(lang, { it: '1. Descrizione sistematica del trattamento', en: '1. Systematic description of the processing' }),
    blocks: [],
    sections: [
      {
        id: 'description-purpose',
        title: pick(lang, { it: 'Finalità e contesto', en: 'Purpose and context' }),
        blocks: [
          { p: pick(lang, { it: `Finalità: ${config.course.purpose.it}`, en: `Purpose: ${config.course.purpose.en}` }) },
          {
            p: pick(lang, {
              it: `Durante le lezioni in diretta del corso «${config.course.name}» (dal ${f.date(config.course.start)} al ${f.date(config.course.end)}) il browser dello studente conferma che davanti alla fotocamera c’è la persona che si è registrata su quel dispositivo. Le verifiche avvengono ${TRIGGER[config.policies.checks.trigger].it}, al massimo ${config.policies.checks.perLesson} per lezione.`,
              en: `During the live lessons of the course “${config.course.name}” (${f.date(config.course.start)} to ${f.date(config.course.end)}) the student’s browser confirms that the person in front of the camera is the one who enrolled on that device. Checks happen ${TRIGGER[config.policies.checks.trigger].en}, at most ${config.policies.checks.perLesson} per lesson.`,
            }),
          },
          {
            p: pick(lang, {
              it: 'Interessati: gli studenti iscritti al corso (anche minori di età, se iscritti); i docenti e i revisori che usano il servizio. Gli studenti sono in una posizione di squilibrio rispetto all’ente.',
              en: 'Data subjects: the students enrolled in the course (minors too, if enrolled); the teachers and auditors who use the service. Students are in a position of imbalance towards the institution.',
            }),
          },
        ],
      },
      {
        id: 'description-flow',
        title: pick(lang, { it: 'Flusso dei dati', en: 'Data flow' }),
        blocks: [
          {
            list: pick(lang, {
              it: [
                'Registrazione (una volta per corso): il browser acquisisce 5 fotogrammi validi e, con la vitalità, un battito di ciglia; nel Web Worker calcola il template, lo cifra e lo conserva nell’archivio del browser fino alla fine del corso; crea una coppia di chiavi del dispositivo e invia al servizio solo la chiave pubblica firmata e un identificativo pseudonimo.',
                'Verifica: il servizio invia un codice monouso; il browser acquisisce 3 fotogrammi validi, esegue la verifica di vitalità, confronta con il template e firma l’esito (superata, non superata, non conclusa, con il motivo). Al servizio arriva solo l’esito firmato.',
                'Il servizio verifica la firma, registra l’esito e lo mostra al docente. Un esito non superato porta a un nuovo tentativo, poi all’alternativa e a una verifica da parte del docente.',
                'Non lasciano mai il dispositivo: immagini, punti del volto, vettori biometrici, template, punteggi di somiglianza.',
              ],
              en: [
                'Enrollment (once per course): the browser captures 5 good frames and, with liveness, a blink; in the Web Worker it computes the template, encrypts it and stores it in the browser’s storage until the course end; it creates a device key pair and sends the service only the signed public key and a pseudonymous id.',
                'Check: the service sends a single-use code; the browser captures 3 good frames, runs liveness, compares with the template and signs the outcome (pass, fail, inconclusive, with the reason). The service receives only the signed outcome.',
                'The service verifies the signature, records the outcome and shows it to the teacher. A failed outcome leads to a retry, then to the alternative and a check by the teacher.',
                'Never leaving the device: images, facial landmarks, biometric vectors, the template, similarity scores.',
              ],
            }),
          },
          {
            p: pick(lang, {
              it: `Verifica di vitalità: ${LIVENESS[config.policies.liveness].it}. Documento d’identità: ${ID_DOCUMENT[config.policies.identityDocument].it}.`,
              en: `Liveness: ${LIVENESS[config.policies.liveness].en}. Identity document: ${ID_DOCUMENT[config.policies.identityDocument].en}.`,
            }),
          },
          {
            p: pick(lang, {
              it: `Il servizio presenze è raggiungibile a ${config.hosting.serviceUrl}, gestito da ${config.hosting.provider}${config.hosting.providerIsProcessor ? ' come responsabile del trattamento (art. 28 GDPR)' : ''}, con i dati conservati ${LOCATION[config.hosting.location].it} (database ${config.hosting.database === 'postgresql' ? 'PostgreSQL' : 'SQLite'}).`,
              en: `The attendance service is reached at ${config.hosting.serviceUrl}, run by ${config.hosting.provider}${config.hosting.providerIsProcessor ? ' as processor (GDPR art. 28)' : ''}, with its data stored ${LOCATION[config.hosting.location].en} (${config.hosting.database === 'postgresql' ? 'PostgreSQL' : 'SQLite'} database).`,
            }),
          },
        ],
      },
      {
        id: 'description-data',
        title: pick(lang, { it: 'Dati, luoghi e tempi di conservazione', en: 'Data, places and retention' }),
        blocks: [
          {
            table: {
              caption: pick(lang, { it: 'Calendario di conservazione (dettaglio nel documento dedicato)', en: 'Retention schedule (detail in its own document)' }),
              head: pick(lang, { it: ['Dato', 'Dove', 'Fino a', 'Come'], en: ['Data', 'Where', 'Until', 'How'] }),
              rows: retentionRows(ctx).map((r) => [r.data, r.where, r.until, r.how]),
            },
          },
        ],
      },
      {
        id: 'description-why-dpia',
        title: pick(lang, { it: 'Perché serve una valutazione d’impatto', en: 'Why an impact assessment is required' }),
        blocks: [
          {
            p: pick(lang, {
              it: 'Il trattamento riguarda dati biometrici destinati a confermare l’identità (art. 9), di interessati vulnerabili (studenti), con una tecnologia innovativa e un monitoraggio sistematico: ricorrono più criteri delle linee guida WP248 e dell’elenco del Garante (provvedimento n. 467 dell’11 ottobre 2018), quindi la valutazione è obbligatoria (art. 35). Il Garante, con il provvedimento del 29 gennaio 2026, ha sanzionato un’università telematica anche per averla omessa.',
              en: 'The processing concerns biometric data used to confirm identity (art. 9), of vulnerable data subjects (students), with an innovative technology and systematic monitoring: several criteria of the WP248 guidelines and of the Garante’s list (decision no. 467 of 11 October 2018) apply, so the assessment is mandatory (art. 35). With its decision of 29 January 2026 the Garante fined an online university also for omitting it.',
            }),
          },
        ],
      },
    ],
  };

  const necessity: Section = {
    id: 'necessity',
    title: pick(lang, { it: '2. Necessità e proporzionalità', en: '2. Necessity and proportionality' }),
    blocks: [
      {
        list: [
          pick(lang, { it: `Base giuridica: ${legalBasisText(ctx)}.`, en: `Legal basis: ${legalBasisText(ctx)}.` }),
          pick(lang, {
            it: 'La norma nazionale citata deve indicare i tipi di dati, le operazioni eseguibili e il motivo di interesse pubblico rilevante (art. 2-sexies, comma 1, Codice privacy): il RPD verifichi che lo faccia per la rilevazione biometrica della frequenza.',
            en: 'The national provision cited must specify the types of data, the operations and the reason of substantial public interest (art. 2-sexies(1) of the Italian Privacy Code): the DPO should verify that it does so for biometric attendance checks.',
          }),
          pick(lang, {
            it: 'Minimizzazione (art. 5, par. 1, lett. c): al titolare arriva un esito, non un dato biometrico; il template resta cifrato sul dispositivo dello studente.',
            en: 'Data minimisation (art. 5(1)(c)): the controller receives an outcome, not a biometric trait; the template stays encrypted on the student’s device.',
          }),
          pick(lang, {
            it: `Limitazione della conservazione (art. 5, par. 1, lett. e): template fino al ${f.date(config.course.end)}, dati di presenza fino al ${f.date(config.retention.attendanceUntil)} (${disputeClause(ctx)}).`,
            en: `Storage limitation (art. 5(1)(e)): template until ${f.date(config.course.end)}, attendance data until ${f.date(config.retention.attendanceUntil)} (${disputeClause(ctx)}).`,
          }),
          config.policies.alternative.offered
            ? pick(lang, {
                it: `Alternativa non biometrica di pari valore, descritta allo studente così: «${config.policies.alternative.description.it}» Rifiutare la verifica del volto non incide sulla frequenza.`,
                en: `A non-biometric alternative of equal standing, described to the student as: “${config.policies.alternative.description.en}” Refusing the face check does not affect attendance.`,
              })
            : pick(lang, { it: 'Alternativa non biometrica: non offerta (vedi i punti di attenzione).', en: 'Non-biometric alternative: not offered (see the points of attention).' }),
          pick(lang, {
            it: 'Correttezza e trasparenza (art. 5, par. 1, lett. a): informativa a due livelli, coerente con i testi dell’interfaccia; nessuna decisione basata unicamente sul trattamento automatizzato (art. 22): un esito negativo porta a una verifica umana.',
            en: 'Fairness and transparency (art. 5(1)(a)): a two-layer notice consistent with the UI texts; no decision based solely on automated processing (art. 22): a negative outcome leads to a human check.',
          }),
          pick(lang, {
            it: 'Protezione fin dalla progettazione e per impostazione predefinita (art. 25): le misure della sezione 4 sono nel codice e verificate da test, non affidate a istruzioni.',
            en: 'Data protection by design and by default (art. 25): the measures of section 4 are in the code and verified by tests, not left to instructions.',
          }),
          pick(lang, {
            it: 'Diritti degli interessati: accesso, rettifica, cancellazione, limitazione e opposizione (artt. 15–18 e 21) tramite il RPD; lo studente può cancellare direttamente il template dal dispositivo, anche solo cancellando i dati del sito nel browser.',
            en: 'Data subjects’ rights: access, rectification, erasure, restriction and objection (arts. 15–18 and 21) through the DPO; the student can delete the template from the device directly, even just by clearing the site’s data in the browser.',
          }),
        ],
      },
    ],
  };

  const risks: Section = {
    id: 'risks',
    title: pick(lang, { it: '3. Rischi per i diritti e le libertà degli studenti', en: '3. Risks to the students’ rights and freedoms' }),
    blocks: [
      {
        table: {
          caption: pick(lang, { it: 'Rischi individuati, con il livello prima delle misure', en: 'Risks identified, with their level before the measures' }),
          head: pick(lang, { it: ['Rischio', 'Descrizione', 'Impatto sugli interessati', 'Livello iniziale'], en: ['Risk', 'Description', 'Impact on data subjects', 'Inherent level'] }),
          rows: RISKS.map((r) => [r.id, pick(lang, r.title), pick(lang, r.impact), levelOf(r.inherent)]),
        },
      },
    ],
  };

  const measuresSection: Section = {
    id: 'measures',
    title: pick(lang, { it: '4. Misure previste', en: '4. Measures' }),
    blocks: [
      {
        p: pick(lang, {
          it: 'Ogni misura di Presenza è collegata ai rischi che tratta e agli articoli del GDPR che la fondano (tra questi, quelli citati dal provvedimento del Garante: artt. 5, par. 1, lett. a), c) ed e), 6, 9, 25 e 35).',
          en: 'Each Presenza measure is mapped to the risks it treats and to the GDPR articles behind it (among them those the Garante’s decision cites: arts. 5(1)(a), (c) and (e), 6, 9, 25 and 35).',
        }),
      },
      {
        table: {
          caption: pick(lang, { it: 'Misure, rischi trattati, articoli e verifiche', en: 'Measures, risks treated, articles and how each is verified' }),
          head: pick(lang, { it: ['Misura', 'Descrizione', 'Rischi', 'Articoli GDPR', 'Come è verificata'], en: ['Measure', 'Description', 'Risks', 'GDPR articles', 'How it is verified'] }),
          rows: ms.map((m) => [m.id, pick(lang, m.title), m.risks.join(', '), art(m.articles), pick(lang, m.evidence)]),
        },
      },
    ],
  };

  const residualSection: Section = {
    id: 'residual',
    title: pick(lang, { it: '6. Rischio residuo e conclusioni', en: '6. Residual risk and conclusions' }),
    blocks: [
      {
        table: {
          caption: pick(lang, { it: 'Rischio residuo proposto, dopo le misure (da confermare da parte del RPD)', en: 'Proposed residual risk, after the measures (for the DPO to confirm)' }),
          head: pick(lang, { it: ['Rischio', 'Misure', 'Livello residuo', 'Motivazione'], en: ['Risk', 'Measures', 'Residual level', 'Reason'] }),
          rows: RISKS.map((r) => [
            `${r.id} ${pick(lang, r.title)}`,
            ms
              .filter((m) => m.risks.includes(r.id))
              .map((m) => m.id)
              .join(', '),
            levelOf(res[r.id].level),
            pick(lang, res[r.id].why),
          ]),
        },
      },
      {
        p: highResidual
          ? pick(lang, {
              it: 'Con questa configurazione almeno un rischio resta alto: il trattamento non dovrebbe iniziare finché la configurazione non è corretta; altrimenti il titolare deve consultare il Garante prima di iniziare (art. 36).',
              en: 'With this configuration at least one risk stays high: the processing should not start until the configuration is corrected; otherwise the controller must consult the Garante before starting (art. 36).',
            })
          : pick(lang, {
              it: 'Con questa configurazione nessun rischio residuo risulta alto; la consultazione preventiva del Garante (art. 36) non appare necessaria, salvo diversa valutazione del RPD.',
              en: 'With this configuration no residual risk is high; prior consultation of the Garante (art. 36) does not appear necessary, unless the DPO assesses otherwise.',
            }),
      },
      {
        p: pick(lang, {
          it: 'Prima dell’adozione vanno aggiunti a questa bozza il parere del RPD (art. 35, par. 2), l’eventuale parere degli interessati o dei loro rappresentanti (art. 35, par. 9) e la decisione del titolare; la valutazione va riesaminata a ogni modifica della configurazione o di Presenza e almeno una volta per anno accademico.',
          en: 'Before adoption, the DPO’s advice (art. 35(2)), the views of the data subjects or their representatives where sought (art. 35(9)) and the controller’s decision must be added to this draft; the assessment must be reviewed at every change of the configuration or of Presenza, and at least once per academic year.',
        }),
      },
    ],
    sections: [
      {
        id: 'attention',
        title: pick(lang, { it: 'Punti di attenzione della configurazione', en: 'Points of attention in the configuration' }),
        blocks: findings.length
          ? [{ list: findings.map((x) => `${x.path}: ${pick(lang, x.reason)}`) }]
          : [{ p: pick(lang, { it: 'Nessuna delle impostazioni ritenute illecite o rischiose dal provvedimento del Garante è presente.', en: 'None of the settings the Garante’s decision found unlawful or risky is present.' }) }],
      },
    ],
  };

  return {
    id: 'dpia',
    lang,
    title: pick(lang, { it: 'Valutazione d’impatto sulla protezione dei dati (DPIA): verifica della presenza con Presenza', en: 'Data protection impact assessment (DPIA): presence checks with Presenza' }),
    draftNotice: pick(lang, DRAFT_NOTICE),
    meta: metaLines(ctx),
    sections: [description, necessity, risks, measuresSection, performanceSection(ctx), residualSection],
  };
}
