/**
 * The layered notice (GDPR arts. 12–13, EDPB transparency guidelines): the first layer is the very
 * text the `<presenza-check>` element shows before an enrollment, filled from the configuration
 * through the UI's own catalogue, so the two cannot disagree; the second layer is the full notice.
 */
import { createHash } from 'node:crypto';
import { MAX_RETENTION_MONTHS } from '../../src/protocol/assertion.js';
import { translator } from '../../src/ui/i18n/index.js';
import { templateRetainUntil, uiOptionsFromConfig } from '../config.js';
import type { ComplianceDocument, Section } from '../document.js';
import { ARTICLE6, ID_DOCUMENT, LIVENESS, LOCATION, TRIGGER, DRAFT_NOTICE, controllerContacts, dpoContacts, formats, legalBasisText, metaLines, pick, retentionRows, type DocumentContext } from './common.js';

/** The first layer as the student UI shows it: [label, text] pairs, then the link to the full notice. */
export function firstLayer(ctx: DocumentContext): { title: string; facts: [string, string][]; link: string; checkIntro: string } {
  const ui = uiOptionsFromConfig(ctx.config, ctx.lang);
  const t = translator(ctx.lang, ui.texts);
  // The UI formats the date in the device's time zone; the template's deletion time is chosen so that every zone shows the same day.
  const date = new Intl.DateTimeFormat(ctx.lang, { dateStyle: 'long', timeZone: 'UTC' }).format(templateRetainUntil(ctx.config));
  return {
    title: t('noticeTitle'),
    facts: [
      [t('noticeControllerLabel'), t('noticeController', { controller: ui.controller })],
      [t('noticePurposeLabel'), t('noticePurpose', { purpose: ui.purpose })],
      [t('noticeDeviceLabel'), t('noticeDevice')],
      [t('noticeRetentionLabel'), t('noticeRetention', { date })],
      [t('noticeAlternativeLabel'), t('alternativeOffer', { alternative: t('alternativeDescription') })],
    ],
    link: `${t('fullNotice')}: ${ui.noticeUrl}`,
    checkIntro: t('checkIntro'),
  };
}

/** The notice's title and text: first layer, then the full notice. */
function noticeText(ctx: DocumentContext): { title: string; sections: Section[] } {
  const { config, lang } = ctx;
  const f = formats(lang);
  const layer = firstLayer(ctx);
  const { policies } = config;

  const first: Section = {
    id: 'first-layer',
    title: pick(lang, { it: 'Primo livello: informativa breve nell’interfaccia dello studente', en: 'First layer: the short notice in the student UI' }),
    blocks: [
      {
        p: pick(lang, {
          it: 'Questo è il testo che l’elemento <presenza-check> mostra prima della registrazione, con i valori di questa configurazione. Accanto, con lo stesso rilievo, lo studente sceglie tra la verifica del volto e l’alternativa.',
          en: 'This is the text the <presenza-check> element shows before enrollment, with this configuration’s values. Next to it, with the same weight, the student chooses between the face check and the alternative.',
        }),
      },
      { table: { caption: layer.title, head: pick(lang, { it: ['Voce', 'Testo'], en: ['Item', 'Text'] }), rows: layer.facts } },
      { p: layer.link },
      { p: pick(lang, { it: `Prima di ogni verifica l’interfaccia mostra: «${layer.checkIntro}»`, en: `Before every check the UI shows: “${layer.checkIntro}”` }) },
    ],
  };

  const rights = pick(lang, {
    it: [
      'accedere ai tuoi dati e riceverne copia (art. 15);',
      'farli correggere se inesatti (art. 16) e cancellarli quando non c’è più motivo di conservarli (art. 17);',
      'chiedere la limitazione del trattamento (art. 18);',
      `opporti al trattamento per motivi connessi alla tua situazione particolare (art. 21)${config.legalBasis.article6 === 'consent' ? ' e revocare il consenso in ogni momento (art. 7, par. 3)' : ''};`,
      'cancellare in qualsiasi momento il modello del tuo volto dal dispositivo: basta cancellare i dati di questo sito nel browser;',
      'proporre reclamo al Garante per la protezione dei dati personali, Piazza Venezia 11, 00187 Roma, https://www.garanteprivacy.it (art. 77).',
    ],
    en: [
      'access your data and receive a copy (art. 15);',
      'have them corrected if inaccurate (art. 16) and erased when there is no longer a reason to keep them (art. 17);',
      'ask for the processing to be restricted (art. 18);',
      `object to the processing on grounds relating to your particular situation (art. 21)${config.legalBasis.article6 === 'consent' ? ' and withdraw your consent at any time (art. 7(3))' : ''};`,
      'delete the model of your face from the device at any time: clearing this site’s data in the browser is enough;',
      'lodge a complaint with the Italian data protection authority (Garante per la protezione dei dati personali), Piazza Venezia 11, 00187 Roma, https://www.garanteprivacy.it (art. 77).',
    ],
  });

  const full: Section = {
    id: 'full-notice',
    title: pick(lang, { it: 'Secondo livello: informativa completa (art. 13 GDPR)', en: 'Second layer: the full notice (GDPR art. 13)' }),
    blocks: [],
    sections: [
      { id: 'notice-controller', title: pick(lang, { it: 'Titolare del trattamento', en: 'Data controller' }), blocks: [{ list: controllerContacts(ctx) }] },
      { id: 'notice-dpo', title: pick(lang, { it: 'Responsabile della protezione dei dati (RPD)', en: 'Data Protection Officer (DPO)' }), blocks: [{ list: dpoContacts(ctx) }] },
      {
        id: 'notice-purpose',
        title: pick(lang, { it: 'Finalità e base giuridica', en: 'Purpose and legal basis' }),
        blocks: [
          { p: pick(lang, { it: `Finalità: ${config.course.purpose.it}`, en: `Purpose: ${config.course.purpose.en}` }) },
          { p: pick(lang, { it: `Base giuridica: ${legalBasisText(ctx)}.`, en: `Legal basis: ${legalBasisText(ctx)}.` }) },
          ...(config.legalBasis.article6 === 'consent'
            ? []
            : [
                {
                  p: pick(lang, {
                    it: `Non ti chiediamo il consenso: il trattamento si fonda sull’${ARTICLE6[config.legalBasis.article6].it.split(':')[0]}. Per questo ti informiamo e ti offriamo un’alternativa, invece di chiederti di acconsentire.`,
                    en: `We do not ask for your consent: the processing rests on ${ARTICLE6[config.legalBasis.article6].en.split(':')[0]}. This is why we inform you and offer an alternative, instead of asking you to agree.`,
                  }),
                },
              ]),
        ],
      },
      {
        id: 'notice-how',
        title: pick(lang, { it: 'Come funziona la verifica e quali dati trattiamo', en: 'How the check works and which data we process' }),
        blocks: [
          {
            p: pick(lang, {
              it: `Alla registrazione il tuo browser ricava dal volto un modello biometrico (template), lo cifra e lo conserva solo su quel dispositivo. Durante le lezioni del corso «${config.course.name}» le verifiche avvengono ${TRIGGER[policies.checks.trigger].it}, al massimo ${policies.checks.perLesson} per lezione: il browser confronta il volto davanti alla fotocamera con il template e invia solo l’esito firmato (presente, oppure non confermato, con il motivo). Immagini, dati del volto e punteggi non lasciano mai il dispositivo.`,
              en: `At enrollment your browser derives a biometric model (template) of your face, encrypts it and keeps it only on that device. During the lessons of the course “${config.course.name}” checks happen ${TRIGGER[policies.checks.trigger].en}, at most ${policies.checks.perLesson} per lesson: the browser compares the face in front of the camera with the template and sends only the signed outcome (present, or not confirmed, with the reason). Images, face data and scores never leave the device.`,
            }),
          },
          {
            p: pick(lang, {
              it: `Verifica di vitalità: ${LIVENESS[policies.liveness].it}. I gesti servono solo a questo: non valutiamo attenzione, coinvolgimento o emozioni. Documento d’identità: ${ID_DOCUMENT[policies.identityDocument].it}${policies.identityDocument === 'off' ? '' : '; le immagini del documento sono scartate subito e ne esce solo l’esito del confronto'}.`,
              en: `Liveness: ${LIVENESS[policies.liveness].en}. Gestures serve only this: we do not assess attention, engagement or emotions. Identity document: ${ID_DOCUMENT[policies.identityDocument].en}${policies.identityDocument === 'off' ? '' : '; the document images are dropped at once and only the result of the comparison leaves'}.`,
            }),
          },
          {
            p: pick(lang, {
              it: 'Sul servizio presenze trattiamo: l’identificativo che la piattaforma ti assegna e il nome visualizzato, un identificativo pseudonimo di registrazione e la chiave pubblica di ciascun tuo dispositivo (al massimo tre), l’esito di ogni verifica con il motivo e l’ora, le tue scelte dell’alternativa e le conferme del docente, e un registro delle operazioni con soli identificativi e codici.',
              en: 'On the attendance service we process: the id the platform gives you and your display name, a pseudonymous enrollment id and the public key of each of your devices (at most three), the outcome of each check with its reason and time, your choices of the alternative and the teacher’s confirmations, and an audit log with ids and codes only.',
            }),
          },
        ],
      },
      {
        id: 'notice-choice',
        title: pick(lang, { it: 'La tua scelta: l’alternativa', en: 'Your choice: the alternative' }),
        blocks: [
          {
            p: policies.alternative.offered
              ? pick(lang, {
                  it: `Non sei obbligato a usare la verifica del volto. Puoi scegliere in ogni momento l’alternativa, che vale esattamente allo stesso modo: ${policies.alternative.description.it} Se la verifica non riesce, non conserviamo nulla del tentativo: puoi riprovare, usare l’alternativa o farti verificare dal docente.`,
                  en: `You do not have to use the face check. You can choose the alternative at any time, and it counts exactly the same: ${policies.alternative.description.en} If the check does not succeed, we keep nothing of the attempt: you can retry, use the alternative or be checked by the teacher.`,
                })
              : pick(lang, {
                  it: 'Questa configurazione non prevede un’alternativa non biometrica: rivolgiti al RPD.',
                  en: 'This configuration provides no non-biometric alternative: contact the DPO.',
                }),
          },
          {
            p: pick(lang, {
              it: 'Nessuna decisione che ti riguarda è presa unicamente in modo automatizzato (art. 22): un esito non confermato porta a una verifica da parte di una persona.',
              en: 'No decision about you is taken solely by automated means (art. 22): an outcome that is not confirmed leads to a check by a person.',
            }),
          },
        ],
      },
      {
        id: 'notice-recipients',
        title: pick(lang, { it: 'Chi vede i dati e dove sono', en: 'Who sees the data and where they are' }),
        blocks: [
          {
            p: pick(lang, {
              it: `Il docente vede gli esiti delle verifiche delle sue lezioni, mai un’immagine; i revisori del titolare vedono il registro delle operazioni, non le presenze. Il servizio è gestito da ${config.hosting.provider}${config.hosting.providerIsProcessor ? ', nominato responsabile del trattamento (art. 28)' : ''}; i dati sono conservati ${LOCATION[config.hosting.location].it}. Non comunichiamo i dati ad altri.`,
              en: `The teacher sees the outcomes of the checks of their lessons, never an image; the controller’s auditors see the audit log, not attendance. The service is run by ${config.hosting.provider}${config.hosting.providerIsProcessor ? ', appointed as processor (art. 28)' : ''}; the data are stored ${LOCATION[config.hosting.location].en}. We do not disclose the data to anyone else.`,
            }),
          },
        ],
      },
      {
        id: 'notice-retention',
        title: pick(lang, { it: 'Per quanto tempo', en: 'How long' }),
        blocks: [
          {
            table: {
              caption: pick(lang, { it: 'Dove sono i dati e fino a quando', en: 'Where the data are and until when' }),
              head: pick(lang, { it: ['Dato', 'Dove', 'Fino a'], en: ['Data', 'Where', 'Until'] }),
              rows: retentionRows(ctx).map((r) => [r.data, r.where, r.until]),
            },
          },
          {
            p: pick(lang, {
              it: `Il modello del volto non è mai conservato oltre ${MAX_RETENTION_MONTHS} mesi: Presenza rifiuta una data più lontana. I dati di presenza sono cancellati il ${f.date(config.retention.attendanceUntil)}.`,
              en: `The face model is never kept longer than ${MAX_RETENTION_MONTHS} months: Presenza refuses a later date. Attendance data are deleted on ${f.date(config.retention.attendanceUntil)}.`,
            }),
          },
        ],
      },
      {
        id: 'notice-rights',
        title: pick(lang, { it: 'I tuoi diritti', en: 'Your rights' }),
        blocks: [
          { p: pick(lang, { it: `Puoi esercitarli scrivendo al RPD (${config.dpo.email}). Hai diritto di:`, en: `You can exercise them by writing to the DPO (${config.dpo.email}). You have the right to:` }) },
          { list: rights },
        ],
      },
    ],
  };

  return {
    title: pick(lang, { it: 'Informativa sul trattamento dei dati: verifica della presenza con il volto', en: 'Privacy notice: presence checks with your face' }),
    sections: [first, full],
  };
}

/** The fingerprint of the notice's text in both languages: what `noticeApproval.fingerprint` names. */
export function noticeFingerprint(ctx: DocumentContext): string {
  const texts = (['it', 'en'] as const).map((lang) => noticeText({ ...ctx, lang }));
  return createHash('sha256').update(JSON.stringify(texts)).digest('hex').slice(0, 12);
}

/**
 * The layered notice. It opens with the draft statement unless the configuration's
 * `noticeApproval` names this very text (its fingerprint): the deployer's explicit choice to
 * publish it as approved, which lapses by itself when the configuration or Presenza changes the text.
 */
export function noticeDocument(ctx: DocumentContext): ComplianceDocument {
  const { lang } = ctx;
  const f = formats(lang);
  const { title, sections } = noticeText(ctx);
  const fingerprint = noticeFingerprint(ctx);
  const approval = ctx.config.noticeApproval;
  const approved = approval?.fingerprint === fingerprint;
  const status = approval
    ? approved
      ? pick(lang, {
          it: `Informativa approvata dal titolare il ${f.date(approval.date)} (impronta del testo: ${fingerprint}).`,
          en: `Notice approved by the controller on ${f.date(approval.date)} (text fingerprint: ${fingerprint}).`,
        })
      : pick(lang, {
          it: `L’approvazione del ${f.date(approval.date)} riguarda un altro testo (impronta ${approval.fingerprint}): questo testo (impronta ${fingerprint}) è di nuovo una bozza.`,
          en: `The approval of ${f.date(approval.date)} was given to another text (fingerprint ${approval.fingerprint}): this text (fingerprint ${fingerprint}) is a draft again.`,
        })
    : pick(lang, {
        it: `Impronta del testo: ${fingerprint}. Una volta approvato il testo, indicala con la data in noticeApproval nella configurazione: l’informativa sarà pubblicata senza l’avviso di bozza.`,
        en: `Text fingerprint: ${fingerprint}. Once the text is approved, give it with the date as noticeApproval in the configuration: the notice is then published without the draft statement.`,
      });
  return { id: 'notice', lang, title, ...(approved ? {} : { draftNotice: pick(lang, DRAFT_NOTICE) }), meta: [...metaLines(ctx), status], sections };
}
