/**
 * The round log's line format (docs/transcript.md §3), pure so that the server that writes
 * `rounds.jsonl` (src/server/chain.ts, durable.ts) and the audit that reads it — in Node or in
 * the dashboard's browser (src/audit/chain.ts) — hash and checksum its lines with one function:
 * a line's hash chains the next line to it, and a record's checksum (`sum`) tells a torn or
 * edited record from a good one.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../secagg/index.js';

/** The `prev` of a log's first chained line. */
export const GENESIS = '0'.repeat(64);

const utf8 = new TextEncoder();

/** The hash of one line of the log (its text, without the newline), as hex. */
export function lineHash(line: string): string {
  return toHex(sha256(utf8.encode(line)));
}

/** The checksum of a record: the first 16 hex digits of the SHA-256 of its JSON. */
export function checksum(record: object): string {
  return toHex(sha256(utf8.encode(JSON.stringify(record)))).slice(0, 16);
}

/**
 * The record without its checksum, when the checksum matches; a string saying what is wrong
 * otherwise (no checksum, or one that does not match the content).
 */
export function unseal(value: unknown): Record<string, unknown> | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const { sum, ...rest } = value as Record<string, unknown>;
  if (typeof sum !== 'string') return 'it has no checksum ("sum")';
  if (sum !== checksum(rest)) return 'its checksum does not match its content (edited or torn)';
  return rest;
}
