/**
 * The enrollment authority's limits before authentication (src/authority/limits.ts), over real
 * sockets on the loopback: a second address is 127.0.0.2 (the same loopback interface), so that
 * the per-address budgets and caps are seen to be per address. Every refusal has its code and
 * HTTP status; the limits are small here so that each is reached in a few requests.
 */
import { type IncomingMessage, request } from 'node:http';
import { type Socket, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningAuthority, authorityHandler, listenAuthority } from '../authority/http.js';
import { memoryKeys } from '../authority/keys.js';
import type { AuthorityLimits } from '../authority/limits.js';
import { EnrollmentAuthority } from '../authority/service.js';

const keys = memoryKeys();
let running: RunningAuthority | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await running?.close();
  running = undefined;
});

interface Logged {
  event: string;
  fields?: Record<string, unknown>;
}

async function serve(limits: Partial<AuthorityLimits>): Promise<{ port: number; logged: Logged[] }> {
  const logged: Logged[] = [];
  const auth = new EnrollmentAuthority(keys, { federation: 'fed-limits', open: true });
  const push = (event: string, fields?: Record<string, unknown>) =>
    void logged.push({ event, ...(fields ? { fields } : {}) });
  running = await listenAuthority(auth, '127.0.0.1', 0, { info: push, warn: push }, limits);
  return { port: Number(new URL(running.url).port), logged };
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  json: { error?: { code: string; message: string } } & Record<string, unknown>;
}

/** One request on a fresh connection from `from` (127.0.0.1 or 127.0.0.2). */
function ask(
  port: number,
  path: string,
  opts: { from?: string; method?: string; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        localAddress: opts.from ?? '127.0.0.1',
        agent: false,
        headers: opts.body === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(text) as Answer['json'] }),
        );
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A raw connection from `from`; resolves once connected. */
function raw(port: number, from = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, localAddress: from }, () => resolve(s));
    s.on('error', reject);
    sockets.push(s);
  });
}

/** Everything a raw connection receives until the server closes it. */
const untilClosed = (s: Socket): Promise<string> =>
  new Promise((resolve) => {
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString()));
    s.once('close', () => resolve(text));
  });

describe("the enrollment authority's limits before authentication", () => {
  it('requests per address: past the budget, 429 RATE_LIMITED with Retry-After, logged once; another address is served', async () => {
    const { port, logged } = await serve({ requestsPerWindow: 5, windowMs: 60_000 });
    for (let i = 0; i < 5; i++) expect((await ask(port, '/v1/authority')).status).toBe(200);
    const over = await ask(port, '/v1/authority');
    expect(over.status).toBe(429);
    expect(over.json.error?.code).toBe('RATE_LIMITED');
    expect(over.json.error?.message).toMatch(
      /^more than 5 requests from 127\.0\.0\.1 within 60 s: try again in \d+ s$/,
    );
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect((await ask(port, '/v1/enroll', { method: 'POST', body: '{}' })).json.error?.code).toBe('RATE_LIMITED');
    expect((await ask(port, '/v1/authority', { from: '127.0.0.2' })).status).toBe(200);
    expect(logged.filter((l) => l.event === 'authority_limited')).toHaveLength(1);
  });

  it('an error budget per address: after N refused requests every request is 429 ERROR_BUDGET; another address is served', async () => {
    const { port } = await serve({ errorsPerWindow: 3, windowMs: 60_000 });
    const bad = () => ask(port, '/v1/enroll', { method: 'POST', body: 'not json' });
    for (let i = 0; i < 3; i++) expect((await bad()).json.error?.code).toBe('MALFORMED');
    const spent = await ask(port, '/v1/authority');
    expect([spent.status, spent.json.error?.code]).toEqual([429, 'ERROR_BUDGET']);
    expect(spent.json.error?.message).toContain('3 refused requests from 127.0.0.1 within 60 s, its error budget');
    expect((await ask(port, '/v1/authority', { from: '127.0.0.2' })).status).toBe(200);
  });

  it('a declared body over the limit is refused before it is read (413 TOO_LARGE)', async () => {
    const { port } = await serve({ maxBodyBytes: 64 });
    const s = await raw(port);
    const answer = untilClosed(s);
    // declares a megabyte and sends none of it: the refusal comes from the header alone
    s.write('POST /v1/enroll HTTP/1.1\r\nHost: a\r\nContent-Length: 1048576\r\nConnection: close\r\n\r\n');
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(text).toContain('"code":"TOO_LARGE"');
  });

  it('a body not received in time is refused (408 TIMEOUT) and its connection closed', async () => {
    const { port } = await serve({ bodyTimeoutMs: 300 });
    const s = await raw(port);
    const answer = untilClosed(s);
    s.write('POST /v1/enroll HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n{"a":');
    const text = await answer; // the server closes it: the test would time out otherwise
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(text).toContain('"code":"TIMEOUT"');
  });

  it('headers not received in time: the connection is closed (Node answers 408)', async () => {
    const { port } = await serve({ headersTimeoutMs: 500, requestTimeoutMs: 1_000 });
    const s = await raw(port);
    const answer = untilClosed(s);
    s.write('GET /v1/authority HTTP/1.1\r\nHost: a\r\n'); // never finished
    expect(await answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('connections capped per address and in all (503 TOO_MANY_CONNECTIONS), freed when they close', async () => {
    const { port, logged } = await serve({ maxConnectionsPerAddress: 2, maxConnections: 3 });
    const a = [await raw(port), await raw(port)];
    const third = await raw(port);
    const refused = await untilClosed(third);
    expect(refused).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(refused).toContain(
      '"code":"TOO_MANY_CONNECTIONS","message":"2 connections from 127.0.0.1, the limit per address"',
    );
    expect((await ask(port, '/v1/authority', { from: '127.0.0.2' })).status).toBe(200); // 3rd connection in all
    await raw(port, '127.0.0.2'); // 3 open: the limit in all
    const full = await untilClosed(await raw(port, '127.0.0.3'));
    expect(full).toContain('the authority has 3 connections, its limit');
    expect(logged.filter((l) => l.event === 'authority_connection_refused')).toHaveLength(1);
    await Promise.all(a.map((s) => new Promise((r) => s.once('close', r).destroy())));
    // the server counts them out once it sees the closes (a refused connection is answered at once)
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++)
      status = (await ask(port, '/v1/authority').catch(() => ({ status: 0 }))).status;
    expect(status).toBe(200);
  });

  it('mounted under a prefix, the per-address budgets apply too', async () => {
    const auth = new EnrollmentAuthority(keys, { federation: 'fed-mounted', open: true });
    const handle = authorityHandler(auth, { info: () => {}, warn: () => {} }, '/authority', {
      requestsPerWindow: 2,
      windowMs: 60_000,
    });
    const { createServer } = await import('node:http');
    const http = createServer((req, res) => void handle(req, res));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    const port = (http.address() as { port: number }).port;
    try {
      expect((await ask(port, '/authority/v1/authority')).status).toBe(200);
      expect((await ask(port, '/authority/v1/authority')).status).toBe(200);
      expect((await ask(port, '/authority/v1/authority')).json.error?.code).toBe('RATE_LIMITED');
    } finally {
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    }
  });
});
