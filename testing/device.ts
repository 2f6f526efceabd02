/** Test support for the verifier's tests: a device key pair, as the SDK's vault creates one. */
import type { EcPublicJwk } from '../src/protocol/assertion.js';
import { DEVICE_KEY_ALGORITHM, exportPublicJwk, jwkThumbprint } from '../src/protocol/jws.js';

/** A device: its key pair, public JWK and RFC 7638 thumbprint. */
export interface Device {
  keys: CryptoKeyPair;
  publicJwk: EcPublicJwk;
  kid: string;
}

/**
 * A new device key pair. The private key is non-extractable, as in the vault, unless a test needs
 * to read it (`extractable: true`, e.g. to put `d` where it does not belong).
 */
export async function newDevice({ extractable = false }: { extractable?: boolean } = {}): Promise<Device> {
  const keys = (await crypto.subtle.generateKey(DEVICE_KEY_ALGORITHM, extractable, ['sign', 'verify'])) as CryptoKeyPair;
  const publicJwk = await exportPublicJwk(keys.publicKey);
  return { keys, publicJwk, kid: await jwkThumbprint(publicJwk) };
}
