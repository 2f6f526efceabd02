// The demo platform's sign-in: it asks the demo platform for a launch token, then exchanges the
// token for a session with the attendance service (POST /api/launch), as a real platform's
// launch would, and goes on to the page the user came for.
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const PAGES = { teacher: '/teacher.html', student: '/student.html', auditor: '/auditor.html' };
// Only a path of this site, never another origin.
const next = (params.get('next') ?? '').startsWith('/') && !(params.get('next') ?? '').startsWith('//') ? params.get('next') : null;
if (params.get('role') && PAGES[params.get('role')]) $(`role-${params.get('role')}`).checked = true;

async function post(path, body) {
  const response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const data = await response.json();
  if (!response.ok) throw new Error(data.message || data.error);
  return data;
}

$('sign-in').addEventListener('submit', async (event) => {
  event.preventDefault();
  const role = new FormData(event.target).get('role');
  try {
    const { token } = await post('/demo-platform/sign-in', { name: $('name').value.trim(), role });
    await post('/api/launch', { token });
    location.assign(next && next.startsWith(PAGES[role]) ? next : PAGES[role]);
  } catch (error) {
    $('status').textContent = error.message;
  }
});
