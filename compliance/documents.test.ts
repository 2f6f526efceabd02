import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOGUES } from '../src/ui/i18n/index.js';
import { DEFAULT_MATCH_THRESHOLD } from '../workers/stages/compareTemplates.js';
import { DEPLOYMENT_CONFIG_SCHEMA_FILE, parseDeploymentConfig, type DeploymentConfig, type DocumentLanguage } from './config.js';
import { renderHtml, renderMarkdown, type Block, type ComplianceDocument, type Section } from './document.js';
import { DECISION_ARTICLES } from './documents/dpia.js';
import { noticeFingerprint } from './documents/notice.js';
import { BENCH_FILES, BenchResultsError, DEFAULT_BENCH_DIR, readMeasuredFacts } from './facts.js';
import { complianceDocuments, noticePage, withNoticeApproved } from './generate.js';

const LANGS: DocumentLanguage[] = ['it', 'en'];
const EXAMPLE = JSON.parse(readFileSync(new URL('./example.config.json', import.meta.url), 'utf8')) as Record<string, any>;
const facts = readMeasuredFacts();
/** The fingerprint of the example's notice text (an approval does not change the text). */
const EXAMPLE_NOTICE_FINGERPRINT = noticeFingerprint({ config: parseDeploymentConfig(EXAMPLE), facts, lang: 'it', findings: [] });

function configWith(edit: (c: Record<string, any>) => void = () => {}): DeploymentConfig {
  const c = structuredClone(EXAMPLE);
  edit(c);
  return parseDeploymentConfig(c);
}

/** Every document in both renderings, by id. */
function rendered(config: DeploymentConfig, lang: DocumentLanguage, measured = facts): Record<string, { md: string; html: string }> {
  return Object.fromEntries(complianceDocuments(config, measured, lang).map((d) => [d.id, { md: renderMarkdown(d), html: renderHtml(d) }]));
}

/** A copy of the bench results whose JSON files the test may change. */
function benchCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'presenza-bench-'));
  for (const file of Object.values(BENCH_FILES)) copyFileSync(join(DEFAULT_BENCH_DIR, file), join(dir, file));
  return dir;
}

function editJson(dir: string, file: string, edit: (j: any) => void) {
  const json = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  edit(json);
  writeFileSync(join(dir, file), JSON.stringify(json));
}

/** The text of an HTML page: tags dropped, entities read. */
const htmlText = (html: string) => html.replace(/<[^>]+>/g, '').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

const shape = (sections: readonly Section[]): unknown => sections.map((s) => ({ id: s.id, blocks: s.blocks.map((b: Block) => Object.keys(b)[0]), sections: shape(s.sections ?? []) }));

describe('compliance documents', () => {
  it('writes the four documents in both languages with the same sections', () => {
    const it_ = complianceDocuments(configWith(), facts, 'it');
    const en = complianceDocuments(configWith(), facts, 'en');
    expect(it_.map((d) => d.id)).toEqual(['dpia', 'notice', 'record', 'retention']);
    expect(it_.map((d) => shape(d.sections))).toEqual(en.map((d) => shape(d.sections)));
    expect(renderMarkdown(it_[0]!)).not.toEqual(renderMarkdown(en[0]!));
  });

  it.each(LANGS)('each document (%s) opens by saying it is a draft for the DPO, not legal advice', (lang) => {
    for (const [id, { md, html }] of Object.entries(rendered(configWith(), lang))) {
      const draft = lang === 'it' ? /bozza[^.]*RPD[^.]*\. Non è una consulenza legale/i : /draft[^.]*DPO[^.]*\. It is not legal advice/i;
      expect(md.split('\n').slice(0, 4).join('\n'), id).toMatch(draft);
      expect(html, id).toMatch(draft);
    }
  });

  it.each(LANGS)('leaves no placeholder or missing value (%s), with every finding on too', (lang) => {
    const risky = configWith((c) => {
      c.legalBasis.article6 = 'consent';
      c.legalBasis.article9 = 'explicit_consent';
      delete c.legalBasis.nationalProvision;
      c.policies.liveness = 'off';
      c.policies.identityDocument = 'required';
      c.policies.alternative.offered = false;
      c.policies.failedCheckEvidence = 'kept';
      c.retention.attendanceUntil = '2028-01-01';
      c.hosting.location = 'third_country';
      c.hosting.providerIsProcessor = true;
    });
    for (const config of [configWith(), risky]) {
      for (const [id, { md, html }] of Object.entries(rendered(config, lang))) {
        for (const text of [md, html]) expect(text, id).not.toMatch(/\{\w+\}|undefined|NaN|\bnull\b|\[object|TODO|XXX|Infinity/);
      }
    }
    expect(rendered(risky, lang).retention!.md).toContain(lang === 'it' ? 'oltre la fine del corso più 60 giorni' : 'beyond the course end plus 60 days');
    expect(rendered(configWith(), lang).retention!.md).toContain(lang === 'it' ? 'entro la fine del corso più 60 giorni' : 'within the course end plus 60 days');
    const dpia = rendered(risky, lang).dpia!.md;
    for (const code of ['legalBasis/article6', 'retention/attendanceUntil', 'alternative/offered', 'failedCheckEvidence', 'livenessOffReason', 'hosting/location']) expect(dpia).toContain(code);
  });

  it('publishes the notice without the draft statement only when the configuration approves its very text', () => {
    const draft = rendered(configWith(), 'en').notice!.md;
    const fingerprint = /Text fingerprint: ([0-9a-f]{12})\./.exec(draft)![1]!;
    // One fingerprint for both languages: the approval covers the text the students read in either.
    expect(rendered(configWith(), 'it').notice!.md).toContain(`Impronta del testo: ${fingerprint}.`);
    const approve = (c: Record<string, any>) => (c.noticeApproval = { date: '2026-09-20', fingerprint });
    for (const lang of LANGS) {
      const docs = rendered(configWith(approve), lang);
      const draftStatement = lang === 'it' ? /Non è una consulenza legale/ : /It is not legal advice/;
      expect(docs.notice!.md).not.toMatch(draftStatement);
      expect(docs.notice!.html).not.toMatch(draftStatement);
      expect(docs.notice!.html).not.toContain('class="draft"');
      expect(docs.notice!.md).toContain(lang === 'it' ? `approvata dal titolare il 20 settembre 2026 (impronta del testo: ${fingerprint})` : `approved by the controller on September 20, 2026 (text fingerprint: ${fingerprint})`);
      // The DPIA, the record and the retention schedule stay drafts for the DPO, and say the same as before.
      for (const id of ['dpia', 'record', 'retention']) {
        expect(docs[id]!.md, id).toMatch(draftStatement);
        expect(docs[id]!.md, id).toBe(rendered(configWith(), lang)[id]!.md);
      }
    }
    // A configuration that changes the text makes it a draft again; one that changes nothing in it does not.
    const changed = rendered(configWith((c) => (approve(c), (c.course.end = '2027-01-15'))), 'en').notice!.md;
    expect(changed).toMatch(/It is not legal advice/);
    expect(changed).toContain(`The approval of September 20, 2026 was given to another text (fingerprint ${fingerprint})`);
    expect(rendered(configWith((c) => (approve(c), (c.hosting.database = 'sqlite'))), 'en').notice!.md).not.toMatch(/It is not legal advice/);
    // withNoticeApproved (the demo's) names the same fingerprint.
    expect(withNoticeApproved(configWith(), '2026-09-20').noticeApproval).toEqual({ date: '2026-09-20', fingerprint });
  });

  it('gives the service the notice page the UI links to', () => {
    expect(noticePage(configWith(), 'it')).toBe(rendered(configWith(), 'it').notice!.html);
  });

  it('is deterministic for one configuration and one set of results', () => {
    for (const lang of LANGS) expect(rendered(configWith(), lang, readMeasuredFacts())).toEqual(rendered(configWith(), lang, readMeasuredFacts()));
  });

  it('cites the shipped threshold (the bench files are not stale)', () => {
    expect(facts.verification.threshold).toBe(DEFAULT_MATCH_THRESHOLD);
    expect(rendered(configWith(), 'it').dpia!.md).toContain('0,38');
    expect(rendered(configWith(), 'en').dpia!.md).toContain('0.38');
  });

  it('pulls every figure from the bench files, with their dates: a changed file changes the documents', () => {
    const before = { it: rendered(configWith(), 'it').dpia!.md, en: rendered(configWith(), 'en').dpia!.md };
    expect(before.it).toContain('58 su 2.400 (2,42%)');
    expect(before.en).toContain('58 of 2,400 (2.42%)');
    expect(before.it).toContain('26 su 624 (4,17%)');
    expect(before.en).toContain('2.31 (1.21–4.45)');
    expect(before.en).toContain('bench/results/accuracy-lfw-shipped.json, December 2, 2026');
    expect(before.en).toContain('bench/results/liveness-policy.json, December 2, 2026');
    const dir = benchCopy();
    editJson(dir, BENCH_FILES.verification, (j) => {
      j.tar = 0.95;
      j.far = 0.0025;
      j.date = '2027-03-04T10:00:00.000Z';
      j.folds = 9;
      j.check_probes.tar = 0.9;
      j.groups.genuine.female.false_non_matches = 31;
      j.fnmr_ratio = { value: 1.75, low: 1.1, high: 2.6 };
    });
    editJson(dir, BENCH_FILES.verificationSecondSet, (j) => (j.far = 2 / 380));
    editJson(dir, BENCH_FILES.livenessPolicy, (j) => {
      j.summary.both.attacksPassed = 1;
      j.summary.both.liveFailed = 2;
      j.date = '2027-02-01T00:00:00.000Z';
    });
    editJson(dir, BENCH_FILES.livenessSamples, (j) => (j.samples.live = 25));
    const changed = readMeasuredFacts(dir);
    const after = { it: rendered(configWith(), 'it', changed).dpia!.md, en: rendered(configWith(), 'en', changed).dpia!.md };
    expect(after.it).toContain('120 su 2.400 (5,00%)'); // 1 - 0.95 of 2,400 genuine pairs
    expect(after.it).toContain('6 su 2.400 (0,25%)');
    expect(after.it).toContain('240 su 2.400 (10,00%)');
    expect(after.it).toContain('31 su 624 (4,97%)');
    expect(after.it).toContain('1,75 (1,10–2,60)');
    expect(after.en).toContain('2 of 380 (0.53%)');
    expect(after.en).toContain('accuracy-lfw-shipped.json, March 4, 2027');
    expect(after.en).toContain('folds 1–9');
    expect(after.en).toContain('1 of 9 (11.11%)');
    expect(after.en).toContain('2 of 6 (33.33%)');
    expect(after.en).toContain('25 live');
    expect(after.en).toContain('liveness-policy.json, February 1, 2027');
    expect(after.en).toContain('women are rejected 1.75 times'.replace('women', 'Women'));
    expect(after.it).not.toContain('58 su 2.400');
    expect(after.en).not.toContain('accuracy-lfw-shipped.json, December 2, 2026');
  });

  it('cites the identity-document figures only when the document is asked for', () => {
    expect(rendered(configWith(), 'en').dpia!.md).not.toContain(BENCH_FILES.idDocument);
    const md = rendered(configWith((c) => (c.policies.identityDocument = 'optional')), 'en').dpia!.md;
    expect(md).toContain(`bench/results/${BENCH_FILES.idDocument}, December 2, 2026`);
    expect(md).toContain('40 of 240 (16.67%)');
    expect(md).toContain('45 of 57,360');
  });

  it('refuses missing or malformed bench files with a coded error', () => {
    const dir = benchCopy();
    editJson(dir, BENCH_FILES.livenessPolicy, (j) => delete j.summary.both);
    expect(() => readMeasuredFacts(dir)).toThrow(expect.objectContaining({ code: 'ERR_BENCH_FORMAT', file: BENCH_FILES.livenessPolicy }));
    editJson(dir, BENCH_FILES.verification, (j) => (j.date = 'yesterday'));
    expect(() => readMeasuredFacts(dir)).toThrow(BenchResultsError);
    expect(() => readMeasuredFacts(join(dir, 'nowhere'))).toThrow(expect.objectContaining({ code: 'ERR_BENCH_MISSING' }));
  });

  it('maps every measure to the risks it treats and to an article the decision cites', () => {
    for (const lang of LANGS) {
      const dpia = complianceDocuments(configWith((c) => (c.policies.identityDocument = 'required')), facts, lang)[0]!;
      const measures = dpia.sections.find((s) => s.id === 'measures')!.blocks.find((b) => 'table' in b) as Extract<Block, { table: unknown }>;
      expect(measures.table.rows.length).toBe(15);
      const cited = DECISION_ARTICLES.map((a) => (lang === 'en' ? `art. ${a}` : a.replace(/^(\d+)\((\d)\)\(([a-z])\)$/, 'art. $1, par. $2, lett. $3)').replace(/^(\d+)$/, 'art. $1')));
      for (const [id, , risks, articles] of measures.table.rows) {
        expect(risks, id).toMatch(/^R\d(, R\d)*$/);
        expect(cited.some((a) => articles!.split('; ').includes(a)), `${id}: ${articles}`).toBe(true);
      }
      const covered = new Set(measures.table.rows.flatMap((r) => r[2]!.split(', ')));
      expect([...covered].sort()).toEqual(['R1', 'R2', 'R3', 'R4', 'R5', 'R6', 'R7', 'R8']);
    }
  });

  it.each(LANGS)('the first layer of the notice is the UI’s own text (%s)', (lang) => {
    const md = rendered(configWith(), lang).notice!.md;
    const ui = CATALOGUES[lang];
    const plain = md.replace(/\\(.)/g, '$1');
    expect(plain).toContain(ui.noticeTitle);
    expect(plain).toContain(ui.noticeDevice);
    expect(plain).toContain(ui.noticeController.replace('{controller}', EXAMPLE.controller.name));
    expect(plain).toContain(ui.alternativeOffer.replace('{alternative}', EXAMPLE.policies.alternative.description[lang]));
    expect(plain).toContain(ui.noticeRetention.replace('{date}', lang === 'it' ? '29 gennaio 2027' : 'January 29, 2027'));
    expect(plain).toContain(`${ui.fullNotice}: https://presenze.unitelesempio.it/privacy/notice-${lang}.html`);
  });

  // Each configuration value shows up in every document that mentions it.
  const fields: [string, (c: Record<string, any>) => void, Record<DocumentLanguage, string>, string[]][] = [
    ['controller.name', (c) => (c.controller.name = 'Ateneo Nuovo'), { it: 'Ateneo Nuovo', en: 'Ateneo Nuovo' }, ['dpia', 'notice', 'record', 'retention']],
    ['controller.address', (c) => (c.controller.address = 'Corso Italia 7, Milano'), { it: 'Corso Italia 7, Milano', en: 'Corso Italia 7, Milano' }, ['notice', 'record']],
    ['controller.email', (c) => (c.controller.email = 'dati@ateneo.example'), { it: 'dati@ateneo.example', en: 'dati@ateneo.example' }, ['notice', 'record']],
    ['controller.pec', (c) => (c.controller.pec = 'ateneo@pec.example.it'), { it: 'PEC: ateneo@pec.example.it', en: 'PEC): ateneo@pec.example.it' }, ['notice', 'record']],
    ['controller.phone', (c) => (c.controller.phone = '+39 02 9876 5432'), { it: '+39 02 9876 5432', en: '+39 02 9876 5432' }, ['notice', 'record']],
    ['controller.website', (c) => (c.controller.website = 'https://ateneo.example'), { it: 'Sito: https://ateneo.example', en: 'Website: https://ateneo.example' }, ['notice', 'record']],
    ['dpo.pec', (c) => (c.dpo.pec = 'dpo@pec.example.it'), { it: 'dpo@pec.example.it', en: 'dpo@pec.example.it' }, ['notice', 'record']],
    ['dpo.phone', (c) => (c.dpo.phone = '+39 02 1111 2222'), { it: '+39 02 1111 2222', en: '+39 02 1111 2222' }, ['notice', 'record']],
    ['dpo.name', (c) => (c.dpo.name = 'Dott. Luca Bianchi'), { it: 'Dott. Luca Bianchi', en: 'Dott. Luca Bianchi' }, ['notice', 'record']],
    ['dpo.email', (c) => (c.dpo.email = 'dpo@ateneo.example'), { it: 'dpo@ateneo.example', en: 'dpo@ateneo.example' }, ['notice', 'record']],
    ['course.name', (c) => (c.course.name = 'Storia moderna'), { it: 'Storia moderna', en: 'Storia moderna' }, ['dpia', 'notice', 'record', 'retention']],
    ['course.start', (c) => (c.course.start = '2026-11-02'), { it: '2 novembre 2026', en: 'November 2, 2026' }, ['dpia', 'notice', 'record', 'retention']],
    ['course.end', (c) => (c.course.end = '2027-01-15'), { it: '15 gennaio 2027', en: 'January 15, 2027' }, ['dpia', 'notice', 'record', 'retention']],
    ['course.purpose', (c) => (c.course.purpose = { it: 'Frequenza obbligatoria ai laboratori.', en: 'Compulsory lab attendance.' }), { it: 'Frequenza obbligatoria ai laboratori.', en: 'Compulsory lab attendance.' }, ['dpia', 'notice', 'record']],
    ['retention.attendanceUntil', (c) => (c.retention.attendanceUntil = '2027-03-01'), { it: '1 marzo 2027', en: 'March 1, 2027' }, ['dpia', 'notice', 'record', 'retention']],
    ['retention.disputePeriodDays', (c) => (c.retention.disputePeriodDays = 45), { it: '45 giorni', en: '45 days' }, ['dpia', 'notice', 'retention']],
    ['retention.auditLogDays', (c) => (c.retention.auditLogDays = 365), { it: '365 giorni', en: '365 days' }, ['dpia', 'notice', 'record', 'retention']],
    ['legalBasis.nationalProvision', (c) => (c.legalBasis.nationalProvision = 'legge regionale 12/2025'), { it: 'legge regionale 12/2025', en: 'legge regionale 12/2025' }, ['dpia', 'notice', 'record']],
    ['legalBasis.article6', (c) => (c.legalBasis.article6 = 'legal_obligation'), { it: 'lett. c), GDPR', en: 'art. 6(1)(c)' }, ['dpia', 'notice', 'record']],
    ['legalBasis.article9', (c) => ((c.legalBasis.article9 = 'explicit_consent'), delete c.legalBasis.nationalProvision), { it: 'consenso esplicito', en: 'explicit consent' }, ['dpia', 'notice', 'record']],
    ['policies.livenessOffReason', (c) => ((c.policies.liveness = 'off'), (c.policies.livenessOffReason = { it: 'la piattaforma usa la propria verifica', en: 'the platform runs its own check' })), { it: 'la piattaforma usa la propria verifica', en: 'the platform runs its own check' }, ['dpia']],
    ['policies.failedCheckEvidence', (c) => (c.policies.failedCheckEvidence = 'kept'), { it: 'conservate dal titolare secondo una propria procedura', en: 'kept by the controller under its own procedure' }, ['dpia', 'notice', 'retention']],
    ['policies.alternative.offered', (c) => (c.policies.alternative.offered = false), { it: 'non prevede un’alternativa non biometrica', en: 'provides no non-biometric alternative' }, ['notice']],
    ['hosting.providerIsProcessor', (c) => (c.hosting.providerIsProcessor = true), { it: 'responsabile del trattamento (art. 28', en: 'as processor (' }, ['dpia', 'notice', 'record']],
    ['policies.liveness', (c) => (c.policies.liveness = 'passive'), { it: 'solo passiva, cioè un modello anti-spoofing sui fotogrammi, senza gesti', en: 'passive only, that is an anti-spoofing model on the frames, no gestures' }, ['dpia', 'notice']],
    ['policies.identityDocument', (c) => (c.policies.identityDocument = 'optional'), { it: 'immagini del documento d’identità', en: 'identity document images' }, ['dpia', 'notice', 'record', 'retention']],
    ['policies.checks.perLesson', (c) => (c.policies.checks.perLesson = 5), { it: 'al massimo 5 per lezione', en: 'at most 5 per lesson' }, ['dpia', 'notice']],
    ['policies.checks.trigger', (c) => (c.policies.checks.trigger = 'random'), { it: 'avvengono in un momento casuale', en: 'happen at a random moment' }, ['dpia', 'notice']],
    ['policies.alternative.description', (c) => (c.policies.alternative.description = { it: 'rispondi nella chat.', en: 'answer in the chat.' }), { it: 'rispondi nella chat.', en: 'answer in the chat.' }, ['dpia', 'notice']],
    ['hosting.serviceUrl', (c) => (c.hosting.serviceUrl = 'https://att.ateneo.example'), { it: 'https://att.ateneo.example', en: 'https://att.ateneo.example' }, ['dpia', 'notice', 'retention']],
    ['hosting.noticeUrl', (c) => (c.hosting.noticeUrl = 'https://www.ateneo.example/privacy'), { it: 'https://www.ateneo.example/privacy', en: 'https://www.ateneo.example/privacy' }, ['notice']],
    ['hosting.provider', (c) => ((c.hosting.provider = 'Cloud Rossi S.r.l.'), (c.hosting.providerIsProcessor = true)), { it: 'Cloud Rossi S.r.l.', en: 'Cloud Rossi S.r.l.' }, ['dpia', 'notice', 'record']],
    ['hosting.location', (c) => (c.hosting.location = 'eu'), { it: 'nell’Unione europea', en: 'in the European Union' }, ['dpia', 'notice', 'record']],
    ['hosting.database', (c) => (c.hosting.database = 'sqlite'), { it: 'database SQLite', en: 'SQLite database' }, ['dpia']],
    ['noticeApproval.date', (c) => (c.noticeApproval = { date: '2026-09-20', fingerprint: EXAMPLE_NOTICE_FINGERPRINT }), { it: 'approvata dal titolare il 20 settembre 2026', en: 'approved by the controller on September 20, 2026' }, ['notice']],
    ['noticeApproval.fingerprint', (c) => (c.noticeApproval = { date: '2026-09-20', fingerprint: '0123456789ab' }), { it: 'altro testo (impronta 0123456789ab)', en: 'another text (fingerprint 0123456789ab)' }, ['notice']],
  ];
  it('has a case for every value of the schema', () => {
    const schema = JSON.parse(readFileSync(DEPLOYMENT_CONFIG_SCHEMA_FILE, 'utf8')) as { properties: object; $defs: Record<string, object> };
    // Leaves of the schema, a localized text (it and en) counting as one value.
    const leaves = (node: any, path: string): string[] => {
      const resolved = node.$ref ? schema.$defs[node.$ref.split('/').pop()] : node;
      if (node.$ref === '#/$defs/localized' || !(resolved as any).properties) return [path];
      return Object.entries((resolved as any).properties as Record<string, unknown>).flatMap(([key, child]) => leaves(child, path ? `${path}.${key}` : key));
    };
    const values = leaves(schema, '').filter((p) => p !== '$schema' && p !== 'schemaVersion');
    expect(fields.map(([name]) => name).sort()).toEqual(values.sort());
  });

  it.each(fields)('a change of %s shows up in every document that mentions it', (_field, edit, expected, documents) => {
    for (const lang of LANGS) {
      const before = rendered(configWith(), lang);
      const after = rendered(configWith(edit), lang);
      for (const id of ['dpia', 'notice', 'record', 'retention']) {
        // Unescaped and lower-cased: a value may open a sentence in one document and not in another.
        const plain = (s: string) => s.replace(/\\(.)/g, '$1').toLowerCase();
        if (documents.includes(id)) {
          expect(plain(after[id]!.md), `${lang} ${id}`).toContain(expected[lang].toLowerCase());
          expect(plain(htmlText(after[id]!.html)), `${lang} ${id} (HTML)`).toContain(expected[lang].toLowerCase());
          expect(plain(before[id]!.md), `${lang} ${id} already said it`).not.toContain(expected[lang].toLowerCase());
        } else {
          // The list is exact: a document that mentions the value is one the test checks.
          expect(plain(after[id]!.md), `${lang} ${id} mentions it too`).not.toContain(expected[lang].toLowerCase());
        }
      }
    }
  });
});

describe('rendering', () => {
  const doc: ComplianceDocument = {
    id: 'x',
    lang: 'en',
    title: 'A <title> & more',
    draftNotice: 'Draft.',
    meta: ['See https://example.org/a_b.'],
    sections: [{ id: 's', title: 'S', blocks: [{ p: 'a | b * c' }, { table: { caption: 'C', head: ['h1', 'h2'], rows: [['r1', 'x|y']] } }] }],
  };
  it('escapes Markdown and HTML, and links addresses', () => {
    const md = renderMarkdown(doc);
    expect(md).toContain('a \\| b \\* c');
    expect(md).toContain('| r1 | x\\|y |');
    const html = renderHtml(doc);
    expect(html).toContain('<title>A &lt;title&gt; &amp; more</title>');
    expect(html).toContain('<a href="https://example.org/a_b">https://example.org/a_b</a>.');
    expect(html).toContain('<th scope="row">r1</th><td>x|y</td>');
    expect(html).toContain('<html lang="en">');
  });
});
