/**
 * `npm run try -- a.jpg b.jpg`: runs two photos through the real pipeline (testing build, headless
 * Chromium) and prints whether they show the same person at the shipped threshold. A developer
 * tool: the production SDK has no API that compares two arbitrary images.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { startBrowserPipeline } from '../tools/browserPipeline.js';
import { cosineSimilarity, DEFAULT_MATCH_THRESHOLD } from '../workers/stages/compareTemplates.js';
import { DEFAULT_EMBEDDING_OPTIONS } from '../workers/stages/embedFace.js';

const files = process.argv.slice(2).filter((a) => a !== '--');
if (files.length !== 2 || !files.every((f) => existsSync(f))) {
  console.error('usage: npm run try -- <photo a> <photo b>   (JPEG, PNG or WebP files)');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'presenza-try-'));
const names = files.map((file, i) => {
  const name = `${i}-${basename(file)}`;
  copyFileSync(resolve(file), join(dir, name));
  return name;
});
const pipeline = await startBrowserPipeline({ imageRoot: dir });
try {
  const described = await pipeline.describe(names, [DEFAULT_EMBEDDING_OPTIONS]);
  described.forEach((d, i) => {
    const gates = d.quality.issues.length ? `quality: ${d.quality.issues.join(', ')}` : 'quality: ok';
    console.log(`${files[i]}: ${d.width}×${d.height}, ${d.faces} face(s), ${gates}`);
  });
  const [a, b] = described.map((d) => d.embeddings[0]);
  if (!a || !b) {
    console.log('no match: a face was not found in both photos');
    process.exitCode = 1;
  } else {
    const similarity = cosineSimilarity(a, b);
    const verdict = similarity >= DEFAULT_MATCH_THRESHOLD ? 'match' : 'no match';
    console.log(`${verdict} (cosine similarity ${similarity.toFixed(3)}, shipped threshold ${DEFAULT_MATCH_THRESHOLD})`);
  }
} finally {
  await pipeline.close();
  rmSync(dir, { recursive: true, force: true });
}
