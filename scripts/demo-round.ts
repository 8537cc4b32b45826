/**
 * `npm run demo:round`: one secure round in this process —
 * trainers mask and share, two committee members stay silent, the server unmasks — and the
 * result is checked against the plaintext sum the demo keeps on the side.
 *
 *   npm run demo:round -- [--trainers 10] [--committee 7,5,3] [--silent 2] [--length 10000]
 *   (the older spelling --committee 5 --threshold 3 --rho 1 works too)
 */
import {
  DEFAULT_PROFILE,
  type RoundConfig,
  RoundAggregator,
  SecAggError,
  activeBackends,
  answerJob,
  buildContribution,
  createIdentity,
  explicitCommittee,
  maxQuantized,
} from '../src/secagg/index.js';
import { UsageError, command, flag, num, parseCommittee, runMain } from './cli.js';

const CMD = command({
  usage: 'npm run demo:round -- [options]',
  flags: {
    trainers: flag('N', 'trainers, in process (default 10)'),
    committee:
      'default 7,5,3 (subset-safe, tolerates 2 silent); or M alone (5 with --threshold or --rho), with t_rec and ρ from --threshold and --rho',
    threshold: flag('T', 't_rec, with --committee M (default 3)'),
    rho: flag('R', 'packing ρ, with --committee M (default 1)'),
    silent: flag('K', 'committee members that stay silent (default 2)'),
    length: flag('L', 'coordinates of each update vector (default 10000)'),
  },
});

/** A positive-integer flag: `--name N` with N ≥ min. */
const int = (name: string, v: string | undefined, def: number, min: number): number =>
  num(name, v, def, { int: true, min, max: Number.MAX_SAFE_INTEGER });

async function main(): Promise<void> {
  const values = CMD.parse();
  const n = int('trainers', values.trainers, 10, 1);
  const sizeOnly = values.threshold !== undefined || values.rho !== undefined;
  const given = parseCommittee(values.committee ?? (sizeOnly ? '5' : '7,5,3'), { allowSize: true });
  if (typeof given !== 'number' && (values.threshold !== undefined || values.rho !== undefined)) {
    throw new UsageError('--threshold and --rho go with --committee M; --committee M,T,R gives t_rec and ρ itself');
  }
  const committee =
    typeof given === 'number'
      ? explicitCommittee({
          m: given,
          tRec: int('threshold', values.threshold, 3, 2),
          rho: int('rho', values.rho, 1, 1),
        })
      : given;
  const m = committee.m;
  const silent = int('silent', values.silent, 2, 0);
  const L = int('length', values.length, 10_000, 1);

  const members = Array.from({ length: m }, () => createIdentity());
  const cfg: RoundConfig = {
    ...DEFAULT_PROFILE,
    federation: 'demo',
    round: 1,
    length: L,
    committee,
    memberKeys: members.map((x) => x.publicKey),
    publicSeed: globalThis.crypto.getRandomValues(new Uint8Array(32)),
  };
  console.log(`SpeakOnce — one secure round in process (crypto: ${JSON.stringify(await activeBackends())})`);
  console.log(
    `  ${n} trainers, vectors of ${L} coordinates, committee m=${m}, t_rec=${committee.tRec}, ρ=${committee.rho}, ${silent} member(s) silent`,
  );
  if (!committee.subsetSafe)
    console.log(
      `  note: these settings are not subset-safe (2·t_rec ≤ m + c_max); a server refuses them unless started with --insecure-demo`,
    );

  const agg = new RoundAggregator(cfg);
  const plain = new Float64Array(L);
  const limit = maxQuantized(cfg.bits);
  let bytes = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const x = Int32Array.from({ length: L }, () => Math.floor(Math.random() * (2 * limit + 1)) - limit);
    for (let c = 0; c < L; c++) plain[c] = (plain[c] as number) + (x[c] as number);
    const { contribution } = await buildContribution(cfg, `trainer-${i + 1}`, x);
    bytes = 8 * L + 32 + contribution.sealed.reduce((s, b) => s + b.length, 0);
    await agg.add(contribution);
  }
  const t1 = performance.now();
  const cut = agg.closeContributions();
  for (let j = silent; j < m; j++) agg.receive(await answerJob(cfg, cut.jobs[j]!, members[j]!));
  const t2 = performance.now();
  try {
    const { sum, members: used } = await agg.unmask();
    const t3 = performance.now();
    const exact = sum.every((v, i) => v === plain[i]);
    console.log(
      `  trainers: ${(t1 - t0).toFixed(0)} ms in all, ${(bytes / 1024).toFixed(1)} KiB each (${(bytes / (4 * L)).toFixed(2)}× the float32 update)`,
    );
    console.log(
      `  committee answered: members ${used.join(', ')} (${(t2 - t1).toFixed(0)} ms); unmask ${(t3 - t2).toFixed(0)} ms`,
    );
    console.log(`  decoded sum equals the plaintext sum: ${exact ? 'yes, exactly' : 'NO'}`);
    if (!exact) process.exitCode = 1;
  } catch (e) {
    if (e instanceof SecAggError) {
      console.log(`  round failed loudly (${e.code}): ${e.message} — nothing was decoded`);
      process.exitCode = 2;
    } else throw e;
  }
}

runMain(CMD.help, main, { tfjs: false });
