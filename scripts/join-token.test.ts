import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TOKEN_FILE, joinToken } from './join-token.js';

const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'speakonce-token-'));
  dirs.push(d);
  return join(d, 'federation');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the join token survives restarts', () => {
  it('is created once, kept in the data directory, and reused', () => {
    const dir = fresh();
    const first = joinToken(dir, {});
    expect(first.source).toBe('new');
    expect(readFileSync(join(dir, TOKEN_FILE), 'utf8').trim()).toBe(first.token);
    expect(statSync(join(dir, TOKEN_FILE)).mode & 0o077).toBe(0);
    expect(joinToken(dir, {})).toEqual({ token: first.token, source: 'kept' });
  });
  it('--new-token rolls it, --token sets it', () => {
    const dir = fresh();
    const first = joinToken(dir, {});
    const rolled = joinToken(dir, { rotate: true });
    expect(rolled.source).toBe('new');
    expect(rolled.token).not.toBe(first.token);
    expect(joinToken(dir, {}).token).toBe(rolled.token);
    expect(joinToken(dir, { given: 'abc' })).toEqual({ token: 'abc', source: 'given' });
    expect(joinToken(dir, {}).token).toBe('abc');
    expect(() => joinToken(dir, { given: 'a b' })).toThrow(/--token takes/);
    expect(() => joinToken(dir, { given: 'a', rotate: true })).toThrow(/do not go together/);
  });
});
