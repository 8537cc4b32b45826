/**
 * The tab's facts in plain words, pure (no DOM): the tfjs backend, the rounds the tab missed
 * (gaps in its history). When the next round opens comes from the server (its `result`).
 */

/** The backend as a person would say it; the technical reason goes under "details". */
export function backendWords(name: string | undefined): string {
  switch (name) {
    case undefined:
      return 'choosing…';
    case 'wasm':
      return 'this computer’s processor (WebAssembly)';
    case 'cpu':
      return 'this computer’s processor (plain JavaScript, slower)';
    case 'webgl':
      return 'the graphics chip (WebGL)';
    case 'webgpu':
      return 'the graphics chip (WebGPU)';
    default:
      return name;
  }
}

/** The engine that masks the update (docs/protocol.md §6.1), in plain words. */
export function maskingWords(engine: string | undefined): string {
  switch (engine) {
    case undefined:
      return 'loading…';
    case 'wasm':
      return 'WebAssembly SIMD';
    case 'ts':
      return 'plain JavaScript (slower)';
    default:
      return engine;
  }
}

export interface HistoryRow {
  round: number;
  role: string;
  ok: boolean;
  version: number;
  note: string;
}

/** A history row, or a run of rounds this tab did not take part in. */
export type ShownRow = ({ kind: 'round' } & HistoryRow) | { kind: 'missed'; from: number; to: number };

/**
 * The history with a row for every run of rounds the tab missed between the first round it
 * saw and `current` (the round in progress, if any): offline, reloading, or not drawn.
 */
export function withMissed(history: readonly HistoryRow[], current: number | undefined): ShownRow[] {
  const rows = [...history].sort((a, b) => a.round - b.round);
  const out: ShownRow[] = [];
  let prev: number | undefined;
  for (const r of rows) {
    if (prev !== undefined && r.round > prev + 1) out.push({ kind: 'missed', from: prev + 1, to: r.round - 1 });
    out.push({ kind: 'round', ...r });
    prev = r.round;
  }
  if (prev !== undefined && current !== undefined && current > prev + 1)
    out.push({ kind: 'missed', from: prev + 1, to: current - 1 });
  return out;
}
