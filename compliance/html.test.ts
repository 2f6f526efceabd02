/**
 * The HTML documents in a real Chromium: axe-core finds no violation (WCAG 2.2 AA rules), and a
 * screenshot of each is saved at 1280×800 and 390×844 in both languages (e2e/screenshots/, ignored).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS } from '../tools/chromium.js';
import { ROOT } from '../tools/paths.js';
import { parseDeploymentConfig, type DocumentLanguage } from './config.js';
import { renderHtml } from './document.js';
import { readMeasuredFacts } from './facts.js';
import { noticeFingerprint } from './documents/notice.js';
import { complianceDocuments, noticePage } from './generate.js';

const SCREENSHOTS = join(ROOT, 'e2e', 'screenshots');
const config = parseDeploymentConfig(JSON.parse(readFileSync(new URL('./example.config.json', import.meta.url), 'utf8')));
const facts = readMeasuredFacts();

describe('compliance HTML', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it.each<DocumentLanguage>(['it', 'en'])('passes axe, with landmarks and captioned tables (%s); screenshots at both widths', async (lang) => {
    for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      for (const doc of complianceDocuments(config, facts, lang)) {
        await page.setContent(renderHtml(doc));
        await page.screenshot({ path: join(SCREENSHOTS, `compliance-${doc.id}-${lang}-${viewport.width}.png`), fullPage: false });
        // The rules do not depend on the width of the page: one audit per document is enough (axe takes seconds per long page here).
        if (viewport.width !== 1280) continue;
        const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze();
        expect(results.violations.map((v) => `${doc.id}: ${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
        expect(await page.locator('h1').count()).toBe(1);
        expect(await page.locator('main').count()).toBe(1);
        expect(await page.locator('table:not(:has(caption))').count()).toBe(0);
      }
      await context.close();
    }
  }, 180_000);

  it('passes axe as an approved notice too (no draft statement)', async () => {
    const fingerprint = noticeFingerprint({ config, facts, lang: 'it', findings: [] });
    const approved = parseDeploymentConfig({ ...structuredClone(config), noticeApproval: { date: '2026-09-20', fingerprint } });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.setContent(noticePage(approved, 'en', facts));
    expect(await page.locator('.draft').count()).toBe(0);
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze();
    expect(results.violations.map((v) => v.id)).toEqual([]);
    await context.close();
  }, 120_000);
});
