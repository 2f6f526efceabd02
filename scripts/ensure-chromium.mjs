#!/usr/bin/env node
// Makes sure the browser tests have Debian's Chromium (Playwright cannot download its own here).
// Installs it with apt-get when it is missing and we are root on Debian; otherwise says how.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const chromium = process.env.PRESENZA_CHROMIUM ?? '/usr/bin/chromium';
if (existsSync(chromium)) process.exit(0);
const canApt = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
if (!canApt) {
  console.error(
    `presenza: the browser tests need Chromium at ${chromium}.\n` +
      '  Install it (Debian/Ubuntu: sudo apt-get install -y chromium), or set PRESENZA_CHROMIUM to a Chromium binary.',
  );
  process.exit(1);
}
console.log('presenza: installing Debian chromium for the browser tests…');
const apt = (...args) => execFileSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
apt('update', '-qq');
apt('install', '-y', '-qq', 'chromium');
