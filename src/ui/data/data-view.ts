/**
 * The data steps of the join page: a progress bar while a CSV file is read (in its worker),
 * and the questions to confirm before joining with it — skip N bad rows (the first listed),
 * use a file with only one class — or go back and choose other data.
 */
import { h } from '../dom.js';
import type { DataReview } from './data-check.js';

export function showLoading(root: HTMLElement, name: string): (fraction: number) => void {
  const fill = h('div', { class: 'fill' });
  const bar = h(
    'div',
    {
      class: 'bar',
      id: 'csv-progress',
      role: 'progressbar',
      'aria-label': `Reading ${name}`,
      'aria-valuemin': 0,
      'aria-valuemax': 100,
      'aria-valuenow': 0,
    },
    fill,
  );
  const pct = h('span', {}, '0 %');
  root.replaceChildren(
    h(
      'section',
      { class: 'card', id: 'csv-loading' },
      h('h2', {}, 'Reading your data'),
      h('p', {}, `Reading ${name} in this browser (it is not uploaded).`),
      h('div', { class: 'barlabel' }, h('span', {}, name), pct),
      bar,
    ),
  );
  return (f) => {
    const p = Math.round(Math.max(0, Math.min(1, f)) * 100);
    fill.style.width = `${p}%`;
    bar.setAttribute('aria-valuenow', String(p));
    pct.textContent = `${p} %`;
  };
}

export function askAboutData(root: HTMLElement, name: string, r: DataReview): Promise<'use' | 'back'> {
  return new Promise((resolve) => {
    const parts: HTMLElement[] = [
      h('h2', {}, 'Check your data'),
      h('p', {}, `${name}: ${r.rows.toLocaleString('en')} valid rows, ${r.frauds.toLocaleString('en')} of them fraud.`),
    ];
    if (r.badRows) {
      parts.push(
        h(
          'p',
          { class: 'warning', id: 'bad-rows' },
          `${r.badRows.count.toLocaleString('en')} row(s) cannot be read and would be skipped:`,
        ),
        h('ul', { id: 'bad-row-list' }, ...r.badRows.first.map((i) => h('li', {}, `line ${i.line}: ${i.reason}`))),
      );
      if (r.badRows.count > r.badRows.first.length)
        parts.push(h('p', { class: 'muted' }, `… and ${r.badRows.count - r.badRows.first.length} more.`));
    }
    if (r.oneClass) parts.push(h('p', { class: 'warning', id: 'one-class' }, r.oneClass));
    const use = h(
      'button',
      { type: 'button', id: 'data-use', onclick: () => resolve('use') },
      r.badRows ? `Skip ${r.badRows.count.toLocaleString('en')} row(s) and join` : 'Use it and join',
    );
    parts.push(
      h(
        'div',
        { class: 'inline actions' },
        use,
        h('button', { type: 'button', class: 'plain', id: 'data-back', onclick: () => resolve('back') }, 'Choose other data'),
      ),
    );
    root.replaceChildren(h('section', { class: 'card', id: 'data-review' }, ...parts));
    use.focus();
  });
}
