/** Test support for the verifier's tests: a fresh device key pair, as the SDK's vault creates one. */
import type { EcPublicJwk } from '../src/protocol/assertion.js';
import { DEVICE_KEY_ALGORITHM, exportPublicJwk, jwkThumbprint } from '../src/protocol/jws.js';

/** A device: its key pair, public JWK and RFC 7638 thumbprint. */
export interface Device {
  keys: CryptoKeyPair;
  publicJwk: EcPublicJwk;
  kid: string;
}

/** A device whose key no other test has used, so the verifier's key cache does not know it yet. */
export async function newDevice(): Promise<Device> {
  const keys = (await crypto.subtle.generateKey(DEVICE_KEY_ALGORITHM, false, ['sign', 'verify'])) as CryptoKeyPair;
  const publicJwk = await exportPublicJwk(keys.publicKey);
  return { keys, publicJwk, kid: await jwkThumbprint(publicJwk) };
}
