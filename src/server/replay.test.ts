import { describe, expect, it } from 'vitest';
import type { FederationEvent } from '../wire/events.js';
import { ReplayBuffer } from './replay.js';

const T = Array.from({ length: 6 }, (_, i) => `p${String(i).repeat(7)}${'f'.repeat(56)}`);

/** One round: started, a contribution per trainer, cut-off, done (or failed when `fail`). */
function roundEvents(round: number, fail = false, trainers: readonly string[] = T): FederationEvent[] {
  const evs: FederationEvent[] = [
    {
      type: 'round_started',
      round,
      version: round - 1,
      trainers: [...trainers],
      members: [],
      m: 3,
      tRec: 3,
      rho: 2,
      length: 100,
      submitBy: 0,
      answerBy: 0,
      insecurePlaintext: false,
      insecureDemo: false,
    },
    ...trainers.map((_, i): FederationEvent => ({
      type: 'contribution',
      round,
      received: i + 1,
      expected: trainers.length,
      bytes: 1000 * (i + 1),
    })),
    { type: 'cutoff', round, survivors: [...trainers], dropped: [] },
  ];
  evs.push(
    fail
      ? {
          type: 'round_failed',
          round,
          version: round - 1,
          code: 'THRESHOLD_NOT_MET',
          reason: 'quiet',
          timings: { total_ms: 9 },
          bytesIn: 1,
          bytesOut: 2,
        }
      : {
          type: 'round_done',
          round,
          version: round,
          survivors: [...trainers],
          membersAnswered: [1, 2],
          timings: { total_ms: 9 },
          bytesIn: 1,
          bytesOut: 2,
          sumDigest: 'ab',
          preview: { masked: [0.5], aggregate: [0.1] },
        },
  );
  return evs;
}

const outcomes = (evs: FederationEvent[]) => evs.filter((e) => e.type === 'round_done' || e.type === 'round_failed');

describe('observer replay', () => {
  it('replays every round outcome once: compact beyond the window, verbatim inside it', () => {
    const buf = new ReplayBuffer({ window: 20 });
    const participants: FederationEvent = { type: 'participants', connected: 6, trainers: 6, volunteers: 0, list: [] };
    buf.add(participants);
    const all: FederationEvent[] = [];
    for (let r = 1; r <= 12; r++)
      for (const e of roundEvents(r, r === 4)) {
        all.push(e);
        buf.add(e);
      }

    const out = buf.replay();
    expect(out[0]).toBe(participants); // older than the window, still first
    expect(out.slice(-20)).toEqual(all.slice(-20)); // the window, verbatim and last
    const got = outcomes(out);
    expect(got.map((e) => e.round)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const old = got.filter((e) => e.summary);
    expect(old.length).toBeGreaterThan(8); // all but the rounds inside the window
    for (const e of old) {
      if (e.type === 'round_failed') {
        expect(e.code).toBe('THRESHOLD_NOT_MET');
        continue;
      }
      expect(e.survivors).toEqual(T.map((t) => t.slice(0, 8)));
      expect(e.preview).toEqual({ masked: [], aggregate: [] });
    }
    expect(got.filter((e) => !e.summary).every((e) => all.includes(e))).toBe(true);
    // per round: start, cut-off and outcome, never a full id outside the window, no contributions
    const beyond = out.slice(1, -20);
    expect(beyond.filter((e) => e.type === 'contribution')).toEqual([]);
    expect(JSON.stringify(beyond)).not.toContain('f'.repeat(56));
    for (let r = 1; r <= 8; r++)
      expect(beyond.filter((e) => 'round' in e && e.round === r).map((e) => e.type)).toEqual([
        'round_started',
        'cutoff',
        r === 4 ? 'round_failed' : 'round_done',
      ]);
  });

  it("keeps the running round's start and cut-off when its contributions overflow the window", () => {
    const buf = new ReplayBuffer({ window: 10 });
    const many = Array.from({ length: 40 }, (_, i) => `p${i.toString().padStart(7, '0')}${'e'.repeat(56)}`);
    const evs = roundEvents(1, false, many);
    for (const e of evs.slice(0, -2)) buf.add(e); // started + 40 contributions
    let out = buf.replay();
    expect(out[0]).toMatchObject({ type: 'round_started', round: 1, trainers: many.map((t) => t.slice(0, 8)) });
    expect(out).toHaveLength(11);
    for (const e of evs.slice(-2)) buf.add(e); // cut-off and outcome, both inside the window
    out = buf.replay();
    expect(out.filter((e) => e.type === 'round_started')).toHaveLength(1);
    expect(out.filter((e) => e.type === 'cutoff')).toEqual([evs.at(-2)]);
  });

  it('caps the rounds kept and validates its options', () => {
    const buf = new ReplayBuffer({ window: 5, maxRounds: 3 });
    for (let r = 1; r <= 10; r++) for (const e of roundEvents(r)) buf.add(e);
    expect(outcomes(buf.replay()).map((e) => e.round)).toEqual([8, 9, 10]);
    expect(buf.latest(2)).toHaveLength(2);
    expect(() => new ReplayBuffer({ window: 0 })).toThrow(RangeError);
    expect(() => new ReplayBuffer({ maxRounds: -1 })).toThrow(RangeError);
    expect(() => new ReplayBuffer({ window: 1.5 })).toThrow(RangeError);
  });
});
