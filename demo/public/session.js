// The demo pages' session glue: the session cookie is HttpOnly (the page never sees it); the
// CSRF token comes from GET /api/session and goes in a header on every state-changing request.
let csrfToken = null;

/** A JSON API call; throws an Error with the service's code on a refusal. */
export async function api(method, path, body, signal) {
  const headers = {};
  if (body) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined, credentials: 'same-origin', signal });
  const data = await response.json();
  if (!response.ok) throw Object.assign(new Error(data.message || data.error), { code: data.error, status: response.status });
  return data;
}

/**
 * The signed-in user in `role`, or null after sending the browser to the demo platform's sign-in.
 * `t` (the page's translator) names the role in the page's language.
 */
export async function requireSession(role, t = (key) => key.replace('role_', '')) {
  let session;
  try {
    session = await api('GET', '/api/session');
  } catch (error) {
    if (error.status !== 401) throw error;
    location.assign(`/?role=${role}&next=${encodeURIComponent(location.pathname + location.search)}`);
    return null;
  }
  csrfToken = session.csrfToken;
  const bar = document.getElementById('signed-in');
  if (bar) {
    bar.hidden = false;
    // The role is marked for translation, so it follows a change of language.
    const role = Object.assign(document.createElement('span'), { textContent: t(`role_${session.role}`) });
    role.dataset.t = `role_${session.role}`;
    bar.querySelector('[data-name]').replaceChildren(`${session.displayName} (`, role, ')');
    bar.querySelector('button').addEventListener('click', async () => {
      await api('POST', '/api/session/end');
      location.assign('/');
    });
  }
  if (session.role !== role) {
    document.querySelector('main').replaceChildren(
      Object.assign(document.createElement('h1'), { textContent: `This page is for a ${role}` }),
      Object.assign(document.createElement('p'), {
        textContent: `You are signed in as ${session.displayName}, a ${session.role}. Sign out, or use another browser profile to sign in as a ${role}.`,
      }),
    );
    return null;
  }
  return session;
}
