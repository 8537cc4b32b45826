/**
 * One port for everything: the participants' WebSocket (/ws), the observer stream
 * (Server-Sent Events at /events), the JSON status (/status), health (/healthz), the current
 * global model (/model/model.json + /model/weights.bin, the checkpoint format of src/ml), and
 * the web app. Oversized frames are refused before decoding (ws maxPayload is a
 * hard stop at twice the message limit; below it the federation answers with a typed error).
 */
import { readFile } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Federation } from './federation.js';
import type { Logger } from './log.js';
import { ReplayBuffer } from './replay.js';

export interface HttpOptions {
  /** Extra request handler (static app); return true when it handled the request. */
  fallback?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
}

export interface RunningServer {
  readonly http: Server;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

export async function listen(
  fed: Federation,
  host: string,
  port: number,
  log: Logger,
  opts: HttpOptions = {},
): Promise<RunningServer> {
  const replay = new ReplayBuffer();
  const sse = new Set<ServerResponse>();
  fed.onEvent((e) => {
    replay.add(e);
    const frame = `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
    for (const res of sse) res.write(frame);
  });

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method === 'GET' && url.pathname === '/status')
        return json(res, 200, { ...fed.status(), recentEvents: replay.latest(20) });
      if (req.method === 'GET' && url.pathname === '/healthz') return json(res, 200, { ok: true });
      if (req.method === 'GET' && url.pathname === '/events') {
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-store',
          connection: 'keep-alive',
        });
        res.write(`retry: 2000\n\n`);
        // Replay the history so a dashboard opened late has context (see replay.ts).
        for (const e of replay.replay()) res.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
        sse.add(res);
        req.on('close', () => sse.delete(res));
        return;
      }
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
      if (opts.fallback && (await opts.fallback(req, res))) return;
      json(res, 404, { error: 'not found', path: url.pathname });
    })().catch((e: unknown) => {
      log.error('http_error', { error: String(e) });
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 2 * fed.maxMessageBytes, perMessageDeflate: false });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/ws') {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
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
    ws.on('close', () => session.close());
    ws.on('error', (e) => log.warn('socket_error', { error: String(e) }));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    http: server,
    port: actual,
    url: `http://${shownHost}:${actual}`,
    close: async () => {
      await fed.stop();
      for (const res of sse) res.end();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
