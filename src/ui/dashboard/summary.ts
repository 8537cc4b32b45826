/**
 * "The story so far": what the federation achieved and what it cost, in a few sentences for an
 * audience — rounds, total data the server received, one trainer alone against the
 * federation on the same held-out rows (GET /baseline.json), and what the server learned.
 */
import type { Baseline } from '../../wire/baseline.js';
import { fmtBytes, h } from '../dom.js';
import type { RoundRecord } from './types.js';

export const PRIVACY_STATEMENT =
  'What the server learned: only the sum of the trainers’ updates in each round, and the sum of their evaluation counts. It never received a transaction, and never one participant’s update on its own: each message is masked, and the mask’s key is split among the committee, which answers once, with a sum.';

const pct = (x: number) => `${(x * 100).toFixed(0)} %`;

export function renderSummary(root: HTMLElement, rounds: readonly RoundRecord[], b: Baseline | undefined): void {
  const ok = rounds.filter((r) => r.ok).length;
  const failed = rounds.length - ok;
  const total = rounds.reduce((s, r) => s + (r.bytesIn ?? 0), 0);
  const lines: HTMLElement[] = [
    h(
      'p',
      { id: 'summary-rounds' },
      rounds.length
        ? `${ok} round${ok === 1 ? '' : 's'} improved the shared model${failed ? `; ${failed} failed safely and changed nothing` : ''}. The server received ${fmtBytes(total)} in total.`
        : 'No round has finished yet.',
    ),
  ];
  if (b?.alone || b?.federation) {
    const rows = b.heldOut.rows.toLocaleString('en');
    const items: HTMLElement[] = [];
    if (b.alone)
      items.push(
        h(
          'li',
          { id: 'baseline-alone' },
          `One trainer alone (${b.alone.rows.toLocaleString('en')} rows, ${b.alone.frauds} frauds): AUC-PR ${b.alone.aucPr.toFixed(3)}, catches ${pct(b.alone.recall)} of frauds at 1 % false alarms.`,
        ),
      );
    if (b.federation)
      items.push(
        h(
          'li',
          { id: 'baseline-federation' },
          `The federation’s model v${b.federation.version} (${b.federation.trainers} trainers’ data, none of it shared): AUC-PR ${b.federation.aucPr.toFixed(3)}, catches ${pct(b.federation.recall)}.`,
        ),
      );
    lines.push(
      h('p', {}, `Alone or together — both measured on the same ${rows} held-out rows (${b.heldOut.frauds} frauds):`),
      h('ul', { class: 'baseline' }, ...items),
    );
  }
  lines.push(h('p', { class: 'privacy-statement', id: 'privacy-statement' }, PRIVACY_STATEMENT));
  root.replaceChildren(...lines);
}
