/**
 * The rounds table's "Checked here" column (verify.ts): per round, verified, partly verifiable
 * (saying what could not be checked, and so which checks ran) or failed — in red, with the reason
 * in words naming the round, the party and the check — and a link to the round's transcript.
 */
import type { RoundLine } from '../../audit/audit.js';
import { h } from '../dom.js';
import type { Verification } from './verify.js';

export type VerifyVerdict = 'verified' | 'partial' | 'failed' | 'pending';

/** What each of the audit's checks (docs/transcript.md §6) guards, in plain words. */
const CHECK_WORDS: Readonly<Record<string, string>> = {
  log: 'the round log cannot be read',
  'log-torn': 'the round log is damaged',
  'log-record': 'the round log is damaged',
  'log-checksum': 'a record of the round log was edited or damaged',
  'log-chain': 'the hash chain of the round log is broken (a record deleted, inserted, reordered or edited)',
  'log-order': 'the round log is out of order',
  'record-signature': 'the round’s log record is not signed by the certified server',
  transcript: 'the transcript is missing or is not the one the round log chains',
  'server-certificate': 'the server’s key is not certified by the authority',
  descriptor: 'the round’s description is not what the server signed',
  'descriptor-digest': 'the round’s description is not what the server signed',
  'descriptor-signature': 'the round’s description is not what the server signed',
  committee: 'the committee is not the certified one the authority drew',
  'trainer-certificate': 'a contribution comes from a trainer the authority did not certify',
  'contribution-signature': 'a contribution’s signature does not verify',
  'distinct-trainers': 'one trainer counts twice in the sum',
  'masked-file': 'a published masked update is not the one its trainer signed',
  'masked-vector': 'a published masked update is not the one its trainer signed',
  'sealed-slice': 'a published key piece is not the one its trainer signed',
  'contribution-digest': 'a published key piece is not the one its trainer signed',
  'survivor-set': 'the set of trainers in the sum does not add up',
  'survivor-hash': 'the set of trainers in the sum does not add up',
  exclusion: 'a trainer was left out without proof',
  answer: 'a committee answer does not verify',
  'answer-hs': 'a committee answer does not verify',
  'answer-attestation': 'a committee answer does not verify',
  'answer-signature': 'a committee answer does not verify',
  'sum-y': 'the sum of the masked updates is not the published one',
  unmask: 'unmasking the sum does not give the published result',
  fedavg: 'the new model is not the previous one plus the averaged update',
  'model-checkpoint': 'the new model is not the previous one plus the averaged update',
};

const ALL_CHECKS = 'chain, certificates and signatures, S and H_S, Σy, unmasking, model step';

export function verdictOf(v: Verification, round: number): VerifyVerdict {
  const l = v.byRound.get(round);
  if (!l) return 'pending';
  return !l.ok ? 'failed' : l.notChecked ? 'partial' : 'verified';
}

/** Why the round failed verification, in words: what it means, then the audit's finding. */
export function failureWords(l: RoundLine): string {
  const f = l.finding;
  if (!f) return `Round ${l.round} failed verification: ${l.text}`;
  const words = CHECK_WORDS[f.check] ?? 'a check failed';
  return `Round ${l.round} failed verification: ${words} — ${f.party}: ${f.check}: ${f.message}`;
}

/** The column's cell for one round. */
export function verifyCell(v: Verification, round: number): HTMLTableCellElement {
  const l = v.byRound.get(round);
  const verdict = verdictOf(v, round);
  const link = h(
    'a',
    {
      href: `/transcripts/${round}`,
      download: `round-${round}.transcript`,
      'aria-label': `Transcript of round ${round}`,
    },
    'transcript',
  );
  const cell = h('td', { class: 'verify', 'data-verify': verdict, 'data-verify-for': round });
  if (verdict === 'pending' || !l) {
    const text = v.state === 'error' ? 'not checked' : v.state === 'done' && !v.busy ? 'not yet checked' : 'checking…';
    cell.append(h('span', { class: 'muted' }, text));
    return cell;
  }
  if (verdict === 'verified')
    cell.append(h('span', { class: 'pill ok', title: `Checked: ${ALL_CHECKS}` }, '✓ verified'), ' ', link);
  else if (verdict === 'partial')
    cell.append(
      h('span', { class: 'pill warn' }, '◐ partly verified'),
      ' ',
      link,
      h('span', { class: 'verify-note' }, `Not checked: ${l.notChecked ?? ''}; every other check passed.`),
    );
  else cell.append(h('span', { class: 'pill bad' }, '✕ failed'), ' ', link);
  return cell;
}

/** The status line above the table: what was checked, where the trust anchor comes from. */
export function verifyStatus(v: Verification): string {
  if (v.state === 'idle' || v.state === 'checking') return 'Checking the published transcripts in this browser…';
  if (v.state === 'error') return `Could not check the published transcripts: ${v.message ?? 'unknown error'}.`;
  const lines = [...v.byRound.values()];
  const ok = lines.filter((l) => l.ok && !l.notChecked).length;
  const partial = lines.filter((l) => l.ok && l.notChecked).length;
  const failed = lines.filter((l) => !l.ok).length;
  const anchor = v.pinned
    ? `authority key ${v.keys?.[0]?.slice(0, 12) ?? ''}… pinned from this dashboard’s link`
    : v.keys?.length
      ? 'authority key as the server names it, not pinned — open the dashboard from the link npm start prints to pin it'
      : 'no authority key: no certificate can verify';
  const first = v.summary?.first_bad;
  const firstWords =
    first !== null && first !== undefined
      ? ` First failure: ${first === 0 ? 'the round log' : `round ${first}`}: ${v.summary?.reason ?? ''}.`
      : '';
  return `Checked in this browser from the published transcripts: ${ok} verified, ${partial} partly, ${failed} failed (${anchor}).${firstWords}${v.ms !== undefined ? ` Took ${(v.ms / 1000).toFixed(1)} s.` : ''}${v.busy ? ' Checking again…' : ''}`;
}
