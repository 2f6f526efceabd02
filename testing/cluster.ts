/**
 * Several instances of the attendance service, each its own `service/main.ts` process as an
 * operator runs it (configuration from the environment), on one PostgreSQL database, behind a
 * round-robin TCP load balancer with no sticky sessions: each new connection goes to the next
 * instance that accepts it. For the multi-instance e2e tests and `bench:service`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { platformJwks } from '../demo/platform.js';
import { ROOT } from '../tools/paths.js';
import type { TestPlatform } from './platform.js';

/** A free loopback port. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Round-robin TCP proxy: a connection goes to the next backend that accepts it. */
export class RoundRobinBalancer {
  private next = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly backends: () => readonly number[],
  ) {}

  static async start(port: number, backends: () => readonly number[]): Promise<RoundRobinBalancer> {
    let balancer: RoundRobinBalancer | undefined;
    const server = createServer((client) => balancer!.forward(client, 0));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    balancer = new RoundRobinBalancer(server, port, backends);
    return balancer;
  }

  private forward(client: Socket, attempt: number): void {
    const ports = this.backends();
    if (attempt >= ports.length) return void client.destroy();
    const target = ports[this.next++ % ports.length]!;
    client.pause();
    const upstream = createConnection({ port: target, host: '127.0.0.1' });
    let connected = false;
    upstream.once('error', () => {
      // Not accepting (killed, stopped): try the next one, as a load balancer's retry would.
      if (!connected) this.forward(client, attempt + 1);
    });
    upstream.once('connect', () => {
      connected = true;
      this.sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      client.resume();
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** One instance process. */
export interface Instance {
  readonly id: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** Its structured log lines, parsed. */
  readonly logs: Record<string, unknown>[];
  alive: boolean;
}

/** Options of {@link ServiceCluster.start}. */
export interface ClusterOptions {
  readonly instances: number;
  readonly databaseUrl: string;
  /** The platform whose launch tokens the instances trust. */
  readonly platform: TestPlatform;
  /** More environment for every instance (limits…). */
  readonly env?: Record<string, string>;
  /** Keep the instances' log lines (default true; a benchmark drops them to spare the client's CPU). */
  readonly keepLogs?: boolean;
  /**
   * Write a V8 CPU profile of each instance into this folder (`node --cpu-prof`). The profile is
   * written when a process exits normally, so {@link ServiceCluster.stop} then ends instances with
   * SIGTERM (a graceful shutdown) instead of SIGKILL; an instance killed meanwhile writes none.
   */
  readonly cpuProfileDir?: string;
}

/**
 * N instances behind a {@link RoundRobinBalancer} in a process of its own (as a real balancer is:
 * the clients' event loop does not carry the traffic), all with its URL as their public URL.
 */
export class ServiceCluster {
  readonly instances: Instance[] = [];
  private balancer!: ChildProcess;
  origin = '';

  /** The balancer's process id. */
  get balancerPid(): number {
    return this.balancer.pid!;
  }

  private constructor(private readonly options: ClusterOptions) {}

  static async start(options: ClusterOptions): Promise<ServiceCluster> {
    const cluster = new ServiceCluster(options);
    const port = await freePort();
    cluster.origin = `http://127.0.0.1:${port}`;
    const ports: number[] = [];
    for (let i = 0; i < options.instances; i++) ports.push(await freePort());
    // A dead backend refuses the connection and the balancer tries the next: no health list needed.
    cluster.balancer = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'testing', 'balancerProcess.ts'), String(port), ...ports.map(String)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      cluster.balancer.stdout!.once('data', () => resolve());
      cluster.balancer.once('exit', (code) => reject(new Error(`balancer exited with ${code}`)));
    });
    const jwks = join(mkdtempSync(join(tmpdir(), 'presenza-cluster-')), 'jwks.json');
    writeFileSync(jwks, JSON.stringify(platformJwks(options.platform.key)));
    for (const [i, instancePort] of ports.entries()) cluster.instances.push(cluster.spawn(`instance-${i + 1}`, instancePort, jwks));
    await Promise.all(cluster.instances.map((instance) => cluster.ready(instance)));
    return cluster;
  }

  private spawn(id: string, port: number, jwks: string): Instance {
    // One process per instance (tsx as a loader, not its CLI, whose child a SIGKILL would orphan).
    const profile = this.options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${this.options.cpuProfileDir}`] : [];
    const child = spawn(process.execPath, [...profile, '--import', 'tsx', join(ROOT, 'service', 'main.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: this.options.databaseUrl,
        PRESENZA_PUBLIC_URL: this.origin,
        PRESENZA_TRUSTED_ISSUERS: `${this.options.platform.issuer}=${jwks}`,
        PRESENZA_INSTANCE_ID: id,
        // Every simulated user comes from this one address.
        PRESENZA_LAUNCHES_PER_MINUTE: '1000000',
        ...this.options.env,
      },
      stdio: ['ignore', this.options.keepLogs === false ? 'ignore' : 'pipe', 'pipe'],
    });
    const instance: Instance = { id, port, process: child, logs: [], alive: true };
    let partial = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (partial + String(chunk)).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('{')) instance.logs.push(JSON.parse(line) as Record<string, unknown>);
    });
    child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(`[${id}] ${String(chunk)}`));
    child.on('exit', () => (instance.alive = false));
    return instance;
  }

  /** Resolves once the instance answers its readiness probe. */
  async ready(instance: Instance, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!instance.alive) throw new Error(`${instance.id} exited before it was ready`);
      const status = await fetch(`http://127.0.0.1:${instance.port}/health/ready`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`${instance.id} not ready after ${timeoutMs} ms`);
  }

  /** The instance's own origin (to reach one instance past the balancer). */
  originOf(instance: Instance): string {
    return `http://127.0.0.1:${instance.port}`;
  }

  /** Kills an instance outright (SIGKILL: no drain, connections reset). */
  kill(instance: Instance): Promise<void> {
    return this.signal(instance, 'SIGKILL');
  }

  /** Sends a signal and waits for the process to exit. */
  async signal(instance: Instance, signal: NodeJS.Signals): Promise<void> {
    if (!instance.alive) return;
    const exited = new Promise((resolve) => instance.process.once('exit', resolve));
    instance.process.kill(signal);
    await exited;
  }

  async stop(): Promise<void> {
    await Promise.all(this.instances.map((instance) => this.signal(instance, this.options.cpuProfileDir ? 'SIGTERM' : 'SIGKILL')));
    const exited = new Promise((resolve) => this.balancer.once('exit', resolve));
    this.balancer.kill('SIGKILL');
    await exited;
  }
}
