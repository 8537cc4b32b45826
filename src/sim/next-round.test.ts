/**
 * When the next round opens comes from the server's schedule, not from the tab's guess: the
 * `result` each participant receives, the `round_done` observers see and `/status` between rounds
 * carry it; after the last round (`rounds`) none is announced. Over real sockets.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { FederationStatus } from '../wire/events.js';
import { type TestServer, startTestServer } from '../../test/support/federation.js';
import { type KitParticipant, kitParticipant } from '../../test/support/participants.js';

let server: TestServer | undefined;
let parts: KitParticipant[] = [];
afterEach(async () => {
  for (const p of parts) p.engine.stop();
  parts = [];
  await server?.stop();
  server = undefined;
});

const status = (port: number): Promise<FederationStatus> =>
  new Promise((resolve, reject) => {
    request(`http://127.0.0.1:${port}/status`, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(JSON.parse(body) as FederationStatus));
    })
      .on('error', reject)
      .end();
  });

describe('the next round, from the schedule', () => {
  it('result, round_done and /status say when the next round opens; the last round announces none', async () => {
    const PAUSE = 5_000;
    server = await startTestServer({
      committee: { m: 3, tRec: 3, rho: 2 },
      minTrainers: 3,
      firstRoundParticipants: 6,
      submitMs: 60_000,
      committeeMs: 60_000,
      pauseMs: PAUSE,
      rounds: 2,
    });
    const s = server;
    const opts = { url: s.wsUrl, token: s.token };
    parts = [
      ...[1, 2, 3].map((i) => kitParticipant({ ...opts, label: `T${i}`, train: true, committee: false, seed: i })),
      ...[1, 2, 3].map((i) => kitParticipant({ ...opts, label: `M${i}`, train: false, committee: true })),
    ];
    const before = Date.now();
    const first = await s.events.waitFor((e) => e.type === 'round_done' && e.round === 1, 60_000, 'round 1');
    expect(first.type === 'round_done' && first.nextRoundInMs).toBe(PAUSE);
    const st = await status(s.server.port);
    const after = Date.now();
    // scheduled between the two readings of the clock, PAUSE ahead
    expect(st.round).toBeNull();
    expect(st.nextRoundAt).toBeGreaterThanOrEqual(before + PAUSE);
    expect(st.nextRoundAt).toBeLessThanOrEqual(after + PAUSE);
    for (const p of parts) {
      const r = await p.events.waitFor((e) => e.type === 'result' && e.round === 1, 10_000, `${p.label}'s result`);
      expect(r.type === 'result' && r.nextRoundInMs, p.label).toBe(PAUSE);
    }

    const last = await s.events.waitFor((e) => e.type === 'round_done' && e.round === 2, 60_000, 'round 2');
    expect(last.type === 'round_done' && 'nextRoundInMs' in last).toBe(false);
    const r2 = await parts[0]!.events.waitFor((e) => e.type === 'result' && e.round === 2, 10_000, 'the last result');
    expect(r2.type === 'result' && 'nextRoundInMs' in r2).toBe(false);
    expect((await status(s.server.port)).nextRoundAt).toBeUndefined();
  }, 120_000);
});
