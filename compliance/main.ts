#!/usr/bin/env node
// `npx presenza <command>`: the package's command line (built into dist/compliance/presenza.js with
// everything it needs bundled, so it runs without this repository's devDependencies).
import { runCompliance } from './cli.js';

const [command, ...args] = process.argv.slice(2);
if (command === 'compliance') {
  process.exitCode = await runCompliance(args);
} else {
  console.error('usage: presenza compliance --config <file.json> --lang it|en --out <dir> (presenza compliance --help)');
  process.exitCode = 2;
}
