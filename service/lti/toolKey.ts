/**
 * The tool's own key pair (RS256, the algorithm every LTI 1.3 platform supports): the platform
 * reads its public half from the tool's JWKS to verify Deep Linking responses and service-token
 * requests. The private JWK lives in a file readable by the service's user only.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JSONWebKeySet, type JWK } from 'jose';

/** The algorithm of the tool's key. */
export const TOOL_KEY_ALG = 'RS256';

/** Reads the tool's private JWK from `file`; with `create`, makes one first when the file is missing. */
export async function loadToolKey(file: string, { create = false } = {}): Promise<JWK> {
  if (!existsSync(file)) {
    if (!create) throw new TypeError(`the LTI tool key ${file} does not exist (create it with npm run lti:tool-info -- --create-key)`);
    const { privateKey } = await generateKeyPair(TOOL_KEY_ALG, { modulusLength: 2048, extractable: true });
    const jwk = await exportJWK(privateKey);
    const key = { ...jwk, alg: TOOL_KEY_ALG, use: 'sig', kid: await calculateJwkThumbprint(jwk) };
    writeFileSync(file, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  }
  const key = JSON.parse(readFileSync(file, 'utf8')) as JWK;
  if (key.kty !== 'RSA' || typeof key.d !== 'string' || typeof key.kid !== 'string') throw new TypeError(`${file} is not the tool's private RSA JWK`);
  return key;
}

/** The public JWKS of the tool's key (no private member ever leaves). */
export function toolJwks(key: JWK): JSONWebKeySet {
  const { kty, n, e, kid } = key;
  return { keys: [{ kty: kty!, n: n!, e: e!, kid: kid!, alg: TOOL_KEY_ALG, use: 'sig' }] };
}
