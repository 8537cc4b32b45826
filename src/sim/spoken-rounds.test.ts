import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SpokenRoundsFile } from './spoken-rounds.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function file(): string {
  dir = mkdtempSync(join(tmpdir(), 'speakonce-spoken-'));
  return join(dir, 'spoken');
}

describe('the Node client’s spoken-rounds file', () => {
  it('remembers rounds across instances (a restarted client)', () => {
    const path = file();
    const a = new SpokenRoundsFile(path);
    expect(a.has('fed\u00001')).toBe(false);
    a.add('fed\u00001');
    a.add('fed\u00001'); // idempotent: one line
    a.add('fed\u00002');
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(3);
    const b = new SpokenRoundsFile(path);
    expect([b.has('fed\u00001'), b.has('fed\u00002'), b.has('fed\u00003')]).toEqual([true, true, false]);
  });

  it('sets a torn last line aside and appends the next round on a line of its own', () => {
    const path = file();
    new SpokenRoundsFile(path).add('fed\u00001');
    appendFileSync(path, '"fed\\u00'); // a crash in the middle of the next record
    const b = new SpokenRoundsFile(path);
    expect(b.has('fed\u00001')).toBe(true);
    b.add('fed\u00003');
    const c = new SpokenRoundsFile(path);
    expect([c.has('fed\u00001'), c.has('fed\u00003')]).toEqual([true, true]);
    expect(readFileSync(`${path}.torn`, 'utf8')).toBe('"fed\\u00\n'); // set aside, not lost
  });

  it('refuses a file with a damaged complete line instead of guessing', () => {
    const path = file();
    writeFileSync(path, '"fed\\u00001"\nnot json\n"fed\\u00002"\n');
    expect(() => new SpokenRoundsFile(path)).toThrow(/line 2 is not a round key/);
  });
});
