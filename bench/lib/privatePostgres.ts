/**
 * A throwaway PostgreSQL cluster for a benchmark run when no DATABASE_URL is given: initdb into a
 * temp folder, started on a free loopback port with the server's defaults (fsync and synchronous
 * commit on: an acknowledged result must survive), stopped and deleted at the end. Uses Debian's
 * /usr/lib/postgresql/<version>/bin; as root, runs the server as the `postgres` user.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../testing/cluster.js';

/** The newest installed server's bin folder. */
function serverBin(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))) : [];
  if (!versions.length) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql), or set DATABASE_URL');
  return join(base, versions.sort((a, b) => Number(a) - Number(b)).at(-1)!, 'bin');
}

/** A running private cluster. */
export interface PrivatePostgres {
  readonly url: string;
  /** The postmaster's process id (its backends are its children). */
  readonly pid: number;
  stop(): void;
}

/** Starts a private cluster with `maxConnections` and one database, `bench`. */
export async function startPrivatePostgres(maxConnections = 200): Promise<PrivatePostgres> {
  const bin = serverBin();
  const data = mkdtempSync(join(tmpdir(), 'presenza-pg-'));
  const asRoot = userInfo().uid === 0;
  const run = (tool: string, args: string[]) =>
    asRoot ? execFileSync('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args], { stdio: 'pipe' }) : execFileSync(join(bin, tool), args, { stdio: 'pipe' });
  if (asRoot) chownSync(data, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), Number(execFileSync('id', ['-g', 'postgres']).toString().trim()));
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres']);
  const port = await freePort();
  run('pg_ctl', ['-D', data, '-o', `-p ${port} -k ${data} -c listen_addresses=127.0.0.1 -c max_connections=${maxConnections}`, '-l', join(data, 'log'), 'start', '-w']);
  run('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-qc', 'CREATE DATABASE bench']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/bench`,
    pid: Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]),
    stop() {
      try {
        run('pg_ctl', ['-D', data, 'stop', '-m', 'fast']);
      } finally {
        rmSync(data, { recursive: true, force: true });
      }
    },
  };
}
