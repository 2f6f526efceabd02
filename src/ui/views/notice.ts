/** The `notice` screen: the layered notice before an enrollment. */
import { h } from './dom.js';
import type { MessageKey } from '../i18n/index.js';
import { alternativeOffer, faceOrAlternative, noticeLink } from './choice.js';
import { screen, type View, type ViewContext } from './screen.js';

/**
 * Who, why, where, how long, the identity document (when `withDocument`), the alternative; the
 * full notice link; then the choice.
 */
export function noticeView(ctx: ViewContext, retainUntil: Date, withDocument = false): View {
  const { t } = ctx;
  const date = new Intl.DateTimeFormat(ctx.lang, { dateStyle: 'long' }).format(retainUntil);
  const facts: [MessageKey, string][] = [
    ['noticeControllerLabel', t('noticeController', { controller: ctx.controller })],
    ['noticePurposeLabel', t('noticePurpose', { purpose: ctx.purpose })],
    ['noticeDeviceLabel', t('noticeDevice')],
    ['noticeRetentionLabel', t('noticeRetention', { date })],
    ...(withDocument ? [['noticeDocumentLabel', t('noticeDocument')] as [MessageKey, string]] : []),
    ['noticeAlternativeLabel', alternativeOffer(ctx)],
  ];
  return screen(
    'notice',
    t('noticeTitle'),
    { icon: 'info' },
    h('dl', { class: 'facts' }, ...facts.flatMap(([label, text]) => [h('dt', {}, t(label)), h('dd', {}, text)])),
    noticeLink(ctx),
    ...faceOrAlternative(ctx),
  );
}
