/**
 * The hash chain of the round log (docs/transcript.md §3): every line of `rounds.jsonl` written
 * since issue 19 carries `prev`, the SHA-256 of the previous line's text (64 zeros for the
 * first), and `sig`, the server's Ed25519 signature over (federation, round, prev, SHA-256 of the
 * record's JSON without `sig` and `sum`) (docs/protocol.md §26). Deleting, reordering, editing or
 * duplicating a line breaks the chain at that line, which `npm run audit` names.
 */
import { sign } from '../cert/sign.js';
import { roundRecordBytes } from '../cert/server.js';
import { fromHex, toHex } from '../secagg/index.js';
import { GENESIS, lineHash } from '../wire/log-line.js';

/** The line hash and GENESIS are pure, shared with the audit (src/wire/log-line.ts). */
export { GENESIS, lineHash } from '../wire/log-line.js';

/** Signs a record body (its JSON with `prev`, without `sig` and `sum`) with the server's key. */
export type RecordSigner = (federation: string, round: number, prev: string, body: string) => string;

export function recordSigner(secretKey: Uint8Array): RecordSigner {
  return (federation, round, prev, body) =>
    toHex(sign(secretKey, roundRecordBytes(federation, round, fromHex(prev), body)));
}

/** The hash of the last non-empty line of a log's text (GENESIS for an empty log). */
export function tailOf(lines: readonly string[]): string {
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i] as string;
    if (l.trim()) return lineHash(l);
  }
  return GENESIS;
}
