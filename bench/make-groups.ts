/**
 * Builds the group maps `bench:accuracy --groups` reads, from the labels in ../shared/faces, into
 * bench/.labels/ (ignored by git: the labels are third-party data, see ../shared/faces/SOURCES.md).
 * Usage: npx tsx bench/make-groups.ts [--faces <dir>]
 *
 * - `lfw-gender.txt`: every LFW identity of lfw/manifest.json, `female` when it is in
 *   lfw/female_identities.txt (a third-party, unverified list), `male` otherwise (the issue's rule).
 *
 * - `face-api-gender.txt` and `face-api.js/pairs.json`: the 40 face crops of face-api.js's examples are
 *   8 named "Big Bang Theory" characters (the folder names). Their gender is the one the show's
 *   public cast list gives each character (Amy Farrah Fowler, Bernadette Rostenkowski and Penny are
 *   women; Howard Wolowitz, Leonard Hofstadter, Raj Koothrappali, Sheldon Cooper and Stuart Bloom
 *   men), not a judgement from the photos. face-api.js has no pairs file, so every unordered pair
 *   of its labelled images is one (80 genuine, 700 impostor), in `face-api.js/pairs.json`.
 *
 * - `face-recognition-gender.txt` and `face_recognition/pairs.json`: the 15 labelled photos of
 *   face_recognition's examples are 6 named public figures (folder names: Barack Obama, Joe Biden,
 *   Alex Lacamoire, Kit Harington, Lin-Manuel Miranda are men, Rose Leslie a woman, as their public
 *   biographies say), and every unordered pair of them is one (its own pairs file has only 3).
 *
 * The deepface identities are anonymous (deepface_id01…13, clusters of its unit-test pairs) and no
 * public source names them, so there is no deepface map; nobody is labelled from their photo
 * (bench/fairness-check.ts reports the deepface pairs' rates for everybody together).
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

/** The show's public cast list, by the folder names of face-api.js's examples/images. */
const FACE_API_CHARACTERS: Readonly<Record<string, 'female' | 'male'>> = {
  amy: 'female', bernadette: 'female', penny: 'female',
  howard: 'male', leonard: 'male', raj: 'male', sheldon: 'male', stuart: 'male',
};
const faceApi = (JSON.parse(readFileSync(join(faces, 'face-api.js', 'manifest.json'), 'utf8')) as { file: string; identity: string | null }[])
  .filter((m): m is { file: string; identity: string } => m.identity !== null)
  .sort((x, y) => x.file.localeCompare(y.file));
const faceApiPairs = faceApi.flatMap((x, i) => faceApi.slice(i + 1).map((y) => ({ a: x.file, b: y.file, same: x.identity === y.identity })));
mkdirSync(join(out, 'face-api.js'), { recursive: true }); // the folder names bench:accuracy's result file
writeFileSync(join(out, 'face-api.js', 'pairs.json'), JSON.stringify(faceApiPairs, null, 1) + '\n');
writeFileSync(join(out, 'face-api-gender.txt'), `# face-api.js characters, gender from the show's public cast list\n${Object.entries(FACE_API_CHARACTERS).map(([k, v]) => `${k} ${v}`).join('\n')}\n`);
console.log(`${join(out, 'face-api.js', 'pairs.json')}: ${faceApiPairs.length} pairs (${faceApiPairs.filter((p) => p.same).length} genuine) of ${faceApi.length} images; face-api-gender.txt: 8 characters`);

/** face_recognition's named people (folder names), by their public biographies. */
const FACE_RECOGNITION_PEOPLE: Readonly<Record<string, 'female' | 'male'>> = {
  obama: 'male', biden: 'male', alex_lacamoire: 'male', kit_harington: 'male', lin_manuel_miranda: 'male', rose_leslie: 'female',
};
const faceRecognition = (JSON.parse(readFileSync(join(faces, 'face_recognition', 'manifest.json'), 'utf8')) as { file: string; identity: string | null }[])
  .filter((m): m is { file: string; identity: string } => m.identity !== null && m.file.startsWith(`${m.identity}/`))
  .sort((x, y) => x.file.localeCompare(y.file));
const faceRecognitionPairs = faceRecognition.flatMap((x, i) => faceRecognition.slice(i + 1).map((y) => ({ a: x.file, b: y.file, same: x.identity === y.identity })));
mkdirSync(join(out, 'face_recognition'), { recursive: true });
writeFileSync(join(out, 'face_recognition', 'pairs.json'), JSON.stringify(faceRecognitionPairs, null, 1) + '\n');
writeFileSync(join(out, 'face-recognition-gender.txt'), `# face_recognition's named people, gender from their public biographies\n${Object.entries(FACE_RECOGNITION_PEOPLE).map(([k, v]) => `${k} ${v}`).join('\n')}\n`);
console.log(`${join(out, 'face_recognition', 'pairs.json')}: ${faceRecognitionPairs.length} pairs (${faceRecognitionPairs.filter((p) => p.same).length} genuine) of ${faceRecognition.length} images; face-recognition-gender.txt: 6 people`);
