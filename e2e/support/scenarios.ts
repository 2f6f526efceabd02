/**
 * End-to-end scenarios shared by the Chromium specs (Playwright) and the Firefox and WebKit suites
 * (e2e-engines/): they drive a {@link ScriptedPage} and return plain results; each test framework
 * asserts on them.
 */
import { MemoryNonceStore, verifyCheck, verifyEnrollment } from '../../src/server/index.js';
import { createChallenge } from '../../src/server/challenge.js';
import { DEFAULT_EMBEDDING_OPTIONS, type EmbeddingOptions } from '../../workers/stages/embedFace.js';
import type { DescribedImage } from '../../testing/harness.js';
import type { Origins } from '../../tools/origins.js';
import { AUDIENCE, DAY, check, enroll, openSdk, type Globals } from './sdkPage.js';
import type { ScriptedPage } from '../../tools/scriptedPage.js';

/** Two LFW photos of one person, and one of someone else. */
export const PERSON_A = ['lfw/Abel_Pacheco/Abel_Pacheco_0001.jpg', 'lfw/Abel_Pacheco/Abel_Pacheco_0004.jpg'] as const;
export const PERSON_B = 'lfw/Akhmed_Zakayev/Akhmed_Zakayev_0001.jpg';

/** Runs photos (paths under ../shared/faces) through the testing worker, its assets on the CDN origin. */
export async function describeImages(
  page: ScriptedPage,
  origins: Origins,
  files: readonly string[],
  options: { backend?: 'wasm' | 'webgpu'; variant?: EmbeddingOptions } = {},
): Promise<DescribedImage[]> {
  const { backend = 'wasm', variant = DEFAULT_EMBEDDING_OPTIONS } = options;
  await page.goto(`${origins.site.origin}/harness.html`);
  return page.evaluate(
    async ({ base, files, variant, backend }) => {
      const harness = await window.PresenzaHarness.start({ assetsBaseUrl: base, backend });
      if (harness.runtime.backend !== backend) throw new Error(`asked for ${backend}, runs on ${harness.runtime.backend}: ${harness.runtime.fallbackReason}`);
      const results = [];
      for (const file of files) results.push(await harness.describe(`/faces/${file}`, [variant]));
      await harness.close();
      return results;
    },
    { base: `${origins.cdn.origin}/`, files, variant, backend },
  );
}

/**
 * Enrolls from PERSON_A[0], checks with PERSON_A[1] and with PERSON_B, and verifies the three
 * assertions with presenza/server (which throws on any bad one); then replays the passing check.
 */
export async function enrollPassFail(page: ScriptedPage, origins: Origins) {
  await openSdk(page, origins);
  const enrollNonce = createChallenge();
  const enrolled = await enroll(page, { photo: PERSON_A[0], nonce: enrollNonce, retainUntil: Date.now() + 30 * DAY });
  const registration = await verifyEnrollment(enrolled.assertion, { audience: AUDIENCE, expectedNonce: enrollNonce });
  const nonceStore = new MemoryNonceStore();
  const verify = (assertion: string | null, expectedNonce: string, checkId: string) =>
    verifyCheck(assertion ?? '', { audience: AUDIENCE, publicJwk: registration.publicJwk, expectedNonce, checkId, nonceStore });

  const passNonce = createChallenge();
  const pass = await check(page, { photo: PERSON_A[1], nonce: passNonce, checkId: 'check-1' });
  const verifiedPass = await verify(pass.assertion, passNonce, 'check-1');
  const failNonce = createChallenge();
  const fail = await check(page, { photo: PERSON_B, nonce: failNonce, checkId: 'check-2' });
  const verifiedFail = await verify(fail.assertion, failNonce, 'check-2');
  const replay = await verify(pass.assertion, passNonce, 'check-1').then(
    () => null,
    (error: { code?: string }) => error.code ?? String(error),
  );
  return { enrolled, registration, pass, verifiedPass, fail, verifiedFail, replay };
}

/** Claims an assertion may carry: protocol fields only. */
export const ASSERTION_CLAIMS = ['aud', 'sub', 'jti', 'nonce', 'iat', 'exp', 'outcome', 'reason', 'liveness', 'models', 'sdk', 'retainUntil', 'idDocument'];

/** The claim names of a compact JWS. */
export const claimsOf = (jws: string) => Object.keys(JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8')) as object);

/** What in an {@link enrollPassFail} run went wrong (empty when nothing did). */
export function enrollPassFailProblems(run: Awaited<ReturnType<typeof enrollPassFail>>): string[] {
  const problems: string[] = [];
  const expect = (ok: boolean, what: string, seen: unknown) => void (ok || problems.push(`${what}, got ${JSON.stringify(seen)}`));
  expect(Object.keys(run.enrolled).sort().join() === 'assertion,idDocument', 'enroll() returns only { assertion, idDocument }', Object.keys(run.enrolled));
  expect(run.enrolled.idDocument === 'not_run' && run.registration.idDocument === 'not_run', 'no document asked: idDocument not_run', run.registration);
  expect(run.registration.enrollmentId === 'student-42', 'the enrollment is for student-42', run.registration.enrollmentId);
  expect(run.pass.outcome === 'pass' && run.pass.liveness === 'not_run', 'the same person passes', run.pass);
  expect(Object.keys(run.pass).sort().join() === 'assertion,liveness,outcome', 'a pass carries outcome, liveness, assertion only', run.pass);
  expect(run.verifiedPass.outcome === 'pass', 'the server reads pass', run.verifiedPass);
  expect(run.fail.outcome === 'fail' && run.fail.reason === 'mismatch', 'someone else fails (mismatch)', run.fail);
  expect(run.verifiedFail.outcome === 'fail' && run.verifiedFail.reason === 'mismatch', 'the server reads fail (mismatch)', run.verifiedFail);
  expect(run.replay === 'ERR_REPLAYED', 'the nonce store refuses a replay', run.replay);
  // Only protocol fields travel: no score, embedding, landmark or image in any claim.
  for (const jws of [run.enrolled.assertion, run.pass.assertion ?? '', run.fail.assertion ?? '']) {
    const extra = claimsOf(jws).filter((claim) => !ASSERTION_CLAIMS.includes(claim));
    expect(extra.length === 0, 'only protocol claims', extra);
  }
  return problems;
}

/**
 * Enrolls from a photo, then runs a check on the browser's own (fake) camera, recording every
 * stream the SDK opens: returns the result and the state of every track afterwards.
 */
export async function checkWithCamera(page: ScriptedPage, origins: Origins) {
  await openSdk(page, origins);
  await enroll(page, { photo: PERSON_A[0], nonce: createChallenge(), retainUntil: Date.now() + DAY });
  return page.evaluate(async () => {
    const g = window as unknown as Globals;
    const opened: MediaStream[] = [];
    const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = async (constraints) => {
      const stream = await original(constraints);
      opened.push(stream);
      return stream;
    };
    const outcome = await g.sdk.check({ checkId: 'cam', nonce: 'n'.repeat(22), timeoutMs: 2500 });
    return { outcome, tracks: opened.flatMap((s) => s.getTracks().map((t) => t.readyState)) };
  }, undefined);
}

/** What in a {@link checkWithCamera} run went wrong on a camera showing no face (empty when nothing did). */
export function cameraCheckProblems(run: Awaited<ReturnType<typeof checkWithCamera>>): string[] {
  const problems: string[] = [];
  const { outcome, assertion, reason } = run.outcome;
  if (outcome !== 'inconclusive' || reason !== 'no_face') problems.push(`expected inconclusive / no_face, got ${outcome} / ${reason}`);
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(assertion ?? '')) problems.push('the result is not signed');
  if (run.tracks.length === 0) problems.push('no camera track was opened');
  if (run.tracks.some((state) => state !== 'ended')) problems.push(`tracks left running: ${run.tracks.join()}`);
  return problems;
}

/**
 * In a browser that cannot run the face check: how `Presenza.create()` fails (and how fast), then
 * what the student UI offers after the student picks the face check (the alternative, no retry),
 * and how the element's promise ends when the student takes the alternative.
 */
export async function unsupportedFlow(page: ScriptedPage, origins: Origins) {
  await page.goto(`${origins.site.origin}/sdk.html`);
  return page.evaluate(async () => {
    const started = performance.now();
    const error = await window.Presenza.create().then(
      async (presenza) => void (await presenza.close()),
      (e: Error & { code?: string }) => ({ code: e.code, coded: window.Presenza.isPresenzaError(e), message: e.message }),
    );
    const createMs = performance.now() - started;
    const slot = document.body.appendChild(document.createElement('div'));
    const element = window.Presenza.mount(slot, { presenza: {}, controller: 'School', purpose: 'Attendance', noticeUrl: '/notice.html' });
    const settled = element.check({ checkId: 'check-unsupported', nonce: 'n'.repeat(22) });
    const until = async <T>(find: () => T | null | undefined): Promise<T> => {
      for (let i = 0; i < 300; i += 1) {
        const found = find();
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`the element stayed in state ${element.getAttribute('state')}`);
    };
    const button = (choice: string) => element.shadowRoot!.querySelector<HTMLButtonElement>(`button[data-choice="${choice}"]`);
    (await until(() => button('face'))).click();
    const state = await until(() => (['error', 'failed', 'camera-error'].includes(element.getAttribute('state') ?? '') ? element.getAttribute('state') : null));
    const offered = [...element.shadowRoot!.querySelectorAll('button[data-choice]')].map((b) => b.getAttribute('data-choice'));
    button('alternative')!.click();
    return { error, createMs, state, offered, outcome: await settled };
  }, undefined);
}

/** What the raw IndexedDB records of the vault hold, read in the page (see {@link vaultViolations}). */
export interface VaultAudit {
  readonly count: number;
  /** `path:kind` of every key, binary buffer and Blob in the records. */
  readonly kinds: string[];
  readonly largestNumberArray: number;
  readonly ciphertextBytes: number;
  /** Euclidean norm of the ciphertext read as 512 floats (a template would be 1). */
  readonly norm: number;
}

/** Reads the vault's records raw, as any script of the platform's origin could. */
export function auditVault(page: ScriptedPage): Promise<VaultAudit> {
  return page.evaluate(
    () =>
      new Promise<VaultAudit>((resolve, reject) => {
        const open = indexedDB.open('presenza-vault');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const request = open.result.transaction('enrollments').objectStore('enrollments').getAll();
          request.onsuccess = () => {
            const records = request.result as Record<string, unknown>[];
            const kinds: string[] = [];
            let largestNumberArray = 0;
            const walk = (value: unknown, path: string): void => {
              if (value instanceof CryptoKey) {
                kinds.push(`${path}:CryptoKey:${value.type}:${value.extractable}`);
              } else if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
                kinds.push(`${path}:${value.constructor.name}`);
              } else if (value instanceof Blob) {
                kinds.push(`${path}:Blob`);
              } else if (Array.isArray(value)) {
                if (value.every((v) => typeof v === 'number')) largestNumberArray = Math.max(largestNumberArray, value.length);
                value.forEach((v, i) => walk(v, `${path}[${i}]`));
              } else if (value && typeof value === 'object') {
                for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
              }
            };
            records.forEach((r) => walk(r, ''));
            const sealed = records[0]?.sealedTemplate as { ciphertext: ArrayBuffer } | undefined;
            const ciphertext = sealed?.ciphertext ?? new ArrayBuffer(0);
            // Read as floats, ciphertext is noise: not a unit-length vector, often not even finite.
            const asFloats = new Float32Array(ciphertext.slice(0, 512 * 4));
            const norm = Math.sqrt(asFloats.reduce((s, v) => s + (Number.isFinite(v) ? v * v : 1e30), 0));
            resolve({ count: records.length, kinds, largestNumberArray, ciphertextBytes: ciphertext.byteLength, norm });
          };
        };
      }),
    undefined,
  );
}

/** Everything in an audit that breaks the vault's promise (one sealed template, non-extractable keys); empty when none. */
export function vaultViolations(audit: VaultAudit): string[] {
  const problems: string[] = [];
  if (audit.count !== 1) problems.push(`${audit.count} records, expected 1`);
  for (const kind of ['signingKey:CryptoKey:private:false', 'sealingKey:CryptoKey:secret:false', 'sealedTemplate.ciphertext:ArrayBuffer']) {
    if (!audit.kinds.includes(kind)) problems.push(`no ${kind}`);
  }
  for (const kind of audit.kinds) {
    if (/Float32Array|Float64Array|Blob|:true$/.test(kind)) problems.push(`readable or extractable: ${kind}`);
  }
  if (audit.largestNumberArray >= 16) problems.push(`a number array of ${audit.largestNumberArray} values`);
  // 512 float32 values plus the 16-byte GCM tag.
  if (audit.ciphertextBytes !== 512 * 4 + 16) problems.push(`ciphertext of ${audit.ciphertextBytes} bytes`);
  if (Math.abs(audit.norm - 1) <= 0.5) problems.push(`the ciphertext reads as a unit vector (norm ${audit.norm})`);
  return problems;
}
