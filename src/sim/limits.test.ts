/**
 * Limits before authentication, over real sockets (issue 14, points 5 and 6): before a join only
 * a join-sized frame is even decoded; a connection that does not join in time, or answers no
 * ping, is closed with a typed reason; connections are capped per address with a typed 503; and
 * a connection that floods the server with bad frames is closed after its error budget, while
 * the log and the observers see a few lines and a summary instead of one per frame.
 */
import { encode } from '@msgpack/msgpack';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import WebSocket from 'ws';
import { decodeServerMessage } from '../wire/codec.js';
import type { ServerMessage } from '../wire/messages.js';
import { type TestServer, startTestServer } from '../../test/support/federation.js';
import { RawClient, collectingLogger } from '../../test/support/participants.js';

let server: TestServer | undefined;
let clients: (RawClient | WebSocket)[] = [];
afterEach(async () => {
  for (const c of clients) (c instanceof RawClient ? c.ws : c).terminate();
  clients = [];
  await server?.stop();
  server = undefined;
});

async function raw(s: TestServer): Promise<RawClient> {
  const c = await RawClient.open(s.wsUrl);
  clients.push(c);
  return c;
}

describe('limits before authentication', () => {
  it('before a join, a frame over preJoinMaxBytes is refused TOO_LARGE undecoded; a contribution is NOT_JOINED', async () => {
    server = await startTestServer({ preJoinMaxBytes: 4096 });
    const c = await raw(server);
    c.send(encode({ t: 'join', v: 1, token: 'x', label: 'y'.repeat(5000) }));
    const big = await c.inbox.next(10_000, 'reply');
    expect(big).toMatchObject({ t: 'error', code: 'TOO_LARGE' });
    expect(big?.t === 'error' && big.message).toContain('exceeds the limit of 4096');
    c.send(
      encode({
        t: 'contribution',
        round: 1,
        y1: new Uint8Array(8),
        y2: new Uint8Array(8),
        eph: new Uint8Array(32),
        sealed: [],
      }),
    );
    expect(await c.inbox.next(10_000, 'reply')).toMatchObject({ t: 'error', code: 'NOT_JOINED' });
  });

  it('a connection that does not join within joinTimeoutMs is told JOIN_TIMEOUT and closed (4002)', async () => {
    server = await startTestServer({ joinTimeoutMs: 300 });
    const c = await raw(server);
    expect(await c.inbox.next(10_000, 'the timeout')).toMatchObject({ t: 'error', code: 'JOIN_TIMEOUT' });
    expect(await c.closedP).toMatchObject({ code: 4002, reason: 'JOIN_TIMEOUT' });
  });

  it('HTTP headers not received within headersTimeoutMs: Node answers 408 and closes the connection', async () => {
    server = await startTestServer({ headersTimeoutMs: 500, requestTimeoutMs: 1_000 });
    const s = connect(server.server.port, '127.0.0.1');
    const text = new Promise<string>((resolve) => {
      let got = '';
      s.on('data', (d: Buffer) => (got += d.toString()));
      s.once('close', () => resolve(got));
    });
    s.on('error', () => undefined);
    s.write('GET /status HTTP/1.1\r\nHost: a\r\n'); // never finished
    expect(await text).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('a connection that answers no ping is closed IDLE (4003); one whose client answers pings stays', async () => {
    server = await startTestServer({ idleTimeoutMs: 400, joinTimeoutMs: 60_000 });
    const deaf = new WebSocket(server.wsUrl, { autoPong: false });
    clients.push(deaf);
    const got: ServerMessage[] = [];
    deaf.on('message', (d: Buffer) => got.push(decodeServerMessage(new Uint8Array(d), 1 << 20)));
    const polite = await raw(server);
    const closed = await new Promise<number>((r) => deaf.on('close', (code) => r(code)));
    expect(closed).toBe(4003);
    expect(got.map((m) => (m.t === 'error' ? m.code : m.t))).toEqual(['hello', 'IDLE']);
    expect(polite.closed).toBeUndefined();
  });

  it('connections per address are capped: the next upgrade is answered 503 TOO_MANY_CONNECTIONS', async () => {
    server = await startTestServer({ maxConnectionsPerAddress: 3 });
    for (let i = 0; i < 3; i++) await raw(server);
    const refused = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const ws = new WebSocket(server!.wsUrl);
      clients.push(ws);
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.on('open', () => reject(new Error('a fourth connection was accepted')));
      ws.on('error', () => undefined);
    });
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'TOO_MANY_CONNECTIONS' });
    // a connection that leaves frees its place
    const first = clients[0] as RawClient;
    first.ws.close();
    await first.closedP;
    await new Promise((r) => setTimeout(r, 50));
    await raw(server);
  });

  it('20,000 one-byte frames: closed after its error budget (4008 ERROR_BUDGET); a few log lines, not 20,000', async () => {
    const { log, lines } = collectingLogger();
    server = await startTestServer({ errorBudget: 10, errorWindowMs: 10_000, refusalsLogged: 5 }, log);
    const c = await raw(server);
    for (let i = 0; i < 20_000; i++) c.send(Uint8Array.of(0xc1));
    const { code, reason } = await c.closedP;
    expect([code, reason]).toEqual([4008, 'ERROR_BUDGET']);
    const codes = c.replies.events.map((m) => (m.t === 'error' ? m.code : m.t));
    expect(codes.filter((x) => x === 'MALFORMED').length).toBeLessThanOrEqual(11);
    expect(codes).toContain('ERROR_BUDGET');
    expect(lines.filter((l) => l.event === 'refused')).toHaveLength(5);
    expect(lines.filter((l) => l.event === 'error_budget_spent')).toHaveLength(1);
    const observed = server.events.events.filter((e) => e.type === 'refused');
    expect(observed.length).toBeLessThanOrEqual(6);
    // the server still serves: a fresh connection is greeted
    await raw(server);
  });
});
