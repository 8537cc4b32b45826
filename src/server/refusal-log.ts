/**
 * Refusals as the log and the observers see them: one `refused` line and event each, up to
 * `refusalsLogged` (default 20) per 10 s window; beyond that they are counted by code and reported once at the
 * end of the window as a `refusals_summary` line and one `refused` event of code `SUMMARY` — so
 * a flood of bad frames costs a few lines, not one per frame, and never floods the observers.
 */
import type { FederationEvent } from '../wire/events.js';
import type { Logger } from './log.js';

export const REFUSAL_WINDOW_MS = 10_000;

export interface RefusalReport {
  clientId?: string;
  code: string;
  message: string;
  ref?: string;
}

export class RefusalLog {
  private windowStart = 0;
  private shown = 0;
  private readonly hidden = new Map<string, number>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly log: Logger,
    private readonly emit: (e: FederationEvent) => void,
    private readonly shownPerWindow: number,
    private readonly windowMs = REFUSAL_WINDOW_MS,
  ) {}

  report(r: RefusalReport, now = Date.now()): void {
    if (now - this.windowStart >= this.windowMs) {
      this.flush();
      this.windowStart = now;
      this.shown = 0;
    }
    if (this.shown < this.shownPerWindow) {
      this.shown++;
      this.log.warn('refused', { ...r });
      this.emit({ type: 'refused', ...r });
      return;
    }
    this.hidden.set(r.code, (this.hidden.get(r.code) ?? 0) + 1);
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.windowStart + this.windowMs - now);
      this.timer.unref();
    }
  }

  /** Reports the refusals counted but not shown, if any. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.hidden.size) return;
    const codes = Object.fromEntries(this.hidden);
    const count = [...this.hidden.values()].reduce((a, b) => a + b, 0);
    this.hidden.clear();
    const seconds = Math.round(this.windowMs / 1000);
    this.log.warn('refusals_summary', { count, codes, windowMs: this.windowMs });
    const list = Object.entries(codes)
      .map(([c, n]) => `${c} ×${n}`)
      .join(', ');
    this.emit({ type: 'refused', code: 'SUMMARY', message: `${count} more refusals within ${seconds} s: ${list}` });
  }
}
