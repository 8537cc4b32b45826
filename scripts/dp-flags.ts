/**
 * The differential-privacy flags of `npm start`, `npm run demo`, `npm run server` and
 * `npm run simulate` (docs/dp.md §12), declared once: each maps to a server setting of the same
 * meaning (dpNoiseMultiplier, dpClip, dpEpsilon, dpDelta, dpColluders; also in the config file).
 */
import type { ServerConfig } from '../src/server/config.js';
import type { PrivacyStatus } from '../src/wire/events.js';
import { flag, num } from './cli.js';

export const DP_FLAGS = {
  'dp-noise-multiplier': flag(
    'Z',
    'turn on differential privacy: noise standard deviation of the honest sum ÷ the clipping norm (distributed discrete Gaussian, docs/dp.md); default off',
  ),
  'dp-clip': flag('C', "L2 clipping norm of each trainer's model delta in a DP round (default 1)"),
  'dp-epsilon': flag('E', 'privacy budget: no round opens whose ε(δ) would exceed E; the federation then ends'),
  'dp-delta': flag('D', 'δ of the reported ε (default 1e-5)'),
  'dp-colluders': flag(
    'N',
    'trainers assumed to collude with the server: their noise is not counted, K = min survivors − N (default 0)',
  ),
} as const;

type DpFlagValues = { [K in keyof typeof DP_FLAGS]?: string | undefined };

/** The DP settings the flags give (only those given: the config file and defaults fill the rest). */
export function dpSettings(f: DpFlagValues): Partial<ServerConfig> {
  const out: Partial<ServerConfig> = {};
  if (f['dp-noise-multiplier'] !== undefined)
    out.dpNoiseMultiplier = num('dp-noise-multiplier', f['dp-noise-multiplier'], 0, { min: 1e-6 });
  if (f['dp-clip'] !== undefined) out.dpClip = num('dp-clip', f['dp-clip'], 0, { min: 1e-12 });
  if (f['dp-epsilon'] !== undefined) out.dpEpsilon = num('dp-epsilon', f['dp-epsilon'], 0, { min: 1e-9 });
  if (f['dp-delta'] !== undefined) out.dpDelta = num('dp-delta', f['dp-delta'], 0, { min: 1e-300, max: 0.5 });
  if (f['dp-colluders'] !== undefined)
    out.dpColluders = num('dp-colluders', f['dp-colluders'], 0, { int: true, min: 0 });
  return out;
}

/** One line for a start banner: the federation's DP settings and ε so far ('' without DP). */
export function dpBanner(p: PrivacyStatus | undefined): string {
  if (!p) return '';
  const budget = p.budget === null ? 'no budget (--dp-epsilon)' : `budget ε = ${p.budget}`;
  return `  differential privacy: noise multiplier ${p.noiseMultiplier}, clip ${p.clip}, K = ${p.minSurvivors - p.colluders} honest survivors; ε = ${p.epsilon.toFixed(3)} spent after ${p.rounds} DP round(s), ${budget}, δ = ${p.delta}${p.exhausted ? ' — BUDGET SPENT: no round will open' : ''}\n`;
}
