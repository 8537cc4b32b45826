/**
 * A committee the server cannot choose (docs/threat-model.md, docs/protocol.md §24): the
 * enrollment authority draws each epoch's committee from the certified volunteers present at the
 * authority and signs the list; honest trainers seal only to that committee. Over real sockets,
 * honest unmodified participants against a scripted dishonest server (test/support/mitm.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FederationEvent } from '../wire/events.js';
import type { RoundMsg, WireCertificate } from '../wire/messages.js';
import { type TestServer, startTestServer } from '../../test/support/federation.js';
import { type Mitm, startMitm } from '../../test/support/mitm.js';
import { type KitParticipant, errorOf, kitParticipant, sentTypes } from '../../test/support/participants.js';

type Failed = Extract<FederationEvent, { type: 'round_failed' }>;
type Started = Extract<FederationEvent, { type: 'round_started' }>;

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

async function federation(volunteers: number): Promise<{ s: TestServer; m: Mitm; trainers: KitParticipant[] }> {
  server = await startTestServer({
    committee: { m: 3, tRec: 3, rho: 1 },
    minTrainers: 3,
    firstRoundParticipants: 3 + volunteers,
    rounds: 1,
    submitMs: 2_500,
    committeeMs: 2_500,
  });
  const s = server;
  mitm = await startMitm(s.wsUrl);
  const url = mitm.wsUrl;
  const ts = [0, 1, 2].map((i) =>
    kitParticipant({ url, token: s.token, label: `T${i}`, train: true, committee: false, seed: i + 1 }),
  );
  const ms = Array.from({ length: volunteers }, (_, i) =>
    kitParticipant({ url, token: s.token, label: `V${i}`, train: false, committee: true }),
  );
  parts.push(...ts, ...ms);
  return { s, m: mitm, trainers: ts };
}

describe('a committee the server cannot choose', () => {
  it('an honest server seats exactly the committee the authority drew and signed', async () => {
    const { s } = await federation(5);
    const started = await s.events.waitFor((e): e is Started => e.type === 'round_started', 30_000, 'round 1');
    await s.events.waitFor((e) => e.type === 'round_done' && e.round === 1, 30_000, 'round 1 done');
    const descriptor = mitm!.fromServer.find((x) => x.m.t === 'round' && x.m.role === 'member')?.m;
    const signed = (descriptor as RoundMsg).committeeCert!;
    expect(signed.body.members.map((x) => x.participantId)).toEqual(started.members);
    expect(signed.body.pool).toBe(5);
  });

  it("seating another certified volunteer in the authority's committee is refused by every trainer; nothing is sealed", async () => {
    const { s, m, trainers } = await federation(4);
    // the server knows every volunteer's certificate from its join
    const joins = new Map<string, WireCertificate>();
    m.up = (msg) => {
      if (msg.t === 'join' && msg.certificate && msg.committee)
        joins.set(msg.certificate.body.participantId, msg.certificate);
      return msg;
    };
    m.down = (msg) => {
      if (msg.t !== 'round' || msg.role !== 'trainer' || msg.config.mode !== 'secure' || !msg.memberCerts) return msg;
      const seated = new Set(msg.memberCerts.map((c) => c.body.participantId));
      const other = [...joins.values()].find((c) => !seated.has(c.body.participantId));
      if (!other) return msg;
      // the one the server prefers replaces member 1, with its genuine certificate and key
      const memberCerts = [other, ...msg.memberCerts.slice(1)];
      const memberKeys = [other.body.sealKey, ...msg.config.memberKeys.slice(1)];
      return { ...msg, memberCerts, config: { ...msg.config, memberKeys } };
    };
    for (const t of trainers) {
      const e = await errorOf(t, 'UNCERTIFIED_COMMITTEE');
      expect(e.message).toMatch(/is not the one the authority drew for epoch \d+/);
      expect(sentTypes(t)).not.toContain('contribution');
    }
    expect(joins.size).toBe(4);
    const failed = await s.events.waitFor((e): e is Failed => e.type === 'round_failed', 30_000, 'round 1 fails');
    expect(failed.version).toBe(0);
  });

  it('a descriptor without the authority’s signed committee list is refused by every trainer', async () => {
    const { s, m, trainers } = await federation(3);
    m.down = (msg) => {
      if (msg.t !== 'round' || msg.role !== 'trainer') return msg;
      const { committeeCert: _dropped, ...rest } = msg;
      return rest;
    };
    for (const t of trainers) {
      const e = await errorOf(t, 'UNCERTIFIED_COMMITTEE');
      expect(e.message).toMatch(/not drawn by the enrollment authority/);
      expect(sentTypes(t)).not.toContain('contribution');
    }
    expect((await s.events.waitFor((e): e is Failed => e.type === 'round_failed', 30_000, 'fails')).version).toBe(0);
  });
});
