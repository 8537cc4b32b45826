/**
 * The text alternative of a chart: the same numbers as a table, folded under a "Show as a
 * table" disclosure (keyboard-reachable, read by screen readers), and the chart itself labelled.
 */
import { h } from './dom.js';

export type Cell = string | number | undefined | null;

export function chartWithTable(
  chart: HTMLElement,
  label: string,
): { el: HTMLElement; update: (head: string[], rows: Cell[][]) => void } {
  chart.setAttribute('role', 'img');
  chart.dataset.label = label; // the legend beside it (chart-legend.ts) is named after it
  chart.setAttribute('aria-label', `${label} (chart; the table below has the same numbers)`);
  const body = h('tbody');
  const headRow = h('tr');
  const table = h('table', { class: 'chart-table' }, h('caption', {}, label), h('thead', {}, headRow), body);
  const wrap = h(
    'div',
    { class: 'table-scroll', tabindex: 0, role: 'region', 'aria-label': `${label}, as a table` },
    table,
  );
  const el = h('div', {}, chart, h('details', { class: 'as-table' }, h('summary', {}, 'Show as a table'), wrap));
  let lastHead = '';
  const update = (head: string[], rows: Cell[][]) => {
    const key = head.join('\u0000');
    if (key !== lastHead) {
      lastHead = key;
      headRow.replaceChildren(...head.map((c) => h('th', { scope: 'col' }, c)));
    }
    body.replaceChildren(
      ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c === undefined || c === null ? '—' : c)))),
    );
  };
  return { el, update };
}
