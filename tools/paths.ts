/** Where tests and benchmarks find the build and the shared face photos. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Project root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The built SDK (run `npm run build` first). */
export const DIST = join(ROOT, 'dist');
/** Labelled third-party face photos, for tests and benchmarks only (never copied into the repo). */
export const FACES = resolve(process.env.PRESENZA_FACES ?? join(ROOT, '..', 'shared', 'faces'));
