/**
 * The malicious-server suite (docs/threat-model.md): honest, unmodified participants (the product
 * engine) against a scripted dishonest server over real sockets. The dishonest server is an
 * honest server behind a rewriting proxy (test/support/mitm.ts) or, for a dishonest member, a
 * participant whose frames a test rewrites. Each attack must fail loudly — refused, detected or
 * corrected — and the test asserts the honest parties' reasons.
 */
import { decode } from '@msgpack/msgpack';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { answerBytes, digest } from '../cert/statements.js';
import { sign } from '../cert/sign.js';
import { survivorHash } from '../secagg/index.js';
import { encodeMessage } from '../wire/codec.js';
import { signingKeyOf } from './harness.js';
import { SpokenRoundsFile } from './spoken-rounds.js';
import type { FederationEvent } from '../wire/events.js';
import type { AnswerMsg } from '../wire/messages.js';
import { type TestServer, startTestServer } from '../../test/support/federation.js';
import { type Mitm, startMitm } from '../../test/support/mitm.js';
import {
  type KitParticipant,
  errorOf,
  kitParticipant,
  plaintextSum,
  sentTypes,
} from '../../test/support/participants.js';

type Failed = Extract<FederationEvent, { type: 'round_failed' }>;
type Done = Extract<FederationEvent, { type: 'round_done' }>;

let server: TestServer | undefined;
let mitm: Mitm | undefined;
let parts: KitParticipant[] = [];

afterEach(async () => {
  for (const p of parts) p.engine.stop();
  parts = [];
  await mitm?.close();
  mitm = undefined;
  await server?.stop();
  server = undefined;
});

async function federationBehindMitm(
  trainers: number,
  members: number,
  overrides: Parameters<typeof startTestServer>[0] = {},
): Promise<{ s: TestServer; m: Mitm; trainers: KitParticipant[]; members: KitParticipant[] }> {
  server = await startTestServer({
    committee: { m: 3, tRec: 3, rho: 1 },
    minTrainers: trainers,
    firstRoundParticipants: trainers + members,
    rounds: 1,
    submitMs: 60_000,
    committeeMs: 60_000,
    ...overrides,
  });
  mitm = await startMitm(server.wsUrl);
  const s = server;
  const m = mitm;
  const ts = Array.from({ length: trainers }, (_, i) =>
    kitParticipant({ url: m.wsUrl, token: s.token, label: `T${i}`, train: true, committee: false, seed: i + 1 }),
  );
  const ms = Array.from({ length: members }, (_, i) =>
    kitParticipant({ url: m.wsUrl, token: s.token, label: `M${i}`, train: false, committee: true }),
  );
  parts.push(...ts, ...ms);
  return { s, m, trainers: ts, members: ms };
}

describe('a dishonest server against honest participants', () => {
  it('downgrade: a descriptor without secure aggregation is refused by every trainer; nothing is sent in the clear', async () => {
    const { s, m, trainers } = await federationBehindMitm(3, 3, { submitMs: 4_000 });
    m.down = (msg) =>
      msg.t === 'round' && msg.config.mode === 'secure'
        ? {
            ...msg,
            config: {
              mode: 'plaintext',
              federation: msg.config.federation,
              round: msg.config.round,
              length: msg.config.length,
              bits: msg.config.bits,
            },
          }
        : msg;
    for (const t of trainers) {
      const e = await errorOf(t, 'INSECURE_DESCRIPTOR');
      expect(e.message).toMatch(/without secure aggregation.*refused, nothing was sent/);
      expect(t.engine.state.phase).toBe('failed');
    }
    const failed = await s.events.waitFor(
      (e): e is Failed => e.type === 'round_failed' && e.round === 1,
      30_000,
      'round 1 fails: nobody contributed',
    );
    expect(failed.version).toBe(0);
    for (const t of trainers) {
      expect(sentTypes(t)).not.toContain('plain');
      expect(sentTypes(t)).not.toContain('contribution');
    }
  });

  it('one member corrupts one residue of its answer: the round is corrected from the others, exact, and the member named', async () => {
    // 6,4,3 corrects ⌊(6 − 4)/2⌋ = 1 wrong answer and is subset-safe (2·4 > 6 + 1)
    server = await startTestServer({
      committee: { m: 6, tRec: 4, rho: 3 },
      minTrainers: 3,
      firstRoundParticipants: 9,
      rounds: 1,
      submitMs: 60_000,
      committeeMs: 60_000,
    });
    const s = server;
    const trainers = [0, 1, 2].map((i) =>
      kitParticipant({ url: s.wsUrl, token: s.token, label: `T${i}`, train: true, committee: false, seed: i + 3 }),
    );
    const members = [0, 1, 2, 3, 4, 5].map((i) =>
      kitParticipant({ url: s.wsUrl, token: s.token, label: `M${i}`, train: false, committee: true }),
    );
    parts.push(...trainers, ...members);
    // M0 answers honestly computed shares with one residue changed, and signs what it sends (a
    // dishonest member holds its own key; with exactly t_rec answers unchecked, that alone would
    // shift every coordinate of the sum)
    const liar = members[0]!;
    liar.tap.rewrite = (bytes) => {
      const m = decode(bytes) as AnswerMsg | { t?: string };
      if (m.t !== 'answer' || !('sum' in m)) return bytes;
      const sum = Uint8Array.from(m.sum);
      const v = new DataView(sum.buffer);
      v.setUint32(12, (v.getUint32(12, true) + 4242) % 67104769, true);
      const key = signingKeyOf(liar.identity)!;
      const federation = s.fed.federationId;
      const statement = answerBytes({
        federation,
        round: m.round,
        memberIndex: m.memberIndex,
        survivorHash: m.hS,
        answerDigest: digest(sum),
      });
      return encodeMessage({ ...m, sum, sig: sign(key.secretKey, statement) });
    };
    const done = await s.events.waitFor(
      (e): e is Done => e.type === 'round_done' && e.round === 1,
      60_000,
      'round 1 done despite the wrong answer',
    );
    const agg = await s.decoded.waitFor((d) => d.round === 1);
    expect(agg.sum).toEqual(plaintextSum(trainers, 1, done.survivors));
    const liarIndex = liar.events.events.find((e) => e.type === 'round' && e.role === 'member');
    expect(liarIndex?.type === 'round' && liarIndex.memberIndex).toBeGreaterThan(0);
    expect(done.faultyMembers).toEqual([liarIndex?.type === 'round' ? liarIndex.memberIndex : -1]);
    expect(done.membersAnswered).toHaveLength(6);
  });

  it('speak-once is durable: a re-sent descriptor gets no second contribution, before or after a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'speakonce-spoken-'));
    const path = join(dir, 'client.spoken');
    const { s, m, trainers } = await federationBehindMitm(3, 3);
    const t0 = trainers[0]!;
    parts.splice(parts.indexOf(t0), 1);
    t0.engine.stop();
    // T0 again, with its rounds remembered on disk (as `npm run client -- --identity F` does)
    const identity = t0.identity;
    const asT0 = (): KitParticipant => {
      const p = kitParticipant({
        url: m.wsUrl,
        token: s.token,
        label: 'T0',
        train: true,
        committee: false,
        seed: 1,
        identity,
        answeredRounds: new SpokenRoundsFile(path),
      });
      parts.push(p);
      return p;
    };
    const first = asT0();
    await first.events.waitFor((e) => e.type === 'sent' && e.round === 1, 30_000, 'T0 contributed to round 1');
    const descriptor = m.fromServer.find((x) => x.m.t === 'round' && x.link.clientId === first.engine.state.clientId);
    expect(descriptor).toBeDefined();
    // the server sends round 1's descriptor again, as if T0 had never contributed
    descriptor!.link.toClient(descriptor!.m);
    expect((await errorOf(first, 'ALREADY_SPOKEN')).round).toBe(1);
    expect(sentTypes(first).filter((t) => t === 'contribution')).toHaveLength(1);
    // a restarted client (same identity, same file) is told round 1 once more
    first.engine.stop();
    const again = asT0();
    await again.events.waitFor((e) => e.type === 'state' && e.state.clientId !== undefined, 30_000, 'T0 rejoined');
    const link = m.links.find((l) => l.clientId === again.engine.state.clientId && l !== descriptor!.link);
    link!.toClient(descriptor!.m);
    expect((await errorOf(again, 'ALREADY_SPOKEN')).round).toBe(1);
    expect(sentTypes(again)).not.toContain('contribution');
    await rm(dir, { recursive: true, force: true });
  });

  it('isolation: a job whose survivor set is cut down to one trainer (with a correct H_S) is refused by every member', async () => {
    const { s, m, members } = await federationBehindMitm(3, 3, { submitMs: 5_000, committeeMs: 3_000 });
    const federation = s.fed.status().federation;
    m.down = (msg) => {
      if (msg.t !== 'job') return msg;
      // the server keeps only the victim and recomputes H_S, as a lying server would
      const survivors = msg.survivors.slice(0, 1);
      const hS = survivorHash(
        { federation, round: msg.round },
        survivors.map((x) => ({ clientId: x.id, digest: x.digest })),
      );
      return { ...msg, survivors, hS, slots: msg.slots.slice(0, 1) };
    };
    for (const member of members) {
      const e = await errorOf(member, 'TOO_FEW_SURVIVORS');
      expect(e.message).toMatch(/1 trainer\(s\).*at least 3/);
      expect(sentTypes(member)).not.toContain('answer');
    }
    const failed = await s.events.waitFor(
      (e): e is Failed => e.type === 'round_failed' && e.round === 1,
      30_000,
      'round 1 fails without answers',
    );
    expect([failed.code, failed.version]).toEqual(['THRESHOLD_NOT_MET', 0]);
  });
});
