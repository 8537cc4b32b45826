/**
 * Whether the federation can make progress, and the retries of a round start that failed (a
 * full disk, a read-only data directory, an authority that does not answer): each failure is
 * logged as an error, announced to observers (a `waiting` event naming the cause and the next
 * try) and retried with exponential backoff, from `START_RETRY_MS` up to `START_RETRY_MAX_MS`;
 * until a start succeeds, /healthz answers 503 with the reason.
 */
import type { FederationEvent } from '../wire/events.js';
import type { Logger } from './log.js';

export const START_RETRY_MS = 500;
export const START_RETRY_MAX_MS = 30_000;

export type Health = { ok: true } | { ok: false; reason: string; since: string; attempts: number };

export class StartRetry {
  private attempts = 0;
  private stalled: { reason: string; since: string } | undefined;

  constructor(
    private readonly log: Logger,
    private readonly emit: (e: FederationEvent) => void,
  ) {}

  /** A start failed: returns the delay before the next try. */
  failed(e: unknown): number {
    this.attempts++;
    const delay = Math.min(START_RETRY_MAX_MS, START_RETRY_MS * 2 ** (this.attempts - 1));
    const error = e instanceof Error ? e.message : String(e);
    const reason = `a round cannot start: ${error}`;
    this.stalled = { reason, since: this.stalled?.since ?? new Date().toISOString() };
    this.log.error('round_start_failed', { error, attempts: this.attempts, retryInMs: delay });
    this.emit({ type: 'waiting', reason: `${reason} (attempt ${this.attempts}; trying again in ${delay} ms)` });
    return delay;
  }

  /** A start went through (a round began, or there were not enough participants to try). */
  succeeded(): void {
    if (this.stalled) this.log.info('round_start_recovered', { attempts: this.attempts });
    this.attempts = 0;
    this.stalled = undefined;
  }

  health(): Health {
    return this.stalled ? { ok: false, ...this.stalled, attempts: this.attempts } : { ok: true };
  }
}
