#!/usr/bin/env node
// Makes sure the browser tests have what they need from the system: Debian's Chromium (Playwright
// cannot download its own browser here), ffmpeg (fake-camera files), Firefox ESR, WebKitGTK's
// WebDriver (with its MiniBrowser), Xvfb (WebKitGTK has no headless mode; Firefox gets WebGL
// there) and openssl (the service's HTTPS test). Installs them with apt-get when they are missing and we are root on Debian; otherwise
// says how.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const tools = [
  { path: process.env.PRESENZA_CHROMIUM ?? '/usr/bin/chromium', pkg: 'chromium', why: 'the browser tests', env: 'PRESENZA_CHROMIUM' },
  { path: '/usr/bin/ffmpeg', pkg: 'ffmpeg', why: 'the fake-camera files of the browser tests' },
  { path: process.env.PRESENZA_FIREFOX ?? '/usr/bin/firefox-esr', pkg: 'firefox-esr', why: 'the Firefox tests', env: 'PRESENZA_FIREFOX' },
  { path: '/usr/bin/WebKitWebDriver', pkg: 'webkit2gtk-driver', why: 'the WebKit tests' },
  { path: '/usr/bin/Xvfb', pkg: 'xvfb', why: 'the Firefox and WebKit tests (a virtual display)' },
  { path: '/usr/bin/openssl', pkg: 'openssl', why: "the attendance service's HTTPS test (a certificate for its local TLS proxy)" },
];
const missing = tools.filter((tool) => !existsSync(tool.path));
if (missing.length === 0) process.exit(0);
const canApt = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
if (!canApt) {
  for (const tool of missing) {
    console.error(
      `presenza: ${tool.why} need ${tool.path}. Install it (Debian/Ubuntu: sudo apt-get install -y ${tool.pkg})` +
        `${tool.env ? `, or set ${tool.env}` : ''}.`,
    );
  }
  process.exit(1);
}
console.log(`presenza: installing ${missing.map((t) => t.pkg).join(', ')} for the tests…`);
const apt = (...args) => execFileSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
apt('update', '-qq');
apt('install', '-y', '-qq', '--no-install-recommends', ...missing.map((t) => t.pkg));
