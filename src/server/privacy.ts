/**
 * The federation's privacy budget (docs/dp.md §12): the DP parameters every round's descriptor
 * carries (planned once, src/dp/round.ts), the Rényi accountant composed over the decoded DP
 * rounds — rebuilt at start from the round log, so a restart never forgets a charge — and the
 * rule that no round opens whose worst-case ε would exceed the budget E.
 */
import { type DdgRound, RdpAccountant } from '../dp/accountant.js';
import { DpError } from '../dp/errors.js';
import { type DpRoundParams, chargeOf, planDpRound } from '../dp/round.js';
import type { DpDescriptor } from '../wire/dp.js';
import type { PrivacyCharge, PrivacyStatus } from '../wire/events.js';
import type { RoundId } from '../wire/messages.js';
import { ConfigError, type ServerConfig } from './config.js';
import type { RoundRecord } from './store.js';

export class PrivacyBudget {
  readonly params: DpRoundParams;
  private readonly accountant = new RdpAccountant();
  private readonly history: { round: RoundId; epsilon: number }[] = [];

  private constructor(
    params: DpRoundParams,
    private readonly modelParams: number,
    readonly budget: number | undefined,
  ) {
    this.params = params;
  }

  /** The budget of a DP federation (undefined without `dpNoiseMultiplier`); ConfigError when it cannot be planned. */
  static of(config: ServerConfig, modelParams: number): PrivacyBudget | undefined {
    if (config.dpNoiseMultiplier === undefined) return undefined;
    try {
      const params = planDpRound({
        noiseMultiplier: config.dpNoiseMultiplier,
        clip: config.dpClip,
        params: modelParams,
        bits: config.bits,
        minSurvivors: config.minSurvivors,
        colluders: config.dpColluders,
        delta: config.dpDelta,
      });
      return new PrivacyBudget(params, modelParams, config.dpEpsilon);
    } catch (e) {
      if (e instanceof DpError) throw new ConfigError('INVALID_CONFIG', `invalid configuration: ${e.message}`);
      throw e;
    }
  }

  /** Composes the charges the round log records (at start). */
  restore(records: readonly RoundRecord[]): void {
    for (const r of records) {
      if (!r.dp) continue;
      const { l2, sigma2, honest, dim } = r.dp;
      this.accountant.composeDdg({ l2, sigma2, honest, dim });
      this.history.push({ round: r.round, epsilon: this.spent });
    }
  }

  get spent(): number {
    return this.accountant.rounds ? this.accountant.epsilon(this.params.delta).epsilon : 0;
  }

  /** ε after one more round, charged at its worst case (K = minSurvivors − colluders honest survivors). */
  get next(): number {
    const worst = chargeOf(this.params, this.modelParams, this.params.minSurvivors);
    return this.accountant.clone().composeDdg(worst).epsilon(this.params.delta).epsilon;
  }

  /** Whether the budget allows one more round. */
  get exhausted(): boolean {
    return this.budget !== undefined && this.next > this.budget;
  }

  /** The descriptor's DP part for the next round. */
  descriptor(): DpDescriptor {
    return {
      params: this.params,
      accounting: {
        spent: this.spent,
        after: this.next,
        ...(this.budget !== undefined ? { budget: this.budget } : {}),
        rounds: this.accountant.rounds,
      },
    };
  }

  /**
   * Charges a decoded round of `survivors` trainers (|S| − colluders honest, never more) and
   * returns what to log and announce. Charged when the sum is decoded, before it is applied: a
   * sum that existed is paid for even if applying it fails.
   */
  charge(round: RoundId, survivors: number): { record: NonNullable<RoundRecord['dp']>; event: PrivacyCharge } {
    const before = this.spent;
    const c: DdgRound = chargeOf(this.params, this.modelParams, survivors);
    this.accountant.composeDdg(c);
    const epsilon = this.spent;
    this.history.push({ round, epsilon });
    const delta = this.params.delta;
    return {
      record: { l2: c.l2, sigma2: c.sigma2, honest: c.honest, dim: c.dim, epsilon, delta },
      event: { epsilon, before, delta, honest: c.honest },
    };
  }

  status(): PrivacyStatus {
    const p = this.params;
    return {
      mechanism: 'ddg',
      accountant: 'rdp',
      noiseMultiplier: p.noiseMultiplier,
      clip: p.clip,
      gamma: p.gamma,
      sigma2: Number(p.sigma2.num) / Number(p.sigma2.den),
      minSurvivors: p.minSurvivors,
      colluders: p.colluders,
      delta: p.delta,
      epsilon: this.spent,
      rounds: this.accountant.rounds,
      budget: this.budget ?? null,
      next: this.next,
      exhausted: this.exhausted,
      history: [...this.history],
    };
  }

  /** The words of the end of a federation whose budget is spent. */
  spentMessage(): string {
    const f = (x: number): string => x.toFixed(3);
    return `privacy budget spent: ε = ${f(this.spent)} of ${f(this.budget ?? Infinity)} (δ = ${this.params.delta}) after ${this.accountant.rounds} DP round(s); one more round would reach ε = ${f(this.next)}, so no more rounds are opened`;
  }
}
