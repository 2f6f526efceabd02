/**
 * Liveness as shipped, end to end: every clip of ../shared/faces/videos plays as Chromium's
 * webcam and goes through the real SDK's `check()`, and every still is shown as a camera that
 * repeats it. Usage:
 *
 *   npm run bench:liveness-policy -- [--trials 3] [--only substring] [--json]
 *
 * - `passive` runs on every sample: the anti-spoof score of the frames the check keeps
 *   (APCER: attacks whose liveness passed; BPCER: live samples whose liveness failed).
 * - `active` and `both` (the default policy) run `--trials` times on the clips where a pass is
 *   possible at all (live clips that turn the head both ways) and on every attack clip, since the
 *   gestures are random: a pass rate per clip. Live clips that never turn the head cannot pass a
 *   turn prompt, and stills cannot make gestures; they are not counted as BPCER.
 *
 * The device is enrolled from an unrelated photo with liveness off: the bench reads the check's
 * `liveness` result, which is decided before any comparison. Results: bench/results/liveness-policy.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkFromCamera, enrollFromPhoto, withCameraSdk } from '../e2e/support/cameraSdk.js';
import { FACES, ROOT } from '../tools/paths.js';
import { startOrigins } from '../tools/origins.js';
import { createChallenge } from '../src/server/challenge.js';
import type { LivenessPolicy } from '../src/protocol/liveness.js';

interface ManifestEntry {
  readonly file: string;
  readonly kind: 'live' | 'print-attack' | 'replay-attack';
  readonly media: 'video' | 'image';
  readonly seconds?: number;
  readonly head_turns?: string;
}

/** One check of one sample under one policy. */
interface Run {
  readonly file: string;
  readonly kind: ManifestEntry['kind'];
  readonly policy: LivenessPolicy;
  readonly liveness: string;
  readonly outcome: string;
  readonly reason?: string;
  /** Why the gesture challenge failed, when it did. */
  readonly failure?: string;
  readonly prompts: readonly string[];
  readonly ms: number;
}

const pct = (n: number, d: number) => (d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(1)} % (${n}/${d})`);

async function main() {
  const { values } = parseArgs({
    options: { trials: { type: 'string', default: '3' }, only: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const trials = Number(values.trials);
  if (!(Number.isInteger(trials) && trials > 0)) throw new TypeError('--trials must be a positive integer');
  const entries = (JSON.parse(readFileSync(join(FACES, 'videos', 'manifest.json'), 'utf8')) as ManifestEntry[]).filter(
    (entry) => !values.only || entry.file.includes(values.only),
  );
  const origins = await startOrigins();
  const runs: Run[] = [];
  try {
    for (const entry of entries) {
      const policies: LivenessPolicy[] = ['passive'];
      const gesturesPossible = entry.media === 'video' && (entry.kind !== 'live' || entry.head_turns === 'both');
      if (gesturesPossible) for (let t = 0; t < trials; t += 1) policies.push('active', 'both');
      // Stills become a camera that shows the image; clips loop (at most 20 s of each).
      const camera = `videos/${entry.file}`;
      const seconds = Math.min(20, Math.ceil(entry.seconds ?? 5));
      await withCameraSdk(origins, camera, seconds, async (page) => {
        await enrollFromPhoto(page);
        for (const policy of policies) {
          const start = performance.now();
          const result = await checkFromCamera(page, { nonce: createChallenge(), checkId: `${policy}-${runs.length}`, liveness: policy });
          const run: Run = {
            file: entry.file,
            kind: entry.kind,
            policy,
            liveness: result.liveness,
            outcome: result.outcome,
            ...(result.reason ? { reason: result.reason } : {}),
            ...(result.failure ? { failure: result.failure } : {}),
            prompts: result.prompts,
            ms: Math.round(performance.now() - start),
          };
          runs.push(run);
          const why = `${run.outcome}${run.reason ? `/${run.reason}` : ''}${run.failure ? `, ${run.failure}` : ''}`;
          console.error(`${entry.file} ${policy}: liveness ${run.liveness} (${why}) in ${(run.ms / 1000).toFixed(1)} s`);
        }
      });
    }
  } finally {
    await origins.close();
  }

  const rates = (policy: LivenessPolicy) => {
    const of = runs.filter((r) => r.policy === policy);
    const attacks = of.filter((r) => r.kind !== 'live');
    const live = of.filter((r) => r.kind === 'live');
    return {
      attacks: attacks.length,
      attacksPassed: attacks.filter((r) => r.liveness === 'passed').length,
      live: live.length,
      liveFailed: live.filter((r) => r.liveness !== 'passed').length,
      undecided: of.filter((r) => r.liveness === 'not_run').length,
    };
  };
  const summary = Object.fromEntries((['passive', 'active', 'both'] as const).map((p) => [p, rates(p)]));
  for (const [policy, r] of Object.entries(summary)) {
    console.log(`${policy.padEnd(8)} APCER ${pct(r.attacksPassed, r.attacks)}  BPCER ${pct(r.liveFailed, r.live)}  (not decided: ${r.undecided})`);
  }
  console.log('\nper sample (liveness passed / runs):');
  for (const entry of entries) {
    const line = (['passive', 'active', 'both'] as const)
      .map((p) => {
        const of = runs.filter((r) => r.file === entry.file && r.policy === p);
        return of.length ? `${p} ${of.filter((r) => r.liveness === 'passed').length}/${of.length}` : '';
      })
      .filter(Boolean)
      .join('  ');
    console.log(`  ${entry.kind.padEnd(13)} ${entry.file.padEnd(48)} ${line}`);
  }
  const result = { date: new Date().toISOString(), trials, summary, runs };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'liveness-policy.json'), `${JSON.stringify(result, null, 2)}\n`);
  if (values.json) console.log(JSON.stringify({ trials, summary }));
}

await main();
