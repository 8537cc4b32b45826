/**
 * The dashboard's verification, apart from the worker (e2e/verify.spec.ts runs it on a real
 * federation): the authority key its address pins, each round's verdict, the failure in words and
 * the status line.
 */
import { describe, expect, it } from 'vitest';
import type { RoundLine } from '../../audit/audit.js';
import { type Verification, authorityPinOf } from './verify.js';
import { failureWords, verdictOf, verifyStatus } from './verify-view.js';

const KEY = 'ab'.repeat(32);

function done(lines: RoundLine[], pinned = true): Verification {
  const bad = lines.find((l) => !l.ok);
  return {
    state: 'done',
    busy: false,
    byRound: new Map(lines.map((l) => [l.round, l])),
    summary: {
      rounds_checked: lines.length,
      rounds_ok: lines.filter((l) => l.ok).length,
      first_bad: bad ? bad.round : null,
      reason: bad?.finding ? `${bad.finding.party}: ${bad.finding.check}: ${bad.finding.message}` : null,
    },
    pinned,
    keys: [KEY],
  };
}

const ok = (round: number, notChecked?: string): RoundLine => ({
  round,
  ok: true,
  text: `round ${round}: ok`,
  notChecked,
});
const bad: RoundLine = {
  round: 3,
  ok: false,
  text: 'round 3: FAILED member 2: answer-signature: …',
  finding: { round: 3, party: 'member 2', check: 'answer-signature', message: 'the signature does not verify' },
};

describe('the authority key the dashboard pins', () => {
  it("is the join link's authority= (as npm start prints the dashboard's link), or #authority=", () => {
    const join = `http://127.0.0.1:8080/?join=T&authority=${KEY}`;
    expect(authorityPinOf(`#join=${encodeURIComponent(join)}`)).toEqual([KEY]);
    expect(authorityPinOf(`#authority=${KEY.toUpperCase()},${'cd'.repeat(32)}`)).toEqual([KEY, 'cd'.repeat(32)]);
  });

  it('is none when the address has none or a malformed one (the server-named key is then used, and said)', () => {
    expect(authorityPinOf('')).toEqual([]);
    expect(authorityPinOf('#authority=abc')).toEqual([]);
    expect(authorityPinOf('#join=not%20a%20url')).toEqual([]);
  });
});

describe("each round's verdict and the words", () => {
  const v = done([ok(1, 'Σy not recomputed: the masked vectors are no longer kept'), ok(2), bad]);

  it('verified, partly verified (something not checked), failed, or pending while unchecked', () => {
    expect([1, 2, 3, 4].map((r) => verdictOf(v, r))).toEqual(['partial', 'verified', 'failed', 'pending']);
  });

  it('a failure names the round, what the check guards, the party, the check and the finding', () => {
    expect(failureWords(bad)).toBe(
      'Round 3 failed verification: a committee answer does not verify — member 2: answer-signature: the signature does not verify',
    );
  });

  it('the status line counts the verdicts, says where the trust anchor comes from and the first failure', () => {
    const s = verifyStatus(v);
    expect(s).toContain('1 verified, 1 partly, 1 failed');
    expect(s).toContain(`authority key ${KEY.slice(0, 12)}… pinned from this dashboard’s link`);
    expect(s).toContain('First failure: round 3: member 2: answer-signature: the signature does not verify.');
    expect(verifyStatus(done([ok(1)], false))).toContain('as the server names it, not pinned');
    expect(verifyStatus({ ...done([ok(1)]), ms: 1234 })).toMatch(/0 failed \(.*\)\. Took 1\.2 s\.$/);
    expect(verifyStatus({ ...done([ok(1)]), busy: true })).toMatch(/Checking again…$/);
    expect(verifyStatus({ state: 'error', busy: false, byRound: new Map(), message: 'GET … answered HTTP 500' })).toBe(
      'Could not check the published transcripts: GET … answered HTTP 500.',
    );
  });
});
