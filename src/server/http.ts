/**
 * One port for everything: the participants' WebSocket (/ws), the observer stream
 * (Server-Sent Events at /events), the JSON status (/status), health (/healthz), the current
 * global model (/model/model.json + /model/weights.bin, the checkpoint format of src/ml), and
 * the web app. Oversized frames are refused before decoding (ws maxPayload is a
 * hard stop at twice the message limit; below it the federation answers with a typed error).
 * Every response carries the security headers of headers.ts (set first, before any route), and
 * the WebSocket upgrade is refused with 403 unless its Origin is allowed (or absent).
 */
import { readFile } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Federation } from './federation.js';
import { originAllowed, ownOrigins, securityHeaders } from './headers.js';
import type { Logger } from './log.js';
import { ConnectionGate, heartbeat, joinDeadline } from './limits.js';
import { ReplayBuffer } from './replay.js';
import { Subscribers } from './subscribers.js';
import { transcriptRoute } from './transcript-http.js';

export interface HttpOptions {
  /** Extra request handler (static app); return true when it handled the request. */
  fallback?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
}

export interface RunningServer {
  readonly http: Server;
  readonly port: number;
  readonly url: string;
  /** Origins whose pages may open the WebSocket: the server's own and `config.allowedOrigins`. */
  readonly allowedOrigins: readonly string[];
  close(): Promise<void>;
}

/** The server's own read-only routes (other methods: 405). */
const ROUTES = new Set(['/status', '/healthz', '/events', '/model/model.json', '/model/weights.bin']);

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

/** Answers an upgrade request with a plain HTTP error (and the security headers) and closes. */
function refuseUpgrade(socket: Duplex, host: string | undefined, status: number, text: string, body: string): void {
  const headers = {
    ...securityHeaders(host),
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    connection: 'close',
  };
  const head = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${status} ${text}\r\n${head}\r\n${body}`);
}

export async function listen(
  fed: Federation,
  host: string,
  port: number,
  log: Logger,
  opts: HttpOptions = {},
): Promise<RunningServer> {
  const replay = new ReplayBuffer();
  const observers = new Subscribers(fed.config, () => replay.replay(), log);
  fed.onEvent((e) => {
    replay.add(e);
    observers.broadcast(e);
  });

  // Node checks the header and request deadlines below every 2 s (its default: 30 s).
  const server = createServer({ connectionsCheckingInterval: 2_000 }, (req, res) => {
    // First, so that every response below (routes, static files, 404, 500) carries them.
    for (const [name, value] of Object.entries(securityHeaders(req.headers.host))) res.setHeader(name, value);
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method === 'GET' && url.pathname === '/status')
        return json(res, 200, { ...fed.status(), recentEvents: replay.latest(20) });
      if (req.method === 'GET' && url.pathname === '/healthz') {
        // 503 with the reason while the federation cannot make progress (progress.ts)
        const health = fed.health();
        return json(res, health.ok ? 200 : 503, health);
      }
      // The history replayed, then live events, with backpressure and caps (subscribers.ts).
      if (req.method === 'GET' && url.pathname === '/events') return observers.open(req, res);
      if (req.method === 'GET' && (url.pathname === '/model/model.json' || url.pathname === '/model/weights.bin')) {
        // The current global model (every participant receives it each round anyway).
        const file = url.pathname.slice('/model/'.length);
        const body = await readFile(join(fed.modelDir, file));
        res.writeHead(200, {
          'content-type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream',
          'cache-control': 'no-store',
        });
        res.end(body);
        return;
      }
      // The rounds' transcripts and model versions, for anyone to audit (transcript-http.ts).
      if (await transcriptRoute(fed, req, res, url.pathname)) return;
      if (ROUTES.has(url.pathname) && req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        return json(res, 405, { error: 'method not allowed', path: url.pathname });
      }
      if (opts.fallback && (await opts.fallback(req, res))) return;
      json(res, 404, { error: 'not found', path: url.pathname });
    })().catch((e: unknown) => {
      log.error('http_error', { error: String(e) });
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
    });
  });

  // A request's headers within 10 s and the whole request within 30 s by default (Node's: 60 s and
  // 5 min); idle keep-alive connections close after Node's 5 s. Responses (the observer stream,
  // the model) are not bounded by these.
  server.headersTimeout = fed.config.headersTimeoutMs;
  server.requestTimeout = fed.config.requestTimeoutMs;
  // Filled in once the port is known (port 0 picks one).
  const allowed = new Set<string>();
  const gate = new ConnectionGate(fed.config);
  const wss = new WebSocketServer({ noServer: true, maxPayload: 2 * fed.maxMessageBytes, perMessageDeflate: false });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/ws') {
      socket.destroy();
      return;
    }
    // Cross-site WebSocket hijacking: a page of another site would open the socket with the
    // visitor's network position. Refused here, before the federation (and its registry) sees it.
    const origin = req.headers.origin;
    if (!originAllowed(origin, allowed)) {
      log.warn('origin_refused', { origin, allowed: [...allowed] });
      refuseUpgrade(socket, req.headers.host, 403, 'Forbidden', `origin not allowed: ${origin ?? ''}\n`);
      return;
    }
    // Connection caps (limits.ts), before any WebSocket state exists.
    const address = req.socket.remoteAddress ?? 'unknown';
    const full = gate.admit(address);
    if (full) {
      if (gate.refused === 1 || gate.refused % 100 === 0)
        log.warn('connection_refused', { address, why: full, refused: gate.refused });
      const body = JSON.stringify({ code: 'TOO_MANY_CONNECTIONS', error: full });
      refuseUpgrade(socket, req.headers.host, 503, 'Service Unavailable', body);
      return;
    }
    socket.once('close', () => gate.release(address));
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  const stopHeartbeat = heartbeat(wss, fed.config.idleTimeoutMs, log);
  // The 101 answer too: every HTTP response carries the set.
  wss.on('headers', (headers, req) => {
    for (const [name, value] of Object.entries(securityHeaders(req.headers.host))) headers.push(`${name}: ${value}`);
  });
  wss.on('connection', (ws: WebSocket) => {
    const session = fed.connect({
      send: (data) => ws.send(data),
      close: (code, reason) => ws.close(code, reason),
    });
    ws.on('message', (data, isBinary) => {
      const bytes = Array.isArray(data)
        ? new Uint8Array(Buffer.concat(data))
        : data instanceof ArrayBuffer
          ? new Uint8Array(data)
          : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      void session.message(bytes, isBinary);
    });
    const cancelDeadline = joinDeadline(ws, session, fed.config, log);
    ws.on('close', () => {
      cancelDeadline();
      session.close();
    });
    ws.on('error', (e) => log.warn('socket_error', { error: String(e) }));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  for (const o of [...ownOrigins(host, actual), ...fed.config.allowedOrigins]) allowed.add(o);
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    http: server,
    port: actual,
    url: `http://${shownHost}:${actual}`,
    allowedOrigins: [...allowed],
    close: async () => {
      await fed.stop();
      stopHeartbeat();
      observers.closeAll();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
