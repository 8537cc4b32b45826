/** The dashboard's charts with their text alternatives: each chart's numbers as a table. */
import { chartWithTable } from '../chart-table.js';
import type { ChartSeries } from './state.js';

type Tables = Record<'quality' | 'survivors' | 'time' | 'bytes', ReturnType<typeof chartWithTable>>;

const f = (v: number | null | undefined, d: number): string | undefined =>
  v === null || v === undefined ? undefined : v.toFixed(d);

/** Wraps each chart element with its table; returns the wrappers (to place) and the updater. */
export function dashTables(els: Record<keyof Tables, HTMLElement>, labels: Record<keyof Tables, string>): Tables {
  return {
    quality: chartWithTable(els.quality, labels.quality),
    survivors: chartWithTable(els.survivors, labels.survivors),
    time: chartWithTable(els.time, labels.time),
    bytes: chartWithTable(els.bytes, labels.bytes),
  };
}

export function updateTables(t: Tables, s: ChartSeries): void {
  const q = s.quality;
  t.quality.update(
    ['model version', 'AUC-PR', 'frauds caught at 1 % false alarms', 'loss'],
    q.version.map((v, i) => [`v${v}`, f(q.aucPr[i], 3), f(q.recall[i], 3), f(q.loss[i], 4)]),
  );
  const r = s.rounds;
  const failed = new Set(s.failedRounds);
  const round = (x: number) => (failed.has(x) ? `${x} (failed)` : x);
  t.survivors.update(
    ['round', 'sent in time', 'dropped out'],
    r.round.map((x, i) => [round(x), r.survivors[i], r.dropped[i]]),
  );
  t.time.update(
    ['round', 'seconds'],
    r.round.map((x, i) => [round(x), f(r.seconds[i], 1)]),
  );
  t.bytes.update(
    ['round', 'KiB per trainer'],
    r.round.map((x, i) => [round(x), f(r.kibPerTrainer[i], 0)]),
  );
}
