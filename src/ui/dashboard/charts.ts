/**
 * Charts over rounds (uPlot): the shared model's quality from the secure metrics (by the model
 * version they describe), round time, data per trainer, and trainers in the sum. Failed rounds
 * are marked with red dashed lines on the per-round charts. Each chart's legend is a group of
 * toggle buttons beside it (chart-legend.ts).
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { addSeriesToggles } from '../chart-legend.js';
import type { ChartSeries } from './state.js';

const C = { accent: '#3559e0', ok: '#1f9d63', warn: '#c98a00', bad: '#d23b3b', muted: '#66728a' };
const HEIGHT = 210;

/** Draws a red dashed line and "failed" at each failed round. */
function failedMarkers(get: () => number[]): uPlot.Plugin {
  return {
    hooks: {
      draw: (u: uPlot) => {
        const ctx = u.ctx;
        const { top, height } = u.bbox;
        ctx.save();
        ctx.strokeStyle = C.bad;
        ctx.fillStyle = C.bad;
        ctx.lineWidth = 2 * uPlot.pxRatio;
        ctx.setLineDash([6 * uPlot.pxRatio, 4 * uPlot.pxRatio]);
        ctx.font = `${Math.round(11 * uPlot.pxRatio)}px system-ui, sans-serif`;
        ctx.textAlign = 'center';
        for (const r of get()) {
          const x = Math.round(u.valToPos(r, 'x', true));
          if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
          ctx.beginPath();
          ctx.moveTo(x, top + 14 * uPlot.pxRatio);
          ctx.lineTo(x, top + height);
          ctx.stroke();
          ctx.fillText(`✕ failed`, x, top + 10 * uPlot.pxRatio);
        }
        ctx.restore();
      },
    },
  };
}

const pad = (_u: uPlot, min: number, max: number): uPlot.Range.MinMax =>
  min === max ? [min - 1, max + 1] : [min - 0.5, max + 0.5];
const intAxis = (label: string): uPlot.Axis => ({
  label,
  incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500],
  values: (_u, vals) => vals.map((v) => (Number.isInteger(v) ? String(v) : '')),
});

export class DashCharts {
  private readonly plots: { plot: uPlot; el: HTMLElement }[] = [];
  private failed: number[] = [];

  constructor(els: { quality: HTMLElement; time: HTMLElement; bytes: HTMLElement; survivors: HTMLElement }) {
    const mk = (el: HTMLElement, opts: Omit<uPlot.Options, 'width' | 'height'>, n: number) => {
      const plot = new uPlot(
        // the legend is ours, beside the chart (chart-legend.ts)
        { legend: { show: false }, ...opts, width: Math.max(200, el.clientWidth || 480), height: HEIGHT },
        Array.from({ length: n }, () => []) as unknown as uPlot.AlignedData,
        el,
      );
      addSeriesToggles(plot, el);
      this.plots.push({ plot, el });
      return plot;
    };
    const markers = failedMarkers(() => this.failed);
    const bars = uPlot.paths.bars?.({ size: [0.5, 40] });
    mk(
      els.quality,
      {
        scales: {
          x: { time: false, range: pad },
          q: { range: [0, 1] },
          loss: { range: (_u, _min, max) => [0, Math.max(0.1, max * 1.15)] },
        },
        axes: [
          intAxis('model version'),
          { scale: 'q', label: 'score (higher = better)', values: (_u, v) => v.map((x) => x.toFixed(1)) },
          { scale: 'loss', side: 1, label: 'loss', grid: { show: false } },
        ],
        series: [
          { label: 'model', value: (_u, v) => (v === null ? '—' : `v${v}`) },
          {
            label: 'AUC-PR',
            scale: 'q',
            stroke: C.accent,
            width: 3,
            points: { show: true, size: 8 },
            value: (_u, v) => (v === null ? '—' : v.toFixed(3)),
          },
          {
            label: 'frauds caught at 1 % false alarms',
            scale: 'q',
            stroke: C.ok,
            width: 3,
            points: { show: true, size: 8 },
            value: (_u, v) => (v === null ? '—' : `${Math.round(v * 100)} %`),
          },
          {
            label: 'loss',
            scale: 'loss',
            stroke: C.warn,
            width: 2,
            dash: [6, 4],
            points: { show: true, size: 6 },
            value: (_u, v) => (v === null ? '—' : v.toFixed(3)),
          },
        ],
      },
      4,
    );
    mk(
      els.time,
      {
        scales: { x: { time: false, range: pad }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] } },
        axes: [intAxis('round'), { label: 'seconds' }],
        series: [
          { label: 'round' },
          {
            label: 'round time (s)',
            stroke: C.accent,
            width: 2,
            fill: 'rgba(53,89,224,.10)',
            points: { show: true, size: 7 },
            spanGaps: false,
            value: (_u, v) => (v === null ? '—' : `${v.toFixed(1)} s`),
          },
        ],
        plugins: [markers],
      },
      2,
    );
    mk(
      els.bytes,
      {
        scales: { x: { time: false, range: pad }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] } },
        axes: [intAxis('round'), { label: 'KiB per trainer' }],
        series: [
          { label: 'round' },
          {
            label: 'data sent per trainer (KiB)',
            stroke: C.ok,
            width: 2,
            fill: 'rgba(31,157,99,.12)',
            points: { show: true, size: 7 },
            spanGaps: false,
            value: (_u, v) => (v === null ? '—' : `${v.toFixed(0)} KiB`),
          },
        ],
        plugins: [markers],
      },
      2,
    );
    mk(
      els.survivors,
      {
        scales: {
          x: { time: false, range: pad },
          y: { range: (_u, _min, max) => [0, Math.max(2, Math.ceil(max * 1.2))] },
        },
        axes: [intAxis('round'), { label: 'trainers', incrs: [1, 2, 5, 10, 20, 50, 100, 1000] }],
        series: [
          { label: 'round' },
          // stacked by hand: the red bar is the total, the green bar (drawn over it) those who sent
          {
            label: 'dropped out',
            stroke: C.bad,
            fill: 'rgba(210,59,59,.8)',
            width: 1,
            ...(bars ? { paths: bars } : {}),
            points: { show: false },
          },
          {
            label: 'sent in time',
            stroke: C.ok,
            fill: 'rgba(31,157,99,.7)',
            width: 1,
            ...(bars ? { paths: bars } : {}),
            points: { show: false },
          },
        ],
        plugins: [markers],
      },
      3,
    );
  }

  update(s: ChartSeries): void {
    this.failed = s.failedRounds;
    const [quality, time, bytes, surv] = this.plots.map((p) => p.plot) as [uPlot, uPlot, uPlot, uPlot];
    quality.setData([s.quality.version, s.quality.aucPr, s.quality.recall, s.quality.loss]);
    time.setData([s.rounds.round, s.rounds.seconds]);
    bytes.setData([s.rounds.round, s.rounds.kibPerTrainer]);
    surv.setData([
      s.rounds.round,
      s.rounds.survivors.map((n, i) => (n === null ? null : n + (s.rounds.dropped[i] ?? 0))),
      s.rounds.survivors,
    ]);
    for (const { el } of this.plots)
      el.dataset.points = String(el === this.plots[0]?.el ? s.quality.version.length : s.rounds.round.length);
  }

  resize(): void {
    for (const { plot, el } of this.plots) plot.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT });
  }
}
