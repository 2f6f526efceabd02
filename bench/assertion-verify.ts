/**
 * Server-side assertion verification throughput on one core.
 *
 *   npx tsx bench/assertion-verify.ts [--json] [--seconds N]
 *
 * Measures `verifyCheck` in a single-threaded, strictly sequential loop (one verification in
 * flight at a time) after a warm-up, with a `MemoryNonceStore` and a fresh nonce per assertion,
 * exactly as a platform server would call it. Assertions are signed in batches outside the timed
 * region with the browser signer (`signCompactJws`). Four baselines show where the time goes:
 * OpenSSL's ECDSA through `node:crypto`'s synchronous `verify` with a `KeyObject` imported once
 * (what `verifyCheck` does for the signature; the rest of its cost is parsing, the claim guards
 * and the nonce store), and the WebCrypto route it replaced because that route cannot reach the
 * goal: jose's `compactVerify` alone with a pre-imported key, WebCrypto's `verify` alone, and a
 * naive verifier that imports the JWK on every call.
 *
 * Node's WebCrypto runs each ECDSA verification on a libuv pool thread while the main thread
 * waits, so at most one core is busy at a time; `node:crypto`'s `verify` runs on the calling
 * thread. The CPU time of the whole process (all threads, `process.cpuUsage`) is reported next to
 * wall-clock time so the per-core figure can be checked. The machine's 1-minute load average is
 * printed before and after: on a shared machine, read the figures against it.
 *
 * Prints a table; with --json the last line is one JSON object. The figures are also written to
 * bench/results/assertion-verify.json.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compactVerify, importJWK } from 'jose';
import { CHECK_TYP } from '../src/protocol/assertion.js';
import { DEVICE_KEY_ALGORITHM, ES256_SIGN_ALGORITHM, base64urlDecode, exportPublicJwk, jwkThumbprint, signCompactJws } from '../src/protocol/jws.js';
import { MemoryNonceStore, createChallenge, verifyCheck } from '../src/server/index.js';

const GOAL_VERIFY_PER_S = 5_000;
const WARMUP_VERIFICATIONS = 2_000;
const BATCH = 2_000;
const AUDIENCE = 'https://school.example';
const CHECK_ID = 'check-bench';
const MODELS = ['0f1e2d3c4b5a6978', 'a1b2c3d4e5f60718', '99aa88bb77cc66dd'];

const args = process.argv.slice(2);
const asJson = args.includes('--json');
const secondsArg = args.indexOf('--seconds');
const mainSeconds = secondsArg >= 0 ? Number(args[secondsArg + 1]) : 3;
if (!Number.isFinite(mainSeconds) || mainSeconds < 1) throw new TypeError('--seconds must be a number ≥ 1');
const baselineSeconds = Math.max(1, mainSeconds / 2);

interface Token {
  jws: string;
  nonce: string;
}

interface Row {
  name: string;
  verifications: number;
  wall_s: number;
  cpu_s: number;
  verify_per_s: number;
  verify_per_cpu_s: number;
  us_p50: number;
  us_p99: number;
}

const keys = (await crypto.subtle.generateKey(DEVICE_KEY_ALGORITHM, false, ['sign', 'verify'])) as CryptoKeyPair;
const publicJwk = await exportPublicJwk(keys.publicKey);
const kid = await jwkThumbprint(publicJwk);

async function signBatch(n: number): Promise<Token[]> {
  const iat = Math.floor(Date.now() / 1000);
  const tokens: Token[] = [];
  for (let i = 0; i < n; i++) {
    const nonce = createChallenge();
    const claims = { aud: AUDIENCE, sub: 'enr_bench', jti: CHECK_ID, nonce, iat, exp: iat + 60, outcome: 'pass', liveness: 'passed', models: MODELS, sdk: '0.1.0' };
    tokens.push({ nonce, jws: await signCompactJws({ alg: 'ES256', typ: CHECK_TYP, kid }, claims, keys.privateKey) });
  }
  return tokens;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

/** Runs `verify` sequentially over fresh batches until `seconds` of timed work have accumulated. */
async function measure(name: string, seconds: number, verify: (token: Token) => Promise<unknown>): Promise<Row> {
  for (const token of await signBatch(WARMUP_VERIFICATIONS)) await verify(token);
  const durations: number[] = [];
  let wallMs = 0;
  let cpuUs = 0;
  while (wallMs < seconds * 1000) {
    const batch = await signBatch(BATCH);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let last = t0;
    for (const token of batch) {
      await verify(token);
      const t = performance.now();
      durations.push(t - last);
      last = t;
    }
    wallMs += last - t0;
    const cpu = process.cpuUsage(cpu0);
    cpuUs += cpu.user + cpu.system;
  }
  const sorted = Float64Array.from(durations).sort();
  const n = durations.length;
  return {
    name,
    verifications: n,
    wall_s: round(wallMs / 1000, 3),
    cpu_s: round(cpuUs / 1e6, 3),
    verify_per_s: Math.round(n / (wallMs / 1000)),
    verify_per_cpu_s: Math.round(n / (cpuUs / 1e6)),
    us_p50: round(percentile(sorted, 0.5) * 1000, 1),
    us_p99: round(percentile(sorted, 0.99) * 1000, 1),
  };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

const loadBefore = loadavg()[0] ?? Number.NaN;
const nonceStore = new MemoryNonceStore();
const main = await measure('verifyCheck (MemoryNonceStore, fresh nonces)', mainSeconds, ({ jws, nonce }) =>
  verifyCheck(jws, { audience: AUDIENCE, publicJwk, expectedNonce: nonce, checkId: CHECK_ID, nonceStore }),
);

const imported = await importJWK(publicJwk, 'ES256');
const joseOnly = await measure('jose compactVerify only (pre-imported key)', baselineSeconds, ({ jws }) =>
  compactVerify(jws, imported, { algorithms: ['ES256'] }),
);

const utf8 = new TextEncoder();
const subtleOnly = await measure('crypto.subtle.verify only', baselineSeconds, async ({ jws }) => {
  const dot = jws.lastIndexOf('.');
  const ok = await crypto.subtle.verify(ES256_SIGN_ALGORITHM, keys.publicKey, base64urlDecode(jws.slice(dot + 1)), utf8.encode(jws.slice(0, dot)));
  if (!ok) throw new Error('bench: signature did not verify');
});

const naive = await measure('naive: importJWK on every call + compactVerify', baselineSeconds, async ({ jws }) =>
  compactVerify(jws, await importJWK({ ...publicJwk }, 'ES256'), { algorithms: ['ES256'] }),
);

// Imported as verifyCheck imports the registered key: from the JWK, once.
const keyObject = createPublicKey({ key: { ...publicJwk }, format: 'jwk' });
const nodeCrypto = await measure('node:crypto verify only, sync (what verifyCheck uses)', baselineSeconds, async ({ jws }) => {
  const dot = jws.lastIndexOf('.');
  const signature = Buffer.from(jws.slice(dot + 1), 'base64url');
  if (!nodeVerify('sha256', Buffer.from(jws.slice(0, dot)), { key: keyObject, dsaEncoding: 'ieee-p1363' }, signature)) {
    throw new Error('bench: signature did not verify');
  }
});

const rows = [main, joseOnly, subtleOnly, naive, nodeCrypto];
const result = {
  bench: 'assertion-verify',
  verify_per_s: main.verify_per_s,
  verify_per_cpu_s: main.verify_per_cpu_s,
  us_p50: main.us_p50,
  us_p99: main.us_p99,
  verifications: main.verifications,
  seconds: main.wall_s,
  goal_verify_per_s: GOAL_VERIFY_PER_S,
  meets_goal: main.verify_per_s >= GOAL_VERIFY_PER_S,
  signature_verifier: "node:crypto verify('sha256', …, { dsaEncoding: 'ieee-p1363' }), sync, KeyObject cached per registered key",
  baselines: Object.fromEntries(rows.slice(1).map((r) => [r.name, r])),
  environment: {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    logical_cores: cpus().length,
    uv_threadpool_size: process.env.UV_THREADPOOL_SIZE ?? 'default (4)',
    in_flight: 1,
    load_average_1m_before: round(loadBefore, 2),
    load_average_1m_after: round(loadavg()[0] ?? Number.NaN, 2),
  },
  measured_at: new Date().toISOString(),
};

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, 'assertion-verify.json'), `${JSON.stringify({ ...result, rows }, null, 2)}\n`);

const header = ['case', 'n', 'wall s', 'cpu s', 'verify/s', 'verify/cpu-s', 'p50 µs', 'p99 µs'];
const lines = rows.map((r) => [r.name, r.verifications, r.wall_s, r.cpu_s, r.verify_per_s, r.verify_per_cpu_s, r.us_p50, r.us_p99].map(String));
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
const format = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log(
  `assertion verification, one in flight, ${result.environment.cpu} (${result.environment.logical_cores} logical cores), Node ${process.version}, ` +
    `load average ${result.environment.load_average_1m_before} → ${result.environment.load_average_1m_after}`,
);
console.log(format(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const line of lines) console.log(format(line));
console.log(`goal ≥ ${GOAL_VERIFY_PER_S}/s per core: ${result.meets_goal ? 'met' : 'NOT met'} (${main.verify_per_s}/s)`);
if (asJson) console.log(JSON.stringify(result));
