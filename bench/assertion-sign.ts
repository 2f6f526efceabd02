/**
 * Browser signing rate: check assertions signed in the face worker (ECDSA P-256 with a
 * non-extractable WebCrypto key, the SDK's own signCheck) in headless Chromium, one at a time, for
 * a few seconds. Usage: npx tsx bench/assertion-sign.ts [--seconds N] [--json]
 * Results: bench/results/assertion-sign.json. (Verification: bench/assertion-verify.ts.)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FACES, ROOT } from '../tools/paths.js';
import { startBrowserPipeline } from '../tools/browserPipeline.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, json: { type: 'boolean', default: false } } });
const pipeline = await startBrowserPipeline({ imageRoot: FACES });
try {
  const result = await pipeline.signing(Number(values.seconds));
  const record = {
    date: new Date().toISOString(),
    sign_per_s: Math.round(result.signatures / result.seconds),
    signatures: result.signatures,
    seconds: Number(result.seconds.toFixed(2)),
    load_average_1m: Number(loadavg()[0]!.toFixed(2)),
    where: 'face worker in headless Chromium, sequential awaits',
  };
  console.log(`signed ${record.signatures} check assertions in ${record.seconds} s: ${record.sign_per_s} per second (load ${record.load_average_1m})`);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'assertion-sign.json'), JSON.stringify(record, null, 1) + '\n');
  if (values.json) console.log(JSON.stringify(record));
} finally {
  await pipeline.close();
}
