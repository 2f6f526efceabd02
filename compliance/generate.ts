/**
 * Writes the compliance kit for one configuration and language: the DPIA draft, the layered
 * notice, the art. 30 record and the retention schedule, each as Markdown and printable HTML,
 * and as PDF when a Chromium is at hand. The same configuration and benchmark results always give
 * the same files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkConfig } from './check.js';
import type { DeploymentConfig, DocumentLanguage } from './config.js';
import { renderHtml, renderMarkdown, type ComplianceDocument } from './document.js';
import type { DocumentContext } from './documents/common.js';
import { dpiaDocument } from './documents/dpia.js';
import { noticeDocument, noticeFingerprint } from './documents/notice.js';
import { recordDocument, retentionDocument } from './documents/record.js';
import { readMeasuredFacts, type MeasuredFacts } from './facts.js';

/** Every document of the kit, in the order they are written. */
export function complianceDocuments(config: DeploymentConfig, facts: MeasuredFacts, lang: DocumentLanguage): ComplianceDocument[] {
  const ctx: DocumentContext = { config, facts, lang, findings: checkConfig(config) };
  return [dpiaDocument(ctx), noticeDocument(ctx), recordDocument(ctx), retentionDocument(ctx)];
}

/** `dpia-it.md`, `dpia-it.html`, … */
export const documentFileName = (doc: ComplianceDocument, ext: 'md' | 'html' | 'pdf') => `${doc.id}-${doc.lang}.${ext}`;

/** Writes the Markdown and HTML of every document into `outDir`; returns the paths of the HTML files. */
export function writeComplianceKit(config: DeploymentConfig, facts: MeasuredFacts, lang: DocumentLanguage, outDir: string): { docs: ComplianceDocument[]; html: string[]; written: string[] } {
  mkdirSync(outDir, { recursive: true });
  const docs = complianceDocuments(config, facts, lang);
  const written: string[] = [];
  const html: string[] = [];
  for (const doc of docs) {
    const md = join(outDir, documentFileName(doc, 'md'));
    const page = join(outDir, documentFileName(doc, 'html'));
    writeFileSync(md, renderMarkdown(doc));
    writeFileSync(page, renderHtml(doc));
    written.push(md, page);
    html.push(page);
  }
  return { docs, html, written };
}

/**
 * `config` with its notice's current text marked approved on `date` (`noticeApproval`), for a
 * deployment whose notice needs no review: the demo's fictitious university. A real deployer
 * copies the fingerprint into its configuration after its DPO has read that text.
 */
export function withNoticeApproved(config: DeploymentConfig, date: string, facts: MeasuredFacts = readMeasuredFacts()): DeploymentConfig {
  const fingerprint = noticeFingerprint({ config, facts, lang: 'it', findings: checkConfig(config) });
  return { ...config, noticeApproval: { date, fingerprint } };
}

/**
 * The full notice as one HTML page, for the service to publish at its stable address
 * (`/privacy/notice-it.html`, `/privacy/notice-en.html`: see `noticeUrlFor`), which the student UI links to.
 */
export function noticePage(config: DeploymentConfig, lang: DocumentLanguage, facts: MeasuredFacts = readMeasuredFacts()): string {
  return renderHtml(noticeDocument({ config, facts, lang, findings: checkConfig(config) }));
}
