/**
 * Reading the hash-chained round log (docs/transcript.md §3): every line's checksum, its `prev`
 * against the hash of the line before it (64 zeros for the first), and rounds strictly
 * increasing. A deleted, inserted, reordered, duplicated or edited line breaks the chain at the
 * line that follows it, and the finding names that line and its round. The records' signatures
 * are checked later, under the server key the transcripts certify (audit.ts).
 */
import { verifySignature } from '../cert/sign.js';
import { roundRecordBytes } from '../cert/server.js';
import { fromHex } from '../secagg/index.js';
import { GENESIS, lineHash, unseal } from '../wire/log-line.js';
import type { Finding } from './findings.js';

export interface ChainedRecord {
  /** 1-based line number in rounds.jsonl. */
  readonly line: number;
  readonly round: number;
  readonly outcome: string;
  readonly versionBefore: number;
  readonly versionAfter: number;
  readonly transcript: string | undefined;
  readonly prev: string;
  readonly sig: string | undefined;
  /** The JSON the signature covers: the record with `prev`, without `sig` and `sum`. */
  readonly body: string;
}

export interface Chain {
  readonly records: ChainedRecord[];
  /** The first break of the chain, if any (records after it are still listed). */
  readonly broken: Finding | undefined;
}

export function readChain(text: string): Chain {
  const records: ChainedRecord[] = [];
  let broken: Finding | undefined;
  const brk = (f: Finding) => (broken ??= f);
  if (text.length > 0 && !text.endsWith('\n'))
    brk({ round: undefined, party: 'server', check: 'log-torn', message: 'the round log ends in a line cut short' });
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let prevHash = GENESIS;
  let lastRound = 0;
  lines.forEach((text, i) => {
    const n = i + 1;
    if (!text.trim()) return;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      brk({ round: undefined, party: `log line ${n}`, check: 'log-record', message: 'it is not JSON' });
      prevHash = lineHash(text);
      return;
    }
    const round = typeof (raw as { round?: unknown }).round === 'number' ? (raw as { round: number }).round : undefined;
    const r = unseal(raw);
    if (typeof r === 'string') {
      brk({ round, party: `log line ${n}`, check: 'log-checksum', message: r });
      prevHash = lineHash(text);
      return;
    }
    const { sig, ...rest } = r;
    const prev = typeof r.prev === 'string' ? r.prev : undefined;
    if (prev === undefined)
      brk({
        round,
        party: `log line ${n}`,
        check: 'log-chain',
        message: 'the record carries no hash of the previous one',
      });
    else if (prev !== prevHash)
      brk({
        round,
        party: `log line ${n}`,
        check: 'log-chain',
        message:
          n === 1
            ? 'the first record does not start the chain: records before it were deleted'
            : `it does not follow line ${n - 1}: a record was deleted, inserted, reordered, duplicated or edited`,
      });
    if (round === undefined || round <= lastRound)
      brk({
        round,
        party: `log line ${n}`,
        check: 'log-order',
        message: `round ${round ?? '?'} after round ${lastRound}: rounds must increase`,
      });
    lastRound = Math.max(lastRound, round ?? 0);
    prevHash = lineHash(text);
    records.push({
      line: n,
      round: round ?? 0,
      outcome: String(r.outcome),
      versionBefore: Number(r.versionBefore),
      versionAfter: Number(r.versionAfter),
      transcript: typeof r.transcript === 'string' ? r.transcript : undefined,
      prev: prev ?? '',
      sig: typeof sig === 'string' ? sig : undefined,
      body: JSON.stringify(rest),
    });
  });
  return { records, broken };
}

/** Whether the record is signed by one of the server keys (docs/protocol.md §26). */
export async function recordSigned(
  r: ChainedRecord,
  federation: string,
  serverKeys: readonly Uint8Array[],
): Promise<boolean> {
  if (!r.sig || !/^[0-9a-f]{128}$/.test(r.sig) || !/^[0-9a-f]{64}$/.test(r.prev)) return false;
  const bytes = roundRecordBytes(federation, r.round, fromHex(r.prev), r.body);
  for (const k of serverKeys) if (await verifySignature(k, bytes, fromHex(r.sig))) return true;
  return false;
}
