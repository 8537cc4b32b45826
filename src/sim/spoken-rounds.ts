/**
 * Durable speak-once for Node participants: the rounds this participant contributed to or
 * answered, one JSON string per line in a file, each written and flushed to disk (fsync) before
 * the engine lets the message leave. A restarted client with the same file never speaks twice in
 * a round, whatever the server re-sends (docs/threat-model.md, "Durable speak-once").
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { AnsweredRounds } from '../client/engine.js';

export class SpokenRoundsFile implements AnsweredRounds {
  private readonly keys = new Set<string>();

  constructor(readonly path: string) {
    if (!existsSync(path)) return;
    const lines = readFileSync(path, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (line === '') return;
      let key: unknown;
      try {
        key = JSON.parse(line);
      } catch {
        key = undefined;
      }
      // A torn last line (a crash mid-write) was never acknowledged: its message never left.
      if (typeof key !== 'string') {
        if (i === lines.length - 1 || (i === lines.length - 2 && lines[i + 1] === '')) return;
        throw new Error(`${path}: line ${i + 1} is not a round key; refusing to guess which rounds were spoken`);
      }
      this.keys.add(key);
    });
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  add(key: string): void {
    if (this.keys.has(key)) return;
    const fd = openSync(this.path, 'a');
    try {
      writeSync(fd, `${JSON.stringify(key)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.keys.add(key);
  }
}
