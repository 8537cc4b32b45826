/**
 * The enrollment authority over HTTP (src/wire/authority.ts): a request handler that can be
 * mounted under a path prefix on any Node HTTP server (`npm start` mounts it at /authority
 * beside the aggregation server, with its own key), or served alone (`npm run authority`).
 * Its limits before authentication (body size and time, requests and refusals per address,
 * connections and timeouts when alone) are in limits.ts.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as v from 'valibot';
import { isCodedError } from '../base/error.js';
import {
  CommitteeRequestSchema,
  EnrollRequestSchema,
  PresenceRequestSchema,
  certificateToJson,
  committeeToJson,
  hex,
} from '../wire/authority.js';
import { AuthorityError } from './keys.js';
import { AddressBudget, type AuthorityLimits, DEFAULT_AUTHORITY_LIMITS, guardConnections } from './limits.js';
import type { EnrollmentAuthority } from './service.js';

/** Largest enrollment request body accepted by default. */
export const MAX_REQUEST_BYTES = DEFAULT_AUTHORITY_LIMITS.maxBodyBytes;

export interface AuthorityLog {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(JSON.stringify(body));
}

/**
 * The request body, up to `limits.maxBodyBytes`, within `limits.bodyTimeoutMs`. A declared
 * length over the limit is refused before reading; past the limit while reading the request is
 * refused at once, and the rest of the body is read and dropped (not left unread, nor the
 * connection reset): the client, still sending, gets the refusal, and its connection serves its
 * next request. A body not received in time is refused and its connection closed.
 */
function readBody(req: IncomingMessage, limits: AuthorityLimits): Promise<string> {
  const max = limits.maxBodyBytes;
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) return Promise.reject(new AuthorityError('TOO_LARGE', `request body exceeds ${max} bytes`));
  return new Promise((resolve, reject) => {
    let size = 0;
    let over = false;
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      reject(new AuthorityError('TIMEOUT', `the request body was not received within ${limits.bodyTimeoutMs} ms`));
    }, limits.bodyTimeoutMs);
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > max) {
        over = true;
        chunks.length = 0;
        clearTimeout(timer);
        reject(new AuthorityError('TOO_LARGE', `request body exceeds ${max} bytes`));
      } else chunks.push(c);
    });
    req.once('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.once('error', reject);
    req.once('close', () => {
      clearTimeout(timer);
      reject(new AuthorityError('MALFORMED', 'the request body was cut short'));
    });
  });
}

async function readJson(req: IncomingMessage, limits: AuthorityLimits): Promise<unknown> {
  const body = await readBody(req, limits);
  try {
    return JSON.parse(body);
  } catch {
    throw new AuthorityError('MALFORMED', 'the request body is not JSON');
  }
}

function parse<T>(schema: v.GenericSchema<unknown, T>, raw: unknown, what: string): T {
  const parsed = v.safeParse(schema, raw);
  if (!parsed.success) {
    const i = parsed.issues[0];
    const where = i.path?.map((p) => String(p.key)).join('.') ?? 'request';
    throw new AuthorityError('MALFORMED', `${what}: ${where}: ${i.message}`);
  }
  return parsed.output;
}

const STATUS: Record<string, number> = {
  UNAUTHENTICATED: 401,
  WRONG_FEDERATION: 403,
  RATE_LIMITED: 429,
  TOO_LARGE: 413,
  TIMEOUT: 408,
  ERROR_BUDGET: 429,
};

/**
 * The authority's routes under `prefix` (e.g. "/authority"); returns false for other paths.
 * Requests and refusals are counted per address (limits.ts) before anything else is done.
 */
export function authorityHandler(
  auth: EnrollmentAuthority,
  log: AuthorityLog,
  prefix = '',
  limitsGiven: Partial<AuthorityLimits> = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const limits = { ...DEFAULT_AUTHORITY_LIMITS, ...limitsGiven };
  const budget = new AddressBudget(limits);
  return async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (!path.startsWith(`${prefix}/v1/`)) return false;
    const route = path.slice(prefix.length);
    const address = req.socket.remoteAddress ?? 'unknown';
    const limited = budget.request(address);
    if (limited) {
      if (limited.firstInWindow)
        log.warn('authority_limited', { address, code: limited.code, message: limited.message });
      send(
        res,
        limited.status,
        { error: { code: limited.code, message: limited.message } },
        { 'retry-after': String(limited.retryAfterS) },
      );
      return true;
    }
    const readJsonOf = (r: IncomingMessage) => readJson(r, limits);
    try {
      if (route === '/v1/authority' && req.method === 'GET') {
        const i = auth.info();
        send(res, 200, {
          federation: i.federation,
          publicKey: hex(i.publicKey),
          enrollKey: hex(i.enrollKey),
          retired: i.retired.map((r) => ({ publicKey: hex(r.publicKey), acceptUntil: r.acceptUntil })),
        });
        return true;
      }
      if (route === '/v1/enroll' && req.method === 'POST') {
        const cert = await auth.enroll(parse(EnrollRequestSchema, await readJsonOf(req), 'enrollment request'));
        log.info('enrolled', { participantId: cert.body.participantId, roles: cert.body.roles });
        send(res, 200, { certificate: certificateToJson(cert) });
        return true;
      }
      if (route === '/v1/present' && req.method === 'POST') {
        const r = parse(PresenceRequestSchema, await readJsonOf(req), 'presence');
        await auth.presence(r.certificate, r.time, r.signature);
        send(res, 200, { ok: true });
        return true;
      }
      if (route === '/v1/committee' && req.method === 'POST') {
        const r = parse(CommitteeRequestSchema, await readJsonOf(req), 'committee request');
        if (r.federation !== auth.federation)
          throw new AuthorityError('WRONG_FEDERATION', `this authority draws for ${auth.federation}`);
        const c = auth.committee({ m: r.m, tRec: r.tRec, rho: r.rho }, r.fresh ?? false);
        send(res, 200, { committee: committeeToJson(c) });
        return true;
      }
      budget.refused(address);
      send(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${req.method ?? ''} ${route}` } });
      return true;
    } catch (e) {
      const code = isCodedError(e) ? e.code : 'INTERNAL';
      const message = e instanceof Error ? e.message : String(e);
      const status = STATUS[code] ?? (code === 'INTERNAL' ? 500 : 400);
      if (status < 500) budget.refused(address);
      log.warn('enroll_refused', { code, message, address });
      // a body that did not arrive in time: its connection is not kept for another request
      send(res, status, { error: { code, message } }, code === 'TIMEOUT' ? { connection: 'close' } : {});
      if (code === 'TIMEOUT') res.once('finish', () => req.socket.destroy());
      return true;
    }
  };
}

export interface RunningAuthority {
  readonly http: Server;
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the authority alone (`npm run authority`), with its connection caps and timeouts. */
export async function listenAuthority(
  auth: EnrollmentAuthority,
  host: string,
  port: number,
  log: AuthorityLog,
  limitsGiven: Partial<AuthorityLimits> = {},
): Promise<RunningAuthority> {
  const limits = { ...DEFAULT_AUTHORITY_LIMITS, ...limitsGiven };
  const handle = authorityHandler(auth, log, '', limits);
  let refusedConnections = 0;
  // Node checks the header and request deadlines of open connections every this many ms
  const server = createServer({ connectionsCheckingInterval: 1_000 }, (req, res) => {
    if (guard.refused.has(req.socket)) return; // answered 503 already
    void handle(req, res).then((done) => {
      if (!done) send(res, 404, { error: { code: 'NOT_FOUND', message: 'not found' } });
    });
  });
  const guard = guardConnections(server, limits, (address, why) => {
    refusedConnections++;
    if (refusedConnections === 1 || refusedConnections % 100 === 0)
      log.warn('authority_connection_refused', { address, why, refused: refusedConnections });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    http: server,
    url: `http://${shown}:${actual}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
