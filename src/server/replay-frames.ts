/**
 * The observer stream's bytes, made once and shared by every observer's socket (events are never
 * mutated), so that an observer that does not read holds references, not copies:
 *
 *   - frameOf: one event as one SSE frame, in a Buffer (live events: one write per event);
 *   - replayBatches: the replay (replay.ts) cut into runs of events at round boundaries (every
 *     BLOCK_ROUNDS rounds), each run one Buffer, cached by its first event and reused while the
 *     run is the same events. Observers connecting at once share the same Buffers, and a replay
 *     is a few hundred writes, not one per event.
 *
 * Why (bench/RESULTS.md, "Soak and abuse"): the replay written as a string per observer left a
 * copy per observer in V8's heap until sent (+37 MiB for 200 silent observers, given back only at
 * V8's next full collection); one write per event made millions of small pending-write objects
 * (+264 MiB of old-generation garbage).
 */
import type { FederationEvent } from '../wire/events.js';

const text = (e: FederationEvent): string => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;

const frames = new WeakMap<FederationEvent, Buffer>();
export function frameOf(e: FederationEvent): Buffer {
  let f = frames.get(e);
  if (f === undefined) frames.set(e, (f = Buffer.from(text(e))));
  return f;
}

/** A run of the replay starts at a round that is a multiple of this (about 4 events a round). */
export const BLOCK_ROUNDS = 16;
/** A run of events without round boundaries (the window's) is cut after this many events. */
const MAX_RUN = 256;

const runs = new WeakMap<FederationEvent, { events: FederationEvent[]; buf: Buffer }>();

function runBuffer(events: FederationEvent[]): Buffer {
  const first = events[0] as FederationEvent;
  const hit = runs.get(first);
  if (hit && hit.events.length === events.length && hit.events.every((e, i) => e === events[i])) return hit.buf;
  const buf = Buffer.from(events.map(text).join(''));
  runs.set(first, { events, buf });
  return buf;
}

const roundOf = (e: FederationEvent): number | undefined => ('round' in e ? e.round : undefined);

/** The replay as shared Buffers, in order. */
export function* replayBatches(history: Iterable<FederationEvent>): Generator<Buffer> {
  let run: FederationEvent[] = [];
  let prevRound: number | undefined;
  for (const e of history) {
    const round = roundOf(e);
    const boundary = round !== undefined && round !== prevRound && round % BLOCK_ROUNDS === 0;
    if (run.length && (boundary || run.length >= MAX_RUN)) {
      yield runBuffer(run);
      run = [];
    }
    run.push(e);
    if (round !== undefined) prevRound = round;
  }
  if (run.length) yield runBuffer(run);
}
