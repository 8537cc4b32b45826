import { describe, expect, it } from 'vitest';
import { started as startedEvent } from '../../test/support/observer-events.js';
import type { FederationEvent } from '../wire/events.js';
import { initialState, insecureDemoOf, reduce } from './dashboard/state.js';
import { INSECURE_DEMO_TEXT, insecureDemoNotice } from './insecure-demo.js';

type Started = Extract<FederationEvent, { type: 'round_started' }>;
const started = (round: number, version: number): Started => startedEvent(round, version) as Started;

describe('the INSECURE DEMO notice', () => {
  it('the tab: shown when the round descriptor’s committee is not subset-safe, with the numbers', () => {
    expect(insecureDemoNotice(undefined)).toBeUndefined(); // before the first round
    expect(insecureDemoNotice({ m: 4, tRec: 3, rho: 2 })).toBeUndefined();
    expect(insecureDemoNotice({ m: 5, tRec: 4, rho: 2 })).toBeUndefined();
    expect(insecureDemoNotice({ m: 3, tRec: 2, rho: 1 })).toBe(
      `${INSECURE_DEMO_TEXT} (committee m=3, t_rec=2, ρ=1: 2·t_rec = 4 does not exceed m + c_max = 4).`,
    );
    expect(insecureDemoNotice({ m: 5, tRec: 3, rho: 1 })).toContain('2·t_rec = 6 does not exceed m + c_max = 7');
    // the server's own declaration (its /status) shows it too, even before a round
    expect(insecureDemoNotice(undefined, true)).toBe(`${INSECURE_DEMO_TEXT} (the server runs with --insecure-demo).`);
    expect(INSECURE_DEMO_TEXT).toBe(
      "INSECURE DEMO: this federation's committee is not subset-safe; a dishonest server could read individual updates",
    );
  });

  it('the dashboard: from /status, and from each round_started (its flag or its m, t_rec, ρ)', () => {
    const safe = reduce(initialState(), started(1, 0)); // 3,3,2
    expect(insecureDemoOf(safe)).toBeUndefined();
    const declared = reduce(initialState(), {
      type: 'status',
      status: {
        federation: 'f',
        version: 0,
        round: null,
        phase: 'idle',
        participants: { connected: 0, trainers: 0, volunteers: 0 },
        insecurePlaintext: false,
        insecureDemo: true,
      },
    });
    expect(declared.insecureDemo).toBe(true);
    expect(insecureDemoOf(declared)).toMatch(/^INSECURE DEMO: .*--insecure-demo/);
    const flagged = reduce(initialState(), { ...started(2, 1), insecureDemo: true });
    expect(flagged.current?.insecureDemo).toBe(true);
    expect(insecureDemoOf(flagged)).toMatch(/^INSECURE DEMO/);
    // an unsafe committee is shown even if the event says nothing (the dashboard checks itself)
    const unflagged = reduce(initialState(), { ...started(3, 2), tRec: 2, rho: 1, insecureDemo: false });
    expect(insecureDemoOf(unflagged)).toContain('committee m=3, t_rec=2, ρ=1');
    // a later subset-safe round clears a notice that came only from a round
    expect(insecureDemoOf(reduce(unflagged, started(4, 3)))).toBeUndefined();
  });
});
