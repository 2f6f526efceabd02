/**
 * Issue 22, item 2: describes every image of a pair set for bench/fairness-check.ts, in the built
 * testing worker in headless Chromium: the plain and mirrored view of the selected face under each
 * choice of alignment points (testing/cropVariants.ts `AlignmentPoints`; `shipped` is the shipped
 * alignment), the raw output length of each plain view, head pose, face size, blink and mouth
 * scores, the shipped crop's photometric measures and those of its eye, cheek, mouth and forehead
 * regions (the quality signals a capture has). Resumable: results
 * are appended to bench/.cache/fairness/<pipeline>/<set>.jsonl. Usage (after `npm run build`):
 *
 *   nice -n 10 npx tsx bench/fairness-embed.ts --set lfw|deepface [--alignments shipped,iris,…] [--tag <name>]
 *                                              [--priority <file of paths>] [--limit <images>]
 *
 * `--tag` names a separate cache file (e.g. a pass with fewer alignments).
 *
 * Images listed in `--priority` come first (e.g. those of the pairs near the threshold), then the
 * images of the pairs, then every other labelled image, so a partial run is still usable.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CropVariant } from '../testing/cropVariants.js';
import { imageUrl, startBrowserPipeline } from '../tools/browserPipeline.js';
import { FACES } from '../tools/paths.js';
import { describedFile, POINT_CHOICES, type DescribedFace } from './lib/describedFaces.js';
import { readJsonLines, toBase64 } from './lib/embeddingCache.js';

interface Pair { a: string; b: string; same: boolean }

async function main() {
  const { values } = parseArgs({
    options: { set: { type: 'string', default: 'lfw' }, limit: { type: 'string' }, priority: { type: 'string' }, alignments: { type: 'string' }, tag: { type: 'string' } },
  });
  const set = values.set!;
  const root = join(FACES, set);
  const pairs = JSON.parse(readFileSync(join(root, 'pairs.json'), 'utf8')) as Pair[];
  const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')) as { file: string; identity: string | null }[];
  // Pair images first (those of --priority, a file of one path per line, before the others), then
  // every other labelled image (more photos per person for multi-photo templates).
  const priority = values.priority ? readFileSync(values.priority, 'utf8').split('\n').filter(Boolean) : [];
  const ordered = [...new Set([...priority, ...pairs.flatMap((p) => [p.a, p.b]), ...manifest.filter((m) => m.identity !== null).map((m) => m.file)])];
  const file = describedFile(values.tag ? `${set}-${values.tag}` : set);
  const done = new Set(readJsonLines<DescribedFace>(file).map((d) => d.file));
  const todo = ordered.filter((f) => !done.has(f)).slice(0, values.limit ? Number(values.limit) : undefined);
  const names = values.alignments ? values.alignments.split(',') : Object.keys(POINT_CHOICES);
  for (const n of names) if (!(n in POINT_CHOICES)) throw new TypeError(`unknown alignment ${n}; known: ${Object.keys(POINT_CHOICES).join(', ')}`);
  const variants: CropVariant[] = names.map((n) => (POINT_CHOICES[n] ? { points: POINT_CHOICES[n] } : {}));
  console.error(`${set}: ${todo.length} images to describe (${done.size} done), ${names.length} alignments`);
  const pipeline = await startBrowserPipeline({ imageRoot: root });
  const started = Date.now();
  try {
    for (let i = 0; i < todo.length; i += 10) {
      const batch = todo.slice(i, i + 10);
      const probes = await pipeline.page.evaluate(async ({ urls, variants }) => {
        type Probe = {
          faces: number; issues: string[]; views: (number[][] | null)[]; rawNorms: (number | null)[];
          pose: unknown; faceSize: number | null; blink: unknown; measures: unknown; mouth: unknown; regions: unknown;
        };
        const harness = (window as unknown as { harness: { cropVariantProbe(u: string, v: unknown[]): Promise<Probe> } }).harness;
        const out = [];
        for (const url of urls) {
          const { embeddings: _fused, ...probe } = await harness.cropVariantProbe(url, variants) as Probe & { embeddings: unknown };
          out.push(probe);
        }
        return out;
      }, { urls: batch.map(imageUrl), variants });
      const lines = probes.map((p, k) => {
        const entry: DescribedFace = {
          file: batch[k]!,
          faces: p.faces,
          issues: p.issues,
          pose: p.pose as DescribedFace['pose'],
          faceSize: p.faceSize,
          blink: p.blink as DescribedFace['blink'],
          measures: p.measures as DescribedFace['measures'],
          mouth: p.mouth as DescribedFace['mouth'],
          regions: p.regions as DescribedFace['regions'],
          rawNorms: Object.fromEntries(names.map((n, v) => [n, p.rawNorms[v] ?? null])),
          views: Object.fromEntries(names.map((n, v) => [n, p.views[v] ? [toBase64(p.views[v]![0]!), toBase64(p.views[v]![1]!)] : null])),
        };
        return JSON.stringify(entry);
      });
      appendFileSync(file, lines.join('\n') + '\n');
      if ((i / 10) % 20 === 0) console.error(`  ${Math.min(i + 10, todo.length)}/${todo.length} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
  } finally {
    await pipeline.close();
  }
}

await main();
