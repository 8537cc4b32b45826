/**
 * `npm run audit -- --data-dir DIR` or `npm run audit -- --url http://…`: verifies every round
 * of a federation from its transcripts (docs/transcript.md): the hash chain of the round log and
 * the server's signature on each record, every certificate and signature, distinct certified
 * trainers in S, the members' H_S, Σy recomputed from the kept masked vectors, Σs reconstructed
 * from the answers, the unmasked sum and each model version as the previous one plus the FedAvg
 * step. Prints one line per round and ends with one JSON line (`rounds_checked`, `rounds_ok`,
 * `first_bad`, `reason`); exits 1 when any round fails, 2 on a usage error.
 */
import { audit } from '../src/audit/audit.js';
import { type AuditSource, dirSource, urlSource } from '../src/audit/source.js';
import { fromHex } from '../src/secagg/index.js';
import { UsageError, command, flag, runMain } from './cli.js';

const cmd = command({
  usage: 'npm run audit -- (--data-dir DIR | --url http://HOST:PORT) [--authority-key HEX]',
  about:
    "Verifies a federation's rounds end to end from its published transcripts, with no secret. The enrollment authority's key is the trust anchor: give it with --authority-key (npm run authority -- --show); without it the key beside the data directory, or the one the server names, is used, and a line says so.",
  flags: {
    'data-dir': flag('DIR', "the server's data directory (rounds.jsonl, transcripts/, models/)"),
    url: flag(
      'URL',
      'the server (GET /transcripts, /transcripts/rounds.jsonl, /transcripts/N, /models/vN/weights.bin)',
    ),
    'authority-key': flag('HEX', "the enrollment authority's Ed25519 key(s) to pin, comma-separated"),
  },
});

async function main(): Promise<void> {
  const f = cmd.parse();
  if (!!f['data-dir'] === !!f.url) throw new UsageError('give exactly one of --data-dir and --url');
  const src: AuditSource = f['data-dir'] ? dirSource(f['data-dir']) : urlSource(f.url as string);
  let keys = f['authority-key']?.split(',').map((k) => k.trim());
  if (!keys) {
    keys = await src.authorityHint();
    process.stdout.write(
      keys.length
        ? `note: no --authority-key; using ${keys.join(', ')} as ${src.where} names it (pin it yourself for an independent audit)\n`
        : `note: no --authority-key and none beside ${src.where}: no certificate can verify\n`,
    );
  }
  for (const k of keys)
    if (!/^[0-9a-f]{64}$/.test(k)) throw new UsageError(`--authority-key takes 64 lowercase hex digits, got '${k}'`);
  const report = await audit(
    src,
    keys.map((k) => fromHex(k)),
  );
  for (const l of report.lines) process.stdout.write(`${l.text}\n`);
  process.stdout.write(`${JSON.stringify(report.summary)}\n`);
  if (report.summary.first_bad !== null) process.exitCode = 1;
}

runMain(cmd.help, main, { tfjs: false });
