/**
 * Browser hardening over real sockets (docs/threat-model.md, "The origin that serves the app"):
 * every HTTP response carries the strict Content-Security-Policy and nosniff (src/server/headers.ts);
 * the WebSocket upgrade refuses a page of another origin with 403 before the federation sees it,
 * and lets the server's own pages, the configured origins and clients without an Origin (Node)
 * through; bad `allowedOrigins` / `--allow-origin` values are configuration or usage errors.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { ConfigError, resolveConfig } from '../server/config.js';
import { Federation } from '../server/federation.js';
import { ownOrigins, parseOrigin } from '../server/headers.js';
import { type RunningServer, listen } from '../server/http.js';
import { staticApp } from '../server/static.js';
import { decodeServerMessage } from '../wire/codec.js';
import { type LogLine, collectingLogger } from '../../test/support/participants.js';

const ROOT = join(import.meta.dirname, '..', '..');
const EXTRA = 'https://fl.example.org';

let dir: string;
let fed: Federation;
let server: RunningServer;
let lines: LogLine[];
let base: string;

/** A built app in miniature (the real one needs `vite build`): two pages and an asset. */
async function fakeDist(at: string): Promise<string> {
  const dist = join(at, 'dist');
  await mkdir(join(dist, 'assets'), { recursive: true });
  await writeFile(
    join(dist, 'index.html'),
    '<!doctype html><title>app</title><script type="module" src="/assets/app.js"></script>',
  );
  await writeFile(join(dist, 'dashboard.html'), '<!doctype html><title>dashboard</title>');
  await writeFile(join(dist, 'assets', 'app.js'), 'export {};\n');
  return dist;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'speakonce-hardening-'));
  const app = staticApp(await fakeDist(dir));
  if (!app) throw new Error('the fake dist was not recognised as an app');
  const collected = collectingLogger();
  lines = collected.lines;
  const config = resolveConfig({
    port: 0,
    dataDir: join(dir, 'data'),
    token: 't',
    logLevel: 'warn',
    allowedOrigins: [EXTRA],
  });
  fed = new Federation(config, collected.log);
  await fed.init();
  server = await listen(fed, config.host, config.port, collected.log, {
    // /boom stands for any handler that throws: the 500 answer carries the headers too.
    fallback: (req, res) => {
      if (req.url === '/boom') throw new Error('boom');
      return app(req, res);
    },
  });
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The policy as a map of directive → sources. */
function directives(csp: string | null): Map<string, string[]> {
  expect(csp, 'Content-Security-Policy header').toBeTruthy();
  return new Map(
    (csp as string)
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...sources]) => [name as string, sources]),
  );
}

function expectHardened(headers: Headers, what: string): void {
  const csp = headers.get('content-security-policy');
  const d = directives(csp);
  expect(d.get('default-src'), what).toEqual(["'self'"]);
  expect(d.get('script-src'), what).toEqual(["'self'", "'wasm-unsafe-eval'"]);
  expect(d.get('worker-src'), what).toEqual(["'self'"]);
  expect(d.get('style-src'), what).toEqual(["'self'"]);
  expect(d.get('img-src'), what).toEqual(["'self'", 'data:']);
  expect(d.get('connect-src'), what).toEqual([
    "'self'",
    `ws://127.0.0.1:${server.port}`,
    `wss://127.0.0.1:${server.port}`,
  ]);
  expect(d.get('object-src'), what).toEqual(["'none'"]);
  expect(d.get('base-uri'), what).toEqual(["'none'"]);
  expect(d.get('frame-ancestors'), what).toEqual(["'none'"]);
  expect(d.get('form-action'), what).toEqual(["'self'"]);
  // No inline script, no eval, no blob: or wildcard anywhere in the policy.
  expect(csp, what).not.toMatch(/'unsafe-inline'|'unsafe-eval'|'unsafe-hashes'|blob:|\*/);
  expect(headers.get('x-content-type-options'), what).toBe('nosniff');
  expect(headers.get('referrer-policy'), what).toBe('no-referrer');
  expect(headers.get('cross-origin-opener-policy'), what).toBe('same-origin');
}

describe('security headers', () => {
  it.each([
    ['the app page', '/', 200, 'text/html'],
    ['the dashboard page', '/dashboard.html', 200, 'text/html'],
    ['a static asset', '/assets/app.js', 200, 'javascript'],
    ['a 404', '/no/such/thing', 404, 'application/json'],
    ['a failing handler (500)', '/boom', 500, 'application/json'],
    ['/status', '/status', 200, 'application/json'],
    ['/healthz', '/healthz', 200, 'application/json'],
    ['the model', '/model/model.json', 200, 'application/json'],
    ['the model weights', '/model/weights.bin', 200, 'application/octet-stream'],
  ])('every kind of response carries the CSP and nosniff: %s', async (what, path, status, type) => {
    const r = await fetch(`${base}${path}`);
    expect(r.status, what).toBe(status);
    expect(r.headers.get('content-type'), what).toContain(type);
    expectHardened(r.headers, what);
    await r.arrayBuffer();
  });

  it('every kind of response carries the CSP and nosniff: the event stream and a 304', async () => {
    const ac = new AbortController();
    const sse = await fetch(`${base}/events`, { signal: ac.signal });
    expect(sse.headers.get('content-type')).toBe('text/event-stream');
    expectHardened(sse.headers, '/events');
    ac.abort();

    const first = await fetch(`${base}/assets/app.js`);
    await first.arrayBuffer();
    const etag = first.headers.get('etag');
    expect(etag).toBeTruthy();
    const again = await fetch(`${base}/assets/app.js`, { headers: { 'if-none-match': etag as string } });
    expect(again.status).toBe(304);
    expectHardened(again.headers, 'a 304');
  });
});

/** An upgrade with (or without) an Origin: the hello frame, or the HTTP answer that refused it. */
function upgrade(
  origin: string | undefined,
): Promise<{ hello: true } | { status: number; body: string; headers: IncomingMessage['headers'] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, {
      perMessageDeflate: false,
      ...(origin === undefined ? {} : { origin }),
    });
    ws.once('message', (data) => {
      const m = decodeServerMessage(new Uint8Array(data as Buffer), 1 << 20);
      ws.close();
      if (m.t === 'hello') resolve({ hello: true });
      else reject(new Error(`first frame was ${m.t}, not hello`));
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    ws.once('error', (e) => reject(e));
  });
}

describe('WebSocket Origin allow-list', () => {
  it.each([
    ['a page of another site', 'https://evil.example'],
    ['an opaque origin (sandboxed frame, file: page)', 'null'],
    ['this host on another port', () => `http://127.0.0.1:${server.port + 1}`],
    ['this origin over https', () => `https://127.0.0.1:${server.port}`],
    ['a look-alike host', () => `http://127.0.0.1.evil.example:${server.port}`],
  ])('an upgrade from %s is refused with 403 and never reaches the registry', async (_what, o) => {
    const origin = typeof o === 'function' ? o() : o;
    const connect = vi.spyOn(fed, 'connect');
    const before = lines.length;
    try {
      const r = await upgrade(origin);
      expect(r).toMatchObject({ status: 403 });
      if (!('status' in r)) throw new Error('unreachable');
      expect(r.body).toBe(`origin not allowed: ${origin}\n`);
      expect(r.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(connect).not.toHaveBeenCalled();
    } finally {
      connect.mockRestore();
    }
    expect(fed.status().participants).toEqual({ connected: 0, trainers: 0, volunteers: 0 });
    const logged = lines.slice(before).filter((l) => l.event === 'origin_refused');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 'warn', origin });
  });

  it.each([
    ['no Origin header (a Node client)', undefined],
    ["the server's own origin", () => `http://127.0.0.1:${server.port}`],
    ["the server's own origin by the name localhost", () => `http://localhost:${server.port}`],
    ['an origin of allowedOrigins', EXTRA],
  ])('an upgrade with %s connects and receives the hello frame', async (_what, o) => {
    const origin = typeof o === 'function' ? o() : o;
    const connect = vi.spyOn(fed, 'connect');
    try {
      expect(await upgrade(origin)).toEqual({ hello: true });
      expect(connect).toHaveBeenCalledTimes(1);
    } finally {
      connect.mockRestore();
    }
  });

  it('the allow-list is the server’s own origins and the configured ones', () => {
    expect([...server.allowedOrigins].sort()).toEqual(
      [`http://127.0.0.1:${server.port}`, `http://localhost:${server.port}`, EXTRA].sort(),
    );
    expect(ownOrigins('fl.example.org', 443)).toEqual(['http://fl.example.org:443']);
    expect(ownOrigins('0.0.0.0', 80)).toEqual(expect.arrayContaining(['http://localhost', 'http://127.0.0.1']));
  });
});

describe('allowedOrigins and --allow-origin', () => {
  const BAD = [
    ['foo', /'foo' is not an origin \(not a URL\)/],
    ['https://fl.example.org/app', /is not an origin \(it has a path\)/],
    ['https://fl.example.org/?x=1', /is not an origin \(it has a query\)/],
    ['https://fl.example.org#x', /is not an origin \(it has a fragment\)/],
    ['ws://fl.example.org', /is not an origin \(scheme ws: is not http: or https:\)/],
    ['https://user@fl.example.org', /is not an origin \(it has a user name or password\)/],
    ['localhost:8080', /is not an origin \(scheme localhost: is not http: or https:\)/],
  ] as const;

  it('origins are written as browsers send them', () => {
    expect(parseOrigin('HTTPS://FL.Example.org:443/')).toBe('https://fl.example.org');
    expect(parseOrigin('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
    expect(resolveConfig({ open: true, allowedOrigins: ['https://FL.example.org/'] }).allowedOrigins).toEqual([
      'https://fl.example.org',
    ]);
    expect(resolveConfig({ open: true }).allowedOrigins).toEqual([]);
  });

  it.each(BAD)('a bad allowedOrigins value %j is a configuration error naming the setting', (value, message) => {
    let err: unknown;
    try {
      resolveConfig({ open: true, allowedOrigins: ['https://ok.example', value] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('INVALID_CONFIG');
    expect((err as ConfigError).message).toMatch(/allowedOrigins\.1: /);
    expect((err as ConfigError).message).toMatch(message);
  });

  it.each([
    ['scripts/server.ts', 'foo', /^error: --allow-origin: 'foo' is not an origin \(not a URL\)/],
    ['scripts/server.ts', 'https://a.example,https://b.example/x', /--allow-origin: .* \(it has a path\)/],
    ['scripts/start.ts', 'https://fl.example.org/app', /--allow-origin: .* \(it has a path\)/],
    ['scripts/start.ts', 'https://a.example,,', /--allow-origin takes a comma-separated list of origins/],
  ])('%s --allow-origin %j is a usage error (exit 2)', (script, value, message) => {
    const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [script, '--allow-origin', value, '--port', '0'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('(run with --help for usage)');
    expect(r.status).toBe(2);
  });
});
