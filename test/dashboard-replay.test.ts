/**
 * The server's replay (src/server/replay.ts) and the dashboard's reducer (src/ui/dashboard)
 * together: a dashboard that connects late converges to the state of one that watched live.
 */
import { describe, expect, it } from 'vitest';
import { ReplayBuffer } from '../src/server/replay.js';
import { type DashAction, type DashState, initialState, reduce } from '../src/ui/dashboard/state.js';
import { failedRound, okRound } from './support/observer-events.js';

const run = (events: DashAction[], s: DashState = initialState()): DashState => events.reduce(reduce, s);

describe('dashboard reducer', () => {
  it('a dashboard opened late gets every round from the server replay (compact beyond its window)', () => {
    const events = [...okRound(1, 0), ...failedRound(2, 1), ...okRound(3, 1, 2), ...okRound(4, 2), ...okRound(5, 3, 1)];
    const live = run(events);
    const buf = new ReplayBuffer({ window: 12 });
    for (const e of events) buf.add(e);
    const late = run(buf.replay());
    expect(late.rounds).toEqual(live.rounds);
    expect(late.rounds.map((r) => r.round)).toEqual([1, 2, 3, 4, 5]);
    expect(late.version).toBe(live.version);
    expect(late.current).toEqual(live.current);
  });
});
