/**
 * A Node participant's DP participation ledger (src/client/privacy.ts PrivacyLedger): the DP
 * rounds it contributed to, with what each cost, one JSON object per line, each flushed to disk
 * (fsync) before the engine lets the contribution leave. A restarted client with the same file
 * keeps its own ε (docs/dp.md §12).
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { CodedError } from '../base/error.js';
import type { DdgRound } from '../dp/accountant.js';
import type { PrivacyLedger } from '../client/privacy.js';

interface Line {
  federation: string;
  round: number;
  charge: DdgRound;
}

function isLine(x: unknown): x is Line {
  const l = x as Partial<Line> | null;
  const c = l?.charge as Partial<DdgRound> | undefined;
  return (
    typeof l?.federation === 'string' &&
    Number.isSafeInteger(l.round) &&
    [c?.l2, c?.sigma2, c?.honest, c?.dim].every((v) => typeof v === 'number' && Number.isFinite(v) && v > 0)
  );
}

export class PrivacyLedgerFile implements PrivacyLedger {
  private readonly lines = new Map<string, Line>();

  constructor(readonly path: string) {
    if (!existsSync(path)) return;
    const text = readFileSync(path, 'utf8');
    // A torn last line never left as a contribution's charge: the record is flushed first. But a
    // ledger is about privacy, so anything unreadable stops the client rather than being skipped.
    text
      .split('\n')
      .filter((l) => l.length > 0)
      .forEach((line, i) => {
        let x: unknown;
        try {
          x = JSON.parse(line);
        } catch {
          x = undefined;
        }
        if (!isLine(x))
          throw new CodedError(
            'DP_LEDGER_CORRUPT',
            `${path}: line ${i + 1} is not a DP round record; refusing to guess this participant's privacy loss (move the file aside to start over, knowing its rounds are then not counted)`,
          );
        this.lines.set(`${x.federation}\u0000${x.round}`, x);
      });
  }

  charges(federation: string): DdgRound[] {
    return [...this.lines.values()].filter((l) => l.federation === federation).map((l) => l.charge);
  }

  add(federation: string, round: number, charge: DdgRound): void {
    const key = `${federation}\u0000${round}`;
    if (this.lines.has(key)) return;
    const line: Line = { federation, round, charge };
    const fd = openSync(this.path, 'a');
    try {
      writeSync(fd, `${JSON.stringify(line)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.lines.set(key, line);
  }
}
