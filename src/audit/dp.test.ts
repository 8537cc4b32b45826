/**
 * A DP federation audits clean (docs/dp.md §12, docs/transcript.md): its transcripts record the
 * descriptor's `dp` part, and the audit's FedAvg check decodes each round with those parameters
 * and the round's public seed, exactly as the server did.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { FederationEvent } from '../wire/events.js';
import { type TestServer, startTestServer } from '../../test/support/federation.js';
import { type KitParticipant, kitParticipant } from '../../test/support/participants.js';
import { audit } from './audit.js';
import { dirSource } from './source.js';

type Done = Extract<FederationEvent, { type: 'round_done' }>;

let server: TestServer | undefined;
let parts: KitParticipant[] = [];

afterAll(async () => {
  for (const p of parts) p.engine.stop();
  await server?.stop();
});

describe('npm run audit on a DP federation', () => {
  it('two DP rounds audit clean', async () => {
    server = await startTestServer({
      committee: { m: 4, tRec: 3, rho: 2 },
      minTrainers: 4,
      firstRoundParticipants: 8,
      rounds: 2,
      submitMs: 8_000,
      committeeMs: 4_000,
      secureMetrics: false,
      dpNoiseMultiplier: 0.8,
      dpClip: 0.5,
    });
    const s = server;
    parts = [
      ...Array.from({ length: 4 }, (_, i) =>
        kitParticipant({ url: s.wsUrl, token: s.token, label: `T${i}`, train: true, committee: false, seed: i + 1 }),
      ),
      ...Array.from({ length: 4 }, (_, i) =>
        kitParticipant({ url: s.wsUrl, token: s.token, label: `M${i}`, train: false, committee: true }),
      ),
    ];
    const done = await s.events.waitFor((e): e is Done => e.type === 'round_done' && e.round === 2, 120_000, 'round 2');
    expect(done.privacy?.epsilon).toBeGreaterThan(0);
    const r = await audit(dirSource(s.config.dataDir), [...(s.authority?.keys ?? [])]);
    expect(r.summary).toEqual({ rounds_checked: 2, rounds_ok: 2, first_bad: null, reason: null });
  }, 180_000);
});
