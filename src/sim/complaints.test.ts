/**
 * Verifiable complaints (docs/protocol.md §25, docs/threat-model.md "A bad contribution costs
 * only its sender"), over real sockets with honest, unmodified participants (the product engine):
 * a dishonest trainer's frames are rewritten on its own connection and signed with its own key (a
 * dishonest participant holds it); a dishonest member's likewise; a dishonest server is an honest
 * one behind a rewriting proxy (test/support/mitm.ts).
 */
import { decode } from '@msgpack/msgpack';
import { afterEach, describe, expect, it } from 'vitest';
import { sign } from '../cert/sign.js';
import { complaintBytes, contributionBytes, digest } from '../cert/statements.js';
import { memberSliceKey, survivorHash } from '../secagg/index.js';
import { maskedDigestOf } from '../server/signed.js';
import { encodeMessage } from '../wire/codec.js';
import { descriptorDigest } from '../wire/digest.js';
import type { FederationEvent } from '../wire/events.js';
import type { ComplaintMsg, ContributionMsg, JobMsg, RoundMsg } from '../wire/messages.js';
import { type TestServer, startTestServer } from '../../test/support/federation.js';
import { type Mitm, startMitm } from '../../test/support/mitm.js';
import {
  type KitParticipant,
  errorOf,
  kitParticipant,
  plaintextSum,
  sentTypes,
} from '../../test/support/participants.js';
import { signingKeyOf } from './harness.js';

type Done = Extract<FederationEvent, { type: 'round_done' }>;
type Failed = Extract<FederationEvent, { type: 'round_failed' }>;
type Excluded = Extract<FederationEvent, { type: 'excluded' }>;

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

async function federation(
  trainers: number,
  members: number,
  committee: { m: number; tRec: number; rho?: number },
  behindMitm = false,
): Promise<{ s: TestServer; trainers: KitParticipant[]; members: KitParticipant[] }> {
  server = await startTestServer({
    committee: { rho: 1, ...committee },
    minTrainers: trainers,
    firstRoundParticipants: trainers + members,
    rounds: 1,
    submitMs: 4_000,
    committeeMs: 4_000,
  });
  const s = server;
  if (behindMitm) mitm = await startMitm(s.wsUrl);
  const url = mitm?.wsUrl ?? s.wsUrl;
  const ts = Array.from({ length: trainers }, (_, i) =>
    kitParticipant({ url, token: s.token, label: `T${i}`, train: true, committee: false, seed: i + 1 }),
  );
  const ms = Array.from({ length: members }, (_, i) =>
    kitParticipant({ url, token: s.token, label: `M${i}`, train: false, committee: true }),
  );
  parts.push(...ts, ...ms);
  return { s, trainers: ts, members: ms };
}

/** Rewrites a trainer's contribution and signs the result with its own certified key. */
function resign(
  s: TestServer,
  t: KitParticipant,
  change: (own: ContributionMsg) => Pick<ContributionMsg, 'sealed' | 'keys'>,
): void {
  t.tap.rewrite = (b) => {
    const own = decode(b) as ContributionMsg;
    const descriptor = t.tap.received.events.find((x): x is RoundMsg => x.t === 'round');
    if (own.t !== 'contribution' || !descriptor) return b;
    const { sealed, keys } = change(own);
    const statement = contributionBytes({
      federation: s.fed.federationId,
      round: own.round,
      descriptorDigest: descriptorDigest(descriptor),
      maskedDigest: maskedDigestOf(own.y1, own.y2),
      ephemeralPublic: own.eph,
      sliceDigests: sealed.map((x) => digest(x)),
      keyCommitments: keys ?? [],
    });
    return encodeMessage({
      ...own,
      sealed,
      ...(keys ? { keys } : {}),
      sig: sign(signingKeyOf(t.identity)!.secretKey, statement),
    });
  };
}

const random = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));

async function exactRound(s: TestServer, trainers: KitParticipant[]): Promise<Done> {
  const done = await s.events.waitFor((e): e is Done => e.type === 'round_done' && e.round === 1, 40_000, 'round 1');
  expect((await s.decoded.waitFor((d) => d.round === 1)).sum).toEqual(plaintextSum(trainers, 1, done.survivors));
  return done;
}

describe('a bad contribution costs only its sender', () => {
  it('right-sized random sealed slices: every member proves it with the revealed key, the round completes exactly without the sender, who is refused from then on', async () => {
    const { s, trainers, members } = await federation(4, 3, { m: 3, tRec: 3 });
    const bad = trainers[1]!;
    resign(s, bad, (own) => ({ sealed: own.sealed.map((x) => random(x.length)), keys: own.keys ?? [] }));
    const excluded = await s.events.waitFor(
      (e): e is Excluded => e.type === 'excluded' && e.round === 1,
      40_000,
      'the bad trainer is excluded',
    );
    expect(excluded.trainers).toEqual([bad.engine.state.clientId]);
    expect(excluded.how).toEqual(['proven']);
    const done = await exactRound(s, trainers);
    expect(done.survivors).toHaveLength(3);
    expect(done.survivors).not.toContain(bad.engine.state.clientId);
    for (const mb of members) {
      // one complaint with the revealed key, then one answer to the re-issued job
      expect(sentTypes(mb)).toEqual(expect.arrayContaining(['complaint', 'answer']));
      const complaint = decode(
        mb.tap.sent.find((b) => (decode(b) as { t: string }).t === 'complaint')!,
      ) as ComplaintMsg;
      expect(complaint.faults).toEqual([
        { id: bad.engine.state.clientId, kind: 'open', okm: expect.any(Uint8Array) as unknown },
      ]);
    }
    // the conviction is kept: the same identity joining again is refused
    const offender = kitParticipant({
      url: s.wsUrl,
      token: s.token,
      label: 'T1 again',
      train: true,
      committee: false,
      seed: 2,
      identity: bad.identity,
    });
    parts.push(offender);
    const refused = await errorOf(offender, 'OFFENDER');
    expect(refused.message).toMatch(/convicted 1 time/);
  });

  it('one broken slice: its member proves it, the members that had answered answer the re-issued job once more (it follows the job they answered), and the round is exact', async () => {
    const { s, trainers, members } = await federation(4, 3, { m: 3, tRec: 3 });
    const bad = trainers[3]!;
    resign(s, bad, (own) => ({
      sealed: own.sealed.map((x, j) => (j === 0 ? random(x.length) : x)),
      keys: own.keys ?? [],
    }));
    const done = await exactRound(s, trainers);
    expect(done.survivors).not.toContain(bad.engine.state.clientId);
    // member 1 (drawn by the authority, so whichever participant it is) complained, then answered
    const spoken = members.map((mb) =>
      sentTypes(mb)
        .filter((t) => t === 'complaint' || t === 'answer')
        .join(','),
    );
    expect(spoken.sort()).toEqual(['answer,answer', 'answer,answer', 'complaint,answer']);
  });

  it('slice keys that do not match the signed commitments: with t_rec − ρ + 1 members complaining the sender is left out, and the round is exact', async () => {
    const { s, trainers, members } = await federation(4, 3, { m: 3, tRec: 3 });
    const bad = trainers[2]!;
    resign(s, bad, (own) => ({ sealed: own.sealed, keys: own.sealed.map(() => random(32)) }));
    const excluded = await s.events.waitFor(
      (e): e is Excluded => e.type === 'excluded' && e.round === 1,
      40_000,
      'the bad trainer is excluded',
    );
    expect(excluded.how).toEqual(['attested']);
    const done = await exactRound(s, trainers);
    expect(done.survivors).not.toContain(bad.engine.state.clientId);
    for (const mb of members) {
      const complaint = decode(
        mb.tap.sent.find((b) => (decode(b) as { t: string }).t === 'complaint')!,
      ) as ComplaintMsg;
      expect(complaint.faults).toEqual([{ id: bad.engine.state.clientId, kind: 'key' }]);
    }
  });

  it('a lying member cannot frame an honest trainer: a "proof" whose key opens the slice is refused (BAD_COMPLAINT); one unproven complaint convicts nobody; the round is exact with every trainer', async () => {
    const { s, trainers, members } = await federation(3, 4, { m: 4, tRec: 3, rho: 2 });
    const liar = members[0]!;
    const victim = trainers[0]!;
    const federationId = s.fed.federationId;
    const signed = (c: Omit<ComplaintMsg, 'sig' | 't' | 'round'>): ComplaintMsg => {
      const bytes = complaintBytes({
        federation: federationId,
        round: 1,
        memberIndex: c.memberIndex,
        survivorHash: c.hS,
        faults: c.faults.map((f) => ({ trainer: f.id, kind: f.kind, key: f.okm ?? new Uint8Array(0) })),
      });
      return { t: 'complaint', ...c, round: 1, sig: sign(signingKeyOf(liar.identity)!.secretKey, bytes) };
    };
    let lies: Promise<void> | undefined;
    liar.tap.rewrite = (b) => {
      if ((decode(b) as { t?: string }).t !== 'answer') return b;
      // instead of its answer: the victim's slice key it really derives, claimed as a proof…
      const job = liar.tap.received.events.find((x): x is JobMsg => x.t === 'job')!;
      const slot = job.slots.find((x) => x.id === victim.engine.state.clientId)!;
      lies = (async () => {
        const okm = await memberSliceKey(
          { ctx: { federation: federationId, round: 1 }, clientId: slot.id, memberIndex: job.memberIndex },
          slot.eph,
          liar.identity.secretKey,
          liar.identity.publicKey,
        );
        const base = { memberIndex: job.memberIndex, hS: job.hS };
        liar.tap.sendRaw(encodeMessage(signed({ ...base, faults: [{ id: slot.id, kind: 'open', okm }] })));
        // …then an unprovable one: alone, below the t_rec − ρ + 1 = 2 members needed
        await errorOf(liar, 'BAD_COMPLAINT');
        liar.tap.sendRaw(encodeMessage(signed({ ...base, faults: [{ id: slot.id, kind: 'key' }] })));
      })();
      return undefined;
    };
    const refused = await errorOf(liar, 'BAD_COMPLAINT');
    expect(refused.message).toMatch(/proves nothing: its slice opens under the key the trainer committed to/);
    await lies;
    const done = await exactRound(s, trainers);
    expect(done.survivors).toContain(victim.engine.state.clientId);
    expect(done.survivors).toHaveLength(3);
    expect(s.events.events.some((e) => e.type === 'excluded')).toBe(false);
  });
});

describe('a dishonest server cannot frame an honest trainer', () => {
  it('a re-issued job leaving out an honest trainer on made-up complaints is refused by every member (UNPROVEN_EXCLUSION); no second answer', async () => {
    const { s, members } = await federation(4, 3, { m: 3, tRec: 3 }, true);
    const federationId = s.fed.federationId;
    let forged = 0;
    mitm!.down = (msg) => {
      if (msg.t !== 'job' || msg.retry) return msg;
      forged++;
      const victim = msg.slots[0]!;
      const slots = msg.slots.slice(1);
      const survivors = msg.survivors.slice(1);
      const hS = survivorHash(
        { federation: federationId, round: msg.round },
        survivors.map((x) => ({ clientId: x.id, digest: x.digest })),
      );
      const complaints = [1, 2, 3].map((memberIndex) => ({
        memberIndex,
        hS: msg.hS,
        faults: [{ id: victim.id, kind: 'key' as const }],
        sig: random(64),
      }));
      return {
        ...msg,
        survivors,
        hS,
        slots,
        retry: {
          previous: msg.survivors,
          excluded: [{ id: victim.id, eph: victim.eph, signed: victim.signed!, sealed: [] }],
          complaints,
        },
      };
    };
    for (const mb of members) {
      const e = await errorOf(mb, 'UNPROVEN_EXCLUSION');
      expect(e.message).toMatch(/prove nothing: no revealed key shows a bad slice, and 0 of the 3 members/);
      expect(sentTypes(mb)).not.toContain('answer');
    }
    expect(forged).toBe(3);
    const failed = await s.events.waitFor(
      (e): e is Failed => e.type === 'round_failed' && e.round === 1,
      40_000,
      'fail',
    );
    expect(failed.version).toBe(0);
  });
});
