/**
 * The few pages the LTI routes answer with, in a browser that may be inside the LMS's iframe:
 * the continuation after a launch, the offer to open Presenza in a new window when the browser
 * keeps no cookie in the frame, and the refusal of a launch. Each says the same thing in Italian
 * and English (the language the browser prefers first), with no script and no inline style
 * (the service's CSP allows neither): plain HTML with the small stylesheet of {@link PAGE_CSS}.
 */

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page languages, Italian first unless the browser prefers English. */
export type PageLanguage = 'it' | 'en';

/** The languages of a page for an `Accept-Language` header: the preferred one first. */
export function pageLanguages(acceptLanguage: unknown): [PageLanguage, PageLanguage] {
  const ranked = String(acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag, ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag: tag!, q: q ? Number(q.slice(2)) || 0 : 1, index };
    })
    .sort((a, b) => b.q - a.q || a.index - b.index);
  const first = ranked.find((r) => r.tag.startsWith('it') || r.tag.startsWith('en'));
  return first?.tag.startsWith('en') ? ['en', 'it'] : ['it', 'en'];
}

/** One page, its sections in the given language order. */
function page(languages: [PageLanguage, PageLanguage], title: Record<PageLanguage, string>, body: (lang: PageLanguage) => string, head = ''): string {
  const [first] = languages;
  return `<!doctype html>
<html lang="${first}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${head}<title>${escapeHtml(title[first])} · Presenza</title>
<link rel="stylesheet" href="/lti/page.css">
</head>
<body>
<main>
${languages.map((lang) => `<section lang="${lang}">\n${body(lang)}\n</section>`).join('\n')}
</main>
</body>
</html>
`;
}

const REGISTERED_TEXTS = {
  it: { title: 'Presenza è registrato nella piattaforma', body: 'Attivalo nelle impostazioni degli strumenti esterni della piattaforma.' },
  en: { title: 'Presenza is registered with the platform', body: 'Enable it in the platform’s external tool settings.' },
};

/** The page ending a Dynamic Registration: registered, in plain words, and `script` (the close message, allowed by its hash). */
export function registeredPage(languages: [PageLanguage, PageLanguage], script: string): string {
  return page(languages, { it: REGISTERED_TEXTS.it.title, en: REGISTERED_TEXTS.en.title }, (lang) => `<h1>${REGISTERED_TEXTS[lang].title}</h1>\n<p>${REGISTERED_TEXTS[lang].body}</p>`, `<script>${script}</script>\n`);
}

/** What a continuation page says: signed in (after a launch), or signing in (during a login). */
const CONTINUE_TEXTS = {
  signedIn: { it: { title: 'Accesso eseguito', link: 'Continua su Presenza' }, en: { title: 'Signed in', link: 'Continue to Presenza' } },
  signingIn: { it: { title: 'Accesso in corso', link: 'Continua' }, en: { title: 'Signing in', link: 'Continue' } },
} as const;

/** A page that continues to `next` on our own origin (meta refresh, and a link). */
export function continuePage(next: string, languages: [PageLanguage, PageLanguage] = ['it', 'en'], kind: keyof typeof CONTINUE_TEXTS = 'signedIn'): string {
  const href = escapeHtml(next);
  const text = CONTINUE_TEXTS[kind];
  return page(
    languages,
    { it: text.it.title, en: text.en.title },
    (lang) => `<p>${text[lang].title}. <a href="${href}">${text[lang].link}</a></p>`,
    `<meta http-equiv="refresh" content="0;url=${href}">\n`,
  );
}

/**
 * The page shown in the LMS's frame when the browser keeps no cookie there, even a partitioned
 * one: Presenza works in a window of its own, where the same sign-in starts again.
 */
export function newWindowPage(restart: string, languages: [PageLanguage, PageLanguage]): string {
  const href = escapeHtml(restart);
  const text = {
    it: {
      title: 'Apri Presenza in una nuova finestra',
      body: 'Il browser non permette a Presenza di ricordare l’accesso dentro la pagina del corso (blocca i cookie di terze parti). In una finestra separata funziona: l’accesso riparte dalla piattaforma del corso.',
      link: 'Apri in una nuova finestra',
    },
    en: {
      title: 'Open Presenza in a new window',
      body: 'Your browser does not let Presenza remember your sign-in inside the course page (it blocks third-party cookies). It works in a window of its own: the sign-in starts again from your course platform.',
      link: 'Open in a new window',
    },
  };
  return page(
    languages,
    { it: text.it.title, en: text.en.title },
    (lang) =>
      `<h1>${text[lang].title}</h1>\n<p>${text[lang].body}</p>\n<p><a class="button" href="${href}" target="_blank" rel="noopener">${text[lang].link}</a></p>`,
  );
}

/** Why a launch was refused, in words for the user: one group of codes each. */
type Reason = 'expired' | 'notSetUp' | 'role' | 'clock' | 'unreachable' | 'platform' | 'cookie' | 'busy' | 'invalid';

const REASONS: Record<string, Reason> = {
  lti_state_unknown: 'expired',
  launch_replayed: 'expired',
  lti_state_cookie: 'cookie',
  lti_not_configured: 'notSetUp',
  lti_untrusted_issuer: 'notSetUp',
  lti_ambiguous_client: 'notSetUp',
  lti_unknown_deployment: 'notSetUp',
  lti_roles: 'role',
  lti_expired: 'clock',
  lti_iat: 'clock',
  lti_jwks_unavailable: 'unreachable',
  lti_platform_error: 'platform',
  rate_limited: 'busy',
};

const REFUSAL_TEXTS: Record<PageLanguage, Record<Reason, string> & { title: string; code: string }> = {
  it: {
    title: 'Non è stato possibile aprire Presenza',
    code: 'Codice per l’assistenza',
    expired: 'Il collegamento di accesso è scaduto o è già stato usato. Torna alla pagina del corso e apri di nuovo l’attività.',
    cookie: 'Il browser non ha conservato il cookie di accesso di Presenza, oppure l’accesso è stato avviato da un’altra finestra. Torna alla pagina del corso e apri di nuovo l’attività.',
    notSetUp: 'Presenza non è configurato per questa piattaforma o per questo corso. Avvisa l’assistenza della piattaforma e comunica il codice qui sotto.',
    role: 'Il tuo ruolo in questo corso non può usare Presenza: lo usano docenti e studenti.',
    clock: 'L’accesso ha richiesto troppo tempo, oppure l’orologio di un server non è corretto. Torna alla pagina del corso e riprova.',
    unreachable: 'Presenza non è riuscito a contattare la piattaforma del corso. Riprova fra qualche minuto.',
    platform: 'La piattaforma del corso non ha completato l’accesso. Accedi alla piattaforma e riprova.',
    busy: 'Troppi accessi in questo momento. Riprova fra un minuto.',
    invalid: 'La piattaforma del corso ha inviato un accesso che Presenza non può accettare. Torna alla pagina del corso e riprova; se succede di nuovo, avvisa l’assistenza della piattaforma e comunica il codice qui sotto.',
  },
  en: {
    title: 'Presenza could not be opened',
    code: 'Code for the support team',
    expired: 'The sign-in link has expired or was already used. Go back to the course page and open the activity again.',
    cookie: 'Your browser did not keep Presenza’s sign-in cookie, or the sign-in was started in another window. Go back to the course page and open the activity again.',
    notSetUp: 'Presenza is not set up for this platform or this course. Tell the platform’s support team and give them the code below.',
    role: 'Your role in this course cannot use Presenza: teachers and students use it.',
    clock: 'The sign-in took too long, or a server’s clock is wrong. Go back to the course page and try again.',
    unreachable: 'Presenza could not reach your course platform. Try again in a few minutes.',
    platform: 'Your course platform did not complete the sign-in. Sign in to the platform and try again.',
    busy: 'Too many sign-ins right now. Try again in a minute.',
    invalid: 'Your course platform sent a sign-in Presenza cannot accept. Go back to the course page and try again; if it happens again, tell the platform’s support team and give them the code below.',
  },
};

/** The page refusing a launch in a browser: what happened in plain words, and the coded reason. */
export function refusalPage(code: string, languages: [PageLanguage, PageLanguage]): string {
  const reason = REASONS[code] ?? 'invalid';
  const safeCode = escapeHtml(code);
  return page(
    languages,
    { it: REFUSAL_TEXTS.it.title, en: REFUSAL_TEXTS.en.title },
    (lang) => `<h1>${REFUSAL_TEXTS[lang].title}</h1>\n<p>${REFUSAL_TEXTS[lang][reason]}</p>\n<p class="code">${REFUSAL_TEXTS[lang].code}: <code>${safeCode}</code></p>`,
  );
}

/** The stylesheet of these pages (served at /lti/page.css). */
export const PAGE_CSS = `:root { color-scheme: light; font-family: system-ui, sans-serif; line-height: 1.5; color: #1b1f24; background: #fff; }
body { margin: 0; }
main { max-width: 40rem; margin: 0 auto; padding: 1.5rem 1rem; }
section + section { margin-top: 1.5rem; padding-top: 1.5rem; border-top: 1px solid #d0d7de; }
h1 { font-size: 1.35rem; line-height: 1.3; margin: 0 0 0.75rem; }
a { color: #0550ae; }
a.button { display: inline-block; padding: 0.6rem 1rem; border-radius: 0.4rem; background: #0550ae; color: #fff; text-decoration: none; font-weight: 600; }
a.button:focus-visible, a:focus-visible { outline: 3px solid #bf8700; outline-offset: 2px; }
.code { color: #57606a; font-size: 0.95rem; }
code { font-size: 0.95rem; overflow-wrap: anywhere; }
`;
