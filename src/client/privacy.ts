/**
 * A trainer's side of a DP round (docs/dp.md §12): its own check of the descriptor's DP
 * parameters (src/dp/round.ts checkDpRound; none of the server's arithmetic is trusted), its own
 * accountant over the DP rounds it took part in (a participation ledger, kept in the durable
 * store), the refusal of a round that would take it past the maximum ε it accepts, and the
 * privatization of its update before masking (clip → rotate → round → its noise share; it runs
 * wherever the CryptoRunner runs: the crypto worker in the browser).
 */
import { type DdgRound, RdpAccountant } from '../dp/accountant.js';
import { DpError } from '../dp/errors.js';
import { privatize } from '../dp/pipeline.js';
import { WordStream, cryptoSource } from '../dp/random.js';
import { type DpRoundParams, checkDpRound, sigma2Of } from '../dp/round.js';
import type { DpAccounting } from '../wire/dp.js';
import type { RoundMsg } from '../wire/messages.js';

/** The DP rounds this participant contributed to, per federation (its own accountant's input). */
export interface PrivacyLedger {
  charges(federation: string): readonly DdgRound[] | Promise<readonly DdgRound[]>;
  /** Recorded before the contribution leaves (like speak-once): a sent update is always charged. */
  add(federation: string, round: number, charge: DdgRound): void | Promise<void>;
}

export class MemoryPrivacyLedger implements PrivacyLedger {
  private readonly byFederation = new Map<string, Map<number, DdgRound>>();
  charges(federation: string): readonly DdgRound[] {
    return [...(this.byFederation.get(federation)?.values() ?? [])];
  }
  add(federation: string, round: number, charge: DdgRound): void {
    const m = this.byFederation.get(federation) ?? new Map<number, DdgRound>();
    m.set(round, charge);
    this.byFederation.set(federation, m);
  }
}

export interface PrivacyPolicy {
  /** The largest ε(δ) this trainer accepts (its own setting; default: no limit). */
  readonly maxEpsilon?: number;
  readonly ledger?: PrivacyLedger;
}

/** What a trainer accepted about a DP round: its worst-case charge and its own ε once charged. */
export interface DpAcceptance {
  readonly params: DpRoundParams;
  readonly charge: DdgRound;
  /** This trainer's own ε(δ) over the DP rounds it took part in, this one included. */
  readonly own: number;
  /** The federation's ε(δ) after this round, as the server states it. */
  readonly stated: number;
}

export type DpVerdict = { ok: true; value: DpAcceptance } | { ok: false; code: string; message: string };

const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : String(x));

/** A trainer's decision on a DP descriptor, before it trains. */
export async function acceptDpRound(m: RoundMsg, policy: PrivacyPolicy, ledger: PrivacyLedger): Promise<DpVerdict> {
  const dp = m.dp;
  if (!dp) return { ok: false, code: 'DP_PARAMETERS', message: 'the round carries no DP parameters' };
  const round = m.config.round;
  let charge: DdgRound;
  try {
    charge = checkDpRound(dp.params, m.weights.length / 4, m.config.bits); // float32 weights: 4 bytes each
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    const code = e instanceof DpError && e.code === 'DP_FIELD_BUDGET' ? 'DP_FIELD_BUDGET' : 'DP_PARAMETERS';
    return {
      ok: false,
      code,
      message: `refused round ${round}, nothing was sent: its DP parameters do not check (${why})`,
    };
  }
  const acct = new RdpAccountant();
  for (const c of await ledger.charges(m.config.federation)) acct.composeDdg(c);
  const own = acct.composeDdg(charge).epsilon(dp.params.delta).epsilon;
  const stated = dp.accounting.after;
  const max = policy.maxEpsilon;
  if (max !== undefined && (own > max || stated > max)) {
    const which = own > max ? `your own privacy loss to ε = ${fmt(own)}` : `the federation to ε = ${fmt(stated)}`;
    return {
      ok: false,
      code: 'DP_BUDGET',
      message: `refused round ${round}, nothing was sent: taking part would take ${which} (δ = ${dp.params.delta}), above the maximum ε = ${fmt(max)} you accept`,
    };
  }
  return { ok: true, value: { params: dp.params, charge, own, stated } };
}

/**
 * The d privatized integers of a model delta (docs/dp.md §3.4): secret randomness from the
 * platform's CSPRNG, the rotation from the round's public seed.
 */
export function privatizeUpdate(update: Float32Array, p: DpRoundParams, seed: Uint8Array): Int32Array {
  const rs = new WordStream(cryptoSource);
  return privatize(update, { clip: p.clip, gamma: p.gamma, beta: p.beta, sigma2: sigma2Of(p) }, seed, rs).values;
}

/** What the tab shows of a DP round: its clipping norm, its noise share, ε so far (engine event `privacy`). */
export interface PrivacyView {
  /** L2 clipping norm C of this trainer's update. */
  clip: number;
  /** This trainer's noise share as a standard deviation in update units: σ_i·γ per coordinate. */
  noiseStd: number;
  /** The federation's noise multiplier z and the honest survivors K it is calibrated for. */
  noiseMultiplier: number;
  honest: number;
  delta: number;
  /** This trainer's own ε over the DP rounds it took part in, this one included. */
  ownEpsilon: number;
  /** The federation's ε before and after this round, and its budget, as the server states them. */
  federationEpsilon: number;
  federationAfter: number;
  budget?: number;
}

export function privacyView(a: DpAcceptance, acc: DpAccounting): PrivacyView {
  const s2 = sigma2Of(a.params);
  return {
    clip: a.params.clip,
    noiseStd: Math.sqrt(Number(s2.num) / Number(s2.den)) * a.params.gamma,
    noiseMultiplier: a.params.noiseMultiplier,
    honest: a.params.minSurvivors - a.params.colluders,
    delta: a.params.delta,
    ownEpsilon: a.own,
    federationEpsilon: acc.spent,
    federationAfter: acc.after,
    ...(acc.budget !== undefined ? { budget: acc.budget } : {}),
  };
}
