import { describe, expect, it } from 'vitest';
import type { FederationEvent } from '../wire/events.js';
import { ErrorBudget } from './limits.js';
import { RefusalLog } from './refusal-log.js';
import { createLogger } from './log.js';

describe('refusals summarized beyond a few per window', () => {
  it('logs the first N one by one, then one summary line and event with the count per code', () => {
    const lines: Record<string, unknown>[] = [];
    const events: FederationEvent[] = [];
    const log = createLogger('debug', (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
    const r = new RefusalLog(log, (e) => events.push(e), 3, 10_000);
    for (let i = 0; i < 1000; i++) r.report({ code: i % 2 ? 'MALFORMED' : 'NOT_JOINED', message: 'x' }, 5_000 + i);
    expect(lines.filter((l) => l.event === 'refused')).toHaveLength(3);
    r.report({ code: 'MALFORMED', message: 'x' }, 16_000); // a new window flushes the last one
    const summary = lines.find((l) => l.event === 'refusals_summary');
    expect(summary).toMatchObject({ count: 997, codes: { MALFORMED: 499, NOT_JOINED: 498 } });
    expect(events.filter((e) => e.type === 'refused')).toHaveLength(5);
    expect(events[3]).toMatchObject({ type: 'refused', code: 'SUMMARY' });
    expect(events[3]?.type === 'refused' && events[3].message).toBe(
      '997 more refusals within 10 s: MALFORMED ×499, NOT_JOINED ×498',
    );
  });

  it('an error budget: N refusals within the window are allowed, the next is not; old ones expire', () => {
    const b = new ErrorBudget(3, 1000);
    expect([b.spend(0), b.spend(10), b.spend(20), b.spend(30)]).toEqual([true, true, true, false]);
    const c = new ErrorBudget(3, 1000);
    expect([c.spend(0), c.spend(10), c.spend(20), c.spend(1005), c.spend(1011)]).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
  });
});
