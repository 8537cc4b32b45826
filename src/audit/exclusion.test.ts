/**
 * The audit of a round that left a trainer out after verifiable complaints (docs/protocol.md §25,
 * docs/transcript.md §6): a real federation over real sockets where one trainer sends random
 * sealed slices (rewritten on its own connection and signed with its own key); the round audits
 * clean, and a server that drops the complaints from its transcript is named.
 */
import { decode } from '@msgpack/msgpack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../cert/sign.js';
import { contributionBytes, digest } from '../cert/statements.js';
import { maskedDigestOf } from '../server/signed.js';
import { encodeMessage } from '../wire/codec.js';
import { descriptorDigest } from '../wire/digest.js';
import type { FederationEvent } from '../wire/events.js';
import type { ContributionMsg, RoundMsg } from '../wire/messages.js';
import { type TestServer, startTestServer } from '../../test/support/federation.js';
import { type KitParticipant, kitParticipant } from '../../test/support/participants.js';
import { copyDir, readTranscript, removeCopies, reseal, signingKeyOf } from '../../test/support/transcripts.js';

import { audit } from './audit.js';
import { dirSource } from './source.js';

type Done = Extract<FederationEvent, { type: 'round_done' }>;

let server: TestServer | undefined;
let parts: KitParticipant[] = [];
let badId = '';

beforeAll(async () => {
  server = await startTestServer({
    committee: { m: 3, tRec: 3, rho: 1 },
    minTrainers: 4,
    firstRoundParticipants: 7,
    rounds: 1,
    submitMs: 4_000,
    committeeMs: 4_000,
  });
  const s = server;
  const ts = Array.from({ length: 4 }, (_, i) =>
    kitParticipant({ url: s.wsUrl, token: s.token, label: `T${i}`, train: true, committee: false, seed: i + 1 }),
  );
  const ms = Array.from({ length: 3 }, (_, i) =>
    kitParticipant({ url: s.wsUrl, token: s.token, label: `M${i}`, train: false, committee: true }),
  );
  parts = [...ts, ...ms];
  // T1 seals random bytes instead of its slices and signs that (a dishonest trainer holds its key).
  const bad = ts[1]!;
  bad.tap.rewrite = (b) => {
    const own = decode(b) as ContributionMsg;
    const d = bad.tap.received.events.find((x): x is RoundMsg => x.t === 'round');
    if (own.t !== 'contribution' || !d) return b;
    const sealed = own.sealed.map((x) => crypto.getRandomValues(new Uint8Array(x.length)));
    const statement = contributionBytes({
      federation: s.fed.federationId,
      round: own.round,
      descriptorDigest: descriptorDigest(d),
      maskedDigest: maskedDigestOf(own.y1, own.y2),
      ephemeralPublic: own.eph,
      sliceDigests: sealed.map((x) => digest(x)),
      keyCommitments: own.keys ?? [],
    });
    return encodeMessage({ ...own, sealed, sig: sign(signingKeyOf(bad.identity)!.secretKey, statement) });
  };
  await s.events.waitFor((e): e is Done => e.type === 'round_done' && e.round === 1, 40_000, 'round 1');
  badId = bad.engine.state.clientId ?? '';
}, 60_000);

afterAll(async () => {
  await removeCopies();
  for (const p of parts) p.engine.stop();
  await server?.stop();
});

describe('an audit of a round with an exclusion', () => {
  it('audits clean: the re-issue replaced S, and the complaints convict the trainer left out', async () => {
    const dir = server!.config.dataDir;
    const t = await readTranscript(dir, 1);
    expect(t.excluded).toEqual([{ id: badId, how: 'proven' }]);
    expect(t.reissues?.[0]?.complaints).toHaveLength(3);
    const r = await audit(dirSource(dir), [...server!.authority!.keys]);
    expect(r.summary).toEqual({ rounds_checked: 1, rounds_ok: 1, first_bad: null, reason: null });
  });

  it('a server that keeps no complaint for its exclusion is named', async () => {
    const d = await copyDir(server!.config.dataDir);
    await reseal(d, 1, (t) => {
      t.reissues![0]!.complaints = t.reissues![0]!.complaints.slice(0, 0);
    });
    const r = await audit(dirSource(d), [...server!.authority!.keys]);
    expect(r.summary.first_bad).toBe(1);
    expect(r.summary.reason).toMatch(new RegExp(`^trainer ${badId}: exclusion: left out unproven: `));
  });

  it('a server that names an honest trainer as excluded is named', async () => {
    const d = await copyDir(server!.config.dataDir);
    await reseal(d, 1, (t) => {
      t.excluded.push({ id: t.survivors[0]!.id, how: 'attested' });
    });
    const r = await audit(dirSource(d), [...server!.authority!.keys]);
    expect(r.summary.reason).toBe(
      'server: survivor-set: the final S is not S at the cut-off without the excluded trainers',
    );
  });
});
