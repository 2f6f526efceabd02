/**
 * Rebuilds the development PAD set of bench/pad-set.json outside the repository, from snapshots
 * of the public repositories it names (`git show <commit>:<path>`) and from ../shared/faces.
 * Usage:
 *
 *   npx tsx bench/pad-set.ts [--out /work/pad-data] [--mirrors /work/.mirror]
 *                            [--repos owner/a,owner/b --inventory new.jsonl]
 *
 * A repository `owner/name` is read from `<mirrors>/owner+name/repo` (a git directory, as the
 * snapshot tool leaves it); samples with a `shared` path are copied from ../shared/faces. Writes
 * every file under `--out` and `<out>/inventory.jsonl`, the inventory bench:pad takes (one line
 * per sample: file, label and the provenance fields). Samples whose repository is missing are
 * listed and left out; nothing is written into the repository. `--repos` keeps only the samples of
 * those repositories (to measure newly added ones alone) and `--inventory` names the inventory file
 * under `--out` (default inventory.jsonl).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { FACES, ROOT } from '../tools/paths.js';
import { parsePadSet, type PadSample } from './lib/padSet.js';

/** The git directory of a snapshot of `repo` under `mirrors`, if there is one. */
function snapshot(mirrors: string, repo: string): string | undefined {
  const base = join(mirrors, repo.replace('/', '+'), 'repo');
  return [join(base, '.git'), base].find((dir) => existsSync(join(dir, 'HEAD')));
}

/** Writes `sample` into `out`; false when its source is not available here. */
function materialise(sample: PadSample, out: string, mirrors: string): boolean {
  const target = join(out, sample.file);
  if (existsSync(target)) return true;
  mkdirSync(dirname(target), { recursive: true });
  if (sample.shared) {
    const source = join(FACES, sample.shared);
    if (!existsSync(source)) return false;
    copyFileSync(source, target);
    return true;
  }
  const git = snapshot(mirrors, sample.repo);
  if (!git) return false;
  const bytes = execFileSync('git', ['--git-dir', git, 'show', `${sample.commit}:${sample.path}`], { maxBuffer: 1 << 28 });
  writeFileSync(target, bytes);
  return true;
}

function main() {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: '/work/pad-data' },
      mirrors: { type: 'string', default: '/work/.mirror' },
      repos: { type: 'string' },
      inventory: { type: 'string', default: 'inventory.jsonl' },
    },
  });
  const out = values.out!;
  if (out.startsWith(ROOT)) throw new TypeError('--out must be outside the repository: the samples are third-party and never committed');
  const inventory = values.inventory!;
  if (inventory.includes('/') || !inventory.endsWith('.jsonl')) throw new TypeError('--inventory must be a file name ending in .jsonl (written under --out)');
  const set = parsePadSet(JSON.parse(readFileSync(join(ROOT, 'bench', 'pad-set.json'), 'utf8')));
  const repos = values.repos?.split(',').filter(Boolean);
  const unknown = repos?.filter((repo) => !set.samples.some((s) => s.repo === repo)) ?? [];
  if (unknown.length > 0) throw new TypeError(`--repos names no sample of ${unknown.join(', ')}`);
  if (repos) set.samples = set.samples.filter((s) => repos.includes(s.repo));
  mkdirSync(out, { recursive: true });
  const missing: PadSample[] = [];
  const lines: string[] = [];
  for (const sample of set.samples) {
    if (!materialise(sample, out, values.mirrors!)) {
      missing.push(sample);
      continue;
    }
    const { file, label, repo, commit, path, licence, session } = sample;
    lines.push(JSON.stringify({ file, label, repo, commit, path, licence, session }));
  }
  writeFileSync(join(out, inventory), `${lines.join('\n')}\n`);
  const counts = new Map<string, number>();
  for (const line of lines) {
    const label = (JSON.parse(line) as PadSample).label;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  console.log(`${lines.length} samples in ${out} (${[...counts].map(([k, n]) => `${k} ${n}`).join(', ')}); inventory ${join(out, inventory)}`);
  if (missing.length > 0) {
    const repos = [...new Set(missing.map((s) => s.repo))];
    console.log(`${missing.length} samples left out: no snapshot of ${repos.join(', ')} under ${values.mirrors}`);
  }
}

main();
