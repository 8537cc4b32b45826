/**
 * Durable speak-once for Node participants: the rounds this participant contributed to or
 * answered, one JSON string per line in a file, each written and flushed to disk (fsync) before
 * the engine lets the message leave. A restarted client with the same file never speaks twice in
 * a round, whatever the server re-sends (docs/threat-model.md, "Durable speak-once").
 */
import {
  appendFileSync,
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { CodedError } from '../base/error.js';
import type { AnsweredRounds } from '../client/engine.js';

export class SpokenRoundsFile implements AnsweredRounds {
  private readonly keys = new Set<string>();

  constructor(readonly path: string) {
    if (!existsSync(path)) return;
    const bytes = readFileSync(path);
    // Every record ends in a newline; bytes after the last one are a torn write, whose message
    // never left (the record is flushed before the engine sends). Set them aside beside the file
    // (never silently dropped) and cut them from it.
    const end = bytes.lastIndexOf(0x0a) + 1;
    if (end < bytes.length) {
      appendFileSync(`${path}.torn`, Buffer.concat([bytes.subarray(end), Buffer.from('\n')]));
      truncateSync(path, end);
    }
    const lines = bytes.subarray(0, end).toString('utf8').split('\n').slice(0, -1);
    lines.forEach((line, i) => {
      let key: unknown;
      try {
        key = JSON.parse(line);
      } catch {
        key = undefined;
      }
      if (typeof key !== 'string') {
        throw new CodedError(
          'SPOKEN_FILE_CORRUPT',
          `${path}: line ${i + 1} is not a round key; refusing to guess which rounds were spoken`,
        );
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
