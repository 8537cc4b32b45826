/**
 * Observers of /events with backpressure, over real sockets: 200 observers that never read,
 * on a federation with a long history (a replay of ≈ 2.4 MB each, as in issue 14), are all
 * disconnected while the server's memory grows by less than 100 MiB (it grew by 650 MiB before);
 * a reading observer gets the whole replay and the live events; the caps refuse with 503 and a
 * typed body.
 */
import { type Server, createServer, get } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { FederationEvent } from '../wire/events.js';
import { DEFAULT_CONFIG } from './config.js';
import { createLogger } from './log.js';
import { type ObserverLimits, Subscribers } from './subscribers.js';
import { startTestServer, type TestServer } from '../../test/support/federation.js';

const MiB = 1024 * 1024;
const RSS_CEILING_MIB = 100;

let servers: Server[] = [];
let sockets: Socket[] = [];
let fedServer: TestServer | undefined;
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets = [];
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  servers = [];
  await fedServer?.stop();
  fedServer = undefined;
});

/** A history of `n` waiting events of about `size` bytes each. */
function history(n: number, size: number): FederationEvent[] {
  return Array.from({ length: n }, (_, i) => ({ type: 'waiting', reason: `${i}:`.padEnd(size, 'x') }));
}

async function serve(
  limits: Partial<ObserverLimits>,
  events: FederationEvent[],
): Promise<{ subs: Subscribers; port: number }> {
  const subs = new Subscribers(
    {
      maxObservers: 1000,
      maxObserversPerAddress: 1000,
      observerBufferBytes: DEFAULT_CONFIG.observerBufferBytes,
      observerReplayMs: 30_000,
      ...limits,
    },
    () => events,
    createLogger('silent'),
  );
  const server = createServer((req, res) => subs.open(req, res));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { subs, port: (server.address() as AddressInfo).port };
}

/** An observer that sends its request and never reads a byte. */
function silentObserver(port: number): void {
  const s = connect(port, '127.0.0.1');
  sockets.push(s);
  s.pause(); // never reads: the kernel's buffers fill, then the server's
  s.on('error', () => undefined);
  s.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\n');
}

async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('observers of /events with backpressure', () => {
  it(`200 observers that never read a 2.4 MB replay are dropped; RSS grows by < ${RSS_CEILING_MIB} MiB`, async () => {
    const events = history(2400, 1000);
    const { subs, port } = await serve({ observerReplayMs: 1500 }, events);
    const base = process.memoryUsage().rss;
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    try {
      for (let i = 0; i < 200; i++) silentObserver(port);
      await until(() => subs.count + subs.dropped === 200, 'all 200 are observing');
      // the kernel takes the replay and a few hundred KB more; then the server's buffer fills
      for (let i = 0; i < 1000 && subs.dropped < 200; i++) {
        subs.broadcast({ type: 'waiting', reason: `live ${i}`.padEnd(8000, 'y') });
        if (i % 20 === 19) await new Promise((r) => setTimeout(r, 5));
      }
      expect(subs.dropped).toBe(200);
      expect(subs.count).toBe(0);
    } finally {
      clearInterval(sampler);
    }
    const growth = (peak - base) / MiB;
    console.log(`200 silent observers: RSS growth ${growth.toFixed(1)} MiB (ceiling ${RSS_CEILING_MIB})`);
    expect(growth).toBeLessThan(RSS_CEILING_MIB);
  });

  it('an observer that reads its replay but not the live events is dropped when its buffer fills', async () => {
    const { subs, port } = await serve({ observerBufferBytes: 64 * 1024 }, history(5, 100));
    silentObserver(port);
    await until(() => subs.count === 1, 'observing');
    await new Promise((r) => setTimeout(r, 50)); // the short replay is written
    for (let i = 0; subs.count && i < 10_000; i++)
      subs.broadcast({ type: 'waiting', reason: `${i}`.padEnd(8000, 'z') });
    await until(() => subs.dropped === 1, 'dropped');
    expect(subs.count).toBe(0);
  });

  it('a reading observer gets the whole replay in order, then live events', async () => {
    const events = history(3000, 500);
    const { subs, port } = await serve({}, events);
    const got: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      get({ port, host: '127.0.0.1', path: '/events' }, (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          buf += d;
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const frame = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = frame.split('\n').find((l) => l.startsWith('data: '));
            if (data) got.push((JSON.parse(data.slice(6)) as { reason: string }).reason.split(':')[0]!);
            if (got.length === 3000) subs.broadcast({ type: 'waiting', reason: 'live:' });
            if (got.length === 3001) resolve();
          }
        });
      }).on('error', reject);
    });
    await done;
    expect(got.slice(0, 3000)).toEqual(events.map((_, i) => String(i)));
    expect(got[3000]).toBe('live');
    expect(subs.dropped).toBe(0);
  });

  it('the server caps observers per address: the next is refused 503 TOO_MANY_OBSERVERS', async () => {
    fedServer = await startTestServer({ maxObserversPerAddress: 2 });
    const port = fedServer.server.port;
    const open = () =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        get({ port, host: '127.0.0.1', path: '/events' }, (res) => {
          if (res.statusCode === 200) return resolve({ status: 200, body: '' });
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        }).on('error', reject);
      });
    expect((await open()).status).toBe(200);
    expect((await open()).status).toBe(200);
    const third = await open();
    expect(third.status).toBe(503);
    expect(JSON.parse(third.body)).toMatchObject({ code: 'TOO_MANY_OBSERVERS' });
  });
});
