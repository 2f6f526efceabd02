/**
 * The documents' shape (titled sections of paragraphs, lists and tables) and its two renderings:
 * Markdown, and a self-contained printable HTML page. Both come from the same tree, so they say
 * the same thing; the HTML is written for screen readers (landmarks, one h1, captioned tables
 * with header scopes, the document's language).
 */
import type { DocumentLanguage } from './config.js';

/** A paragraph, a bulleted list, or a table whose first column names its rows. */
export type Block =
  | { readonly p: string }
  | { readonly list: readonly string[] }
  | { readonly table: { readonly caption: string; readonly head: readonly string[]; readonly rows: readonly (readonly string[])[] } };

export interface Section {
  /** Anchor, the same in both languages. */
  readonly id: string;
  readonly title: string;
  readonly blocks: readonly Block[];
  readonly sections?: readonly Section[];
}

/** One generated document. */
export interface ComplianceDocument {
  /** File name without extension, the same in both languages. */
  readonly id: string;
  readonly lang: DocumentLanguage;
  readonly title: string;
  /** Says this is a draft for the controller's DPO, not legal advice: shown first. Absent only on a notice the controller approved. */
  readonly draftNotice?: string;
  /** Short lines under the title: controller, course, where the figures come from. */
  readonly meta: readonly string[];
  readonly sections: readonly Section[];
}

const escapeMarkdown = (text: string) => text.replace(/([\\*_[\]<>`|#])/g, '\\$1');

function markdownBlock(block: Block): string {
  if ('p' in block) return escapeMarkdown(block.p);
  if ('list' in block) return block.list.map((item) => `- ${escapeMarkdown(item)}`).join('\n');
  const { caption, head, rows } = block.table;
  const line = (cells: readonly string[]) => `| ${cells.map((c) => escapeMarkdown(c).replace(/\n/g, ' ')).join(' | ')} |`;
  return [`*${escapeMarkdown(caption)}*`, '', line(head), `|${head.map(() => ' --- |').join('')}`, ...rows.map(line)].join('\n');
}

function markdownSection(section: Section, depth: number): string {
  return [`${'#'.repeat(depth)} ${escapeMarkdown(section.title)}`, ...section.blocks.map(markdownBlock), ...(section.sections ?? []).map((s) => markdownSection(s, depth + 1))].join('\n\n');
}

/** The document as Markdown. */
export function renderMarkdown(doc: ComplianceDocument): string {
  return [`# ${escapeMarkdown(doc.title)}`, ...(doc.draftNotice ? [`> **${escapeMarkdown(doc.draftNotice)}**`] : []), doc.meta.map((m) => `${escapeMarkdown(m)}  `).join('\n'), ...doc.sections.map((s) => markdownSection(s, 2))].join('\n\n') + '\n';
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Plain text with its http(s) addresses turned into links. */
const inlineHtml = (text: string) => escapeHtml(text).replace(/https:\/\/[^\s<)]*[^\s<).,;:]/g, (url) => `<a href="${url}">${url}</a>`);

function htmlBlock(block: Block): string {
  if ('p' in block) return `<p>${inlineHtml(block.p)}</p>`;
  if ('list' in block) return `<ul>${block.list.map((item) => `<li>${inlineHtml(item)}</li>`).join('')}</ul>`;
  const { caption, head, rows } = block.table;
  const body = rows.map((row) => `<tr>${row.map((cell, i) => (i === 0 ? `<th scope="row">${inlineHtml(cell)}</th>` : `<td>${inlineHtml(cell)}</td>`)).join('')}</tr>`).join('\n');
  // A wide table scrolls sideways inside its own focusable region on a phone, instead of the whole page.
  return `<div class="table" role="region" aria-label="${escapeHtml(caption)}" tabindex="0">\n<table>\n<caption>${inlineHtml(caption)}</caption>\n<thead><tr>${head.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('')}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>\n</div>`;
}

function htmlSection(section: Section, depth: number): string {
  const level = Math.min(depth, 6);
  return [
    `<section aria-labelledby="${section.id}">`,
    `<h${level} id="${section.id}">${escapeHtml(section.title)}</h${level}>`,
    ...section.blocks.map(htmlBlock),
    ...(section.sections ?? []).map((s) => htmlSection(s, depth + 1)),
    '</section>',
  ].join('\n');
}

const STYLE = `
:root { color: #1a1a1a; background: #fff; font: 11pt/1.5 "DejaVu Serif", Georgia, serif; }
body { max-width: 48rem; margin: 2rem auto; padding: 0 1rem; }
h1, h2, h3, h4 { font-family: "DejaVu Sans", Arial, sans-serif; line-height: 1.25; break-after: avoid; }
h1 { font-size: 1.6rem; margin-bottom: .5rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #666; padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin-top: 1.5rem; }
.draft { border: 2px solid #8a4b00; background: #fff4e5; color: #4d2a00; padding: .6rem .8rem; font-weight: bold; }
.meta { color: #333; font-size: .95rem; }
.meta p { margin: .1rem 0; }
.table { overflow-x: auto; margin: .8rem 0 1.2rem; }
.table:focus-visible { outline: 3px solid #0645ad; outline-offset: 2px; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; break-inside: auto; }
@media (max-width: 40rem) { table { min-width: 36rem; } }
caption { text-align: left; font-style: italic; padding-bottom: .3rem; }
th, td { border: 1px solid #777; padding: .3rem .45rem; text-align: left; vertical-align: top; }
thead th { background: #e8e8e8; }
tbody th { font-weight: 600; background: #f6f6f6; }
tr { break-inside: avoid; }
a { color: #0645ad; }
@page { size: A4; margin: 18mm 16mm; }
@media print { body { margin: 0; max-width: none; } a { color: inherit; } .table { overflow: visible; } table { min-width: 0; } }
`;

/** The document as one printable, self-contained HTML page (no script, no external resource). */
export function renderHtml(doc: ComplianceDocument): string {
  return `<!doctype html>
<html lang="${doc.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(doc.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${escapeHtml(doc.title)}</h1>
${doc.draftNotice ? `<p class="draft" role="note">${escapeHtml(doc.draftNotice)}</p>\n` : ''}<div class="meta">${doc.meta.map((m) => `<p>${inlineHtml(m)}</p>`).join('')}</div>
</header>
<main>
${doc.sections.map((s) => htmlSection(s, 2)).join('\n')}
</main>
</body>
</html>
`;
}
