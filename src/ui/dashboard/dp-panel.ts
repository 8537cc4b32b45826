/**
 * The dashboard's privacy budget (docs/dp.md §12), shown only in a DP federation: ε(δ) spent so
 * far against the budget, ε after each round (a chart), and the shared model's AUC-PR against the
 * ε it cost (a chart) — each chart with its table. Model version v's AUC-PR is measured in the
 * round after the one that made it, so it is paired with the ε of the round that produced v.
 */
import uPlot from 'uplot';
import { chartWithTable } from '../chart-table.js';
import { h } from '../dom.js';
import { dpHeadline, dpSeries } from './dp-series.js';
import type { DashState } from './types.js';

const HEIGHT = 190;

export class DpPanel {
  /** Empty and hidden until the federation turns out to run DP: a dashboard without DP is unchanged. */
  readonly el: HTMLElement = h('section', { class: 'card', id: 'dp-panel', hidden: true });
  private readonly headline = h('p', { id: 'dp-headline', 'aria-live': 'polite' });
  private readonly epsChart = h('div', { class: 'chart', id: 'chart-epsilon' });
  private readonly tradeChart = h('div', { class: 'chart', id: 'chart-tradeoff' });
  private tables: { eps: ReturnType<typeof chartWithTable>; trade: ReturnType<typeof chartWithTable> } | undefined;
  private eps: uPlot | undefined;
  private trade: uPlot | undefined;
  private drawn: unknown;

  /** Builds the panel's content the first time it is shown. */
  private build(): NonNullable<DpPanel['tables']> {
    if (this.tables) return this.tables;
    const eps = chartWithTable(this.epsChart, 'Privacy spent (ε) after each round');
    const trade = chartWithTable(this.tradeChart, 'Model quality (AUC-PR) against privacy spent (ε)');
    this.el.append(
      h('h2', {}, 'Privacy budget'),
      this.headline,
      h(
        'div',
        { class: 'grid2' },
        h('div', {}, h('h3', {}, 'ε after each round'), eps.el),
        h('div', {}, h('h3', {}, 'AUC-PR against ε'), trade.el),
      ),
    );
    return (this.tables = { eps, trade });
  }

  private plots(): void {
    if (this.eps) return;
    const w = (el: HTMLElement) => Math.max(200, el.clientWidth || 420);
    const axis = (label: string): uPlot.Axis => ({ label });
    this.eps = new uPlot(
      {
        width: w(this.epsChart),
        height: HEIGHT,
        legend: { show: false }, // one line each: the axes say what it is
        scales: { x: { time: false } },
        axes: [axis('round'), axis('ε')],
        series: [{ label: 'round' }, { label: 'ε', stroke: '#7a3fd1', width: 2, points: { show: true } }],
      },
      [[], []],
      this.epsChart,
    );
    this.trade = new uPlot(
      {
        width: w(this.tradeChart),
        height: HEIGHT,
        legend: { show: false }, // one line each: the axes say what it is
        scales: { x: { time: false }, y: { range: [0, 1] } },
        axes: [axis('ε'), axis('AUC-PR')],
        series: [{ label: 'ε' }, { label: 'AUC-PR', stroke: '#1f9d63', width: 2, points: { show: true } }],
      },
      [[], []],
      this.tradeChart,
    );
  }

  update(s: Pick<DashState, 'privacy' | 'rounds'>): void {
    const series = dpSeries(s);
    const on = s.privacy !== undefined || series.rounds.length > 0;
    this.el.hidden = !on;
    if (!on) return;
    const tables = this.build();
    const text = dpHeadline(s);
    if (this.headline.textContent !== text) this.headline.textContent = text;
    this.headline.className = s.privacy?.spent ? 'bad' : '';
    if (this.drawn === s.rounds) return;
    this.drawn = s.rounds;
    this.plots();
    this.eps?.setData([series.rounds, series.epsilon]);
    this.trade?.setData([series.tradeoff.map((t) => t.epsilon), series.tradeoff.map((t) => t.aucPr)]);
    tables.eps.update(
      ['round', 'ε after it'],
      series.rounds.map((r, i) => [r, (series.epsilon[i] as number).toFixed(3)]),
    );
    tables.trade.update(
      ['model', 'ε', 'AUC-PR'],
      series.tradeoff.map((t) => [`v${t.version}`, t.epsilon.toFixed(3), t.aucPr.toFixed(3)]),
    );
  }

  resize(): void {
    for (const [p, el] of [
      [this.eps, this.epsChart],
      [this.trade, this.tradeChart],
    ] as const)
      p?.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT });
  }
}
