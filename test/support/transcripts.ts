/**
 * A dishonest server rewriting its own history, for the audit's tampering tests
 * (src/audit/audit.test.ts): it holds its signing key (server-key.json), so it can edit a
 * transcript and re-chain and re-sign every record of the round log from that round on. What
 * the audit must then catch is what the server cannot forge: the participants' signatures, the
 * authority's certificates and the arithmetic.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { fromHex } from '../../src/secagg/index.js';
import { GENESIS, lineHash, recordSigner } from '../../src/server/chain.js';
import { seal, unseal } from '../../src/server/durable.js';
import { type Transcript, decodeTranscript, encodeTranscript } from '../../src/wire/transcript.js';

const copies: string[] = [];

/** A copy of a data directory to tamper with (removed by {@link removeCopies}). */
export async function copyDir(dir: string): Promise<string> {
  const to = await mkdtemp(join(tmpdir(), 'speakonce-tamper-'));
  copies.push(to);
  await cp(dir, to, { recursive: true });
  return to;
}

/** Removes the copies made so far (and the authority key file a restarted copy gets beside it). */
export async function removeCopies(): Promise<void> {
  for (const d of copies.splice(0)) {
    await rm(d, { recursive: true, force: true });
    await rm(`${d}-authority.json`, { force: true });
  }
}

export async function readTranscript(dir: string, round: number): Promise<Transcript> {
  return decodeTranscript(new Uint8Array(await readFile(join(dir, 'transcripts', `${round}.transcript`))));
}

/** Rewrites the log from its records, re-chaining and re-signing every line with the server's key. */
export async function rechain(
  dir: string,
  edit: (records: Record<string, unknown>[]) => Record<string, unknown>[] = (r) => r,
): Promise<void> {
  const key = JSON.parse(await readFile(join(dir, 'server-key.json'), 'utf8')) as { secretKey: string };
  const signer = recordSigner(fromHex(key.secretKey));
  const text = await readFile(join(dir, 'rounds.jsonl'), 'utf8');
  const records = text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const r = unseal(JSON.parse(l));
      if (typeof r === 'string') throw new Error(r);
      const { prev: _p, sig: _s, ...rest } = r;
      return rest;
    });
  const federation = (await readTranscript(dir, Number(records.find((r) => r.transcript)?.round))).federation;
  let prev = GENESIS;
  const out: string[] = [];
  for (const r of edit(records)) {
    const body = { ...r, prev };
    const sig = signer(federation, Number(r.round), prev, JSON.stringify(body));
    const line = JSON.stringify(seal({ ...body, sig }));
    out.push(line);
    prev = lineHash(line);
  }
  await writeFile(join(dir, 'rounds.jsonl'), out.map((l) => `${l}\n`).join(''));
}

/** Edits a round's transcript and re-chains the log so that the server's own checks still pass. */
export async function reseal(dir: string, round: number, edit: (t: Transcript) => void): Promise<void> {
  const t = await readTranscript(dir, round);
  edit(t);
  const bytes = encodeTranscript(t);
  await writeFile(join(dir, 'transcripts', `${round}.transcript`), bytes);
  const digest = createHash('sha256').update(bytes).digest('hex');
  await rechain(dir, (rs) => rs.map((r) => (r.round === round ? { ...r, transcript: digest } : r)));
}

/** Flips one bit of a file at `offset` (negative: from the end). */
export async function flipByte(path: string, offset: number): Promise<void> {
  const b = await readFile(path);
  const at = offset < 0 ? b.length + offset : offset;
  b[at] = (b[at] as number) ^ 0x01;
  await writeFile(path, b);
}

export function sha256(b: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(b).digest());
}

/** The signing key the harness gave a participant (a dishonest trainer signs its own rewritten frames). */
export { signingKeyOf } from '../../src/sim/harness.js';
