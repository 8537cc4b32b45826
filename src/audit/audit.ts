/**
 * `npm run audit` (docs/transcript.md §6): verifies a federation's rounds from its data directory
 * or over HTTP — the hash chain of the round log and the server's signature on every record, then
 * each round's transcript (round-check.ts) — and reports one line per round and a summary. Any
 * mismatch names the round, the party and the check.
 */
import { bytesEqual } from '../base/bytes.js';
import { isCodedError } from '../base/error.js';
import { sha256Async, toHex } from '../secagg/index.js';
import { decodeTranscript } from '../wire/transcript.js';
import { type ChainedRecord, readChain, recordSigned } from './chain.js';
import { AuditFailure, type Finding, describe } from './findings.js';
import { checkRound } from './round-check.js';
import type { AuditSource } from './source.js';

export interface RoundLine {
  readonly round: number;
  readonly ok: boolean;
  readonly text: string;
  readonly finding?: Finding;
  /** For a round that verified: what could not be checked, in words (no transcript, vectors no longer kept). */
  readonly notChecked?: string;
}

export interface AuditSummary {
  rounds_checked: number;
  rounds_ok: number;
  first_bad: number | null;
  reason: string | null;
}

export interface AuditReport {
  readonly lines: RoundLine[];
  readonly summary: AuditSummary;
}

const hex = toHex;

export async function audit(src: AuditSource, authorities: readonly Uint8Array[]): Promise<AuditReport> {
  const lines: RoundLine[] = [];
  const bad = (round: number | undefined, f: Finding): void => {
    lines.push({ round: round ?? 0, ok: false, text: `round ${round ?? '?'}: FAILED ${describe(f)}`, finding: f });
  };
  const text = await src.log();
  const chain = readChain(text ?? '');
  if (text === undefined)
    bad(undefined, { round: undefined, party: 'server', check: 'log', message: `no round log at ${src.where}` });
  const byRound = new Map<number, ChainedRecord>();
  for (const r of chain.records) if (!byRound.has(r.round)) byRound.set(r.round, r);
  const withTranscript = new Set(await src.rounds());
  const serverKeys: Uint8Array[] = [];
  let federation: string | undefined;
  const brokenAt = chain.broken;

  let brokenShown = false;
  const certCache = new Set<string>();
  // Records with a transcript first (they establish the certified server key), then the others.
  const ordered = [...chain.records.filter((r) => r.transcript), ...chain.records.filter((r) => !r.transcript)];
  for (const rec of ordered) {
    const round = rec.round;
    const fail = (f: Finding) => bad(round, f);
    if (brokenAt && brokenAt.party === `log line ${rec.line}`) {
      brokenShown = true;
      fail(brokenAt);
      continue;
    }
    if (!rec.transcript) {
      // Only an interrupted or recovered round (recorded at a start, model unchanged) has none.
      const code = recordCode(rec);
      if ((code !== 'INTERRUPTED' && code !== 'RECOVERED') || rec.versionAfter !== rec.versionBefore)
        fail({ round, party: 'server', check: 'transcript', message: 'the round has no transcript' });
      else if (!federation || !(await recordSigned(rec, federation, serverKeys)))
        fail({
          round,
          party: 'server',
          check: 'record-signature',
          message: 'the record is not signed by the certified server key',
        });
      else
        lines.push({
          round,
          ok: true,
          text: `round ${round}: ok (${rec.outcome}, no transcript: ${code})`,
          notChecked: `no transcript (${code}): only its signed record`,
        });
      continue;
    }
    try {
      const bytes = await src.transcript(round);
      if (!bytes)
        throw new AuditFailure({ round, party: 'server', check: 'transcript', message: 'its transcript is missing' });
      if (toHex(await sha256Async(bytes)) !== rec.transcript)
        throw new AuditFailure({
          round,
          party: 'server',
          check: 'transcript',
          message: 'the transcript is not the one the log chains',
        });
      const t = decodeTranscript(bytes);
      if (t.round !== round)
        throw new AuditFailure({
          round,
          party: 'server',
          check: 'transcript',
          message: `it is the transcript of round ${t.round}`,
        });
      if (federation && t.federation !== federation)
        throw new AuditFailure({
          round,
          party: 'server',
          check: 'transcript',
          message: `federation ${t.federation}, not ${federation}`,
        });
      if (t.outcome !== rec.outcome)
        throw new AuditFailure({
          round,
          party: 'server',
          check: 'transcript',
          message: 'the log and the transcript disagree on the outcome',
        });
      const v = await checkRound({
        t,
        authorities,
        certCache,
        masked: () => src.masked(round),
        weights: (version) => src.weights(version),
      });
      federation ??= t.federation;
      if (!serverKeys.some((k) => bytesEqual(k, v.serverKey))) serverKeys.push(v.serverKey);
      if (!(await recordSigned(rec, t.federation, [v.serverKey])))
        throw new AuditFailure({
          round,
          party: 'server',
          check: 'record-signature',
          message: 'the log record is not signed by the certified server key',
        });
      if (t.fedavg && (rec.versionBefore !== t.fedavg.versionBefore || rec.versionAfter !== t.fedavg.versionAfter))
        throw new AuditFailure({
          round,
          party: 'server',
          check: 'fedavg',
          message: 'the log and the transcript disagree on the versions',
        });
      const how =
        t.outcome === 'ok' ? `v${t.fedavg?.versionBefore}→v${t.fedavg?.versionAfter}` : `failed ${t.code ?? ''}`.trim();
      const y =
        t.outcome === 'ok'
          ? v.sumYRecomputed
            ? ', Σy recomputed'
            : ', Σy from signed digests only (vectors not kept)'
          : '';
      lines.push({
        round,
        ok: true,
        text: `round ${round}: ok (${how}, ${v.survivors} trainers, ${v.answers} answers${y})`,
        notChecked:
          t.outcome === 'ok' && !v.sumYRecomputed
            ? 'Σy not recomputed: the masked vectors are no longer kept, only their signed digests'
            : undefined,
      });
    } catch (e) {
      if (e instanceof AuditFailure) fail(e.finding);
      else if (isCodedError(e)) fail({ round, party: 'server', check: 'transcript', message: e.message });
      else throw e;
    }
  }
  if (brokenAt && !brokenShown) bad(brokenAt.round, brokenAt);
  for (const r of withTranscript)
    if (!byRound.has(r))
      bad(r, {
        round: r,
        party: 'server',
        check: 'log-chain',
        message: 'a transcript exists but the chained log has no record of its round',
      });
  // Model versions follow each other in log order: no version comes from outside a round (an
  // order the chain already refused is not judged twice).
  let version = 0;
  for (const rec of brokenAt ? [] : chain.records) {
    const okLine = lines.findIndex((l) => l.round === rec.round && l.ok);
    if (rec.versionBefore !== version && okLine >= 0) {
      lines.splice(okLine, 1);
      bad(rec.round, {
        round: rec.round,
        party: 'server',
        check: 'fedavg',
        message: `the round starts from version ${rec.versionBefore}, the previous round left version ${version}`,
      });
    }
    version = rec.versionAfter;
  }
  lines.sort((a, b) => a.round - b.round);
  const firstBad = lines.find((l) => !l.ok);
  return {
    lines,
    summary: {
      rounds_checked: lines.length,
      rounds_ok: lines.filter((l) => l.ok).length,
      first_bad: firstBad ? firstBad.round : null,
      reason: firstBad?.finding ? describe(firstBad.finding) : null,
    },
  };
}

function recordCode(r: ChainedRecord): string {
  try {
    const code = (JSON.parse(r.body) as { code?: unknown }).code;
    return typeof code === 'string' ? code : r.outcome;
  } catch {
    return r.outcome;
  }
}

export { hex };
