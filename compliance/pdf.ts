/**
 * PDF through headless Chromium's own print (`--print-to-pdf`), where a Chromium is installed:
 * the HTML pages are written for print (A4, page breaks), so the PDF is the same document.
 *
 * Chromium's PDF is the same byte for byte from one print to the next except for the moment of
 * printing, which it writes as `/CreationDate` and `/ModDate` (and no file identifier). Both are
 * rewritten to a date the caller derives from the inputs, so the same configuration, benchmark
 * results and Chromium give the same file. (The `/Creator` line names the Chromium version: another
 * Chromium lays the pages out its own way anyway.)
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

/** The Chromium used for printing: `PRESENZA_CHROMIUM`, else Debian's. */
export const chromiumPath = (env: NodeJS.ProcessEnv = process.env) => env.PRESENZA_CHROMIUM ?? '/usr/bin/chromium';

/** Skia's date strings: `(D:YYYYMMDDHHmmSS+HH'mm')`, always 23 characters inside the brackets. */
const PDF_DATE = /\/(CreationDate|ModDate) \(D:\d{14}[-+]\d{2}'\d{2}'\)/g;

/** `date` as a PDF date in UTC, the length Skia writes. */
export const pdfDate = (date: Date) => `D:${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}+00'00'`;

/**
 * Replaces the PDF's creation and modification dates with `date`. The replacement has the same
 * length, so the cross-reference table's byte offsets stay right. Returns how many it replaced.
 */
export function setPdfDates(pdf: Buffer, date: Date): { pdf: Buffer; replaced: number } {
  let replaced = 0;
  // latin1 maps each byte to one character and back: the binary streams come through untouched.
  const text = pdf.toString('latin1').replace(PDF_DATE, (_match, key: string) => {
    replaced += 1;
    return `/${key} (${pdfDate(date)})`;
  });
  return { pdf: Buffer.from(text, 'latin1'), replaced };
}

/** Prints one HTML file to `pdfFile`, dated `date`; false when no Chromium is installed. */
export async function printToPdf(htmlFile: string, pdfFile: string, date: Date, chromium = chromiumPath()): Promise<boolean> {
  if (!existsSync(chromium)) return false;
  await promisify(execFile)(
    chromium,
    // --no-sandbox: printing runs as whatever user the CLI runs as (root in containers); the page is our own, with no script.
    ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--no-pdf-header-footer', `--print-to-pdf=${pdfFile}`, pathToFileURL(htmlFile).href],
    { timeout: 60_000 },
  );
  if (!existsSync(pdfFile)) return false;
  writeFileSync(pdfFile, setPdfDates(readFileSync(pdfFile), date).pdf);
  return true;
}
