import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, compactVerify, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { CHECK_TYP, type EcPublicJwk } from './assertion.js';
import {
  DEVICE_KEY_ALGORITHM,
  base64urlDecode,
  base64urlEncode,
  base64urlEncodeJson,
  exportPublicJwk,
  isCanonicalBase64url,
  isP256Coordinate,
  jwkThumbprint,
  signCompactJws,
} from './jws.js';

async function deviceKeyPair(extractable = false): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(DEVICE_KEY_ALGORITHM, extractable, ['sign', 'verify'])) as CryptoKeyPair;
}

describe('base64url', () => {
  it('matches Node’s base64url for every length from 0 to 70 bytes', () => {
    for (let length = 0; length <= 70; length++) {
      const bytes = crypto.getRandomValues(new Uint8Array(length));
      const encoded = base64urlEncode(bytes);
      expect(encoded).toBe(Buffer.from(bytes).toString('base64url'));
      expect(Array.from(base64urlDecode(encoded))).toEqual(Array.from(bytes));
    }
  });

  it('encodes large inputs (more than one btoa chunk)', () => {
    const bytes = new Uint8Array(100_000).map((_, i) => (i * 7919) & 0xff);
    expect(base64urlEncode(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
  });

  it('uses - and _ and never padding', () => {
    expect(base64urlEncode(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
    expect(base64urlEncode(new Uint8Array([0]))).toBe('AA');
  });

  it.each([
    ['padding', 'AA=='],
    ['standard base64 +', 'a+b'],
    ['standard base64 /', 'a/b'],
    ['whitespace', 'AA AA'],
    ['impossible length 4n+1', 'AAAAA'],
    ['non-zero trailing bits after one byte', 'AB'],
    ['non-zero trailing bits after two bytes', 'AAB'],
  ])('rejects %s', (_name, text) => {
    expect(() => base64urlDecode(text)).toThrow(TypeError);
  });

  it('calls canonical exactly the texts that decode and re-encode to themselves', () => {
    const digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let canonical = 0;
    // Every 1-, 2- and 3-character tail after a full group, against Node's lenient decoder.
    for (const a of digits) {
      for (const tail of [a, ...[...digits].map((b) => a + b), ...[...digits].map((b) => `Q${a}${b}`)]) {
        const text = `AAAA${tail}`;
        const roundTrip = text.length % 4 !== 1 && Buffer.from(text, 'base64url').toString('base64url') === text;
        expect(isCanonicalBase64url(text), text).toBe(roundTrip);
        if (roundTrip) canonical++;
      }
    }
    // 64 × 64 two-character tails, 1 in 16 canonical; 64 × 64 three-character ones, 1 in 4.
    expect(canonical).toBe(256 + 1024);
    expect(isCanonicalBase64url('')).toBe(true);
    expect(isCanonicalBase64url('AA==')).toBe(false);
    expect(isCanonicalBase64url('AA+/')).toBe(false);
  });

  it('encodes JSON as UTF-8', () => {
    expect(new TextDecoder().decode(base64urlDecode(base64urlEncodeJson({ a: 'é' })))).toBe('{"a":"é"}');
  });
});

describe('jwkThumbprint (RFC 7638)', () => {
  it('hashes the canonical JSON of crv, kty, x, y in that order', async () => {
    const jwk: EcPublicJwk = {
      kty: 'EC',
      crv: 'P-256',
      x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
      y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
    };
    const canonical = `{"crv":"P-256","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`;
    const expected = createHash('sha256').update(canonical).digest('base64url');
    expect(await jwkThumbprint(jwk)).toBe(expected);
  });

  it('reproduces the published P-256 thumbprint of RFC 9449 §6.1', async () => {
    const jwk: EcPublicJwk = {
      kty: 'EC',
      crv: 'P-256',
      x: 'l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs',
      y: '9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA',
    };
    expect(await jwkThumbprint(jwk)).toBe('0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I');
  });

  it('agrees with jose and ignores non-required members', async () => {
    const { publicKey } = await deviceKeyPair();
    const full = (await crypto.subtle.exportKey('jwk', publicKey)) as EcPublicJwk & { key_ops?: string[]; ext?: boolean };
    expect(full.key_ops).toBeDefined();
    expect(await jwkThumbprint(full)).toBe(await calculateJwkThumbprint(full, 'sha256'));
    expect(await jwkThumbprint(full)).toBe(await jwkThumbprint(await exportPublicJwk(publicKey)));
  });

  it('refuses x or y with non-zero trailing bits: one point, one thumbprint', async () => {
    const { publicKey } = await deviceKeyPair();
    const jwk = await exportPublicJwk(publicKey);
    expect(isP256Coordinate(jwk.x) && isP256Coordinate(jwk.y)).toBe(true);
    // 43 characters carry 258 bits for 32 bytes: the last character's 2 low bits are unused.
    const digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const bump = (c: string) => `${c.slice(0, -1)}${digits[digits.indexOf(c.at(-1)!) | 1]}`;
    for (const variant of [{ ...jwk, x: bump(jwk.x) }, { ...jwk, y: bump(jwk.y) }]) {
      expect(Buffer.from(variant.x, 'base64url')).toEqual(Buffer.from(jwk.x, 'base64url'));
      expect(Buffer.from(variant.y, 'base64url')).toEqual(Buffer.from(jwk.y, 'base64url'));
      await expect(jwkThumbprint(variant)).rejects.toThrow(/canonical/);
    }
    await expect(jwkThumbprint({ ...jwk, x: `${jwk.x}=` })).rejects.toThrow(TypeError);
    await expect(jwkThumbprint({ ...jwk, x: jwk.x.slice(0, -1) })).rejects.toThrow(TypeError);
  });

  it('rejects anything but an EC P-256 JWK', async () => {
    await expect(jwkThumbprint({ kty: 'EC', crv: 'P-384', x: 'a', y: 'b' } as unknown as EcPublicJwk)).rejects.toThrow(TypeError);
    await expect(jwkThumbprint({ kty: 'RSA', n: 'a', e: 'AQAB' } as unknown as EcPublicJwk)).rejects.toThrow(TypeError);
    await expect(jwkThumbprint(null as unknown as EcPublicJwk)).rejects.toThrow(TypeError);
  });
});

describe('exportPublicJwk', () => {
  it('returns exactly kty, crv, x, y', async () => {
    const { publicKey } = await deviceKeyPair();
    const jwk = await exportPublicJwk(publicKey);
    expect(Object.keys(jwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    expect(jwk.kty).toBe('EC');
    expect(jwk.crv).toBe('P-256');
    expect(base64urlDecode(jwk.x)).toHaveLength(32);
    expect(base64urlDecode(jwk.y)).toHaveLength(32);
  });

  it('refuses a private key', async () => {
    const { privateKey } = await deviceKeyPair(true);
    await expect(exportPublicJwk(privateKey)).rejects.toThrow(TypeError);
  });
});

describe('signCompactJws', () => {
  const claims = { aud: 'https://school.example', n: 1 };

  it('produces an ES256 compact JWS with a 64-byte r||s signature that jose verifies', async () => {
    const { publicKey, privateKey } = await deviceKeyPair();
    const publicJwk = await exportPublicJwk(publicKey);
    const kid = await jwkThumbprint(publicJwk);
    const jws = await signCompactJws({ alg: 'ES256', typ: CHECK_TYP, kid }, claims, privateKey);

    const parts = jws.split('.');
    expect(parts).toHaveLength(3);
    expect(base64urlDecode(parts[2]!)).toHaveLength(64);
    expect(decodeProtectedHeader(jws)).toEqual({ alg: 'ES256', typ: CHECK_TYP, kid });

    const key = await importJWK(publicJwk, 'ES256');
    const { payload } = await compactVerify(jws, key, { algorithms: ['ES256'] });
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(claims);
    const { payload: jwt } = await jwtVerify(jws, key, { typ: CHECK_TYP, audience: claims.aud });
    expect(jwt.n).toBe(1);
  });

  it('is verified by WebCrypto directly over header.payload', async () => {
    const { publicKey, privateKey } = await deviceKeyPair();
    const jws = await signCompactJws({ alg: 'ES256', typ: 'x' }, claims, privateKey);
    const [h, p, s] = jws.split('.') as [string, string, string];
    const ok = await crypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' },
      publicKey,
      base64urlDecode(s),
      new TextEncoder().encode(`${h}.${p}`),
    );
    expect(ok).toBe(true);
  });

  it('refuses any alg but ES256', async () => {
    const { privateKey } = await deviceKeyPair();
    await expect(signCompactJws({ alg: 'none' } as never, claims, privateKey)).rejects.toThrow(TypeError);
    await expect(signCompactJws({ alg: 'HS256', typ: 'x' } as never, claims, privateKey)).rejects.toThrow(TypeError);
  });

  it('refuses a public key, a non-ECDSA key and non-object claims', async () => {
    const { publicKey, privateKey } = await deviceKeyPair();
    await expect(signCompactJws({ alg: 'ES256', typ: 'x' }, claims, publicKey)).rejects.toThrow(/private key/);
    const hmac = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    await expect(signCompactJws({ alg: 'ES256', typ: 'x' }, claims, hmac as CryptoKey)).rejects.toThrow(TypeError);
    await expect(signCompactJws({ alg: 'ES256', typ: 'x' }, [] as never, privateKey)).rejects.toThrow(/claims/);
    await expect(signCompactJws({ alg: 'ES256', typ: 'x' }, claims, {} as CryptoKey)).rejects.toThrow(/CryptoKey/);
  });
});
