/**
 * Builds the group maps `bench:accuracy --groups` reads, from the labels in ../shared/faces, into
 * bench/.labels/ (ignored by git: the labels are third-party data, see ../shared/faces/SOURCES.md).
 * Usage: npx tsx bench/make-groups.ts [--faces <dir>]
 *
 * - `lfw-gender.txt`: every LFW identity of lfw/manifest.json, `female` when it is in
 *   lfw/female_identities.txt (a third-party, unverified list), `male` otherwise (the rule).
 *
 * The deepface identities are anonymous (deepface_id01…13, clusters of its unit-test pairs) and no
 * public source names them, so there is no deepface map; nobody is labelled from their photo.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FACES, ROOT } from '../tools/paths.js';

const { values } = parseArgs({ options: { faces: { type: 'string', default: FACES } } });
const faces = resolve(values.faces!);
const out = join(ROOT, 'bench', '.labels');
mkdirSync(out, { recursive: true });

const manifest = JSON.parse(readFileSync(join(faces, 'lfw', 'manifest.json'), 'utf8')) as { identity: string | null }[];
const identities = [...new Set(manifest.map((m) => m.identity).filter((i): i is string => i !== null))].sort();
const female = new Set(readFileSync(join(faces, 'lfw', 'female_identities.txt'), 'utf8').split('\n').map((l) => l.trim()).filter(Boolean));
const lines = identities.map((identity) => `${identity} ${female.has(identity) ? 'female' : 'male'}`);
const file = join(out, 'lfw-gender.txt');
writeFileSync(file, `# from ${join(faces, 'lfw')}: female_identities.txt, every other identity male\n${lines.join('\n')}\n`);
const count = lines.filter((l) => l.endsWith(' female')).length;
console.log(`${file}: ${identities.length} identities, ${count} female, ${identities.length - count} male ` +
  `(${[...female].filter((f) => !identities.includes(f)).length} listed women not in this LFW subset)`);
