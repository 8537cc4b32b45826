/**
 * A real nats-server for the cluster tests (Debian's `nats-server` 2.9, JetStream on), on a free
 * port with its own store directory; `kill()` is `kill -9`. Tests that need it skip with the
 * reason when the binary is missing (`.ci/run` installs it from Debian).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function natsServerPath(): string | undefined {
  for (const p of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) {
    try {
      execFileSync(p, ['--version'], { stdio: 'ignore' });
      return p;
    } catch {
      // try the next
    }
  }
  return undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

export interface NatsServer {
  readonly url: string;
  readonly storeDir: string;
  kill(): void;
  stop(): Promise<void>;
}

export interface NodeOptions {
  storeDir?: string;
  port?: number;
  /** Join a NATS cluster: this node's name, its route port and the other nodes' route ports. */
  cluster?: { name: string; routePort: number; routes: number[] };
}

export async function startNatsServer(o: NodeOptions = {}): Promise<NatsServer> {
  const bin = natsServerPath();
  if (!bin) throw new Error('nats-server is not installed (apt-get install nats-server)');
  const port = o.port ?? (await freePort());
  const storeDir = o.storeDir ?? mkdtempSync(join(tmpdir(), 'speakonce-nats-'));
  const conf = join(storeDir, 'nats.conf');
  const c = o.cluster;
  // 64 MiB messages: a partial sum at L = 10^6 is ~6.5 MB packed.
  writeFileSync(
    conf,
    [
      `host: 127.0.0.1`,
      `port: ${port}`,
      `max_payload: 67108864`,
      ...(c ? [`server_name: ${c.name}`] : []),
      `jetstream { store_dir: "${storeDir}" }`,
      ...(c
        ? [
            `cluster { name: speakonce, host: 127.0.0.1, port: ${c.routePort}, routes: [${c.routes.map((r) => `nats-route://127.0.0.1:${r}`).join(', ')}] }`,
          ]
        : []),
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const url = `nats://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (/Server is ready/.test(err) && (!c || /JetStream cluster|Listening for route/.test(err))) break;
    if (child.exitCode !== null) throw new Error(`nats-server exited: ${err}`);
    if (Date.now() > deadline) throw new Error(`nats-server did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    storeDir,
    kill: () => void child.kill('SIGKILL'),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A 3-node NATS cluster with JetStream (R3 streams survive one node's death). */
export async function startNatsCluster(
  size = 3,
): Promise<{ urls: string[]; nodes: NatsServer[]; stop(): Promise<void> }> {
  const ports = await Promise.all(Array.from({ length: size }, () => freePort()));
  const routes = await Promise.all(Array.from({ length: size }, () => freePort()));
  const nodes = await Promise.all(
    ports.map((port, i) =>
      startNatsServer({
        port,
        cluster: { name: `n${i + 1}`, routePort: routes[i] as number, routes: routes.filter((_, j) => j !== i) },
      }),
    ),
  );
  return {
    urls: nodes.map((n) => n.url),
    nodes,
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}
