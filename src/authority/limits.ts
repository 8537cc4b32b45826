/**
 * The enrollment authority's limits before authentication: anyone who can reach its HTTP routes
 * may call them, and enrollment (a certificate signed per request) is the costliest thing it does.
 *
 *   - bodies: at most `maxBodyBytes`, refused from the Content-Length before reading (413
 *     TOO_LARGE), and received within `bodyTimeoutMs` (408 TIMEOUT, the connection closed);
 *   - requests per address: at most `requestsPerWindow` within `windowMs` (429 RATE_LIMITED,
 *     Retry-After), and at most `errorsPerWindow` refused requests (an error budget: past it every
 *     request of that address is 429 ERROR_BUDGET until the window ends);
 *   - connections, when served alone (listenAuthority): at most `maxConnections` in all and
 *     `maxConnectionsPerAddress` per address (503 TOO_MANY_CONNECTIONS, then closed); headers
 *     within `headersTimeoutMs`, a whole request within `requestTimeoutMs`, idle keep-alive
 *     connections closed after 5 s (Node's HTTP server timeouts). Mounted on the aggregation
 *     server (`/authority` of `npm start`), connections are that server's (src/server/http.ts).
 * Refusals are logged once per address and window (`authority_limited`), not once per request.
 */
import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';

export interface AuthorityLimits {
  maxBodyBytes: number;
  bodyTimeoutMs: number;
  windowMs: number;
  requestsPerWindow: number;
  errorsPerWindow: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}

export const DEFAULT_AUTHORITY_LIMITS: AuthorityLimits = {
  maxBodyBytes: 16 * 1024,
  bodyTimeoutMs: 10_000,
  windowMs: 10_000,
  // a participant enrolls once and renews its presence every 10 s: room for ~250 behind one NAT
  requestsPerWindow: 300,
  errorsPerWindow: 30,
  maxConnections: 1024,
  maxConnectionsPerAddress: 64,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
};

/** Why a request is refused before it is handled, with its HTTP status. */
export interface Limited {
  status: number;
  code: 'RATE_LIMITED' | 'ERROR_BUDGET';
  message: string;
  retryAfterS: number;
}

/** Requests and refusals per address, in fixed windows (memory: one entry per address seen in the window). */
export class AddressBudget {
  private windowStart = 0;
  private readonly seen = new Map<string, { requests: number; errors: number; logged: boolean }>();

  constructor(private readonly limits: Pick<AuthorityLimits, 'windowMs' | 'requestsPerWindow' | 'errorsPerWindow'>) {}

  private entry(address: string, now: number) {
    if (now - this.windowStart >= this.limits.windowMs) {
      this.windowStart = now;
      this.seen.clear();
    }
    let e = this.seen.get(address);
    if (!e) this.seen.set(address, (e = { requests: 0, errors: 0, logged: false }));
    return e;
  }

  /** Counts one request; the refusal when the address is over a budget. */
  request(address: string, now = Date.now()): (Limited & { firstInWindow: boolean }) | undefined {
    const e = this.entry(address, now);
    e.requests++;
    const retryAfterS = Math.max(1, Math.ceil((this.windowStart + this.limits.windowMs - now) / 1000));
    const firstInWindow = !e.logged;
    if (e.errors >= this.limits.errorsPerWindow) {
      e.logged = true;
      return {
        status: 429,
        code: 'ERROR_BUDGET',
        message: `${e.errors} refused requests from ${address} within ${this.limits.windowMs / 1000} s, its error budget: try again in ${retryAfterS} s`,
        retryAfterS,
        firstInWindow,
      };
    }
    if (e.requests > this.limits.requestsPerWindow) {
      e.logged = true;
      return {
        status: 429,
        code: 'RATE_LIMITED',
        message: `more than ${this.limits.requestsPerWindow} requests from ${address} within ${this.limits.windowMs / 1000} s: try again in ${retryAfterS} s`,
        retryAfterS,
        firstInWindow,
      };
    }
    return undefined;
  }

  /** Counts one refused request of the address (a 4xx answer). */
  refused(address: string, now = Date.now()): void {
    this.entry(address, now).errors++;
  }
}

/**
 * Caps `server`'s connections in all and per address and sets its timeouts (served alone). A
 * refused connection is answered 503 with its code and closed; it is returned in `refused` so
 * that the request handler ignores anything the HTTP parser still reads from it.
 */
export function guardConnections(
  server: HttpServer,
  limits: AuthorityLimits,
  onRefused: (address: string, why: string) => void,
): { refused: WeakSet<Socket> } {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = 5_000;
  const refused = new WeakSet<Socket>();
  let total = 0;
  const perAddress = new Map<string, number>();
  // before the HTTP server's own listener, so that a refused socket is marked before any request
  server.prependListener('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const n = perAddress.get(address) ?? 0;
    const why =
      total >= limits.maxConnections
        ? `the authority has ${total} connections, its limit`
        : n >= limits.maxConnectionsPerAddress
          ? `${n} connections from ${address}, the limit per address`
          : undefined;
    if (why) {
      refused.add(socket);
      onRefused(address, why);
      const body = JSON.stringify({ error: { code: 'TOO_MANY_CONNECTIONS', message: why } });
      socket.on('error', () => undefined);
      socket.end(
        `HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json; charset=utf-8\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\nretry-after: 10\r\nconnection: close\r\n\r\n${body}`,
      );
      return;
    }
    total++;
    perAddress.set(address, n + 1);
    socket.once('close', () => {
      total--;
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
  });
  return { refused };
}
