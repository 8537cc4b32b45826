/**
 * `npm run dp -- --noise-multiplier Z --rounds T [--delta D] [--mechanism ddg|gaussian] …`:
 * the privacy accounting of a federation (docs/dp.md §5, §9). Prints the table of ε(δ) spent
 * after each round and ends with one JSON line: epsilon, delta, rounds, noise_multiplier,
 * mechanism, accountant. Usage errors exit with 2, refused parameters with 1.
 */
import { RdpAccountant, checkDdgRound } from '../src/dp/accountant.js';
import { type DdgSetup, ddgRoundFor, noiseShare } from '../src/dp/calibrate.js';
import { analyticGaussianEpsilon } from '../src/dp/gaussian.js';
import { paddedLength } from '../src/dp/rotation.js';
import { UsageError, command, flag, num, runMain } from './cli.js';

const MECHANISMS = ['ddg', 'gaussian'] as const;
type Mechanism = (typeof MECHANISMS)[number];

const cmd = command({
  usage: 'npm run dp -- --noise-multiplier Z --rounds T [options]',
  about:
    'Privacy accounting of client-level DP on top of the secure sum. z is the noise standard deviation of the honest sum divided by the clipping norm C. ddg: the distributed discrete Gaussian (clip, rotation, conditional rounding, K honest noise shares), Rényi DP of Kairouz–Liu–Steinke 2021 converted to (ε, δ) as in Canonne–Kamath–Steinke 2020. gaussian: the continuous Gaussian mechanism, exact ε (Balle–Wang 2018), a reference.',
  flags: {
    'noise-multiplier': flag('Z', 'noise multiplier z > 0 (required)'),
    rounds: flag('T', 'rounds to account for (required)'),
    delta: flag('D', 'δ in (0, 1) (default 1e-5)'),
    mechanism: flag('ddg|gaussian', 'the mechanism (default ddg)'),
    honest: flag('K', 'ddg: honest survivors whose noise is counted (default 1)'),
    dim: flag('L', 'ddg: update coordinates, padded to a power of two (default 1000000)'),
    clip: flag('C', 'ddg: L2 clipping norm (default 1)'),
    granularity: flag('G', 'ddg: granularity γ (default C/(4·√d))'),
    beta: flag('B', 'ddg: conditional rounding β in [0, 1) (default e^-0.5)'),
    every: flag('N', 'print every N-th round (default: about 20 rows)'),
  },
});

/** A number > 0 (`num` takes inclusive bounds). */
function positive(name: string, value: string | undefined, def: number): number {
  const v = num(name, value, def);
  if (!(v > 0)) throw new UsageError(`--${name} must be a positive number, got '${value}'`);
  return v;
}

function required(name: string, v: string | undefined): string {
  if (v === undefined) throw new UsageError(`--${name} is required`);
  return v;
}

async function main(): Promise<void> {
  const f = cmd.parse();
  const z = positive('noise-multiplier', required('noise-multiplier', f['noise-multiplier']), 0);
  const rounds = num('rounds', required('rounds', f.rounds), 0, { int: true, min: 1, max: 1_000_000 });
  const delta = positive('delta', f.delta, 1e-5);
  if (!(delta < 1)) throw new UsageError(`--delta must be in (0, 1), got '${f.delta}'`);
  const mechanism = (f.mechanism ?? 'ddg') as Mechanism;
  if (!MECHANISMS.includes(mechanism))
    throw new UsageError(`--mechanism must be one of ${MECHANISMS.join(', ')}, got '${f.mechanism}'`);
  const every = num('every', f.every, Math.max(1, Math.ceil(rounds / 20)), { int: true, min: 1 });
  if (mechanism === 'gaussian') {
    for (const n of ['honest', 'dim', 'clip', 'granularity', 'beta'] as const)
      if (f[n] !== undefined) throw new UsageError(`--${n} only applies to --mechanism ddg`);
  }
  const rows: [number, number][] = [];
  const wanted = (t: number): boolean => t % every === 0 || t === rounds;
  let accountant: string;
  if (mechanism === 'gaussian') {
    accountant = 'analytic-gaussian';
    process.stdout.write(`# gaussian: exact ε of T rounds = one Gaussian of multiplier z/√T (Balle–Wang 2018)\n`);
    for (let t = 1; t <= rounds; t++) if (wanted(t)) rows.push([t, analyticGaussianEpsilon(delta, z / Math.sqrt(t))]);
  } else {
    accountant = 'rdp';
    const length = num('dim', f.dim, 1_000_000, { int: true, min: 1, max: 2 ** 30 });
    const clip = positive('clip', f.clip, 1);
    const d = paddedLength(length);
    const gamma = positive('granularity', f.granularity, clip / (4 * Math.sqrt(d)));
    const beta = num('beta', f.beta, Math.exp(-0.5), { min: 0 });
    if (!(beta < 1)) throw new UsageError(`--beta must be in [0, 1), got '${f.beta}'`);
    const honest = num('honest', f.honest, 1, { int: true, min: 1, max: 1_000_000 });
    const setup: DdgSetup = { clip, gamma, beta, length, honest };
    const round = ddgRoundFor(z, setup);
    const share = noiseShare(z, setup);
    checkDdgRound(round);
    process.stdout.write(
      `# ddg: d = ${d}, C = ${clip}, γ = ${gamma.toPrecision(6)}, β = ${beta.toPrecision(6)}, Δ₂ = ${round.l2.toFixed(2)} (C/γ = ${(clip / gamma).toFixed(2)}), K = ${honest}, σ_i² = ${share.num}/${share.den} (σ_i = ${Math.sqrt(round.sigma2).toFixed(3)}); RDP (KLS 2021 Thm 1) → (ε, δ) (CKS 2020 Prop 12)\n`,
    );
    const acc = new RdpAccountant();
    for (let t = 1; t <= rounds; t++) {
      acc.composeDdg(round);
      if (wanted(t)) rows.push([t, acc.epsilon(delta).epsilon]);
    }
  }
  process.stdout.write(`round  epsilon (δ = ${delta})\n`);
  for (const [t, e] of rows) process.stdout.write(`${String(t).padStart(5)}  ${e.toFixed(4)}\n`);
  const epsilon = (rows.at(-1) as [number, number])[1];
  process.stdout.write(`${JSON.stringify({ epsilon, delta, rounds, noise_multiplier: z, mechanism, accountant })}\n`);
}

runMain(cmd.help, main, { tfjs: false });
