/**
 * The vault: the one enrolled template and the device keys, inside the worker only.
 * The template is sealed with AES-GCM under a non-extractable key and stored with its
 * `retainUntil` in IndexedDB (through `idb`); the ECDSA P-256 signing key is non-extractable too.
 * A record past `retainUntil` is deleted the moment it is read. `forget` deletes keys and template
 * in one transaction.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { EcPublicJwk } from '../src/protocol/assertion.js';
import { DEVICE_KEY_ALGORITHM, exportPublicJwk, jwkThumbprint } from '../src/protocol/jws.js';

/** IndexedDB database of the vault (in the host page's origin). */
export const VAULT_DATABASE = 'presenza-vault';
const STORE = 'enrollments';
const DB_VERSION = 1;
/** AES-GCM nonce length in bytes. */
const IV_BYTES = 12;

/** A sealed template: AES-GCM ciphertext with its nonce. */
export interface SealedTemplate {
  readonly iv: Uint8Array<ArrayBuffer>;
  readonly ciphertext: ArrayBuffer;
}

/** The device keys of one enrollment. Private halves are non-extractable. */
export interface DeviceKeys {
  readonly signingKey: CryptoKey;
  readonly publicJwk: EcPublicJwk;
  /** RFC 7638 thumbprint of the public key: the assertions' `kid`. */
  readonly kid: string;
  readonly sealingKey: CryptoKey;
}

/** What is stored for one platform (`audience`). Nothing in it is readable biometric data. */
export interface EnrollmentRecord extends DeviceKeys {
  readonly audience: string;
  readonly enrollmentId: string;
  /** Epoch ms after which the record is deleted. */
  readonly retainUntil: number;
  readonly createdAt: number;
  readonly sealedTemplate: SealedTemplate;
  /** Model ids the template was made with; a check with other models cannot compare. */
  readonly models: readonly string[];
}

interface VaultSchema extends DBSchema {
  enrollments: { key: string; value: EnrollmentRecord };
}

/** Result of looking up the enrollment of an audience. */
export type EnrollmentLookup =
  | { readonly state: 'enrolled'; readonly record: EnrollmentRecord }
  | { readonly state: 'not_enrolled' }
  | { readonly state: 'expired' };

/** Creates fresh device keys: an ECDSA P-256 signing pair and an AES-GCM sealing key, both private parts non-extractable. */
export async function createDeviceKeys(): Promise<DeviceKeys> {
  const pair = await crypto.subtle.generateKey(DEVICE_KEY_ALGORITHM, false, ['sign', 'verify']);
  const sealingKey = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  const publicJwk = await exportPublicJwk(pair.publicKey);
  return { signingKey: pair.privateKey, publicJwk, kid: await jwkThumbprint(publicJwk), sealingKey };
}

/** Binds a sealed template to its platform and enrollment: it cannot be moved to another record. */
function sealContext(audience: string, enrollmentId: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`presenza-template\n${audience}\n${enrollmentId}`);
}

/** Seals a template. */
export async function sealTemplate(
  key: CryptoKey,
  template: Float32Array,
  audience: string,
  enrollmentId: string,
): Promise<SealedTemplate> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const plain = new Uint8Array(template.buffer, template.byteOffset, template.byteLength);
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: sealContext(audience, enrollmentId) },
    key,
    plain as Uint8Array<ArrayBuffer>,
  );
  return { iv, ciphertext };
}

/** Unseals a template; throws if the ciphertext, nonce or binding was altered. */
export async function unsealTemplate(key: CryptoKey, sealed: SealedTemplate, audience: string, enrollmentId: string): Promise<Float32Array> {
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: sealed.iv, additionalData: sealContext(audience, enrollmentId) },
    key,
    sealed.ciphertext,
  );
  return new Float32Array(plain);
}

/** The template store. One record per audience (platform origin) on this device. */
export class Vault {
  private constructor(private readonly db: IDBPDatabase<VaultSchema>) {}

  /** Opens (creating on first use) the vault database. */
  static async open(name: string = VAULT_DATABASE): Promise<Vault> {
    const db = await openDB<VaultSchema>(name, DB_VERSION, {
      upgrade(database) {
        database.createObjectStore(STORE, { keyPath: 'audience' });
      },
    });
    return new Vault(db);
  }

  /** Stores a record, replacing any earlier enrollment for the same audience. */
  async save(record: EnrollmentRecord): Promise<void> {
    await this.db.put(STORE, record);
  }

  /** Looks up the enrollment of `audience`, deleting it first if `nowMs` is past its `retainUntil`. */
  async lookup(audience: string, nowMs: number): Promise<EnrollmentLookup> {
    const record = await this.db.get(STORE, audience);
    if (!record) return { state: 'not_enrolled' };
    if (nowMs >= record.retainUntil) {
      await this.db.delete(STORE, audience);
      return { state: 'expired' };
    }
    return { state: 'enrolled', record };
  }

  /** Deletes every record past its `retainUntil`; returns how many were deleted. */
  async purgeExpired(nowMs: number): Promise<number> {
    const tx = this.db.transaction(STORE, 'readwrite');
    let deleted = 0;
    for (let cursor = await tx.store.openCursor(); cursor; cursor = await cursor.continue()) {
      if (nowMs >= cursor.value.retainUntil) {
        await cursor.delete();
        deleted += 1;
      }
    }
    await tx.done;
    return deleted;
  }

  /** Deletes the template and keys of `audience` at once. */
  async forget(audience: string): Promise<void> {
    await this.db.delete(STORE, audience);
  }

  /** Closes the database connection. */
  close(): void {
    this.db.close();
  }
}
