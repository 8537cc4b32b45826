import { describe, expect, it } from 'vitest';
import { M, T, failedRound, okRound, started } from '../../../test/support/observer-events.js';
import type { FederationEvent } from '../../wire/events.js';
import { describeNow, explainFailure, secondsLeft } from './narration.js';
import {
  type DashAction,
  type DashState,
  chartSeries,
  failedPhase,
  initialState,
  latestMetrics,
  reduce,
} from './state.js';

const run = (events: DashAction[], s: DashState = initialState()): DashState => events.reduce(reduce, s);

describe('dashboard reducer', () => {
  it('follows one round through its phases', () => {
    const ev = okRound(1, 0);
    let s = run([
      {
        type: 'participants',
        connected: 7,
        trainers: 4,
        volunteers: 3,
        list: [...T, ...M].map((id, i) => ({ id: id.slice(0, 8), train: i < 4, committee: i >= 4 })),
      },
      ev[0] as FederationEvent,
    ]);
    expect(s.connected).toBe(7);
    expect(s.current?.phase).toBe('contributions');
    expect(s.current?.trainers).toEqual(T.map((t) => t.slice(0, 8)));
    s = run(ev.slice(1, 3), s);
    expect(s.current).toMatchObject({ received: 2, expected: 4, phase: 'contributions' });
    s = run(ev.slice(3, 7), s); // last contributions, cutoff, first answer
    expect(s.current).toMatchObject({ phase: 'committee', received: 4, answered: 1 });
    expect(s.current?.survivors).toHaveLength(4);
    s = run(ev.slice(7), s);
    expect(s.current?.outcome).toEqual({ ok: true, version: 1 });
    expect(s.current?.phase).toBe('model');
    expect(s.version).toBe(1);
    expect(s.rounds).toHaveLength(1);
    expect(s.rounds[0]).toMatchObject({
      round: 1,
      ok: true,
      versionBefore: 0,
      versionAfter: 1,
      trainers: 4,
      survivors: 4,
      dropped: 0,
      answered: 3,
      m: 3,
      tRec: 3,
      totalMs: 1200,
      bytesPerTrainer: 4300 / 4,
    });
    expect(s.preview).toMatchObject({ round: 1, masked: [0.1, 0.9, 0.5] });
    expect(s.story.map((l) => l.key)).toEqual(['r1:start', 'r1:first', 'r1:cutoff', 'r1:quorum', 'r1:done']);
    expect(s.story.at(-1)?.text).toContain('model is now v1');
  });

  it('marks a failed round with its code, where it stopped, and an unchanged model', () => {
    const s = run([...okRound(1, 0), ...failedRound(2, 1)]);
    expect(s.version).toBe(1);
    expect(s.current?.outcome).toMatchObject({ ok: false, code: 'THRESHOLD_NOT_MET', failedAt: 'committee' });
    expect(s.rounds.map((r) => [r.round, r.ok])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(s.rounds[1]).toMatchObject({
      versionBefore: 1,
      versionAfter: 1,
      answered: 1,
      survivors: 4,
      code: 'THRESHOLD_NOT_MET',
    });
    const last = s.story.at(-1);
    expect(last?.tone).toBe('bad');
    expect(last?.text).toContain('Not enough committee members answered');
    const now = describeNow(s, 0);
    expect(now.tone).toBe('bad');
    expect(now.title).toContain('Round 2 failed');
  });

  it('counts dropped trainers at the cut-off and fails early with too few survivors', () => {
    let s = run(okRound(1, 0, 1));
    expect(s.rounds[0]).toMatchObject({ survivors: 3, dropped: 1, trainers: 4 });
    expect(s.story.find((l) => l.key === 'r1:cutoff')?.text).toMatch(/3 of 4 trainers made it\. 1 trainer dropped out/);
    s = run(
      [
        started(2, 1),
        { type: 'cutoff', round: 2, survivors: [], dropped: T },
        {
          type: 'round_failed',
          round: 2,
          version: 1,
          code: 'TOO_FEW_SURVIVORS',
          reason: '0 trainer(s) sent, 2 needed',
          timings: { total_ms: 30000 },
          bytesIn: 0,
          bytesOut: 4000,
        },
      ],
      s,
    );
    expect(s.current?.outcome).toMatchObject({ ok: false, failedAt: 'cutoff' });
    expect(s.rounds[1]).toMatchObject({ ok: false, dropped: 4, survivors: 0 });
  });

  it('is idempotent under the replay the stream sends on every reconnect', () => {
    const events = [...okRound(1, 0), ...failedRound(2, 1), ...okRound(3, 1, 2)];
    const once = run(events);
    const twice = run(
      events,
      run(
        [
          { type: 'connection', state: 'connecting' },
          { type: 'connection', state: 'live' },
        ],
        once,
      ),
    );
    expect(twice.rounds).toEqual(once.rounds);
    expect(twice.story).toEqual(once.story);
    expect(twice.current).toEqual(once.current);
    expect(twice.version).toBe(2);
  });

  it('fills the rounds before a restart from the persisted log, failures kept, without contradiction', () => {
    const logged = (round: number, ok: boolean, before: number) => ({
      round,
      ok,
      versionBefore: before,
      versionAfter: ok ? before + 1 : before,
      trainers: 4,
      survivors: ok ? 4 : 3,
      answered: ok ? 3 : 1,
      m: 3,
      tRec: 3,
      bytesIn: 1000,
      ...(ok ? {} : { code: 'THRESHOLD_NOT_MET', reason: 'too quiet' }),
    });
    // After a restart the stream replays only round 4; the log has rounds 1–4.
    const live = run([{ type: 'connection', state: 'live' }, ...okRound(4, 2, 3)]);
    const s = reduce(live, {
      type: 'log',
      rounds: [logged(1, true, 0), logged(2, false, 1), logged(3, true, 1), logged(4, true, 2)],
    });
    expect(s.rounds.map((r) => [r.round, r.ok])).toEqual([
      [1, true],
      [2, false],
      [3, true],
      [4, true],
    ]);
    expect(s.rounds.filter((r) => r.ok)).toHaveLength(s.version); // "3 ✓" beside "improved 3 times"
    expect(s.rounds[3]).toEqual(live.rounds[0]); // the live record is kept
    expect(reduce(s, { type: 'log', rounds: [logged(1, true, 0)] })).toBe(s); // nothing new: same state
  });

  it('an outage says so and clears the round that was in progress', () => {
    const during = run([
      { type: 'connection', state: 'live' },
      started(5, 2),
      { type: 'connection', state: 'connecting' },
    ]);
    expect(describeNow(during, Date.now()).title).toBe('Server not reachable');
    const back = reduce(during, { type: 'connection', state: 'live' });
    expect(back.current).toBeUndefined();
    expect(describeNow(back, Date.now()).title).not.toBe('Server not reachable');
  });

  it('ignores progress events of a round it is not showing', () => {
    const s = run([
      ...okRound(1, 0),
      { type: 'contribution', round: 7, received: 3, expected: 4, bytes: 1 },
      { type: 'answer', round: 7, answered: 2, tRec: 3, m: 3 },
    ]);
    expect(s.current?.round).toBe(1);
    expect(s.current?.received).toBe(4);
  });

  it('builds chart series: quality by the model version measured, costs by round, failed rounds', () => {
    const s = run([...okRound(1, 0), ...failedRound(2, 1), ...okRound(3, 1, 1)]);
    const c = chartSeries(s.rounds);
    expect(c.quality.version).toEqual([0, 1]);
    expect(c.quality.aucPr).toEqual([0.5, 0.6]);
    expect(c.rounds.round).toEqual([1, 2, 3]);
    expect(c.rounds.seconds).toEqual([1.2, 0.9, 1.2]); // a failed round still took its time
    expect(c.rounds.survivors).toEqual([4, 4, 3]);
    expect(c.rounds.dropped).toEqual([0, 0, 1]);
    expect(c.failedRounds).toEqual([2]);
    expect(latestMetrics(s.rounds)?.version).toBe(1);
  });

  it('takes the federation id and version from the initial status', () => {
    const s = reduce(initialState(), {
      type: 'status',
      status: {
        federation: 'fed-1',
        version: 5,
        round: null,
        phase: 'idle',
        participants: { connected: 3, trainers: 2, volunteers: 1 },
        insecurePlaintext: false,
        insecureDemo: false,
      },
    });
    expect(s).toMatchObject({
      federation: 'fed-1',
      version: 5,
      connected: 3,
      counts: { trainers: 2, volunteers: 1 },
      participants: undefined,
    });
  });
});

describe('narration', () => {
  it('explains codes in words, with a fallback', () => {
    expect(explainFailure('TOO_FEW_SURVIVORS')).toMatch(/Too few trainers/);
    expect(explainFailure('SOMETHING_NEW')).toMatch(/could not be completed/);
    expect(failedPhase('THRESHOLD_NOT_MET', 'committee')).toBe('committee');
    expect(failedPhase('INCONSISTENT_SHARES', 'committee')).toBe('unmasked');
  });

  it('counts deadlines down from local time', () => {
    expect(secondsLeft(10_500, 0)).toBe(11);
    expect(secondsLeft(10_000, 20_000)).toBe(0);
    const s = run([started(1, 0), { type: 'contribution', round: 1, received: 1, expected: 4, bytes: 1 }]);
    expect(describeNow(s, 90_000).text).toContain(
      '1 of 4 masked updates have arrived; the server closes the door in 10 s',
    );
    const c = run(
      [
        { type: 'cutoff', round: 1, survivors: T.slice(0, 3), dropped: T.slice(3) },
        { type: 'answer', round: 1, answered: 1, tRec: 3, m: 3 },
      ],
      s,
    );
    expect(describeNow(c, 195_000).text).toContain('1 of 3 have answered; 2 more needed within 5 s');
  });

  it('says what it waits for before the first round', () => {
    const s = reduce(initialState(), { type: 'waiting', reason: '1 committee volunteer(s) connected, 3 needed' });
    expect(describeNow(s, 0).title).toBe('Waiting for participants');
    expect(s.story[0]?.text).toContain('1 committee volunteer(s) connected');
  });

  it("counts down to the next round as the server's schedule announced it, not a guess", () => {
    const ev = okRound(1, 0);
    const done = ev[ev.length - 1] as Extract<FederationEvent, { type: 'round_done' }>;
    const t0 = Date.now();
    const s = run([...ev.slice(0, -1), { ...done, nextRoundInMs: 3_000 }] as DashAction[]);
    expect(s.current?.nextAt).toBeGreaterThanOrEqual(t0 + 3_000);
    const at = s.current?.nextAt ?? 0;
    expect(describeNow(s, at - 2_500).text).toContain('The server opens the next round in 3 s.');
    expect(describeNow(s, at).text).toContain('The server is opening the next round.');
    // without the server's figure (an older server) no countdown is made up
    expect(describeNow(run(ev as DashAction[]), at).text).toContain('The next round starts shortly.');
  });
});
