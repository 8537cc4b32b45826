/**
 * Fuzzing the server over real WebSockets: ≥ 10^4 random and mutated frames — random bytes,
 * valid messages with bytes flipped/truncated/extended, valid msgpack with random field values,
 * every message type with wrongly typed fields, decoder edge cases — before join, after join,
 * and during a round from participants that are (and are not) in it. The server must answer
 * every frame with an `error` (or close the socket where the protocol says so), never crash
 * or leave a promise rejection unhandled, and still complete secure rounds with exact sums.
 */
import { encode } from '@msgpack/msgpack';
import { afterEach, describe, expect, it } from 'vitest';
import type { FederationEvent } from '../wire/events.js';
import type { WireErrorCode } from '../wire/codec.js';
import type { ContributionMsg, ServerMessage } from '../wire/messages.js';
import { type TestServer, startTestServer } from '../../test/support/federation.js';
import {
  type KitParticipant,
  RawClient,
  collectingLogger,
  kitParticipant,
  plaintextSum,
  waitForNew,
} from '../../test/support/participants.js';
import { decode } from '@msgpack/msgpack';
import type { RefusalCode } from '../server/refusal.js';
import { type MemberIdentity, type SecAggErrorCode, createIdentity } from '../secagg/index.js';

type Done = Extract<FederationEvent, { type: 'round_done' }>;

const WIRE_CODES: WireErrorCode[] = ['TOO_LARGE', 'MALFORMED', 'UNKNOWN_TYPE', 'BAD_VERSION'];
const REFUSAL_CODES: RefusalCode[] = [
  'NOT_JOINED',
  'UNAUTHENTICATED',
  'ALREADY_JOINED',
  'NO_ROUND',
  'NOT_A_TRAINER',
  'NOT_A_MEMBER',
  'INSECURE_MODE_ONLY',
  'TEXT_FRAME',
  'UNCERTIFIED',
  'BAD_SIGNATURE',
];
const SECAGG_CODES: SecAggErrorCode[] = [
  'MALFORMED_INPUT',
  'DUPLICATE',
  'LATE',
  'WRONG_ROUND',
  'INCONSISTENT_SURVIVOR_SET',
];
const KNOWN = new Set<string>([...WIRE_CODES, ...REFUSAL_CODES, ...SECAGG_CODES]);

// ---- a seeded generator ------------------------------------------------------------------------

class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  u32(): number {
    // xorshift32
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.s = x;
    return x;
  }
  int(n: number): number {
    return this.u32() % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
  chance(p: number): boolean {
    return this.u32() / 2 ** 32 < p;
  }
}

const TYPES = [
  'join',
  'contribution',
  'answer',
  'plain',
  'leave',
  'welcome',
  'round',
  'error',
  '',
  'JOIN',
  'contribution\u0000',
  '__proto__',
  'constructor',
];

function randomValue(r: Rng, depth = 0): unknown {
  switch (r.int(depth > 2 ? 14 : 17)) {
    case 0:
      return r.int(100);
    case 1:
      return -1 - r.int(1 << 30);
    case 2:
      return r.pick([0, 1, 2, 3, 7, 32, 2 ** 31, 2 ** 32, 2 ** 53, Number.MAX_SAFE_INTEGER, -0, 0.5, 1e308, -1e308]);
    case 3:
      return r.pick([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.MIN_VALUE]);
    case 4:
      return (r.u32() / 2 ** 32 - 0.5) * 10 ** r.int(20);
    case 5:
      return String.fromCharCode(...Array.from({ length: r.int(40) }, () => r.int(0x3000)));
    case 6:
      return r.pick(['', 'join', 'x'.repeat(300), '\u0000', '💥', 'a'.repeat(129)]);
    case 7:
      return r.chance(0.5);
    case 8:
      return null;
    case 9:
      return r.bytes(r.pick([0, 1, 3, 4, 31, 32, 33, 64, r.int(300)]));
    case 10:
      return r.bytes(r.int(2) === 0 ? 32 : 16 + 4 * r.int(20));
    case 11:
      return new Date(r.int(2 ** 31) * 1000); // msgpack timestamp extension
    case 12:
      return new Float32Array(r.int(8)).fill(r.u32());
    case 13:
      return r.int(1000) * 4;
    case 14:
      return Array.from({ length: r.int(5) }, () => randomValue(r, depth + 1));
    case 15:
      return Object.fromEntries(
        Array.from({ length: r.int(5) }, () => [
          r.pick(['t', 'v', 'round', 'x', 'y1', 'sealed', 'hS', r.bytes(3).join('')]),
          randomValue(r, depth + 1),
        ]),
      );
    default:
      return Array.from({ length: r.int(4) }, () => r.bytes(r.int(64)));
  }
}

interface Bases {
  /** Well-formed messages to mutate (a join with a wrong token before join). */
  valid: Record<string, unknown>[];
  /** Large real messages (a real contribution), mutated now and then. */
  large: Uint8Array[];
}

function mutate(r: Rng, b: Uint8Array): Uint8Array {
  switch (r.int(6)) {
    case 0: {
      const out = b.slice();
      const flips = 1 + r.int(8);
      for (let i = 0; i < flips && out.length; i++) {
        const at = r.int(out.length);
        out[at] = (out[at] as number) ^ (1 << r.int(8));
      }
      return out;
    }
    case 1: {
      const out = b.slice();
      for (let i = 0; i < 1 + r.int(4) && out.length; i++) out[r.int(out.length)] = r.u32() & 0xff;
      return out;
    }
    case 2:
      return b.slice(0, r.int(b.length + 1)); // truncated
    case 3: {
      const ext = r.bytes(1 + r.int(64));
      const out = new Uint8Array(b.length + ext.length);
      out.set(b);
      out.set(ext, b.length);
      return out; // trailing garbage
    }
    case 4: {
      const at = r.int(b.length + 1);
      const ins = r.bytes(1 + r.int(16));
      const out = new Uint8Array(b.length + ins.length);
      out.set(b.subarray(0, at));
      out.set(ins, at);
      out.set(b.subarray(at), at + ins.length);
      return out; // inserted bytes
    }
    default: {
      const at = r.int(b.length + 1);
      return new Uint8Array([...b.subarray(0, at), ...b.subarray(Math.min(b.length, at + 1 + r.int(8)))]); // deleted bytes
    }
  }
}

/** Decoder edge cases: huge declared lengths, deep nesting, reserved bytes. */
const EDGE: Uint8Array[] = [
  new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff]), // array32 of 2^32 − 1 with no data
  new Uint8Array([0xdf, 0xff, 0xff, 0xff, 0xff]), // map32
  new Uint8Array([0xc6, 0xff, 0xff, 0xff, 0xff, 1, 2]), // bin32
  new Uint8Array([0xdb, 0x7f, 0xff, 0xff, 0xff]), // str32
  new Uint8Array([0xc9, 0xff, 0xff, 0xff, 0xff, 0x01]), // ext32
  new Uint8Array(20_000).fill(0x91), // 20k nested arrays
  new Uint8Array(20_000).fill(0x81), // 20k nested maps (key is the next map)
  new Uint8Array([0xc1]),
  new Uint8Array([0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), // uint64 max
  new Uint8Array([0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0]), // int64 min
  new Uint8Array([0x81, 0xa1, 0x74, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), // { t: uint64 }
  new Uint8Array([0x81, 0xc0, 0xa4, 0x6a, 0x6f, 0x69, 0x6e]), // { null: 'join' }
  new Uint8Array([0x82, 0xa1, 0x74, 0xa4, 0x6a, 0x6f, 0x69, 0x6e, 0xa1, 0x74, 0xa5, 0x6c, 0x65, 0x61, 0x76, 0x65]), // { t: 'join', t: 'leave' }
  new Uint8Array(0),
  new TextEncoder().encode('{"t":"join"}'),
];

function wrongTyped(r: Rng, base: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(base).filter((k) => k !== 't');
  const out: Record<string, unknown> = { ...base };
  const n = 1 + r.int(Math.max(1, keys.length));
  for (let i = 0; i < n && keys.length; i++) {
    const k = r.pick(keys);
    if (r.chance(0.15)) delete out[k];
    else out[k] = randomValue(r);
  }
  if (r.chance(0.1)) out[`extra${r.int(3)}`] = randomValue(r);
  return out;
}

function generate(r: Rng, bases: Bases, types: readonly string[]): Uint8Array {
  const kind = r.int(100);
  if (kind < 15) return r.bytes(r.chance(0.05) ? r.int(70_000) : r.int(600)); // random bytes
  if (kind < 17) return r.pick(EDGE);
  if (kind < 45) return mutate(r, encode(r.pick(bases.valid))); // valid message, mutated bytes
  if (kind < 50 && bases.large.length) return mutate(r, r.pick(bases.large)); // real contribution, mutated
  if (kind < 70) {
    // valid msgpack object with random field values
    const o: Record<string, unknown> = { t: r.chance(0.8) ? r.pick(types) : randomValue(r) };
    for (let i = r.int(7); i > 0; i--)
      o[
        r.pick([
          'v',
          'token',
          'publicKey',
          'train',
          'committee',
          'round',
          'y1',
          'y2',
          'eph',
          'sealed',
          'memberIndex',
          'hS',
          'sum',
          'x',
          'label',
          'z',
        ])
      ] = randomValue(r);
    return encode(o);
  }
  if (kind < 95) return encode(wrongTyped(r, r.pick(bases.valid))); // a message type with wrong field types
  return encode(randomValue(r)); // any msgpack value
}

function syntheticBases(token: string, publicKey: Uint8Array, round = 1): Record<string, unknown>[] {
  return [
    {
      t: 'join',
      v: 1,
      token,
      publicKey,
      proof: new Uint8Array(32).fill(3),
      train: true,
      committee: false,
      label: 'fuzz',
    },
    {
      t: 'contribution',
      round,
      y1: new Uint8Array(64),
      y2: new Uint8Array(64),
      eph: new Uint8Array(32),
      sealed: [new Uint8Array(48), new Uint8Array(48), new Uint8Array(48)],
    },
    { t: 'answer', round, memberIndex: 1, hS: new Uint8Array(32), sum: new Uint8Array(64) },
    { t: 'plain', round, x: new Uint8Array(64) },
    { t: 'unknown', round },
  ];
}

// ---- the run -------------------------------------------------------------------------------------

interface Tally {
  sent: number;
  replies: number;
  closes: number;
  codes: Map<string, number>;
  nonError: ServerMessage[];
}

function tally(): Tally {
  return { sent: 0, replies: 0, closes: 0, codes: new Map(), nonError: [] };
}

function count(t: Tally, m: ServerMessage | undefined): void {
  if (!m) return;
  t.replies++;
  if (m.t === 'error') t.codes.set(m.code, (t.codes.get(m.code) ?? 0) + 1);
  else t.nonError.push(m);
}

/**
 * Sends `n` frames on raw sockets one at a time, each awaiting its reply or the socket's close;
 * a closed socket is replaced (and joined again, when `join` is given).
 */
/** Identities that also volunteer for the committee when fuzzRaw joins with them. */
const committeeToo = new WeakSet<MemberIdentity>();

async function fuzzRaw(
  s: TestServer,
  r: Rng,
  n: number,
  bases: Bases,
  t: Tally,
  joinAs?: MemberIdentity,
): Promise<void> {
  let c: RawClient | undefined;
  const fresh = async (): Promise<RawClient> => {
    const k = await RawClient.open(s.wsUrl);
    if (joinAs) {
      // a valid join answers this connection's challenge
      k.send(encode(await k.joinMessage(joinAs, { token: s.token, train: true, committee: committeeToo.has(joinAs) })));
      const w = await k.inbox.next(10_000, 'welcome');
      expect(w?.t).toBe('welcome');
    }
    return k;
  };
  try {
    for (let i = 0; i < n; i++) {
      c ??= await fresh();
      const frame = generate(r, bases, TYPES);
      c.send(frame);
      t.sent++;
      const reply = await c.inbox.next(10_000, `the reply to fuzz frame ${i} (${frame.byteLength} bytes)`);
      count(t, reply);
      if (!reply) {
        // the server closed the socket: only a join with a wrong token or a leave may do that
        t.closes++;
        expect([4001, 1000]).toContain(c.closed?.code);
        c = undefined;
      }
    }
  } finally {
    c?.close();
  }
}

/** The same on a participant's own connection (it stays joined; frames that close it are avoided). */
async function fuzzWire(p: KitParticipant, r: Rng, n: number, bases: Bases, t: Tally): Promise<void> {
  const types = TYPES.filter((x) => x !== 'leave');
  for (let i = 0; i < n; i++) {
    let frame = generate(r, bases, types);
    // a frame that happens to decode as a valid leave would end the connection on purpose
    try {
      const d = decode(frame) as { t?: unknown };
      if (d && typeof d === 'object' && d.t === 'leave') frame = encode({ t: 'leave', x: 1 });
    } catch {
      /* not msgpack: fine */
    }
    p.tap.inbox.skipAll();
    expect(p.tap.sendRaw(frame)).toBe(frame.byteLength);
    t.sent++;
    const reply = await p.tap.inbox.next(10_000, `the reply to ${p.label}'s fuzz frame ${i}`);
    expect(reply, `reply to frame ${i} of ${p.label}`).toBeDefined();
    count(t, reply);
  }
}

/** Waits until the server counts `n` connected participants. */
async function connectedBecomes(s: TestServer, n: number): Promise<void> {
  if (s.fed.status().participants.connected === n) return;
  await waitForNew(s.events, (e) => e.type === 'participants' && e.connected === n, 10_000, `${n} connected`);
}

let server: TestServer | undefined;
let parts: KitParticipant[] = [];

afterEach(async () => {
  for (const p of parts) p.engine.stop();
  parts = [];
  await server?.stop();
  server = undefined;
});

describe('fuzzing the server', () => {
  it('≥ 10^4 random and mutated frames before join, after join and mid-round: error replies only, no crash, and exact secure rounds after', async () => {
    const seed = Number(process.env.SPEAKONCE_FUZZ_SEED ?? 0x5eed);
    const r = new Rng(seed);
    const crashes: unknown[] = [];
    const onCrash = (e: unknown) => crashes.push(e);
    process.on('unhandledRejection', onCrash);
    process.on('uncaughtException', onCrash);
    try {
      const { log, lines } = collectingLogger();
      server = await startTestServer(
        {
          committee: { m: 3, tRec: 3, rho: 2 },
          minTrainers: 3,
          firstRoundParticipants: 6,
          rounds: 2,
          submitMs: 60_000,
          committeeMs: 60_000,
          // every frame gets its reply and its own log line here: no error budget, no summaries
          errorBudget: 1_000_000,
          refusalsLogged: 1_000_000,
          joinTimeoutMs: 600_000, // the pre-join fuzz may take longer than the join deadline on a loaded machine
        },
        log,
      );
      const s = server;
      const fuzzIdentity = createIdentity(new Uint8Array(32).fill(9));
      const lateIdentity = createIdentity(new Uint8Array(32).fill(10));
      committeeToo.add(lateIdentity);
      const fuzzKey = fuzzIdentity.publicKey;
      const pre = tally();
      const post = tally();
      const mid = tally();

      // 1. before join (the join base has a wrong token: a mutated join can never get in)
      await fuzzRaw(s, r, 4000, { valid: syntheticBases(`${s.token}-wrong`, fuzzKey), large: [] }, pre);
      expect(pre.nonError).toEqual([]);
      expect(pre.replies + pre.closes).toBe(pre.sent);
      expect(pre.codes.get('UNAUTHENTICATED') ?? 0).toBe(pre.closes);

      // 2. joined (train only; no round can start: nobody volunteered for the committee)
      await fuzzRaw(s, r, 3000, { valid: syntheticBases(s.token, fuzzKey), large: [] }, post, fuzzIdentity);
      expect(post.nonError).toEqual([]);
      expect(post.replies + post.closes).toBe(post.sent);
      expect(s.fed.status().round).toBeNull();
      await connectedBecomes(s, 0);

      // 3. mid-round: C holds the collection phase open
      const trainers = ['A', 'B', 'C'].map((label, i) =>
        kitParticipant({ url: s.wsUrl, token: s.token, label, train: true, committee: false, seed: i + 11 }),
      );
      const members = ['X', 'Y', 'Z'].map((label) =>
        kitParticipant({ url: s.wsUrl, token: s.token, label, train: false, committee: true }),
      );
      parts = [...trainers, ...members];
      const [A, , C] = trainers as [KitParticipant, KitParticipant, KitParticipant];
      const X = members[0] as KitParticipant;
      const cGate = C.trainer!.hold(1);
      await s.events.waitFor(
        (e) => e.type === 'contribution' && e.round === 1 && e.received === 2,
        30_000,
        'A and B contributed',
      );
      const real = A.tap.lastSent('contribution')!;
      const realMsg = decode(real) as ContributionMsg;
      const midBases: Bases = {
        valid: [
          ...syntheticBases(s.token, fuzzKey, 1),
          { ...realMsg, y1: realMsg.y1.subarray(0, 64), y2: realMsg.y2.subarray(0, 64) },
          { t: 'answer', round: 1, memberIndex: 2, hS: new Uint8Array(32), sum: new Uint8Array(2 * 2048 * 4) },
        ],
        large: [real],
      };
      // a participant who joined after the round started (not in it), on a raw socket
      await fuzzRaw(s, r, 1500, midBases, mid, lateIdentity);
      // a trainer that already contributed, and a committee member before the cut-off
      await fuzzWire(A, r, 1000, midBases, mid);
      await fuzzWire(X, r, 800, midBases, mid);
      expect(mid.nonError).toEqual([]);
      expect(mid.replies + mid.closes).toBe(mid.sent);
      expect(s.fed.status().phase).toBe('collecting');
      await connectedBecomes(s, 6); // the raw fuzz participant is gone before round 2 draws roles
      expect(A.engine.state.connection).toBe('open');
      expect(X.engine.state.connection).toBe('open');

      const total = pre.sent + post.sent + mid.sent;
      expect(total).toBeGreaterThanOrEqual(10_000);
      const codes = new Map<string, number>();
      for (const t of [pre, post, mid]) for (const [k, v] of t.codes) codes.set(k, (codes.get(k) ?? 0) + v);
      if (process.env.SPEAKONCE_FUZZ_STATS)
        console.log('fuzz', {
          seed,
          total,
          closes: pre.closes + post.closes + mid.closes,
          codes: Object.fromEntries(codes),
        });
      for (const code of codes.keys()) expect(KNOWN, `unexpected error code ${code}`).toContain(code);
      // the fuzz reached deep: codec, join, roles, the round and the aggregator all refused something
      for (const code of [
        'MALFORMED',
        'UNKNOWN_TYPE',
        'NOT_JOINED',
        'UNAUTHENTICATED',
        'ALREADY_JOINED',
        'NO_ROUND',
        'NOT_A_TRAINER',
        'NOT_A_MEMBER',
        'DUPLICATE',
        'WRONG_ROUND',
      ]) {
        expect(codes.get(code) ?? 0, `fuzz frames refused with ${code}`).toBeGreaterThan(0);
      }
      expect(lines.filter((l) => l.event === 'internal_error' || l.level === 'error')).toEqual([]);
      expect(lines.filter((l) => l.event === 'refused').length).toBe([...codes.values()].reduce((a, b) => a + b, 0));

      // the round the fuzz ran in completes exactly, and so does the next one
      cGate.open();
      for (const round of [1, 2]) {
        const done = await s.events.waitFor(
          (e): e is Done => e.type === 'round_done' && e.round === round,
          30_000,
          `round ${round}`,
        );
        const agg = await s.decoded.waitFor((d) => d.round === round);
        expect(done.survivors).toHaveLength(3);
        expect(done.version).toBe(round);
        expect(agg.sum).toEqual(plaintextSum(trainers, round, done.survivors));
      }
      expect(crashes).toEqual([]);
    } finally {
      process.off('unhandledRejection', onCrash);
      process.off('uncaughtException', onCrash);
    }
  });
});
