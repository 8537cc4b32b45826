/**
 * Our own legend for a uPlot chart (issue 15, accessibility): one toggle button per line, in a
 * group placed beside the chart, never inside it. The chart element is an image to assistive
 * technology (role=img, chart-table.ts), so controls inside it would be nested interactive
 * elements that no one can reach; uPlot's own legend is turned off (`legend: { show: false }`).
 * Each button shows the line's colour, says its state (aria-pressed) and hides or shows the line.
 */
import type uPlot from 'uplot';
import { h } from './dom.js';

/** The legend of `u` as a group of toggles, placed right after the chart element `el`. */
export function addSeriesToggles(u: uPlot, el: HTMLElement): void {
  el.after(seriesToggles(u, el.dataset.label ?? 'the chart'));
}

/** The legend of `u` as a group of toggles. */
export function seriesToggles(u: uPlot, chartLabel: string): HTMLElement {
  const buttons = u.series.slice(1).map((s, k) => {
    const i = k + 1;
    const label = typeof s.label === 'string' ? s.label : `line ${i}`;
    const colour = typeof s.stroke === 'string' ? s.stroke : 'currentColor';
    const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
    swatch.style.borderTopColor = colour;
    if (s.dash) swatch.style.borderTopStyle = 'dashed';
    const b = h('button', { type: 'button', class: 'series-toggle', 'aria-pressed': 'true' }, swatch, label);
    b.addEventListener('click', () => {
      const show = b.getAttribute('aria-pressed') !== 'true';
      u.setSeries(i, { show });
      b.setAttribute('aria-pressed', String(show));
    });
    return b;
  });
  return h('div', { class: 'series-toggles', role: 'group', 'aria-label': `Lines of ${chartLabel}` }, ...buttons);
}
