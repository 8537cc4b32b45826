/**
 * The malicious-server suite, certified part (docs/threat-model.md): attacks that the
 * enrollment authority's certificates and the participants' signatures defeat. Honest,
 * unmodified participants (the product engine) talk to a scripted dishonest server — an honest
 * server behind a rewriting proxy (test/support/mitm.ts) — over real sockets; where the attacker
 * is a dishonest trainer, its frames are rewritten on its own connection and signed with its own
 * key (a dishonest participant holds it).
 */
import { decode } from '@msgpack/msgpack';
import { afterEach, describe, expect, it } from 'vitest';
import { issueCertificate, authorityId } from '../cert/certificate.js';
import { createSigningKey, sign } from '../cert/sign.js';
import { contributionBytes, digest } from '../cert/statements.js';
import { createIdentity, survivorHash } from '../secagg/index.js';
import { maskedDigestOf } from '../server/signed.js';
import { encodeMessage } from '../wire/codec.js';
import { descriptorDigest } from '../wire/digest.js';
import type { FederationEvent } from '../wire/events.js';
import type { ContributionMsg, RoundMsg } from '../wire/messages.js';
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

async function federation(
  trainers: number,
  members: number,
  opts: { behindMitm?: boolean; minTrainers?: number; dishonest?: boolean } = {},
): Promise<{ s: TestServer; m: Mitm | undefined; trainers: KitParticipant[]; members: KitParticipant[] }> {
  server = await startTestServer(
    {
      committee: { m: 3, tRec: 3, rho: 1 },
      minTrainers: opts.minTrainers ?? trainers,
      firstRoundParticipants: trainers + members,
      rounds: 1,
      submitMs: 2_500,
      committeeMs: 2_500,
    },
    undefined,
    opts.dishonest ? { dishonestSkipContributionChecksForTest: true } : {},
  );
  const s = server;
  if (opts.behindMitm !== false) mitm = await startMitm(s.wsUrl);
  const url = mitm?.wsUrl ?? s.wsUrl;
  const ts = Array.from({ length: trainers }, (_, i) =>
    kitParticipant({ url, token: s.token, label: `T${i}`, train: true, committee: false, seed: i + 1 }),
  );
  const ms = Array.from({ length: members }, (_, i) =>
    kitParticipant({ url, token: s.token, label: `M${i}`, train: false, committee: true }),
  );
  parts.push(...ts, ...ms);
  return { s, m: mitm, trainers: ts, members: ms };
}

async function failedRound(s: TestServer, what: string): Promise<Failed> {
  return s.events.waitFor((e): e is Failed => e.type === 'round_failed' && e.round === 1, 30_000, what);
}

describe('a dishonest server against certified participants', () => {
  it('key substitution: member keys the server owns are refused by every trainer (uncertified key, or a certificate from an authority nobody pins); nothing is sealed', async () => {
    const { s, m, trainers } = await federation(3, 3);
    const attacker = createIdentity();
    const rogue = createSigningKey();
    let seen = 0;
    m!.down = (msg) => {
      if (msg.t !== 'round' || msg.role !== 'trainer' || msg.config.mode !== 'secure') return msg;
      const memberKeys = [attacker.publicKey, ...msg.config.memberKeys.slice(1)];
      const certs = [...(msg.memberCerts ?? [])];
      // the first trainer sees only the key swapped; the others also a certificate for it signed
      // by a rogue authority
      if (seen++ > 0 && certs[0]) {
        const body = { ...certs[0].body, sealKey: attacker.publicKey, authority: authorityId(rogue.publicKey) };
        certs[0] = issueCertificate(rogue.secretKey, body) as (typeof certs)[number];
      }
      return { ...msg, config: { ...msg.config, memberKeys }, memberCerts: certs };
    };
    const reasons = await Promise.all(trainers.map((t) => errorOf(t, 'UNCERTIFIED_COMMITTEE')));
    expect(reasons.some((e) => /key substitution/.test(e.message))).toBe(true);
    expect(reasons.some((e) => /authority this client does not pin/.test(e.message))).toBe(true);
    for (const e of reasons) expect(e.message).toMatch(/nothing was sent/);
    for (const t of trainers) expect(sentTypes(t)).not.toContain('contribution');
    expect((await failedRound(s, 'round 1 fails: nobody contributed')).version).toBe(0);
  });

  it('a descriptor without the committee’s certificates is refused by every trainer', async () => {
    const { s, m, trainers } = await federation(3, 3);
    m!.down = (msg) => {
      if (msg.t !== 'round' || msg.role !== 'trainer') return msg;
      const { memberCerts: _dropped, ...rest } = msg;
      return rest;
    };
    for (const t of trainers) {
      const e = await errorOf(t, 'UNCERTIFIED_COMMITTEE');
      expect(e.message).toMatch(/3 member key\(s\) but 0 member certificate/);
      expect(sentTypes(t)).not.toContain('contribution');
    }
    expect((await failedRound(s, 'round 1 fails')).version).toBe(0);
  });

  it('model inconsistency: one trainer handed other weights is caught by every member (its contribution signs another descriptor); no answer, model unchanged', async () => {
    // the server also skips its own signature check, as a server playing this attack would
    const { s, m, trainers, members } = await federation(3, 3, { dishonest: true });
    let victimId: string | undefined;
    m!.down = (msg, link) => {
      if (msg.t !== 'round' || msg.role !== 'trainer') return msg;
      victimId ??= link.clientId;
      if (link.clientId !== victimId) return msg;
      const weights = new Uint8Array(msg.weights.length); // a crafted model for one trainer alone
      return { ...msg, weights };
    };
    void trainers;
    for (const mb of members) {
      const e = await errorOf(mb, 'DESCRIPTOR_MISMATCH');
      expect(e.message).toContain(victimId!);
      expect(e.message).toMatch(/not signed over the round descriptor this member received/);
      expect(sentTypes(mb)).not.toContain('answer');
    }
    const failed = await failedRound(s, 'round 1 fails without answers');
    expect([failed.code, failed.version]).toEqual(['THRESHOLD_NOT_MET', 0]);
  });

  it("a trainer replaying another trainer's contribution is refused at the server (bad signature, or a copy however signed); the round completes exactly without it", async () => {
    const { s, trainers } = await federation(4, 3, { behindMitm: false, minTrainers: 4 });
    const [T0, T1] = trainers as [KitParticipant, KitParticipant];
    let t0: Uint8Array | undefined;
    let copies = 0;
    T0.tap.rewrite = (b) => ((t0 = (decode(b) as { t?: string }).t === 'contribution' ? b : t0), b);
    T1.tap.rewrite = (b) => {
      const msg = decode(b) as ContributionMsg | { t?: string };
      if (msg.t !== 'contribution' || !t0) return b;
      copies++;
      return t0; // T0's bytes as T1's own: T0's signature does not verify under T1's key
    };
    // T1 must wait for T0's bytes: hold T1's training until T0 has sent
    const gate = T1.trainer!.hold(1);
    await T0.events.waitFor((e) => e.type === 'sent' && e.round === 1, 30_000, 'T0 sent');
    gate.open();
    const refused = await T1.events.waitFor(
      (e) => e.type === 'error' && e.code === 'BAD_SIGNATURE',
      30_000,
      'T1 refused: BAD_SIGNATURE',
    );
    expect(refused.type === 'error' && refused.message).toMatch(/does not verify under .*certified key/);
    expect(copies).toBe(1);
    const done = await s.events.waitFor((e): e is Done => e.type === 'round_done' && e.round === 1, 30_000, 'round 1');
    expect(done.survivors).toHaveLength(3);
    expect(done.survivors).not.toContain(T1.engine.state.clientId);
    expect((await s.decoded.waitFor((d) => d.round === 1)).sum).toEqual(plaintextSum(trainers, 1, done.survivors));
  });

  it("a dishonest trainer re-signing another trainer's masked vector under its own key is refused as a copy", async () => {
    const { s, trainers } = await federation(4, 3, { behindMitm: false, minTrainers: 4 });
    const [T0, T1] = trainers as [KitParticipant, KitParticipant];
    let t0: ContributionMsg | undefined;
    T0.tap.rewrite = (b) => {
      const msg = decode(b) as ContributionMsg;
      if (msg.t === 'contribution') t0 = msg;
      return b;
    };
    T1.tap.rewrite = (b) => {
      const own = decode(b) as ContributionMsg;
      const descriptor = T1.tap.received.events.find((x): x is RoundMsg => x.t === 'round');
      if (own.t !== 'contribution' || !t0 || !descriptor) return b;
      // T1 keeps its own slices (so its members could open them) but sends T0's masked vector,
      // signed honestly with T1's own key
      const key = signingKeyOf(T1.identity)!;
      const statement = contributionBytes({
        federation: s.fed.federationId,
        round: own.round,
        descriptorDigest: descriptorDigest(descriptor),
        maskedDigest: maskedDigestOf(t0.y1, t0.y2),
        ephemeralPublic: own.eph,
        sliceDigests: own.sealed.map((x) => digest(x)),
        keyCommitments: own.keys ?? [],
      });
      return encodeMessage({ ...own, y1: t0.y1, y2: t0.y2, sig: sign(key.secretKey, statement) });
    };
    const gate = T1.trainer!.hold(1);
    await T0.events.waitFor((e) => e.type === 'sent' && e.round === 1, 30_000, 'T0 sent');
    gate.open();
    const e = await errorOf(T1, 'DUPLICATE');
    expect(e.message).toMatch(/copy of another contribution/);
    const done = await s.events.waitFor((x): x is Done => x.type === 'round_done' && x.round === 1, 30_000, 'round 1');
    expect(done.survivors).not.toContain(T1.engine.state.clientId);
    expect((await s.decoded.waitFor((d) => d.round === 1)).sum).toEqual(plaintextSum(trainers, 1, done.survivors));
  });

  it('made-up survivors: a job padded with identities the server invented (copies of the victim under other ids) is refused by every member', async () => {
    const { s, m, members } = await federation(3, 3, { dishonest: true });
    const federationId = s.fed.federationId;
    m!.down = (msg) => {
      if (msg.t !== 'job') return msg;
      const victim = msg.slots[0]!;
      const fakes = ['pfake000000000001', 'pfake000000000002'].map((id) => ({ ...victim, id }));
      const slots = [victim, ...fakes];
      const survivors = slots.map((x) => ({ id: x.id, digest: msg.survivors[0]!.digest }));
      const hS = survivorHash(
        { federation: federationId, round: msg.round },
        survivors.map((x) => ({ clientId: x.id, digest: x.digest })),
      );
      return { ...msg, survivors, hS, slots };
    };
    for (const mb of members) {
      const e = await errorOf(mb, 'UNCERTIFIED_CONTRIBUTION');
      expect(e.message).toMatch(/certificate in pfake00000000000\d's slot is of p/);
      expect(sentTypes(mb)).not.toContain('answer');
    }
    expect((await failedRound(s, 'round 1 fails without answers')).version).toBe(0);
  });

  it("split view after the fact: a result whose members' signed H_S values are missing or altered raises SPLIT_VIEW at every participant", async () => {
    const { s, m, trainers, members } = await federation(3, 3);
    m!.down = (msg, link) => {
      if (msg.t !== 'result' || !msg.attestations) return msg;
      if (link.n % 2 === 0) {
        const { attestations: _gone, ...rest } = msg;
        return rest;
      }
      const a = msg.attestations.map((x, i) => (i === 0 ? { ...x, hS: new Uint8Array(32).fill(7) } : x));
      return { ...msg, attestations: a };
    };
    await s.events.waitFor((e): e is Done => e.type === 'round_done' && e.round === 1, 30_000, 'round 1');
    for (const p of [...trainers, ...members]) {
      const e = await errorOf(p, 'SPLIT_VIEW');
      expect(e.message).toMatch(/without the members' signed answers|attestation of round 1 does not verify/);
    }
  });
});
