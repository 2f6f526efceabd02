// A platform's launch lands here: /launch.html#token=<launch token>&next=/student.html?lesson=…
// The token travels in the fragment (never sent to a server, never in a log or a Referer) and is
// exchanged once for a session cookie.
const fragment = new URLSearchParams(location.hash.slice(1));
history.replaceState(null, '', location.pathname);
const next = fragment.get('next') ?? '';
const response = await fetch('/api/launch', {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ token: fragment.get('token') ?? '' }),
});
const data = await response.json();
if (!response.ok) {
  document.getElementById('status').textContent = `Sign-in refused (${data.error}): go back to your platform and try again.`;
} else {
  const pages = { teacher: '/teacher.html', student: '/student.html', auditor: '/auditor.html' };
  location.replace(next.startsWith(pages[data.role]) ? next : data.role === 'student' && data.lessonId ? `/student.html?lesson=${data.lessonId}` : pages[data.role]);
}
