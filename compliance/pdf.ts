/**
 * PDF through headless Chromium's own print (`--print-to-pdf`), where a Chromium is installed:
 * the HTML pages are written for print (A4, page breaks), so the PDF is the same document.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

/** The Chromium used for printing: `PRESENZA_CHROMIUM`, else Debian's. */
export const chromiumPath = (env: NodeJS.ProcessEnv = process.env) => env.PRESENZA_CHROMIUM ?? '/usr/bin/chromium';

/** Prints one HTML file to `pdfFile`; false when no Chromium is installed. */
export async function printToPdf(htmlFile: string, pdfFile: string, chromium = chromiumPath()): Promise<boolean> {
  if (!existsSync(chromium)) return false;
  await promisify(execFile)(
    chromium,
    // --no-sandbox: printing runs as whatever user the CLI runs as (root in containers); the page is our own, with no script.
    ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--no-pdf-header-footer', `--print-to-pdf=${pdfFile}`, pathToFileURL(htmlFile).href],
    { timeout: 60_000 },
  );
  return existsSync(pdfFile);
}
