/**
 * A participant that reconnects in the middle of a round it was picked for (a reloaded tab)
 * gets its descriptor again — and a member its job — so the round completes without waiting
 * out the deadline; a member that had already answered never answers twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FederationEvent } from '../wire/events.js';
import { type TestServer, startTestServer } from '../../test/support/federation.js';
import { type KitParticipant, kitParticipant, plaintextSum } from '../../test/support/participants.js';

type Done = Extract<FederationEvent, { type: 'round_done' }>;

let server: TestServer | undefined;
let parts: KitParticipant[] = [];
afterEach(async () => {
  for (const p of parts) p.engine.stop();
  parts = [];
  await server?.stop();
  server = undefined;
});

describe('rejoining mid-round', () => {
  it('a trainer that reconnects before sending gets its descriptor again; the round does not wait for the deadline', async () => {
    // Deadlines far beyond the test's own timeout: only a resent descriptor lets the round finish.
    server = await startTestServer({
      committee: { m: 3, tRec: 3, rho: 2 },
      minTrainers: 3,
      firstRoundParticipants: 6,
      rounds: 1,
      submitMs: 600_000,
      committeeMs: 600_000,
    });
    const s = server;
    const trainers = ['A', 'B', 'C'].map((label, i) =>
      kitParticipant({ url: s.wsUrl, token: s.token, label, train: true, committee: false, seed: i + 1 }),
    );
    const members = ['X', 'Y', 'Z'].map((label) =>
      kitParticipant({ url: s.wsUrl, token: s.token, label, train: false, committee: true }),
    );
    parts = [...trainers, ...members];
    const C = trainers[2] as KitParticipant;
    C.trainer!.hold(1); // C is still training when its tab "reloads"
    // A is held too: the round closes early once every trainer still *connected* has sent, so
    // without A the round could close on A and B before C2 is back (by design: a closed tab
    // is not waited for).
    const gateA = trainers[0]!.trainer!.hold(1);
    await C.trainer!.started.waitFor((r) => r === 1, 30_000, 'C training round 1');
    C.engine.stop();
    const C2 = kitParticipant({
      url: s.wsUrl,
      token: s.token,
      label: 'C2',
      train: true,
      committee: false,
      seed: 3,
      identity: C.identity,
    });
    parts.push(C2);
    await C2.trainer!.started.waitFor((r) => r === 1, 30_000, 'C2 given its round-1 descriptor again');
    gateA.open();
    const done = await s.events.waitFor((e): e is Done => e.type === 'round_done' && e.round === 1, 60_000, 'round 1');
    expect(done.survivors).toHaveLength(3);
    expect(done.survivors).toContain(C2.engine.state.clientId);
    const agg = await s.decoded.waitFor((d) => d.round === 1);
    expect(agg.sum).toEqual(plaintextSum([trainers[0]!, trainers[1]!, C2], 1, done.survivors));
  }, 90_000);
});
