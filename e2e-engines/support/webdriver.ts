/**
 * A small W3C WebDriver client over fetch, for WebKitGTK's `WebKitWebDriver` (Debian package
 * `webkit2gtk-driver`, which drives its MiniBrowser). Just what the shared scenarios need:
 * navigate and run async scripts. Results cross as JSON text (WebKit's driver returns null for
 * some objects made by structured clone).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { ScriptedPage } from '../../tools/scriptedPage.js';

/** Path of the driver. */
export const WEBKIT_DRIVER = '/usr/bin/WebKitWebDriver';

/** Options of {@link startWebKit}. */
export interface WebKitOptions {
  /** X display for MiniBrowser (from Xvfb). */
  readonly display: string;
  /** MiniBrowser arguments, e.g. `--features=+AllowWebGLInWorkers`. */
  readonly args?: readonly string[];
  /** Longest a script may run, ms. */
  readonly scriptTimeoutMs?: number;
}

/** A WebDriver session in MiniBrowser: one page. */
export interface WebKitSession extends ScriptedPage {
  /** The browser version the driver reports (the WebKitGTK version). */
  readonly version: string;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitUntilReady(base: string, driver: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (driver.exitCode !== null) throw new Error(`WebKitWebDriver exited with ${driver.exitCode}`);
    const ready = await fetch(`${base}/status`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('WebKitWebDriver did not start within 10 s');
}

/** Starts the driver and a MiniBrowser session. */
export async function startWebKit(options: WebKitOptions): Promise<WebKitSession> {
  const port = await freePort();
  const driver = spawn(WEBKIT_DRIVER, [`--port=${port}`], { stdio: 'ignore', env: { ...process.env, DISPLAY: options.display } });
  const base = `http://127.0.0.1:${port}`;
  const command = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const { value } = (await response.json()) as { value: T & { error?: string; message?: string } };
    if (!response.ok) throw new Error(`WebDriver ${method} ${path}: ${value.error}: ${value.message}`);
    return value;
  };
  try {
    await waitUntilReady(base, driver);
    const session = await command<{ sessionId: string; capabilities: { browserVersion: string } }>('POST', '/session', {
      capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { args: ['--automation', ...(options.args ?? [])] } } },
    });
    const path = `/session/${session.sessionId}`;
    await command('POST', `${path}/timeouts`, { script: options.scriptTimeoutMs ?? 180_000 });
    return {
      version: session.capabilities.browserVersion,
      goto: (url) => command('POST', `${path}/url`, { url }),
      async evaluate(fn, arg) {
        const script =
          'const [arg, done] = arguments;' +
          `Promise.resolve().then(() => (${fn.toString()})(arg)).then(` +
          '(value) => done(JSON.stringify({ value })),' +
          '(error) => done(JSON.stringify({ error: String((error && error.stack) || error), code: error && error.code })));';
        const reply = JSON.parse(await command<string>('POST', `${path}/execute/async`, { script, args: [arg ?? null] })) as {
          value?: never;
          error?: string;
          code?: string;
        };
        if (reply.error !== undefined) throw Object.assign(new Error(`in WebKit: ${reply.error}`), reply.code ? { code: reply.code } : {});
        return reply.value as never;
      },
      async close() {
        await command('DELETE', path).catch(() => undefined);
        driver.kill();
      },
    };
  } catch (error) {
    driver.kill();
    throw error;
  }
}
