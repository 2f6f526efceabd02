/**
 * A virtual X display for browsers that need one: WebKitGTK has no headless mode, and headless
 * Firefox gets no WebGL on a machine without a GPU (under Xvfb it uses Mesa's software renderer).
 */
import { spawn } from 'node:child_process';

/** A running Xvfb server. */
export interface Display {
  /** The value for `DISPLAY`, e.g. `:99`. */
  readonly name: string;
  close(): Promise<void>;
}

/** Path of Xvfb (Debian package `xvfb`). */
export const XVFB = '/usr/bin/Xvfb';

/** Starts Xvfb on the first free display number (Xvfb picks it and writes it to the fd). */
export async function startDisplay(): Promise<Display> {
  const server = spawn(XVFB, ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const name = await new Promise<string>((resolve, reject) => {
    let output = '';
    let errors = '';
    server.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    server.stdio[3]!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('\n')) resolve(`:${output.trim()}`);
    });
    server.once('error', reject);
    server.once('exit', (code) => reject(new Error(`Xvfb exited (${code}): ${errors.trim()}`)));
  });
  return {
    name,
    async close() {
      if (server.exitCode === null) server.kill();
      await exited;
    },
  };
}
