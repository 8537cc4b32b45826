/**
 * The enrollment authority over HTTP (src/wire/authority.ts): a request handler that can be
 * mounted under a path prefix on any Node HTTP server (`npm start` mounts it at /authority
 * beside the aggregation server, with its own key), or served alone (`npm run authority`).
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
import type { EnrollmentAuthority } from './service.js';

/** Largest enrollment request body accepted. */
export const MAX_REQUEST_BYTES = 16 * 1024;

export interface AuthorityLog {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(JSON.stringify(body));
}

/**
 * The request body, up to MAX_REQUEST_BYTES. Past that the request is refused at once, and the
 * rest of the body is read and dropped (not left unread, nor the connection reset): the client,
 * still sending, gets the refusal, and its connection serves its next request.
 */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    let over = false;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > MAX_REQUEST_BYTES) {
        over = true;
        chunks.length = 0;
        reject(new AuthorityError('MALFORMED', `request body exceeds ${MAX_REQUEST_BYTES} bytes`));
      } else chunks.push(c);
    });
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
    req.once('close', () => reject(new AuthorityError('MALFORMED', 'the request body was cut short')));
  });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req);
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

const STATUS: Record<string, number> = { UNAUTHENTICATED: 401, WRONG_FEDERATION: 403, RATE_LIMITED: 429 };

/** The authority's routes under `prefix` (e.g. "/authority"); returns false for other paths. */
export function authorityHandler(
  auth: EnrollmentAuthority,
  log: AuthorityLog,
  prefix = '',
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (!path.startsWith(`${prefix}/v1/`)) return false;
    const route = path.slice(prefix.length);
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
        const cert = await auth.enroll(parse(EnrollRequestSchema, await readJson(req), 'enrollment request'));
        log.info('enrolled', { participantId: cert.body.participantId, roles: cert.body.roles });
        send(res, 200, { certificate: certificateToJson(cert) });
        return true;
      }
      if (route === '/v1/present' && req.method === 'POST') {
        const r = parse(PresenceRequestSchema, await readJson(req), 'presence');
        await auth.presence(r.certificate, r.time, r.signature);
        send(res, 200, { ok: true });
        return true;
      }
      if (route === '/v1/committee' && req.method === 'POST') {
        const r = parse(CommitteeRequestSchema, await readJson(req), 'committee request');
        if (r.federation !== auth.federation)
          throw new AuthorityError('WRONG_FEDERATION', `this authority draws for ${auth.federation}`);
        const c = auth.committee({ m: r.m, tRec: r.tRec, rho: r.rho }, r.fresh ?? false);
        send(res, 200, { committee: committeeToJson(c) });
        return true;
      }
      send(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${req.method ?? ''} ${route}` } });
      return true;
    } catch (e) {
      const code = isCodedError(e) ? e.code : 'INTERNAL';
      const message = e instanceof Error ? e.message : String(e);
      log.warn('enroll_refused', { code, message });
      send(res, STATUS[code] ?? (code === 'INTERNAL' ? 500 : 400), { error: { code, message } });
      return true;
    }
  };
}

export interface RunningAuthority {
  readonly http: Server;
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the authority alone (`npm run authority`). */
export async function listenAuthority(
  auth: EnrollmentAuthority,
  host: string,
  port: number,
  log: AuthorityLog,
): Promise<RunningAuthority> {
  const handle = authorityHandler(auth, log);
  const server = createServer((req, res) => {
    void handle(req, res).then((done) => {
      if (!done) send(res, 404, { error: { code: 'NOT_FOUND', message: 'not found' } });
    });
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
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
