/** The `enrolled` and `passed` screens, and what happens to the data. */
import type { IdDocumentResult } from '../../protocol/assertion.js';
import type { MessageKey } from '../i18n/index.js';
import { h } from './dom.js';
import { screen, type View, type ViewContext } from './screen.js';

function successView(ctx: ViewContext, state: 'enrolled' | 'passed', ...paragraphs: string[]): View {
  const title = ctx.t(state === 'enrolled' ? 'enrolledTitle' : 'passedTitle');
  return {
    ...screen(state, title, { tone: 'success', icon: 'success' }, ...paragraphs.map((text) => h('p', {}, text))),
    announce: [title, ...paragraphs].join('. ').replace(/\.\./g, '.'),
  };
}

const DOCUMENT_RESULT_TEXTS: Readonly<Record<IdDocumentResult, MessageKey>> = {
  matched: 'enrolledDocumentMatched',
  not_matched: 'enrolledDocumentNotMatched',
  not_run: 'enrolledDocumentNotRun',
};

/**
 * Enrolled: the face data stays on this device until `retainUntil`; when the document was asked
 * for (`idDocument` given), what its comparison found and whether the teacher confirms.
 */
export function enrolledView(ctx: ViewContext, retainUntil: Date, idDocument?: IdDocumentResult): View {
  const body = ctx.t('enrolledBody', { date: new Intl.DateTimeFormat(ctx.lang, { dateStyle: 'long' }).format(retainUntil) });
  return idDocument ? successView(ctx, 'enrolled', ctx.t(DOCUMENT_RESULT_TEXTS[idDocument]), body) : successView(ctx, 'enrolled', body);
}

/** Presence confirmed. */
export function passedView(ctx: ViewContext): View {
  return successView(ctx, 'passed', ctx.t('passedBody'));
}
