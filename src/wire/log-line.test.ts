/**
 * The round log's line hash and record checksum, now pure (the dashboard's verifier runs them in
 * the browser), give the bytes the server wrote with Node's crypto before: data directories
 * written by earlier versions still check.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GENESIS, checksum, lineHash, unseal } from './log-line.js';

const nodeHex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

describe('the round log line format', () => {
  const record = {
    round: 3,
    outcome: 'failed',
    reason: 'Σ — a member stayed silent 🙊',
    versionBefore: 2,
    versionAfter: 2,
  };

  it("hashes a line and checksums a record as Node's SHA-256 over UTF-8 did", () => {
    const line = JSON.stringify(record);
    expect(lineHash(line)).toBe(nodeHex(line));
    expect(checksum(record)).toBe(nodeHex(JSON.stringify(record)).slice(0, 16));
    expect(GENESIS).toBe('0'.repeat(64));
  });

  it('unseals a sealed record, and says why not for an edited or unsealed one', () => {
    const sealed = { ...record, sum: checksum(record) };
    expect(unseal(sealed)).toEqual(record);
    expect(unseal({ ...sealed, versionAfter: 3 })).toBe('its checksum does not match its content (edited or torn)');
    expect(unseal(record)).toBe('it has no checksum ("sum")');
    expect(unseal([1])).toBe('not a JSON object');
  });
});
