/** Per-round charts with uPlot (local loss and AUC-PR; bytes sent), each with its legend of toggles beside it. */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { addSeriesToggles } from './chart-legend.js';

export interface RoundPoint {
  round: number;
  loss?: number | undefined;
  aucPr?: number | undefined;
  bytes?: number | undefined;
}

function series(points: readonly RoundPoint[], key: 'loss' | 'aucPr' | 'bytes'): (number | null)[] {
  return points.map((p) => (typeof p[key] === 'number' && Number.isFinite(p[key]) ? p[key] : null));
}

export class RoundCharts {
  private readonly quality: uPlot;
  private readonly bytes: uPlot;

  constructor(qualityEl: HTMLElement, bytesEl: HTMLElement) {
    const width = Math.max(200, qualityEl.clientWidth || 480);
    const roundAxis: uPlot.Axis = { label: 'round', incrs: [1, 2, 5, 10, 20, 50, 100] };
    this.quality = new uPlot(
      {
        legend: { show: false }, // ours, outside the chart: chart-legend.ts
        width,
        height: 200,
        scales: { x: { time: false }, loss: { auto: true }, auc: { range: [0, 1] } },
        axes: [
          roundAxis,
          { scale: 'loss', label: 'training loss' },
          { scale: 'auc', side: 1, label: 'AUC-PR', grid: { show: false } },
        ],
        series: [
          { label: 'round' },
          { label: 'local training loss', scale: 'loss', stroke: '#c98a00', width: 2 },
          { label: 'AUC-PR of the global model on local data', scale: 'auc', stroke: '#3559e0', width: 2 },
        ],
      },
      [[], [], []],
      qualityEl,
    );
    this.bytes = new uPlot(
      {
        legend: { show: false }, // ours, outside the chart: chart-legend.ts
        width,
        height: 200,
        scales: { x: { time: false } },
        axes: [roundAxis, { label: 'KiB' }],
        series: [{ label: 'round' }, { label: 'KiB sent', stroke: '#1f9d63', width: 2, fill: 'rgba(31,157,99,.12)' }],
      },
      [[], []],
      bytesEl,
    );
    addSeriesToggles(this.quality, qualityEl);
    addSeriesToggles(this.bytes, bytesEl);
  }

  update(points: readonly RoundPoint[]): void {
    const xs = points.map((p) => p.round);
    const loss = series(points, 'loss');
    const auc = series(points, 'aucPr');
    this.quality.setData([xs, loss, auc]);
    this.bytes.setData([xs, series(points, 'bytes').map((b) => (b === null ? null : b / 1024))]);
  }

  resize(width: number): void {
    this.quality.setSize({ width, height: 200 });
    this.bytes.setSize({ width, height: 200 });
  }
}
