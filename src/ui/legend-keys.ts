/**
 * Keyboard reach for uPlot's legend (issue 15, accessibility): each series entry toggles its line
 * on click; here it is also a focusable button that Enter and Space toggle, with its state said.
 */
import type uPlot from 'uplot';

export function keyboardLegend(u: uPlot): void {
  const rows = u.root.querySelectorAll<HTMLElement>('.u-legend .u-series');
  rows.forEach((row, i) => {
    if (i === 0) return; // the x series (round) is not a line
    const label = row.querySelector('.u-label')?.textContent ?? `series ${i}`;
    row.tabIndex = 0;
    row.setAttribute('role', 'button');
    const say = (): void => {
      const shown = u.series[i]?.show !== false;
      row.setAttribute('aria-pressed', String(shown));
      row.setAttribute('aria-label', `${shown ? 'Hide' : 'Show'} ${label}`);
    };
    say();
    row.addEventListener('click', () => setTimeout(say, 0));
    row.addEventListener('keydown', (ev) => {
      if (ev.key !== 'Enter' && ev.key !== ' ') return;
      ev.preventDefault();
      row.click();
    });
  });
}
