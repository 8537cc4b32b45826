/**
 * Split view (docs/threat-model.md): the server refuses committees that are not subset-safe
 * (2·t_rec > m + c_max fails, docs/protocol.md §15) unless started with insecureDemo, sizes its
 * committees against the volunteers it draws them from, and tells the observers when it runs
 * an insecure demo — over real sockets with the product's participant engine.
 */
import { decode } from '@msgpack/msgpack';
import { afterEach, describe, expect, it } from 'vitest';
import { type TestServer, startTestServer } from '../../test/support/federation.js';
import { type KitParticipant, kitParticipant, plaintextSum } from '../../test/support/participants.js';
import { isSubsetSafe, sizeCommittee } from '../secagg/index.js';
import { ConfigError } from '../server/config.js';
import type { FederationEvent, FederationStatus } from '../wire/events.js';
import { EventLog } from './harness.js';
import { type Observer, observe } from './observe.js';

type Started = Extract<FederationEvent, { type: 'round_started' }>;
type Done = Extract<FederationEvent, { type: 'round_done' }>;

let servers: TestServer[] = [];
let parts: KitParticipant[] = [];
let observers: Observer[] = [];

afterEach(async () => {
  for (const o of observers) o.close();
  for (const p of parts) p.engine.stop();
  for (const s of servers) await s.stop();
  observers = [];
  parts = [];
  servers = [];
});

async function start(overrides: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const s = await startTestServer({ minTrainers: 3, rounds: 1, submitMs: 60_000, committeeMs: 60_000, ...overrides });
  servers.push(s);
  return s;
}

function join(s: TestServer, trainers: number, volunteers: number): { ts: KitParticipant[]; ms: KitParticipant[] } {
  const ts = Array.from({ length: trainers }, (_, i) =>
    kitParticipant({ url: s.wsUrl, token: s.token, label: `T${i}`, train: true, committee: false, seed: i + 1 }),
  );
  const ms = Array.from({ length: volunteers }, (_, i) =>
    kitParticipant({ url: s.wsUrl, token: s.token, label: `M${i}`, train: false, committee: true }),
  );
  parts.push(...ts, ...ms);
  return { ts, ms };
}

async function status(s: TestServer): Promise<FederationStatus> {
  return (await (await fetch(`${s.server.url}/status`)).json()) as FederationStatus;
}

async function expectExact(s: TestServer, ts: KitParticipant[], round: number): Promise<Done> {
  const done = await s.events.waitFor(
    (e): e is Done => e.type === 'round_done' && e.round === round,
    30_000,
    `round ${round} done`,
  );
  const agg = await s.decoded.waitFor((d) => d.round === round);
  expect(agg.sum).toEqual(plaintextSum(ts, round, done.survivors));
  return done;
}

describe('split view: committees that are not subset-safe', () => {
  it('an explicit committee that is not subset-safe: the server does not start (INVALID_CONFIG naming the inequality) unless insecureDemo', async () => {
    let refused: unknown;
    try {
      await start({ committee: { m: 3, tRec: 2, rho: 1 } });
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).code).toBe('INVALID_CONFIG');
    expect((refused as ConfigError).message).toBe(
      'invalid configuration: committee 3,2,1 is not subset-safe: 2·t_rec = 4 must exceed m + c_max = 4; ' +
        'the same tolerance (d_max = 1 silent, c_max = 1 corrupt members) needs e.g. 4,3,2; ' +
        'or start with --insecure-demo (setting insecureDemo)',
    );
    await expect(start({ committee: { m: 5, tRec: 3, rho: 1 } })).rejects.toThrow(
      /committee 5,3,1 is not subset-safe: 2·t_rec = 6 must exceed m \+ c_max = 7/,
    );
    // subset-safe settings start, and say they are not an insecure demo, even when it is allowed
    const safe = await start({ committee: { m: 4, tRec: 3, rho: 2 }, insecureDemo: true });
    expect((await status(safe)).insecureDemo).toBe(false);
    expect(safe.fed.insecureDemo).toBe(false);
  });

  it('insecureDemo: a server with committee 3,2,1 starts; /status, the observer stream and every descriptor carry it; the round is exact', async () => {
    const s = await start({ committee: { m: 3, tRec: 2, rho: 1 }, insecureDemo: true, firstRoundParticipants: 6 });
    expect(await status(s)).toMatchObject({ insecureDemo: true, insecurePlaintext: false });
    const seen = new EventLog<FederationEvent>();
    const obs = observe(s.server.url, (e) => seen.push(e));
    observers.push(obs);
    await obs.ready;
    const { ts, ms } = join(s, 3, 3);
    const started = await seen.waitFor((e): e is Started => e.type === 'round_started', 30_000, 'round_started');
    expect(started).toMatchObject({ m: 3, tRec: 2, rho: 1, insecureDemo: true, insecurePlaintext: false });
    await expectExact(s, ts, started.round);
    // each participant's descriptor carries the committee, from which the tab sees it is not subset-safe
    for (const p of [...ts, ...ms]) {
      const round = await p.events.waitFor((e) => e.type === 'round', 10_000, `${p.label}: round`);
      expect(round.type === 'round' && round.committee).toEqual({ m: 3, tRec: 2, rho: 1 });
      expect(isSubsetSafe({ m: 3, tRec: 2, rho: 1 })).toBe(false);
    }
  });

  it('an unsafe committee from a lying server: a participant that did not consent to an insecure demo refuses it and sends nothing', async () => {
    // the server runs an insecure demo (as a lying server may); T0 joined through a normal link
    const s = await start({
      committee: { m: 3, tRec: 2, rho: 1 },
      insecureDemo: true,
      firstRoundParticipants: 7,
      minTrainers: 3,
      submitMs: 3_000,
    });
    const { ts } = join(s, 3, 3);
    const T = kitParticipant({
      url: s.wsUrl,
      token: s.token,
      label: 'T-no-consent',
      train: true,
      committee: false,
      seed: 9,
      acceptUnsafeCommittee: false,
    });
    parts.push(T);
    const e = await T.events.waitFor((x) => x.type === 'error' && x.code === 'UNSAFE_COMMITTEE', 30_000, 'refusal');
    expect(e.type === 'error' && e.message).toMatch(/nothing was sent: committee m=3, t_rec=2, ρ=1 is not subset-safe/);
    expect(T.tap.sent.map((b) => (decode(b) as { t?: string }).t)).not.toContain('contribution');
    const done = await s.events.waitFor((x): x is Done => x.type === 'round_done', 30_000, 'round without it');
    expect(done.survivors).not.toContain(T.engine.state.clientId);
    expect(done.survivors).toHaveLength(ts.length);
  });

  it('sized committees are drawn against the volunteer pool: 4 volunteers of 11 participants give 4,3,2 (sizing from n gave 4,2,1)', async () => {
    const s = await start({ firstRoundParticipants: 11 });
    // the server's sizing against the pool, and what sizing from all n participants gave
    expect(sizeCommittee({ n: 11, pool: 4, m: 4 })).toMatchObject({ m: 4, tRec: 3, rho: 2, subsetSafe: true });
    expect(sizeCommittee({ n: 11, m: 4 })).toMatchObject({ m: 4, tRec: 2, rho: 1, subsetSafe: false });
    expect((await status(s)).insecureDemo).toBe(false);
    const { ts } = join(s, 7, 4);
    const started = await s.events.waitFor((e): e is Started => e.type === 'round_started', 30_000, 'round 1');
    expect(started).toMatchObject({ m: 4, tRec: 3, rho: 2, insecureDemo: false });
    expect(started.trainers).toHaveLength(7);
    const done = await expectExact(s, ts, started.round);
    expect(done.membersAnswered).toHaveLength(4);
  });

  it('a sized committee that is not subset-safe is not used: the round does not start and the waiting reason says why, unless insecureDemo', async () => {
    // 3 volunteers of 6 participants: c_max = 1, d_max = 1, so 3,2,1 — not subset-safe
    expect(sizeCommittee({ n: 6, pool: 3, m: 3 })).toMatchObject({ m: 3, tRec: 2, rho: 1, subsetSafe: false });
    const s = await start({ firstRoundParticipants: 6 });
    join(s, 3, 3);
    const waiting = await s.events.waitFor(
      (e) => e.type === 'waiting' && e.reason.includes('subset-safe'),
      30_000,
      'the waiting reason',
    );
    expect(waiting.type === 'waiting' && waiting.reason).toBe(
      'the committee sized from 3 volunteer(s) of 6 participant(s), m=3 t_rec=2 ρ=1 c_max=1, is not subset-safe: ' +
        '2·t_rec = 4 must exceed m + c_max = 4; waiting for more volunteers (or start with --insecure-demo)',
    );
    expect(s.events.events.some((e) => e.type === 'round_started')).toBe(false);
    expect(s.fed.status().round).toBe(null);

    // the same federation with insecureDemo runs the round, flagged
    const demo = await start({ firstRoundParticipants: 6, insecureDemo: true });
    expect((await status(demo)).insecureDemo).toBe(true); // sized per round: any round may be unsafe
    const { ts } = join(demo, 3, 3);
    const started = await demo.events.waitFor((e): e is Started => e.type === 'round_started', 30_000, 'round 1');
    expect(started).toMatchObject({ m: 3, tRec: 2, rho: 1, insecureDemo: true });
    await expectExact(demo, ts, started.round);
  });
});
