#!/usr/bin/env node
// `npx presenza <command>`: the package's command line. The commands are TypeScript run through tsx.
import { register } from 'tsx/esm/api';

register();
const [command, ...args] = process.argv.slice(2);
if (command === 'compliance') {
  const { runCompliance } = await import('./cli.ts');
  process.exitCode = await runCompliance(args);
} else {
  console.error('usage: presenza compliance --config <file.json> --lang it|en --out <dir> (presenza compliance --help)');
  process.exitCode = 2;
}
