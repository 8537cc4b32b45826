/**
 * Every round checked in this browser from the published transcripts (docs/transcript.md §5–§6),
 * not taken from the server's say-so: the audit itself (src/audit/audit.ts: the chain, every
 * certificate and signature, S and H_S, Σy, unmasking, the model step) runs in a Web Worker
 * (verify.worker.ts) so the page stays responsive, again after each round the server reports.
 * The trust anchor is the authority key of the dashboard's own address — the join link's
 * `authority=` (as `npm start` prints it) or `#authority=HEX` — and, failing that, the key the
 * server names, which the status line then says is not pinned.
 */
import type { AuditSummary, RoundLine } from '../../audit/audit.js';

export interface VerifyRequest {
  readonly id: number;
  /** The server's origin (GET /transcripts, …). */
  readonly base: string;
  /** The authority keys to pin (hex); empty: take the one the server names. */
  readonly authorities: readonly string[];
}

export type VerifyReply =
  | {
      readonly type: 'report';
      readonly id: number;
      readonly pinned: boolean;
      readonly keys: readonly string[];
      readonly lines: readonly RoundLine[];
      readonly summary: AuditSummary;
      readonly ms: number;
    }
  | { readonly type: 'error'; readonly id: number; readonly message: string };

/** What the dashboard knows of the verification: replaced (never mutated) at each change. */
export interface Verification {
  readonly state: 'idle' | 'checking' | 'done' | 'error';
  /** Whether a check is under way (a newer one than the result shown). */
  readonly busy: boolean;
  readonly byRound: ReadonlyMap<number, RoundLine>;
  readonly summary?: AuditSummary;
  readonly pinned?: boolean;
  readonly keys?: readonly string[];
  readonly message?: string;
  /** How long the last check took, ms. */
  readonly ms?: number;
}

const HEX_KEY = /^[0-9a-f]{64}$/;

/** The authority keys the dashboard's address pins: `#authority=HEX[,HEX]` or the join link's `authority=`. */
export function authorityPinOf(hash: string): string[] {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  let raw = p.get('authority') ?? '';
  const join = p.get('join');
  if (!raw && join) {
    try {
      raw = new URL(join).searchParams.get('authority') ?? '';
    } catch {
      raw = '';
    }
  }
  return raw
    .split(',')
    .map((k) => k.trim().toLowerCase())
    .filter((k) => HEX_KEY.test(k));
}

export class Verifier {
  private worker: Worker | undefined;
  private running = false;
  private again = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private id = 0;
  result: Verification = { state: 'idle', busy: false, byRound: new Map() };

  constructor(
    private readonly base: string,
    private readonly authorities: readonly string[],
    private readonly onChange: () => void,
  ) {}

  /**
   * Checks again shortly: several requests in a burst make one check, and a federation whose
   * check takes long (each check covers every round) is checked at most every twice that time,
   * so the worker never takes more than about a third of a core.
   */
  request(delayMs = 500): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.start(), Math.max(delayMs, 2 * (this.result.ms ?? 0)));
  }

  private set(v: Verification): void {
    this.result = v;
    this.onChange();
  }

  private start(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.set({ ...this.result, state: this.result.state === 'idle' ? 'checking' : this.result.state, busy: true });
    const w = (this.worker ??= this.spawn());
    const req: VerifyRequest = { id: ++this.id, base: this.base, authorities: this.authorities };
    w.postMessage(req);
  }

  private spawn(): Worker {
    const w = new Worker(new URL('./verify.worker.ts', import.meta.url), { type: 'module' });
    w.onmessage = (e: MessageEvent<VerifyReply>) => this.done(e.data);
    w.onerror = (e) => {
      e.preventDefault();
      // A worker that cannot run is replaced at the next request.
      this.worker?.terminate();
      this.worker = undefined;
      this.done({ type: 'error', id: this.id, message: e.message || 'the verification worker stopped' });
    };
    return w;
  }

  private done(r: VerifyReply): void {
    if (r.id !== this.id) return;
    this.running = false;
    if (r.type === 'error') this.set({ state: 'error', busy: false, byRound: this.result.byRound, message: r.message });
    else
      this.set({
        state: 'done',
        busy: false,
        byRound: new Map(r.lines.map((l) => [l.round, l])),
        summary: r.summary,
        pinned: r.pinned,
        keys: r.keys,
        ms: r.ms,
      });
    if (this.again) {
      this.again = false;
      this.start();
    }
  }
}
