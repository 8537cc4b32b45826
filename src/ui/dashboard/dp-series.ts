/**
 * The numbers of the dashboard's privacy panel (dp-panel.ts), pure: ε after each DP round, and
 * the shared model's AUC-PR against the ε it cost. Model version v's AUC-PR is measured in the
 * round after the one that made it, so it is paired with the ε of the round that produced v.
 */
import type { DashState } from './types.js';

export interface DpSeries {
  /** ε after each decoded DP round. */
  rounds: number[];
  epsilon: number[];
  /** AUC-PR of the model a DP round produced, against that round's ε. */
  tradeoff: { epsilon: number; aucPr: number; version: number }[];
}

export function dpSeries(s: Pick<DashState, 'rounds'>): DpSeries {
  const charged = s.rounds.filter((r) => r.epsilon !== undefined);
  const auc = new Map<number, number>();
  for (const r of s.rounds) if (r.metrics) auc.set(r.metrics.version, r.metrics.auc_pr);
  const tradeoff = charged
    .filter((r) => r.ok && auc.has(r.versionAfter))
    .map((r) => ({ epsilon: r.epsilon as number, aucPr: auc.get(r.versionAfter) as number, version: r.versionAfter }));
  return { rounds: charged.map((r) => r.round), epsilon: charged.map((r) => r.epsilon as number), tradeoff };
}

export function dpHeadline(s: Pick<DashState, 'privacy' | 'rounds'>): string {
  const p = s.privacy;
  const last = [...s.rounds].reverse().find((r) => r.epsilon !== undefined)?.epsilon;
  const eps = Math.max(p?.epsilon ?? 0, last ?? 0);
  if (p?.spent) return p.spent;
  const budget = p?.budget ? ` of a budget of ${p.budget.toFixed(2)}` : ' (no budget set: rounds are only counted)';
  return `Privacy spent so far: ε = ${eps.toFixed(2)}${budget}, δ = ${p?.delta ?? 1e-5}. Each trainer adds a share of discrete Gaussian noise before masking${p?.noiseMultiplier ? ` (noise multiplier ${p.noiseMultiplier})` : ''}; the sum carries all of it.`;
}
