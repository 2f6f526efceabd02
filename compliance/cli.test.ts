import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCompliance } from './cli.js';
import { newestMeasurement, readMeasuredFacts } from './facts.js';
import { pdfDate, printToPdf, setPdfDates } from './pdf.js';

const EXAMPLE_FILE = new URL('./example.config.json', import.meta.url).pathname;

async function run(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCompliance(args, (l) => out.push(l), (l) => err.push(l));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('presenza compliance', () => {
  it('writes Markdown and HTML of the four documents', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'presenza-kit-'));
    const { code } = await run('--config', EXAMPLE_FILE, '--lang', 'en', '--out', dir, '--no-pdf');
    expect(code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['dpia-en.html', 'dpia-en.md', 'notice-en.html', 'notice-en.md', 'record-en.html', 'record-en.md', 'retention-en.html', 'retention-en.md']);
    expect(readFileSync(join(dir, 'notice-en.html'), 'utf8')).toContain('<html lang="en">');
  });

  it('prints the PDF with Chromium, and the same configuration and results give the same files, PDF included', async () => {
    const [first, second] = [mkdtempSync(join(tmpdir(), 'presenza-kit-')), mkdtempSync(join(tmpdir(), 'presenza-kit-'))];
    const a = await run('--config', EXAMPLE_FILE, '--lang', 'it', '--out', first);
    expect(a.code).toBe(0);
    expect(a.out).toContain('notice-it.pdf');
    // Again, the PDF of one document only (printing takes seconds): Chromium's clock has moved on by then.
    expect((await run('--config', EXAMPLE_FILE, '--lang', 'it', '--out', second, '--no-pdf')).code).toBe(0);
    expect(await printToPdf(join(second, 'notice-it.html'), join(second, 'notice-it.pdf'), newestMeasurement(readMeasuredFacts()))).toBe(true);
    const files = readdirSync(first).sort();
    expect(files.filter((f) => f.endsWith('.pdf'))).toEqual(['dpia-it.pdf', 'notice-it.pdf', 'record-it.pdf', 'retention-it.pdf']);
    for (const file of readdirSync(second)) expect(readFileSync(join(second, file)).equals(readFileSync(join(first, file))), file).toBe(true);
    expect(readdirSync(second).length).toBe(9);
    const pdf = readFileSync(join(first, 'notice-it.pdf'));
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    // Dated by the newest benchmark run the documents cite, not by the clock.
    const dated = pdfDate(newestMeasurement(readMeasuredFacts()));
    expect(pdf.toString('latin1')).toContain(`/CreationDate (${dated})`);
    expect(pdf.toString('latin1')).toContain(`/ModDate (${dated})`);
  }, 120_000);

  it('rewrites the dates Chromium prints, keeping the file length (the cross-reference offsets)', () => {
    const printed = Buffer.from("1 0 obj\n<</Producer (Skia/PDF m156)\n/CreationDate (D:20261202064457+01'00')\n/ModDate (D:20261202064458-05'30')>>\nendobj\n\xff\x00", 'latin1');
    const { pdf, replaced } = setPdfDates(printed, new Date('2026-11-23T09:05:01.000Z'));
    expect(replaced).toBe(2);
    expect(pdf.length).toBe(printed.length);
    expect(pdf.toString('latin1')).toBe("1 0 obj\n<</Producer (Skia/PDF m156)\n/CreationDate (D:20261123090501+00'00')\n/ModDate (D:20261123090501+00'00')>>\nendobj\n\xff\x00");
  });

  it('reports a bad configuration with its code and field, and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'presenza-kit-'));
    const bad = JSON.parse(readFileSync(EXAMPLE_FILE, 'utf8'));
    bad.policies.liveness = 'sometimes';
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(bad));
    const { code, err } = await run('--config', join(dir, 'bad.json'), '--out', dir);
    expect(code).toBe(2);
    expect(err).toContain('ERR_CONFIG_SCHEMA');
    expect(err).toContain('/policies/liveness must be one of');
    expect(readdirSync(dir)).toEqual(['bad.json']);
  });

  it('--check lists the findings and exits 1 when there is any', async () => {
    expect(await run('--config', EXAMPLE_FILE, '--check')).toMatchObject({ code: 0, out: 'Nessuna impostazione illecita o rischiosa.' });
    const dir = mkdtempSync(join(tmpdir(), 'presenza-kit-'));
    const risky = JSON.parse(readFileSync(EXAMPLE_FILE, 'utf8'));
    risky.policies.alternative.offered = false;
    writeFileSync(join(dir, 'risky.json'), JSON.stringify(risky));
    const { code, out } = await run('--config', join(dir, 'risky.json'), '--check', '--lang', 'en');
    expect(code).toBe(1);
    expect(out).toMatch(/^UNLAWFUL no_alternative \/policies\/alternative\/offered: Without a non-biometric alternative/);
  });

  it('refuses bad arguments with the usage', async () => {
    expect((await run('--config', EXAMPLE_FILE, '--lang', 'fr', '--out', '/tmp/x')).code).toBe(2);
    expect((await run('--config', EXAMPLE_FILE)).err).toContain('usage: presenza compliance');
    expect((await run('--bogus')).code).toBe(2);
  });
});
