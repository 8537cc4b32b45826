/**
 * "What the server sees": one trainer's masked contribution as a grid of coloured cells (looks
 * like noise) next to the unmasked aggregate — the mean update, which has structure. A picture,
 * so plain canvas drawing.
 */

const COLS = 32;
const CELL = 14;
const GAP = 1;

/** Diverging palette: −1 blue, 0 near-white, +1 orange-red. */
export function cellColor(v: number): string {
  const t = Math.max(-1, Math.min(1, v));
  const base = [247, 248, 252];
  const end = t < 0 ? [53, 89, 224] : [214, 84, 48];
  const a = Math.abs(t);
  const c = base.map((b, i) => Math.round(b + ((end[i] as number) - b) * a));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** Masked values are fractions of q1 in [0, 1): centred to [−1, 1) they are uniform noise. */
export function maskedToCells(masked: readonly number[]): number[] {
  return masked.map((f) => 2 * f - 1);
}

/** The aggregate, scaled so its largest |value| fills the palette. */
export function aggregateToCells(agg: readonly number[]): number[] {
  const ref = agg.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
  return agg.map((v) => v / ref);
}

/** Counts of `cells` (in [−1, 1]) in `bins` equal bins. */
export function histogram(cells: readonly number[], bins = 24): number[] {
  const out = new Array<number>(bins).fill(0);
  for (const v of cells) {
    const i = Math.min(bins - 1, Math.max(0, Math.floor(((v + 1) / 2) * bins)));
    out[i] = (out[i] as number) + 1;
  }
  return out;
}

const HIST_H = 46;
const HIST_GAP = 12;

export function drawCells(canvas: HTMLCanvasElement, cells: readonly number[]): void {
  const rows = Math.max(1, Math.ceil(cells.length / COLS));
  const w = COLS * (CELL + GAP) - GAP;
  const gridH = rows * (CELL + GAP) - GAP;
  const hgt = gridH + HIST_GAP + HIST_H;
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(hgt * dpr);
  canvas.style.aspectRatio = `${w} / ${hgt}`;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, hgt);
  cells.forEach((v, i) => {
    ctx.fillStyle = cellColor(v);
    ctx.fillRect((i % COLS) * (CELL + GAP), Math.floor(i / COLS) * (CELL + GAP), CELL, CELL);
  });
  // Below the cells: how the values are spread (flat for noise, peaked for a real update).
  const hist = histogram(cells);
  const top = gridH + HIST_GAP;
  const max = Math.max(1, ...hist);
  const bw = w / hist.length;
  hist.forEach((n, i) => {
    const bh = (HIST_H - 2) * (n / max);
    ctx.fillStyle = cellColor(((i + 0.5) / hist.length) * 2 - 1);
    ctx.fillRect(i * bw + 1, top + HIST_H - bh - 1, bw - 2, bh);
  });
  ctx.fillStyle = '#c9d1e0';
  ctx.fillRect(0, top + HIST_H - 1, w, 1);
}

export function drawPrivacy(
  masked: HTMLCanvasElement,
  aggregate: HTMLCanvasElement,
  preview: { masked: number[]; aggregate: number[] },
): void {
  drawCells(masked, maskedToCells(preview.masked));
  drawCells(aggregate, aggregateToCells(preview.aggregate));
}
