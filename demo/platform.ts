/**
 * The demo platform: a stand-in for the school's LMS, which in real life authenticates its users
 * and signs launch tokens for the attendance service. Here anyone picks a name and a role: it is
 * for trying the demo on one machine, never for production. Its ES256 key is generated at first
 * start (demo/data/platform-key.json, mode 0600) and the demo configures its public half as a
 * trusted issuer, exactly as a real platform's JWKS would be.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type JSONWebKeySet } from 'jose';

/** The demo platform's `iss`. */
export const DEMO_ISSUER = 'presenza-demo-platform';
/** Every demo user is in this course, so students may join any demo lesson. */
export const DEMO_COURSE = 'demo-course';
/** Lifetime of the launch tokens the demo signs (the service accepts at most 5 minutes). */
export const DEMO_TOKEN_SECONDS = 120;

/** The demo platform's signing key. */
export interface PlatformKey {
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

/** Reads the demo platform's key, or creates it (private to this user) at first start. */
export async function loadOrCreatePlatformKey(file: string): Promise<PlatformKey> {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as PlatformKey;
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const key: PlatformKey = { privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'ES256' }, publicJwk: { ...publicJwk, kid, alg: 'ES256', use: 'sig' } };
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(key), { mode: 0o600 });
  return key;
}

/** The JWKS the service is configured with for this platform. */
export const platformJwks = (key: PlatformKey): JSONWebKeySet => ({ keys: [key.publicJwk] });

/** What a launch token says about a user. */
export interface LaunchClaims {
  /** The platform's own id of the user (stable). */
  readonly subject: string;
  readonly name: string;
  readonly role: 'student' | 'teacher' | 'auditor';
  readonly course?: string;
  readonly lesson?: string;
}

/** Signs a launch token as the platform would. */
export async function signLaunchToken(
  key: PlatformKey,
  claims: LaunchClaims,
  options: { issuer: string; audience: string; lifetimeSeconds?: number; now?: number },
): Promise<string> {
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  return new SignJWT({ name: claims.name, role: claims.role, ...(claims.course ? { course: claims.course } : {}), ...(claims.lesson ? { lesson: claims.lesson } : {}) })
    .setProtectedHeader({ alg: 'ES256', typ: 'presenza-launch+jwt', kid: key.privateJwk.kid! })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(claims.subject)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (options.lifetimeSeconds ?? DEMO_TOKEN_SECONDS))
    .setJti(randomUUID())
    .sign(await importJWK(key.privateJwk, 'ES256'));
}

/**
 * Mounts the demo platform's sign-in at POST /demo-platform/sign-in ({ name, role } → { token }).
 * The demo user id is derived from role and name, so "Anna" signing in from a second browser is
 * the same student on a new device.
 */
export async function registerDemoPlatform(app: FastifyInstance, options: { key: PlatformKey; audience: string; allowedOrigins: readonly string[] }) {
  app.post(
    '/demo-platform/sign-in',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'role'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 60, pattern: '^[^\\u0000-\\u001f\\u007f]+$' },
            role: { enum: ['student', 'teacher', 'auditor'] },
          },
        },
      },
    },
    async (request, reply) => {
      const origin = request.headers.origin;
      if (typeof origin === 'string' && !options.allowedOrigins.includes(origin)) return reply.code(403).send({ error: 'bad_origin', message: 'not from the demo' });
      const { name, role } = request.body as { name: string; role: LaunchClaims['role'] };
      const trimmed = name.trim();
      if (!trimmed) return reply.code(400).send({ error: 'bad_request', message: 'a name, please' });
      const token = await signLaunchToken(
        options.key,
        { subject: `demo:${role}:${trimmed.toLowerCase()}`, name: trimmed, role, course: DEMO_COURSE },
        { issuer: DEMO_ISSUER, audience: options.audience },
      );
      return { token };
    },
  );
}
