/**
 * The attendance service's pages in Chromium under its real headers: every demo page runs under
 * the CSP (no inline script or style, no eval) without a single violation, a page opened without a
 * session goes to the platform's sign-in and comes back, sign-out ends the session, a platform's
 * launch link (launch.html#token=…) signs in, and the auditor sees the audit chain verify.
 */
import { expect, test, type Page } from '@playwright/test';
import { demoSession, signInIfAsked, startDemoServer, type DemoServer } from './support/demoServer.js';

test.describe.configure({ mode: 'serial' });
test.setTimeout(120_000);

let server: DemoServer;

test.beforeAll(async () => {
  server = await startDemoServer();
});
test.afterAll(() => server.close());

/** Records CSP violations of a page (reported by the browser as events and console errors). */
function watchCsp(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  void page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => console.error(`Content Security Policy violation: ${event.violatedDirective} ${event.blockedURI}`));
  });
  return violations;
}

test('a page opened without a session goes to the sign-in and back; sign-out ends the session', async ({ page }) => {
  const violations = watchCsp(page);
  await page.goto(`${server.origin}/teacher.html`);
  await expect(page).toHaveURL(/\/\?role=teacher&next=/);
  await signInIfAsked(page, 'Prof. Verdi');
  await expect(page).toHaveURL(`${server.origin}/teacher.html`);
  await expect(page.locator('#signed-in')).toContainText('Prof. Verdi (teacher)');
  await page.getByLabel('Lesson title').fill('Sicurezza');
  await page.getByRole('button', { name: 'Start lesson' }).click();
  await expect(page.locator('#student-link')).toHaveAttribute('href', /lesson=l-/, { timeout: 30_000 });
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(`${server.origin}/`);
  expect((await page.request.get(`${server.origin}/api/session`)).status()).toBe(401);
  expect(violations).toEqual([]);
});

test('the student page loads the SDK under the CSP without a violation; a teacher cannot use it', async ({ browser }) => {
  const teacher = await demoSession(server.origin, 'Prof. Neri', 'teacher');
  const { lessonId } = (await teacher.send('POST', '/api/lessons', { title: 'CSP' })).body as { lessonId: string };
  const context = await browser.newContext();
  const page = await context.newPage();
  const violations = watchCsp(page);
  await page.goto(`${server.origin}/student.html?lesson=${lessonId}`);
  await signInIfAsked(page, 'Lia', 'student');
  await expect(page.locator('#sdk-status')).toHaveText('Face check ready.', { timeout: 60_000 });
  // The SDK's element shows the layered notice (its styles are constructed, not inline).
  await expect(page.locator('presenza-check')).toHaveAttribute('state', 'notice', { timeout: 60_000 });
  expect(violations).toEqual([]);
  await context.close();

  const asTeacher = await browser.newContext();
  const other = await asTeacher.newPage();
  await other.goto(`${server.origin}/`);
  await signInIfAsked(other, 'Prof. Rosa', 'teacher');
  await other.goto(`${server.origin}/student.html?lesson=${lessonId}`);
  await expect(other.locator('h1')).toHaveText('This page is for a student');
  await asTeacher.close();
});

test('a platform’s launch link signs in once; the auditor sees the audit chain verify', async ({ page }) => {
  const violations = watchCsp(page);
  // The demo platform's own signer, as a platform's backend would use it.
  const response = await page.request.post(`${server.origin}/demo-platform/sign-in`, { data: { name: 'Ada', role: 'auditor' } });
  const { token } = (await response.json()) as { token: string };
  await page.goto(`${server.origin}/launch.html#token=${token}&next=/auditor.html`);
  await expect(page).toHaveURL(`${server.origin}/auditor.html`);
  await expect(page.locator('#chain')).toHaveText(/^The chain verifies: \d+ entries\.$/);
  await expect(page.locator('#entries tr').first()).toBeVisible();
  expect(await page.locator('#entries').textContent()).not.toMatch(/Prof\.|Lia|Ada/);
  // The same token a second time is refused.
  await page.goto(`${server.origin}/launch.html#token=${token}&next=/auditor.html`);
  await expect(page.locator('#status')).toContainText('launch_replayed');
  expect(violations).toEqual([]);
});
