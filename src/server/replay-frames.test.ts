/**
 * The replay's shared Buffers (replay-frames.ts): they carry exactly the events' frames in order,
 * the same runs are the same Buffers for every observer (no copy per observer), and a run whose
 * events changed is rebuilt.
 */
import { describe, expect, it } from 'vitest';
import type { FederationEvent } from '../wire/events.js';
import { BLOCK_ROUNDS, frameOf, replayBatches } from './replay-frames.js';

const answer = (round: number, answered: number): FederationEvent => ({
  type: 'answer',
  round,
  answered,
  tRec: 3,
  m: 3,
});
const frames = (events: FederationEvent[]) => Buffer.concat(events.map(frameOf)).toString();

describe('replay batches', () => {
  const history: FederationEvent[] = [
    { type: 'waiting', reason: 'before any round' },
    ...Array.from({ length: 5 * BLOCK_ROUNDS }, (_, i) => [answer(i + 1, 1), answer(i + 1, 2)]).flat(),
  ];

  it('carry every frame in order, cut at round boundaries', () => {
    const batches = [...replayBatches(history)];
    expect(Buffer.concat(batches).toString()).toBe(frames(history));
    expect(batches.length).toBeGreaterThanOrEqual(5);
    // the second run starts at the first event of round BLOCK_ROUNDS
    const start = frameOf(answer(BLOCK_ROUNDS, 1));
    expect(batches[1]?.subarray(0, start.length).equals(start)).toBe(true);
  });

  it('are the same Buffers for a second observer; a changed run is rebuilt, the others reused', () => {
    const a = [...replayBatches(history)];
    const b = [...replayBatches(history)];
    expect(b.every((buf, i) => buf === a[i])).toBe(true);
    const changed = [...history];
    changed[3] = answer(2, 9); // in the first run
    const c = [...replayBatches(changed)];
    expect(c[0]).not.toBe(a[0]);
    expect(c[0]?.toString()).toContain('"answered":9');
    expect(c.slice(1).every((buf, i) => buf === a[i + 1])).toBe(true);
    expect(Buffer.concat(c).toString()).toBe(frames(changed));
  });
});
