/**
 * The tab's differential-privacy card (docs/dp.md §12): in a DP federation, this trainer's
 * clipping norm, its noise share, its own ε and the federation's ε(δ) so far; and everywhere, the
 * person's own setting — the largest ε this tab accepts — kept in this browser with the DP rounds
 * it took part in (its own accountant's input, src/client/privacy.ts).
 */
import type { DdgRound } from '../dp/accountant.js';
import type { PrivacyLedger, PrivacyPolicy, PrivacyView } from '../client/privacy.js';
import { h } from './dom.js';

const MAX_KEY = 'speakonce.dp.maxEpsilon';
const LEDGER_KEY = 'speakonce.dp.rounds';

function readJson(key: string): unknown {
  try {
    return JSON.parse(localStorage.getItem(key) ?? 'null') as unknown;
  } catch {
    return null;
  }
}

/** The person's largest accepted ε, or undefined for no limit. */
export function storedMaxEpsilon(): number | undefined {
  const v = readJson(MAX_KEY);
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}

type Stored = Record<string, Record<string, DdgRound>>;

/** The DP rounds this browser took part in, per federation (localStorage: small, synchronous). */
const browserLedger: PrivacyLedger = {
  charges(federation) {
    const all = (readJson(LEDGER_KEY) ?? {}) as Stored;
    return Object.values(all[federation] ?? {});
  },
  add(federation, round, charge) {
    const all = (readJson(LEDGER_KEY) ?? {}) as Stored;
    all[federation] = { ...(all[federation] ?? {}), [String(round)]: charge };
    localStorage.setItem(LEDGER_KEY, JSON.stringify(all));
  },
};

/** The engine's policy: the setting is read at each round, so a change applies to the next one. */
export function browserPrivacyPolicy(): PrivacyPolicy {
  return {
    get maxEpsilon() {
      return storedMaxEpsilon();
    },
    ledger: browserLedger,
  };
}

const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '∞');

export class DpCard {
  readonly el: HTMLElement;
  private readonly facts: HTMLElement;
  private readonly input: HTMLInputElement;
  private readonly saved: HTMLElement;

  constructor() {
    this.facts = h('p', { id: 'dp-facts', 'aria-live': 'polite' });
    this.input = h('input', {
      id: 'dp-max-epsilon',
      type: 'number',
      min: '0.01',
      step: 'any',
      inputmode: 'decimal',
      placeholder: 'no limit',
    });
    const max = storedMaxEpsilon();
    if (max !== undefined) this.input.value = String(max);
    this.saved = h('span', { class: 'muted', id: 'dp-max-saved', role: 'status' });
    this.input.addEventListener('change', () => this.save());
    this.el = h(
      'section',
      { class: 'card', id: 'dp-card' },
      h('h2', {}, 'Differential privacy'),
      this.facts,
      h(
        'p',
        {},
        h('label', { for: 'dp-max-epsilon' }, 'Largest privacy loss ε this tab accepts: '),
        this.input,
        ' ',
        this.saved,
      ),
      h(
        'p',
        { class: 'muted' },
        'A round that would take your own ε, or the federation’s, above it is refused before training; nothing is sent.',
      ),
    );
  }

  private save(): void {
    const v = Number(this.input.value);
    if (this.input.value.trim() === '') {
      localStorage.removeItem(MAX_KEY);
      this.saved.textContent = 'No limit.';
    } else if (Number.isFinite(v) && v > 0) {
      localStorage.setItem(MAX_KEY, JSON.stringify(v));
      this.saved.textContent = `Saved: rounds above ε = ${v} are refused.`;
    } else this.saved.textContent = 'Enter a positive number, or leave it empty for no limit.';
  }

  render(v: PrivacyView | undefined): void {
    const text = v
      ? `Your update is clipped to norm ${v.clip} and carries noise of σ ≈ ${v.noiseStd.toPrecision(3)} per coordinate, your share of the federation's noise (z = ${v.noiseMultiplier}, counted over ${v.honest} honest trainers). Your privacy loss so far: ε = ${f2(v.ownEpsilon)}; the federation's: ε = ${f2(v.federationAfter)}${v.budget !== undefined ? ` of a budget of ${f2(v.budget)}` : ''} (δ = ${v.delta}).`
      : 'This federation has not asked for a DP round yet: its rounds add no differential-privacy noise.';
    if (this.facts.textContent !== text) this.facts.textContent = text;
  }
}
