/**
 * Limits on connections before (and regardless of) authentication, so that connections that
 * never join, never answer or only send garbage cannot hold the server:
 *
 *   - a cap on WebSocket connections, in all (`maxConnections`) and per address
 *     (`maxConnectionsPerAddress`): the next upgrade is answered 503 with
 *     `{"code":"TOO_MANY_CONNECTIONS"}`, before any WebSocket state exists;
 *   - a join deadline (`joinTimeoutMs`): a connection that has not joined by then is told
 *     JOIN_TIMEOUT and closed (4002);
 *   - an idle timeout (`idleTimeoutMs`): every connection is pinged at half of it, and one that
 *     answered neither a ping nor sent anything for a whole period is closed (4003, IDLE);
 *   - an error budget per connection (ErrorBudget, used by registry.ts): after `errorBudget`
 *     refusals within `errorWindowMs` it is told ERROR_BUDGET and closed (4008).
 * The pre-join size cap (`preJoinMaxBytes`) and the bounded decoding are in registry.ts and
 * src/wire/codec.ts.
 */
import type { WebSocket, WebSocketServer } from 'ws';
import { encodeMessage } from '../wire/codec.js';
import type { ServerConfig } from './config.js';
import type { Logger } from './log.js';

export const CLOSE_JOIN_TIMEOUT = 4002;
export const CLOSE_IDLE = 4003;
export const CLOSE_ERROR_BUDGET = 4008;

/** Counts connections in all and per address. */
export class ConnectionGate {
  private total = 0;
  private readonly perAddress = new Map<string, number>();
  refused = 0;

  constructor(private readonly config: Pick<ServerConfig, 'maxConnections' | 'maxConnectionsPerAddress'>) {}

  get count(): number {
    return this.total;
  }

  /** Why a connection from `address` is refused now, or undefined after counting it in. */
  admit(address: string): string | undefined {
    const n = this.perAddress.get(address) ?? 0;
    if (this.total >= this.config.maxConnections) {
      this.refused++;
      return `the server has ${this.total} connections, its limit`;
    }
    if (n >= this.config.maxConnectionsPerAddress) {
      this.refused++;
      return `${n} connections from ${address}, the limit per address`;
    }
    this.total++;
    this.perAddress.set(address, n + 1);
    return undefined;
  }

  release(address: string): void {
    this.total--;
    const n = (this.perAddress.get(address) ?? 1) - 1;
    if (n > 0) this.perAddress.set(address, n);
    else this.perAddress.delete(address);
  }
}

/** Refusals a connection may cause within a window before it is closed. */
export class ErrorBudget {
  private readonly times: number[] = [];

  constructor(
    private readonly budget: number,
    private readonly windowMs: number,
  ) {}

  /** Counts one refusal; false once more than the budget fell within the window. */
  spend(now = Date.now()): boolean {
    this.times.push(now);
    while (this.times.length && (this.times[0] as number) <= now - this.windowMs) this.times.shift();
    return this.times.length <= this.budget;
  }
}

function closeWith(ws: WebSocket, code: number, reason: string, message: string): void {
  try {
    ws.send(encodeMessage({ t: 'error', code: reason, message }));
  } catch {
    /* already closing */
  }
  ws.close(code, reason);
  // a peer that does not complete the closing handshake is cut off
  setTimeout(() => ws.terminate(), 2_000).unref();
}

/** Closes the connection if it has not joined within `joinTimeoutMs`; returns the timer's cancel. */
export function joinDeadline(
  ws: WebSocket,
  session: { joined(): boolean },
  config: ServerConfig,
  log: Logger,
): () => void {
  const timer = setTimeout(() => {
    if (session.joined()) return;
    log.info('join_timeout', { ms: config.joinTimeoutMs });
    closeWith(ws, CLOSE_JOIN_TIMEOUT, 'JOIN_TIMEOUT', `no join within ${config.joinTimeoutMs} ms`);
  }, config.joinTimeoutMs);
  timer.unref();
  return () => clearTimeout(timer);
}

/**
 * Pings every connection every `idleTimeoutMs / 2`; closes those that neither answered the
 * previous ping nor sent a frame since. Returns the stop function.
 */
export function heartbeat(wss: WebSocketServer, idleTimeoutMs: number, log: Logger): () => void {
  const alive = new WeakMap<WebSocket, boolean>();
  const mark = (ws: WebSocket) => alive.set(ws, true);
  wss.on('connection', (ws: WebSocket) => {
    mark(ws);
    ws.on('pong', () => mark(ws));
    ws.on('message', () => mark(ws));
  });
  const timer = setInterval(
    () => {
      let closed = 0;
      for (const ws of wss.clients) {
        if (alive.get(ws) === false) {
          closed++;
          closeWith(ws, CLOSE_IDLE, 'IDLE', `no frame and no answer to a ping for ${idleTimeoutMs} ms`);
          continue;
        }
        alive.set(ws, false);
        ws.ping();
      }
      if (closed) log.info('idle_closed', { connections: closed, ms: idleTimeoutMs });
    },
    Math.max(1, Math.floor(idleTimeoutMs / 2)),
  );
  timer.unref();
  return () => clearInterval(timer);
}
