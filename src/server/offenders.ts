/**
 * Trainers convicted by verifiable complaints (docs/protocol.md §25). Each conviction is kept
 * with its round and how it was made, in `offenders.jsonl` beside the federation's state (one
 * JSON line per conviction, appended before the round's result is sent), so a restart does not
 * forget them. A participant convicted `maxOffenses` times (default 1) is refused at join
 * (`OFFENDER`) and never seated again: a slice that a committed key does not open is proof, never
 * an accident of an honest client.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from './log.js';

export const DEFAULT_MAX_OFFENSES = 1;

interface Record {
  readonly id: string;
  readonly round: number;
  readonly how: 'proven' | 'attested';
  readonly at: string;
}

export class OffenderBook {
  private readonly counts = new Map<string, number>();
  private readonly file: string | undefined;

  constructor(
    dataDir: string | undefined,
    private readonly log: Logger,
    private readonly maxOffenses = DEFAULT_MAX_OFFENSES,
  ) {
    this.file = dataDir ? join(dataDir, 'offenders.jsonl') : undefined;
    if (this.file && existsSync(this.file)) {
      const lines = readFileSync(this.file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (!line.trim()) return;
        try {
          const r = JSON.parse(line) as Partial<Record>;
          if (typeof r.id === 'string') this.counts.set(r.id, (this.counts.get(r.id) ?? 0) + 1);
        } catch {
          log.warn('offenders_line_unreadable', { file: this.file, line: i + 1 });
        }
      });
    }
  }

  /** Records one conviction (durably when there is a data directory). */
  record(id: string, round: number, how: 'proven' | 'attested'): void {
    const r: Record = { id, round, how, at: new Date().toISOString() };
    if (this.file) {
      mkdirSync(dirname(this.file), { recursive: true });
      appendFileSync(this.file, JSON.stringify(r) + '\n');
    }
    const n = (this.counts.get(id) ?? 0) + 1;
    this.counts.set(id, n);
    this.log.warn('offender', { clientId: id, round, how, convictions: n, refused: n >= this.maxOffenses });
  }

  /** Why `id` is refused, or undefined when it is not. */
  refusal(id: string): string | undefined {
    const n = this.counts.get(id) ?? 0;
    if (n < this.maxOffenses) return undefined;
    return `${id} is refused: convicted ${n} time(s) of sending slices its committed keys do not open (docs/protocol.md §25)`;
  }
}
