/**
 * What the observer stream (/events) replays to a client that connects late, so a dashboard
 * opened after an hour still shows every round, not only the last few hundred events.
 *
 * Replayed, in order:
 *   1. the latest participants list (even if older than the window);
 *   2. for each of the last `maxRounds` rounds, the milestones that fell out of the window —
 *      its start, cut-off, last committee answer and outcome — in compact form (client ids
 *      shortened to SHORT_ID characters, no preview, `summary: true` on outcomes). Per-trainer
 *      contribution events are not kept: the cut-off carries the count;
 *   3. the last `window` events verbatim.
 * The dashboard reducer is idempotent per round, so this converges to the state of a
 * dashboard that watched from the start.
 */
import { type FederationEvent, SHORT_ID } from '../wire/events.js';

type Milestone = Extract<
  FederationEvent,
  { type: 'round_started' | 'cutoff' | 'answer' | 'round_done' | 'round_failed' }
>;

export interface ReplayOptions {
  /** Events kept verbatim (default 200). */
  window?: number;
  /** Rounds whose milestones are kept in compact form (default 2000). */
  maxRounds?: number;
}

const shorten = (ids: readonly string[]): string[] => ids.map((s) => s.slice(0, SHORT_ID));

/** A milestone as replayed from beyond the window: no full ids, no preview. */
function compactMilestone(e: Milestone): Milestone {
  switch (e.type) {
    case 'round_started':
      return { ...e, trainers: shorten(e.trainers), members: shorten(e.members) };
    case 'cutoff':
      return { ...e, survivors: shorten(e.survivors), dropped: shorten(e.dropped) };
    case 'answer':
      return e;
    case 'round_failed':
      return { ...e, summary: true };
    case 'round_done':
      return { ...e, survivors: shorten(e.survivors), preview: { masked: [], aggregate: [] }, summary: true };
  }
}

/**
 * A milestone's compact form and its position in the stream (to tell whether it is still in the
 * window). The original event is not kept: a round_done carries full ids and previews, and 2,000
 * rounds of originals were most of what the replay held.
 */
type Kept = { seq: number; compact: Milestone };

export class ReplayBuffer {
  private readonly window: number;
  private readonly maxRounds: number;
  private readonly recent: FederationEvent[] = [];
  /** Per round, in round order: its milestones (the answer slot keeps only the latest). */
  private readonly rounds = new Map<number, { started?: Kept; cutoff?: Kept; answer?: Kept; outcome?: Kept }>();
  private participants: FederationEvent | undefined;
  /** Events added so far; the window holds those with seq > added − window. */
  private added = 0;
  private participantsSeq = 0;

  constructor(opts: ReplayOptions = {}) {
    this.window = opts.window ?? 200;
    this.maxRounds = opts.maxRounds ?? 2000;
    if (!Number.isSafeInteger(this.window) || this.window < 1)
      throw new RangeError('window must be a positive integer');
    if (!Number.isSafeInteger(this.maxRounds) || this.maxRounds < 0)
      throw new RangeError('maxRounds must be a non-negative integer');
  }

  add(e: FederationEvent): void {
    const seq = ++this.added;
    if (e.type === 'participants') {
      this.participants = e;
      this.participantsSeq = seq;
    }
    if (
      e.type === 'round_started' ||
      e.type === 'cutoff' ||
      e.type === 'answer' ||
      e.type === 'round_done' ||
      e.type === 'round_failed'
    )
      this.keep(e, seq);
    this.recent.push(e);
    if (this.recent.length > this.window) this.recent.shift();
  }

  private keep(e: Milestone, seq: number): void {
    let r = this.rounds.get(e.round);
    if (!r) {
      if (this.maxRounds === 0) return;
      this.rounds.set(e.round, (r = {}));
      if (this.rounds.size > this.maxRounds) this.rounds.delete(this.rounds.keys().next().value as number);
    }
    const kept = { seq, compact: compactMilestone(e) };
    if (e.type === 'round_started') r.started = kept;
    else if (e.type === 'cutoff') r.cutoff = kept;
    else if (e.type === 'answer') r.answer = kept;
    else r.outcome = kept;
  }

  /** The last `n` events verbatim. */
  latest(n: number): FederationEvent[] {
    return this.recent.slice(-n);
  }

  /** Everything a newly connected observer is sent, in order. */
  replay(): FederationEvent[] {
    const firstInWindow = this.added - this.recent.length + 1;
    const out: FederationEvent[] = [];
    if (this.participants && this.participantsSeq < firstInWindow) out.push(this.participants);
    for (const r of this.rounds.values()) {
      for (const k of [r.started, r.cutoff, r.answer, r.outcome]) if (k && k.seq < firstInWindow) out.push(k.compact);
    }
    out.push(...this.recent);
    return out;
  }
}
