/**
 * The authority over real HTTP on 127.0.0.1 (http.ts): served alone (listenAuthority) and mounted
 * under a prefix, spoken to with raw requests and with the client's `enroll()`
 * (src/client/enroll.ts). Every refusal has its code, HTTP status and message; a client never
 * sends its request to an authority whose key it does not pin.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { authorityId, verifyCertificate } from '../cert/certificate.js';
import { CertificateError } from '../cert/errors.js';
import { createSigningKey } from '../cert/sign.js';
import { EnrollError, type EnrollInput, enroll } from '../client/enroll.js';
import { type EnrollRequestJson, certificateToJson, hex } from '../wire/authority.js';
import { participantIdOf } from '../wire/ids.js';
import { enrollRequest, requestJson, testParticipant } from '../../test/support/enrollment.js';
import { MAX_REQUEST_BYTES, type RunningAuthority, authorityHandler, listenAuthority } from '../authority/http.js';
import { memoryKeys } from '../authority/keys.js';
import { EnrollmentAuthority } from '../authority/service.js';

const FEDERATION = 'fed-http';
const TOKEN = 'http-token';
const keys = memoryKeys();
const alice = testParticipant(11);
const bob = testParticipant(12);

interface Logged {
  level: 'info' | 'warn';
  event: string;
  fields?: Record<string, unknown>;
}

let auth: EnrollmentAuthority;
let server: RunningAuthority;
let logged: Logged[];

beforeAll(async () => {
  logged = [];
  auth = new EnrollmentAuthority(keys, { federation: FEDERATION, token: TOKEN });
  server = await listenAuthority(
    auth,
    '127.0.0.1',
    0,
    {
      info: (event, fields) => logged.push({ level: 'info', event, ...(fields ? { fields } : {}) }),
      warn: (event, fields) => logged.push({ level: 'warn', event, ...(fields ? { fields } : {}) }),
    },
    // these tests make many refused requests on purpose; the budgets are tested in authority-limits.test.ts
    { errorsPerWindow: 1e9 },
  );
});
afterAll(() => server.close());
beforeEach(() => {
  auth.issued.clear();
  logged.length = 0;
});

async function post(body: string | EnrollRequestJson, path = '/v1/enroll'): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

async function validJson(p = alice): Promise<EnrollRequestJson> {
  return requestJson(await enrollRequest(p, { federation: FEDERATION, token: TOKEN, enrollKey: keys.enrollPublic }));
}

const matching = (m: RegExp): unknown => expect.stringMatching(m);
const err = (code: string, message: string | RegExp) => ({
  error: { code, message: typeof message === 'string' ? message : matching(message) },
});
const urlOf = (u: string | URL | Request): string => (typeof u === 'string' ? u : u instanceof URL ? u.href : u.url);

/** Flips the lowest bit of the hex digit at `i`. */
const flipHex = (s: string, i: number) => s.slice(0, i) + (parseInt(s[i]!, 16) ^ 1).toString(16) + s.slice(i + 1);

describe('the authority over HTTP', () => {
  it('GET /v1/authority names the federation, the key to pin and the enrollment key', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${server.url}/v1/authority`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({
      federation: FEDERATION,
      publicKey: hex(keys.signPublic),
      enrollKey: hex(keys.enrollPublic),
      retired: [],
    });
  });

  it('POST /v1/enroll returns the certificate of a valid request', async () => {
    const before = Date.now();
    const { status, json } = await post(await validJson());
    expect(status).toBe(200);
    const cert = auth.issued.get(alice.participantId)!;
    expect(json).toEqual({ certificate: certificateToJson(cert) });
    expect(cert.body.signKey).toEqual(alice.signing.publicKey);
    expect(cert.body.notBefore).toBeGreaterThanOrEqual(before - 60_000);
    expect(logged).toEqual([
      {
        level: 'info',
        event: 'enrolled',
        fields: { participantId: alice.participantId, roles: ['trainer', 'member'] },
      },
    ]);
  });

  it('accepts a body of exactly MAX_REQUEST_BYTES, refuses one byte more (TOO_LARGE, 413)', async () => {
    const json = JSON.stringify(await validJson());
    const exact = json.padEnd(MAX_REQUEST_BYTES, ' ');
    expect(Buffer.byteLength(exact)).toBe(MAX_REQUEST_BYTES);
    expect((await post(exact)).status).toBe(200);
    for (const size of [MAX_REQUEST_BYTES + 1, 10 * MAX_REQUEST_BYTES, 4 << 20]) {
      const { status, json: body } = await post(json.padEnd(size, ' '));
      expect([status, body]).toEqual([413, err('TOO_LARGE', `request body exceeds ${MAX_REQUEST_BYTES} bytes`)]);
      // The refusal leaves the client's connections usable: its next request is answered at once.
      expect((await post(json)).status).toBe(200);
    }
  });

  it.each<[string, (r: EnrollRequestJson) => EnrollRequestJson, number, string, string | RegExp]>([
    ['a wrong token', (r) => ({ ...r, token: 'nope' }), 401, 'UNAUTHENTICATED', 'wrong join token'],
    [
      'another federation',
      (r) => ({ ...r, federation: 'fed-x' }),
      403,
      'WRONG_FEDERATION',
      `this authority enrolls federation ${FEDERATION}, not fed-x`,
    ],
    [
      'a participant id not derived from the sealing key',
      (r) => ({ ...r, participantId: bob.participantId }),
      400,
      'BAD_ENROLLMENT',
      'the participant id is not the one derived from the sealing key',
    ],
    [
      "another participant's sealing key",
      (r) => ({ ...r, sealKey: hex(bob.identity.publicKey), participantId: bob.participantId }),
      400,
      'BAD_ENROLLMENT',
      'the request is not signed by the signing key it names',
    ],
    [
      'a bit flip in the signing key',
      (r) => ({ ...r, signKey: flipHex(r.signKey, 5) }),
      400,
      'BAD_ENROLLMENT',
      'the request is not signed by the signing key it names',
    ],
    [
      'a bit flip in the signature',
      (r) => ({ ...r, signature: flipHex(r.signature, 100) }),
      400,
      'BAD_ENROLLMENT',
      'the request is not signed by the signing key it names',
    ],
    [
      'other roles than signed',
      (r) => ({ ...r, roles: ['member'] }),
      400,
      'BAD_ENROLLMENT',
      'the request is not signed by the signing key it names',
    ],
    [
      'a bit flip in the proof',
      (r) => ({ ...r, proof: flipHex(r.proof, 63) }),
      400,
      'BAD_ENROLLMENT',
      'no proof of possession of the sealing key',
    ],
    [
      "Bob's signing key with Alice's signature",
      (r) => ({ ...r, signKey: hex(bob.signing.publicKey) }),
      400,
      'BAD_ENROLLMENT',
      'the request is not signed by the signing key it names',
    ],
  ])('refuses %s', async (_, change, status, code, message) => {
    const res = await post(change(await validJson()));
    expect([res.status, res.json]).toEqual([status, err(code, message)]);
    expect(auth.issued.size).toBe(0);
    expect(logged).toEqual([
      { level: 'warn', event: 'enroll_refused', fields: { code, message, address: '127.0.0.1' } },
    ]);
  });

  it("refuses a proof of possession of another sealing key or for another authority's key (BAD_ENROLLMENT, 400)", async () => {
    const r = await validJson();
    const other = memoryKeys();
    const foreign = requestJson(
      await enrollRequest(alice, { federation: FEDERATION, token: TOKEN, enrollKey: other.enrollPublic }),
    );
    const bobs = await validJson(bob);
    for (const proof of [foreign.proof, bobs.proof]) {
      const res = await post({ ...r, proof });
      expect([res.status, res.json]).toEqual([400, err('BAD_ENROLLMENT', 'no proof of possession of the sealing key')]);
    }
  });

  it.each<[string, string, string | RegExp]>([
    ['not JSON', '{"federation": ', 'the request body is not JSON'],
    ['empty', '', 'the request body is not JSON'],
    ['null', 'null', /^enrollment request: request: /],
    ['an array', '[]', /^enrollment request: federation: /],
  ])('refuses a body that is %s (MALFORMED, 400)', async (_, body, message) => {
    const res = await post(body);
    expect([res.status, res.json]).toEqual([400, err('MALFORMED', message)]);
  });

  it.each<[string, (r: Record<string, unknown>) => Record<string, unknown>, RegExp]>([
    ['missing token', ({ token: _, ...r }) => r, /^enrollment request: token: /],
    ['missing federation', ({ federation: _, ...r }) => r, /^enrollment request: federation: /],
    ['an empty federation', (r) => ({ ...r, federation: '' }), /^enrollment request: federation: /],
    [
      'a federation of 129 characters',
      (r) => ({ ...r, federation: 'f'.repeat(129) }),
      /^enrollment request: federation: /,
    ],
    ['a token of 257 characters', (r) => ({ ...r, token: 't'.repeat(257) }), /^enrollment request: token: /],
    ['a participant id with a space', (r) => ({ ...r, participantId: 'p 1' }), /^enrollment request: participantId: /],
    [
      'a sealing key of 31 bytes',
      (r) => ({ ...r, sealKey: (r.sealKey as string).slice(2) }),
      /^enrollment request: sealKey: must be 32 bytes as lowercase hex$/,
    ],
    [
      'an uppercase signing key',
      (r) => ({ ...r, signKey: (r.signKey as string).toUpperCase() }),
      /^enrollment request: signKey: must be 32 bytes as lowercase hex$/,
    ],
    [
      'a signature of 63 bytes',
      (r) => ({ ...r, signature: (r.signature as string).slice(2) }),
      /^enrollment request: signature: must be 64 bytes as lowercase hex$/,
    ],
    ['a proof that is a number', (r) => ({ ...r, proof: 7 }), /^enrollment request: proof: /],
    ['an unknown role', (r) => ({ ...r, roles: ['trainer', 'admin'] }), /^enrollment request: roles\.1: /],
    ['no roles', (r) => ({ ...r, roles: [] }), /^enrollment request: roles: /],
    ['three roles', (r) => ({ ...r, roles: ['trainer', 'member', 'member'] }), /^enrollment request: roles: /],
    ['an unknown field', (r) => ({ ...r, admin: true }), /^enrollment request: admin: /],
  ])('refuses a request with %s (MALFORMED, 400, naming the field)', async (_, change, message) => {
    const res = await post(JSON.stringify(change({ ...(await validJson()) })));
    expect([res.status, res.json]).toEqual([400, err('MALFORMED', message)]);
    expect(auth.issued.size).toBe(0);
  });

  it.each([
    ['GET', '/v1/enroll', 'no route GET /v1/enroll'],
    ['POST', '/v1/authority', 'no route POST /v1/authority'],
    ['GET', '/v1/nothing', 'no route GET /v1/nothing'],
    ['DELETE', '/v1/enroll', 'no route DELETE /v1/enroll'],
    ['GET', '/', 'not found'],
    ['GET', '/v2/enroll', 'not found'],
    ['POST', '/enroll', 'not found'],
  ])('answers %s %s with 404 NOT_FOUND', async (method, path, message) => {
    const res = await fetch(`${server.url}${path}`, { method });
    expect([res.status, await res.json()]).toEqual([404, err('NOT_FOUND', message)]);
  });
});

describe('enroll() against the authority', () => {
  const input = (over: Partial<EnrollInput> = {}): EnrollInput => ({
    url: server.url,
    token: TOKEN,
    identity: alice.identity,
    signing: alice.signing,
    roles: ['trainer'],
    participantId: alice.participantId,
    trust: { authorities: [keys.signPublic] },
    ...over,
  });

  /** A fetch that records what it was asked. */
  function counting(): { fetch: typeof fetch; calls: string[] } {
    const calls: string[] = [];
    return {
      calls,
      fetch: (url, init) => {
        calls.push(`${init?.method ?? 'GET'} ${urlOf(url)}`);
        return fetch(url, init);
      },
    };
  }

  async function enrollError(p: Promise<unknown>): Promise<EnrollError> {
    try {
      await p;
    } catch (e) {
      expect(e).toBeInstanceOf(EnrollError);
      return e as EnrollError;
    }
    throw new Error('enroll() succeeded');
  }

  it('returns a certificate that verifies under the pinned key, with the federation, id, keys, roles and validity', async () => {
    const before = Date.now();
    const got = await enroll(input({ roles: ['member', 'trainer'] }));
    const after = Date.now();
    const b = got.certificate.body;
    expect(got.signing).toBe(alice.signing);
    expect(b.federation).toBe(FEDERATION);
    expect(b.participantId).toBe(participantIdOf(alice.identity.publicKey));
    expect(b.sealKey).toEqual(alice.identity.publicKey);
    expect(b.signKey).toEqual(alice.signing.publicKey);
    expect(b.roles).toEqual(['member', 'trainer']);
    expect(b.authority).toEqual(authorityId(keys.signPublic));
    expect(b.notBefore).toBeGreaterThanOrEqual(before - 60_000);
    expect(b.notBefore).toBeLessThanOrEqual(after - 60_000);
    expect(b.notAfter - b.notBefore).toBe(24 * 3600_000 + 60_000);
    for (const role of ['trainer', 'member'] as const)
      verifyCertificate(got.certificate, {
        authorities: [keys.signPublic],
        federation: FEDERATION,
        role,
        now: Date.now(),
      });
    expect(auth.issued.get(alice.participantId)?.signature).toEqual(got.certificate.signature);
  });

  it('accepts the federation named explicitly and a URL with a trailing slash', async () => {
    const c = counting();
    await enroll(input({ url: `${server.url}//`, federation: FEDERATION, fetch: c.fetch }));
    expect(c.calls).toEqual([`GET ${server.url}/v1/authority`, `POST ${server.url}/v1/enroll`]);
  });

  it('refuses an authority whose key is not pinned (AUTHORITY_NOT_PINNED) and sends it no request', async () => {
    const c = counting();
    const e = await enrollError(
      enroll(input({ trust: { authorities: [createSigningKey().publicKey] }, fetch: c.fetch })),
    );
    expect(e.code).toBe('AUTHORITY_NOT_PINNED');
    expect(e.message).toBe(
      `the service at ${server.url} signs with a key this participant does not pin; refusing to enroll there`,
    );
    expect(c.calls).toEqual([`GET ${server.url}/v1/authority`]);
    expect(auth.issued.size).toBe(0);
    expect(logged).toEqual([]);
  });

  it('refuses to enroll in another federation than the authority serves (AUTHORITY_REFUSED), sending nothing', async () => {
    const c = counting();
    const e = await enrollError(enroll(input({ federation: 'fed-elsewhere', fetch: c.fetch })));
    expect([e.code, e.message]).toEqual([
      'AUTHORITY_REFUSED',
      `the authority at ${server.url} enrolls ${FEDERATION}, not fed-elsewhere`,
    ]);
    expect(c.calls).toHaveLength(1);
    expect(auth.issued.size).toBe(0);
  });

  it("reports the authority's refusal with its code (AUTHORITY_REFUSED)", async () => {
    const e = await enrollError(enroll(input({ token: 'wrong' })));
    expect([e.code, e.message]).toEqual([
      'AUTHORITY_REFUSED',
      'the enrollment authority refused: UNAUTHENTICATED: wrong join token',
    ]);
    const id = await enrollError(enroll(input({ participantId: bob.participantId })));
    expect(id.message).toBe(
      'the enrollment authority refused: BAD_ENROLLMENT: the participant id is not the one derived from the sealing key',
    );
  });

  it('refuses a certificate that does not name its keys, even one signed by the pinned authority', async () => {
    const bobs = await auth.enroll(
      await enrollRequest(bob, { federation: FEDERATION, token: TOKEN, enrollKey: keys.enrollPublic }),
    );
    const swapping: typeof fetch = async (url, init) => {
      const res = await fetch(url, init);
      if (!urlOf(url).endsWith('/v1/enroll')) return res;
      return new Response(JSON.stringify({ certificate: certificateToJson(bobs) }), { status: 200 });
    };
    await expect(enroll(input({ fetch: swapping }))).rejects.toThrow(
      new CertificateError('BAD_SIGNATURE', "the certificate received does not name this participant's keys"),
    );
  });

  it('an unreachable URL is AUTHORITY_UNREACHABLE', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((r) => closed.close(() => r()));
    const url = `http://127.0.0.1:${port}`;
    const e = await enrollError(enroll(input({ url })));
    expect(e.code).toBe('AUTHORITY_UNREACHABLE');
    expect(e.message).toMatch(new RegExp(`^cannot reach the enrollment authority at ${url}/v1/authority: `));
  });

  it('an answer without JSON is AUTHORITY_UNREACHABLE', async () => {
    const plain = createServer((_, res) => res.end('<html>proxy error</html>'));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
    try {
      const e = await enrollError(enroll(input({ url })));
      expect([e.code, e.message]).toEqual([
        'AUTHORITY_UNREACHABLE',
        `the enrollment authority at ${url}/v1/authority answered 200 without JSON`,
      ]);
    } finally {
      await new Promise<void>((r) => plain.close(() => r()));
    }
  });
});

describe('the authority mounted under a prefix', () => {
  let http: Server;
  let base: string;
  let other: EnrollmentAuthority;
  const otherKeys = memoryKeys();

  beforeAll(async () => {
    other = new EnrollmentAuthority(otherKeys, { federation: 'fed-mounted', open: true });
    const handle = authorityHandler(other, { info: () => {}, warn: () => {} }, '/authority');
    http = createServer((req, res) => {
      void handle(req, res).then((done) => {
        if (!done) res.writeHead(418).end('not the authority');
      });
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => http.close(() => r())));
  afterEach(() => other.issued.clear());

  it('serves its routes under the prefix only, and enrolls through it', async () => {
    expect((await fetch(`${base}/authority/v1/authority`)).status).toBe(200);
    expect((await fetch(`${base}/v1/authority`)).status).toBe(418);
    expect((await fetch(`${base}/authorityx/v1/authority`)).status).toBe(418);
    const res = await fetch(`${base}/authority/v1/nothing`);
    expect([res.status, await res.json()]).toEqual([404, err('NOT_FOUND', 'no route GET /v1/nothing')]);
    const got = await enroll({
      url: `${base}/authority/`,
      token: '',
      identity: bob.identity,
      signing: bob.signing,
      roles: ['member'],
      participantId: bob.participantId,
      trust: { authorities: [keys.signPublic, otherKeys.signPublic] },
    });
    expect(got.certificate.body.federation).toBe('fed-mounted');
    expect(got.certificate.body.authority).toEqual(authorityId(otherKeys.signPublic));
    expect(other.issued.has(bob.participantId)).toBe(true);
    expect(auth.issued.has(bob.participantId)).toBe(false);
  });
});
