/**
 * `presenza compliance --config <file> --lang it|en --out <dir> [--bench <dir>] [--check] [--no-pdf]`:
 * writes the compliance kit (DPIA draft, layered notice, art. 30 record, retention schedule) as
 * Markdown, HTML and PDF; `--check` lists the settings the Garante's decision found unlawful or risky
 * and exits with 1 when there is any. Exit 2: bad arguments, a bad configuration or bad benchmark files.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkConfig } from './check.js';
import { DeploymentConfigError, loadDeploymentConfig, type DocumentLanguage } from './config.js';
import { BenchResultsError, DEFAULT_BENCH_DIR, newestMeasurement, readMeasuredFacts } from './facts.js';
import { documentFileName, writeComplianceKit } from './generate.js';
import { printToPdf } from './pdf.js';

/** The benchmark result files the command reads: the build puts them into the package. */
export { BENCH_FILES } from './facts.js';

const USAGE = `usage: presenza compliance --config <file.json> [--lang it|en] [--out <dir>] [--bench <dir>] [--check] [--no-pdf]
  --config  the deployment configuration (JSON Schema: presenza/presenza-config.schema.json; an example beside it: example.config.json)
  --lang    language of the documents (default it)
  --out     folder to write the documents to (Markdown, HTML, PDF)
  --bench   folder of benchmark results (default: the results this version of Presenza was released with)
  --check   list the settings found unlawful or risky; exit 1 if any
  --no-pdf  skip the PDF (otherwise printed with headless Chromium when installed)`;

/** Runs the command with `argv` (without `node` and the script); resolves with the exit code. */
export async function runCompliance(argv: readonly string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string' },
        lang: { type: 'string', default: 'it' },
        out: { type: 'string' },
        bench: { type: 'string', default: DEFAULT_BENCH_DIR },
        check: { type: 'boolean', default: false },
        'no-pdf': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    err(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    out(USAGE);
    return 0;
  }
  if (!values.config || (!values.out && !values.check) || (values.lang !== 'it' && values.lang !== 'en')) {
    err(USAGE);
    return 2;
  }
  const lang = values.lang as DocumentLanguage;
  try {
    const config = loadDeploymentConfig(values.config);
    let code = 0;
    if (values.check) {
      const findings = checkConfig(config);
      for (const f of findings) out(`${f.severity === 'unlawful' ? 'UNLAWFUL' : 'RISKY'} ${f.code} ${f.path}: ${f.reason[lang]}`);
      if (!findings.length) out(lang === 'it' ? 'Nessuna impostazione illecita o rischiosa.' : 'No unlawful or risky setting.');
      code = findings.length ? 1 : 0;
    }
    if (values.out) {
      const facts = readMeasuredFacts(values.bench);
      const { docs, written } = writeComplianceKit(config, facts, lang, values.out);
      for (const file of written) out(`wrote ${file}`);
      if (!values['no-pdf']) {
        for (const doc of docs) {
          const pdf = join(values.out, documentFileName(doc, 'pdf'));
          // Dated by the newest measurement, not the clock: the same inputs give the same PDF.
          if (await printToPdf(join(values.out, documentFileName(doc, 'html')), pdf, newestMeasurement(facts))) out(`wrote ${pdf}`);
          else {
            out('no Chromium found (PRESENZA_CHROMIUM): PDF skipped; print the HTML pages instead');
            break;
          }
        }
      }
    }
    return code;
  } catch (error) {
    if (error instanceof DeploymentConfigError) {
      err(`${error.code}: the configuration ${values.config} is not valid:`);
      for (const issue of error.issues) err(`  ${issue.path || '/'} ${issue.message}`);
      return 2;
    }
    if (error instanceof BenchResultsError) {
      err(error.message);
      return 2;
    }
    throw error;
  }
}
