/**
 * "Everything refused gets a typed error reply and a structured log line, and the server keeps
 * serving": every refusal of the server, provoked over real WebSockets, checked on the wire
 * (the `error` reply and its code), in the log (a `refused` line with the code) and in the
 * event stream — and a secure round with an exact sum completes afterwards.
 */
import { createIdentity } from '../secagg/index.js';
import { decode } from '@msgpack/msgpack';
import { afterEach, describe, expect, it } from 'vitest';
import type { FederationEvent } from '../wire/events.js';
import { encodeMessage } from '../wire/codec.js';
import type { AnswerMsg, ContributionMsg, ErrorMsg, ServerMessage } from '../wire/messages.js';
import { type TestServer, startTestServer } from '../../test/support/federation.js';
import {
  Gate,
  type KitParticipant,
  type LogLine,
  type PlainParticipant,
  RawClient,
  type Tap,
  collectingLogger,
  kitParticipant,
  plainParticipant,
  plaintextSum,
  waitForNew,
} from '../../test/support/participants.js';

type Done = Extract<FederationEvent, { type: 'round_done' }>;

let server: TestServer | undefined;
let parts: KitParticipant[] = [];
let raws: RawClient[] = [];
let plains: PlainParticipant[] = [];

afterEach(async () => {
  for (const p of parts) p.engine.stop();
  for (const r of raws) r.close();
  for (const p of plains) p.client.stop();
  parts = [];
  plains = [];
  raws = [];
  await server?.stop();
  server = undefined;
});

const ROUND_SETTINGS = {
  committee: { m: 3, tRec: 3, rho: 2 },
  minTrainers: 3,
  firstRoundParticipants: 6,
  rounds: 1,
  submitMs: 60_000,
  committeeMs: 60_000,
} as const;

function raw(msg: unknown): Uint8Array {
  return encodeMessage(msg as never);
}

function isError(m: ServerMessage): m is ErrorMsg {
  return m.t === 'error';
}

async function rawClient(s: TestServer): Promise<RawClient> {
  const c = await RawClient.open(s.wsUrl);
  raws.push(c);
  return c;
}

/** Sends one frame on a raw socket and expects an `error` reply with this code. */
async function refusedRaw(c: RawClient, bytes: Uint8Array | string, code: string, ref?: string): Promise<ErrorMsg> {
  const r = await c.request(bytes);
  expect(r.t, `reply to a frame that should be refused with ${code}`).toBe('error');
  const e = r as ErrorMsg;
  expect(e.code).toBe(code);
  expect(e.message.length).toBeGreaterThan(0);
  if (ref !== undefined) expect(e.ref).toBe(ref);
  return e;
}

/** Sends one frame on a participant's own connection and expects an `error` reply with this code. */
async function refusedFrom(
  p: { tap: Tap; label: string },
  bytes: Uint8Array,
  code: string,
  ref?: string,
): Promise<ErrorMsg> {
  const reply = waitForNew(p.tap.received, isError, 10_000, `${code} reply to ${p.label}`);
  expect(p.tap.sendRaw(bytes)).toBe(bytes.byteLength);
  const e = (await reply) as ErrorMsg;
  expect(e.code).toBe(code);
  if (ref !== undefined) expect(e.ref).toBe(ref);
  return e;
}

function expectLogged(lines: LogLine[], code: string, clientId?: string): void {
  const hit = lines.find(
    (l) => l.event === 'refused' && l.code === code && (clientId === undefined || l.clientId === clientId),
  );
  expect(hit, `a "refused" log line with code ${code}${clientId ? ` for ${clientId}` : ''}`).toBeDefined();
  expect(hit?.level).toBe('warn');
  expect(typeof hit?.message).toBe('string');
  expect(typeof hit?.ts).toBe('string');
}

function expectEvent(s: TestServer, code: string): void {
  expect(
    s.events.events.some((e) => e.type === 'refused' && e.code === code),
    `a refused event with code ${code}`,
  ).toBe(true);
}

function startFederation(s: TestServer): { trainers: KitParticipant[]; members: KitParticipant[] } {
  const trainers = ['A', 'B', 'C'].map((label, i) =>
    kitParticipant({ url: s.wsUrl, token: s.token, label, train: true, committee: false, seed: i + 1 }),
  );
  const members = ['X', 'Y', 'Z'].map((label) =>
    kitParticipant({ url: s.wsUrl, token: s.token, label, train: false, committee: true }),
  );
  parts.push(...trainers, ...members);
  return { trainers, members };
}

async function expectExactRound(
  s: TestServer,
  trainers: KitParticipant[],
  round: number,
  answered: number,
): Promise<Done> {
  const done = await s.events.waitFor(
    (e): e is Done => e.type === 'round_done' && e.round === round,
    30_000,
    `round ${round} done`,
  );
  const agg = await s.decoded.waitFor((d) => d.round === round);
  expect(done.survivors).toHaveLength(trainers.length);
  expect(done.membersAnswered).toHaveLength(answered);
  const plain = plaintextSum(trainers, round, done.survivors);
  expect(plain).toBeDefined();
  expect(agg.sum).toEqual(plain);
  return done;
}

describe('refusals: typed error replies, log lines, and the server keeps serving', () => {
  it('connection-level refusals (codec, join, text, size) — then a secure round completes', async () => {
    const { log, lines } = collectingLogger();
    server = await startTestServer({ ...ROUND_SETTINGS }, log);
    const s = server;
    const c = await rawClient(s);
    const me = createIdentity(new Uint8Array(32).fill(7));
    const goodJoin = await c.joinMessage(me, { token: s.token, train: true, committee: false });

    // before join
    await refusedRaw(c, raw({ t: 'hello', x: 1 }), 'UNKNOWN_TYPE', 'hello');
    await refusedRaw(c, new Uint8Array([0xc1]), 'MALFORMED'); // a byte msgpack never uses
    await refusedRaw(c, new Uint8Array([0x82, 0xa1, 0x74]), 'MALFORMED'); // truncated map
    await refusedRaw(c, raw([1, 2, 3]), 'MALFORMED'); // no type field
    await refusedRaw(c, raw({ ...goodJoin, train: 'yes' }), 'MALFORMED', 'join'); // schema-invalid
    await refusedRaw(c, raw({ ...goodJoin, publicKey: new Uint8Array(31) }), 'MALFORMED', 'join');
    await refusedRaw(c, raw({ ...goodJoin, extra: 1 }), 'MALFORMED', 'join');
    await refusedRaw(c, 'hello as text', 'TEXT_FRAME');
    await refusedRaw(c, new Uint8Array(s.fed.maxMessageBytes + 1), 'TOO_LARGE');
    await refusedRaw(
      c,
      raw({
        t: 'contribution',
        round: 1,
        y1: new Uint8Array(8),
        y2: new Uint8Array(8),
        eph: new Uint8Array(32),
        sealed: [],
      }),
      'NOT_JOINED',
      'contribution',
    );
    await refusedRaw(c, raw({ t: 'leave' }), 'NOT_JOINED', 'leave');
    await refusedRaw(c, raw({ ...goodJoin, v: 2 }), 'BAD_VERSION', 'join');
    await refusedRaw(c, raw({ ...goodJoin, train: false, committee: false }), 'NOT_JOINED', 'join');
    expect(c.closed).toBeUndefined(); // none of these closes the connection

    // join, then refusals of a joined participant
    const welcome = await c.request(raw(goodJoin));
    expect(welcome.t).toBe('welcome');
    const id = welcome.t === 'welcome' ? welcome.clientId : '';
    await refusedRaw(c, raw(goodJoin), 'ALREADY_JOINED', 'join');
    await refusedRaw(
      c,
      raw({ t: 'contribution', round: 'one', y1: 1, y2: 2, eph: 3, sealed: 4 }),
      'MALFORMED',
      'contribution',
    );
    await refusedRaw(
      c,
      raw({ t: 'answer', round: 1, memberIndex: -1, hS: new Uint8Array(32), sum: new Uint8Array(8) }),
      'MALFORMED',
      'answer',
    );
    await refusedRaw(
      c,
      raw({
        t: 'contribution',
        round: 1,
        y1: new Uint8Array(8),
        y2: new Uint8Array(8),
        eph: new Uint8Array(32),
        sealed: [],
      }),
      'NO_ROUND',
      'contribution',
    );
    await refusedRaw(c, new Uint8Array(s.fed.maxMessageBytes + 100), 'TOO_LARGE');
    expectLogged(lines, 'ALREADY_JOINED', id);
    expectLogged(lines, 'NO_ROUND', id);

    // wrong token: refused, then the socket is closed by the server
    const bad = await rawClient(s);
    await refusedRaw(bad, raw({ ...goodJoin, token: `${s.token}x` }), 'UNAUTHENTICATED', 'join');
    expect((await bad.closedP).code).toBe(4001);
    const bad2 = await rawClient(s);
    await refusedRaw(bad2, raw({ ...goodJoin, token: '' }), 'UNAUTHENTICATED', 'join');
    expect((await bad2.closedP).code).toBe(4001);

    // impersonation: a join under someone else's public key without its secret key is refused
    // and closed, and the real participant's connection is not replaced
    const thief = createIdentity(new Uint8Array(32).fill(8));
    const imp = await rawClient(s);
    const forged = {
      ...(await imp.joinMessage(thief, { token: s.token, train: true, committee: false })),
      publicKey: me.publicKey,
    };
    await refusedRaw(imp, raw(forged), 'UNAUTHENTICATED', 'join');
    expect((await imp.closedP).code).toBe(4001);
    const replay = await rawClient(s); // a proof captured on another connection does not verify here
    await refusedRaw(replay, raw(goodJoin), 'UNAUTHENTICATED', 'join');
    expect(c.closed).toBeUndefined();
    expect(
      (
        await c.request(
          raw({
            t: 'contribution',
            round: 1,
            y1: new Uint8Array(8),
            y2: new Uint8Array(8),
            eph: new Uint8Array(32),
            sealed: [],
          }),
        )
      ).t,
    ).toBe('error');

    // over twice the limit: ws drops the socket (1009), the server keeps serving
    const huge = await rawClient(s);
    huge.send(new Uint8Array(2 * s.fed.maxMessageBytes + 1));
    expect((await huge.closedP).code).toBe(1009);

    for (const code of [
      'UNKNOWN_TYPE',
      'MALFORMED',
      'TEXT_FRAME',
      'TOO_LARGE',
      'NOT_JOINED',
      'BAD_VERSION',
      'ALREADY_JOINED',
      'NO_ROUND',
      'UNAUTHENTICATED',
    ]) {
      expectLogged(lines, code);
      expectEvent(s, code);
    }
    expect(lines.filter((l) => l.event === 'internal_error')).toEqual([]);

    // the raw participant leaves; real participants join and a secure round completes exactly
    const gone = waitForNew(s.events, (e) => e.type === 'participants' && e.connected === 0, 10_000, 'raw client gone');
    c.close();
    await gone;
    const { trainers } = startFederation(s);
    await expectExactRound(s, trainers, 1, 3);
    for (const t of trainers) await t.events.waitFor((e) => e.type === 'result' && e.round === 1 && e.ok);
  });

  it('round-level refusals (wrong round, lengths, duplicates, late, roles, H_S, plaintext) — the round still completes exactly', async () => {
    const { log, lines } = collectingLogger();
    // Unmasking with 2 of 3 members after Z's refusal needs d_max = 1 with three members: 3,2,1,
    // which is not subset-safe, so this server runs as an insecure demo.
    server = await startTestServer(
      { ...ROUND_SETTINGS, committee: { m: 3, tRec: 2, rho: 1 }, insecureDemo: true },
      log,
    );
    const s = server;
    const { trainers, members } = startFederation(s);
    const [A, B, C] = trainers as [KitParticipant, KitParticipant, KitParticipant];
    const [X, Y, Z] = members as [KitParticipant, KitParticipant, KitParticipant];
    const cGate = C.trainer!.hold(1); // C keeps the collection phase open
    const xGate = new Gate();
    X.answerGates.set(1, xGate); // X keeps the committee phase open
    // Z's answers reach the server with a survivor-set hash that disagrees
    Z.tap.rewrite = (bytes) => {
      const m = decode(bytes) as { t: string };
      if (m.t !== 'answer') return bytes;
      const a = m as AnswerMsg;
      const hS = a.hS.slice();
      hS[0] = (hS[0] as number) ^ 1;
      return encodeMessage({ ...a, hS });
    };

    const started = await s.events.waitFor((e) => e.type === 'round_started' && e.round === 1, 30_000, 'round 1');
    expect(started.type === 'round_started' && started.trainers).toHaveLength(3);
    await s.events.waitFor(
      (e) => e.type === 'contribution' && e.round === 1 && e.received === 2,
      30_000,
      'A and B contributed',
    );
    await C.trainer!.started.waitFor((r) => r === 1);
    const ids = Object.fromEntries(parts.map((p) => [p.label, p.engine.state.clientId as string]));

    const aBytes = A.tap.lastSent('contribution');
    expect(aBytes).toBeDefined();
    const aMsg = decode(aBytes!) as ContributionMsg;
    expect(aMsg.round).toBe(1);

    // collection phase
    const dup = await refusedFrom(A, aBytes!, 'DUPLICATE', 'contribution');
    expect(dup.round).toBe(1);
    await refusedFrom(A, encodeMessage({ ...aMsg, round: 2 }), 'WRONG_ROUND', 'contribution');
    await refusedFrom(A, encodeMessage({ ...aMsg, round: 0 }), 'WRONG_ROUND', 'contribution');
    await refusedFrom(
      C,
      encodeMessage({ ...aMsg, y1: aMsg.y1.subarray(0, aMsg.y1.byteLength - 4) }),
      'MALFORMED_INPUT',
      'contribution',
    );
    await refusedFrom(C, encodeMessage({ ...aMsg, sealed: aMsg.sealed.slice(1) }), 'MALFORMED_INPUT', 'contribution');
    await refusedFrom(
      C,
      encodeMessage({ ...aMsg, y1: aMsg.y1.subarray(0, aMsg.y1.byteLength - 1) }),
      'MALFORMED_INPUT',
      'contribution',
    ); // not the packed length of L residues (§4.1)
    const unreduced = aMsg.y2.slice();
    unreduced.fill(0xff, 0, 4); // the first residue ≥ q2
    await refusedFrom(C, encodeMessage({ ...aMsg, y2: unreduced }), 'MALFORMED_INPUT', 'contribution');
    await refusedFrom(X, aBytes!, 'NOT_A_TRAINER', 'contribution');
    const length = started.type === 'round_started' ? started.length : 0;
    expect(length).toBeGreaterThan(1);
    await refusedFrom(
      A,
      encodeMessage({ t: 'plain', round: 1, x: new Uint8Array(4 * length) }),
      'INSECURE_MODE_ONLY',
      'plain',
    );
    const fakeAnswer = {
      t: 'answer' as const,
      round: 1,
      memberIndex: 1,
      hS: new Uint8Array(32),
      sum: new Uint8Array(2 * 2048 * 4),
    };
    await refusedFrom(A, encodeMessage(fakeAnswer), 'NOT_A_MEMBER', 'answer');
    await refusedFrom(X, encodeMessage({ ...fakeAnswer, memberIndex: 99 }), 'NOT_A_MEMBER', 'answer');
    await refusedFrom(
      X,
      encodeMessage({ ...fakeAnswer, memberIndex: X.engine.state.memberIndex as number }),
      'MALFORMED_INPUT',
      'answer',
    ); // before the cut-off
    await refusedFrom(
      A,
      encodeMessage({
        t: 'join',
        v: 1,
        token: s.token,
        publicKey: A.identity.publicKey,
        proof: new Uint8Array(32),
        train: true,
        committee: false,
      }),
      'ALREADY_JOINED',
      'join',
    );
    expect(s.fed.status().phase).toBe('collecting');

    // C sends; the committee phase opens and X holds it
    cGate.open();
    const cut = await s.events.waitFor((e) => e.type === 'cutoff' && e.round === 1, 30_000, 'cut-off');
    expect(cut.type === 'cutoff' && cut.survivors).toHaveLength(3);
    const zRefused = (await Z.tap.received.waitFor(
      (m) => m.t === 'error' && m.code === 'INCONSISTENT_SURVIVOR_SET',
      30_000,
      'Z refused',
    )) as ErrorMsg;
    expect(zRefused.ref).toBe('answer');
    await s.events.waitFor((e) => e.type === 'answer' && e.round === 1 && e.answered === 1, 30_000, "Y's answer");
    expect(s.fed.status().phase).toBe('committee');

    await refusedFrom(A, aBytes!, 'LATE', 'contribution');
    await refusedFrom(C, encodeMessage({ ...aMsg, round: 1 }), 'LATE', 'contribution');
    const yBytes = Y.tap.lastSent('answer');
    expect(yBytes).toBeDefined();
    await refusedFrom(Y, yBytes!, 'DUPLICATE', 'answer');
    await refusedFrom(Y, encodeMessage({ ...(decode(yBytes!) as AnswerMsg), round: 7 }), 'WRONG_ROUND', 'answer');
    await refusedFrom(A, yBytes!, 'NOT_A_MEMBER', 'answer');
    // an answer replayed by another member under its own index: the hash matches, but the slot is taken or the sum wrong
    const zIndex = Z.engine.state.memberIndex as number;
    const zReplay = encodeMessage({ ...(decode(yBytes!) as AnswerMsg), memberIndex: zIndex, hS: new Uint8Array(32) });
    await refusedFrom(Z, zReplay, 'INCONSISTENT_SURVIVOR_SET', 'answer');

    // Z gives up (so the round does not wait for it), X answers: unmask with 2 of 3
    Z.engine.stop();
    xGate.open();
    await expectExactRound(s, trainers, 1, 2);
    for (const t of [A, B, C]) await t.events.waitFor((e) => e.type === 'result' && e.round === 1 && e.ok);
    expect(s.fed.version).toBe(1);

    const expected: [string, string][] = [
      ['DUPLICATE', ids.A!],
      ['WRONG_ROUND', ids.A!],
      ['MALFORMED_INPUT', ids.C!],
      ['NOT_A_TRAINER', ids.X!],
      ['INSECURE_MODE_ONLY', ids.A!],
      ['NOT_A_MEMBER', ids.A!],
      ['NOT_A_MEMBER', ids.X!],
      ['INCONSISTENT_SURVIVOR_SET', ids.Z!],
      ['LATE', ids.A!],
      ['DUPLICATE', ids.Y!],
      ['ALREADY_JOINED', ids.A!],
    ];
    for (const [code, id] of expected) {
      expectLogged(lines, code, id);
      expectEvent(s, code);
    }
    expect(lines.filter((l) => l.event === 'internal_error')).toEqual([]);
  });
  it('a secure contribution to a server in the insecure plaintext benchmark mode is refused (INSECURE_MODE_ONLY); the plaintext round completes', async () => {
    const { log, lines } = collectingLogger();
    server = await startTestServer(
      { insecurePlaintext: true, minTrainers: 3, firstRoundParticipants: 3, rounds: 1, submitMs: 60_000 },
      log,
    );
    const s = server;
    // The INSECURE benchmark client: the production engine refuses plaintext rounds.
    const trainers = ['P', 'Q', 'R'].map((label, i) =>
      plainParticipant({ url: s.wsUrl, token: s.token, label, seed: i + 5 }),
    );
    plains.push(...trainers);
    const [P, Q] = trainers as [PlainParticipant, PlainParticipant, PlainParticipant];
    const qGate = Q.trainer.hold(1);
    const started = await s.events.waitFor((e) => e.type === 'round_started' && e.round === 1, 30_000, 'round 1');
    expect(started.type === 'round_started' && started.insecurePlaintext).toBe(true);
    await s.events.waitFor(
      (e) => e.type === 'contribution' && e.round === 1 && e.received === 2,
      30_000,
      'P and R sent',
    );
    const pPlain = P.tap.lastSent('plain');
    expect(pPlain).toBeDefined(); // P sent its update in plaintext, as told
    const length = started.type === 'round_started' ? started.length : 0;
    const contribution = {
      t: 'contribution' as const,
      round: 1,
      y1: new Uint8Array(4 * length),
      y2: new Uint8Array(4 * length),
      eph: new Uint8Array(32),
      sealed: [],
    };
    await refusedFrom(Q, encodeMessage(contribution), 'INSECURE_MODE_ONLY', 'contribution');
    await refusedFrom(P, pPlain!, 'DUPLICATE', 'plain');
    await refusedFrom(
      Q,
      encodeMessage({ t: 'plain', round: 1, x: new Uint8Array(4 * (length - 1)) }),
      'MALFORMED_INPUT',
      'plain',
    );
    await refusedFrom(
      Q,
      encodeMessage({ t: 'plain', round: 1, x: new Uint8Array(4 * length).fill(0x7f) }),
      'MALFORMED_INPUT',
      'plain',
    ); // out of the 16-bit range
    await refusedFrom(
      Q,
      encodeMessage({ t: 'answer', round: 1, memberIndex: 1, hS: new Uint8Array(32), sum: new Uint8Array(8) }),
      'NOT_A_MEMBER',
      'answer',
    );
    qGate.open();
    const done = await s.events.waitFor(
      (e): e is Done => e.type === 'round_done' && e.round === 1,
      30_000,
      'plaintext round',
    );
    const agg = await s.decoded.waitFor((d) => d.round === 1);
    expect(done.survivors).toHaveLength(3);
    const expected = new Array<number>(length).fill(0);
    for (const t of trainers) t.quantized.get(1)!.forEach((x, i) => (expected[i] = expected[i]! + x));
    expect(agg.sum).toEqual(expected);
    expectLogged(lines, 'INSECURE_MODE_ONLY', Q.client.clientId);
    expectLogged(lines, 'DUPLICATE', P.client.clientId);
    expectLogged(lines, 'MALFORMED_INPUT', Q.client.clientId);
  });
});
