// One-off (not committed): seeds the current pipeline's embedding cache from an older pipeline's
// after checking, photo by photo, that fairness-embed's shipped views described now agree with it.
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { cosineSimilarity } from '../workers/stages/compareTemplates.js';
import { cacheFileFor, fromBase64, readJsonLines, type CachedImage } from './lib/embeddingCache.js';
import { describedFile, type DescribedFace } from './lib/describedFaces.js';
import { FACES } from '../tools/paths.js';
const [set, old, described] = process.argv.slice(2) as [string, string, string];
const target = cacheFileFor(join(FACES, set));
const source = target.replace(/\/[0-9a-f]{12}\//, `/${old}/`);
const cached = new Map(readJsonLines<CachedImage>(source).map((r) => [r.file, r]));
let n = 0, gap = 0;
for (const d of readJsonLines<DescribedFace>(describedFile(described))) {
  const v = d.views.shipped; const c = cached.get(d.file);
  if (v === undefined || !c) continue;
  const plain = c.embeddings.bgr;
  if ((v === null) !== (plain === null)) throw new Error(`${d.file}: face in one run only`);
  if (v && plain) gap = Math.max(gap, 1 - cosineSimilarity(fromBase64(v[0]), fromBase64(plain)));
  n++;
}
console.log(`${set}: ${cached.size} cached in ${old}; ${n} compared, largest 1 - cos ${gap}`);
if (n < 50 || gap > 1e-6) throw new Error('not verified');
if (existsSync(target)) throw new Error(`${target} exists`);
copyFileSync(source, target);
console.log(`seeded ${target}`);
