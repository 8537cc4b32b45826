/**
 * Timing helpers for the bench: warm-up runs, then the median of several timed runs.
 * Everything is wall-clock time from `performance.now()` on the main thread (async work that
 * Node hands to its thread pool, such as WebCrypto, counts while it is awaited).
 */

export interface Summary {
  median_ms: number;
  min_ms: number;
  max_ms: number;
  runs: number;
}

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of an empty list');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Linear-interpolated quantile, q in [0, 1]. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) throw new RangeError('quantile of an empty list');
  const s = [...xs].sort((a, b) => a - b);
  const pos = Math.min(1, Math.max(0, q)) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
}

export function summarize(samples: readonly number[]): Summary {
  return {
    median_ms: median(samples),
    min_ms: Math.min(...samples),
    max_ms: Math.max(...samples),
    runs: samples.length,
  };
}

export interface MeasureOptions<S, R> {
  /** Untimed runs first (JIT warm-up, caches, key imports). */
  warmup: number;
  /** Timed runs; the median is reported. */
  runs: number;
  /** Untimed preparation before every run (warm-up and timed); its value is passed to `run`. */
  setup?: () => S | Promise<S>;
  /** The timed code. */
  run: (state: S) => R | Promise<R>;
}

export interface Measurement<R> extends Summary {
  /** Wall time of every timed run, in order. */
  samples: number[];
  /** What `run` returned in every timed run (e.g. internal timings), in order. */
  results: R[];
}

/** Runs `warmup` + `runs` times and summarizes the timed runs. */
export async function measure<S = undefined, R = unknown>(opts: MeasureOptions<S, R>): Promise<Measurement<R>> {
  if (!(Number.isSafeInteger(opts.runs) && opts.runs >= 1))
    throw new RangeError(`runs must be a positive integer, got ${opts.runs}`);
  if (!(Number.isSafeInteger(opts.warmup) && opts.warmup >= 0))
    throw new RangeError(`warmup must be a non-negative integer, got ${opts.warmup}`);
  const samples: number[] = [];
  const results: R[] = [];
  for (let i = 0; i < opts.warmup + opts.runs; i++) {
    const state = (opts.setup ? await opts.setup() : undefined) as S;
    const t0 = performance.now();
    const r = await opts.run(state);
    const dt = performance.now() - t0;
    if (i >= opts.warmup) {
      samples.push(dt);
      results.push(r);
    }
  }
  return { ...summarize(samples), samples, results };
}

/** A variant of an interleaved measurement: untimed preparation that returns the timed code. */
export type Prepare<R> = () => (() => R | Promise<R>) | Promise<() => R | Promise<R>>;

/**
 * Measures several variants of one operation run by run in turn (the order rotating every run),
 * so that a ratio between them is measured under the same conditions: the same machine load,
 * heap and JIT state, not one variant's runs before another's.
 */
export async function measureInterleaved<K extends string, R>(opts: {
  warmup: number;
  runs: number;
  variants: Record<K, Prepare<R>>;
}): Promise<Record<K, Measurement<R>>> {
  if (!(Number.isSafeInteger(opts.runs) && opts.runs >= 1))
    throw new RangeError(`runs must be a positive integer, got ${opts.runs}`);
  if (!(Number.isSafeInteger(opts.warmup) && opts.warmup >= 0))
    throw new RangeError(`warmup must be a non-negative integer, got ${opts.warmup}`);
  const keys = Object.keys(opts.variants) as K[];
  if (keys.length === 0) throw new RangeError('measureInterleaved needs at least one variant');
  const samples = new Map<K, number[]>(keys.map((k) => [k, []]));
  const results = new Map<K, R[]>(keys.map((k) => [k, []]));
  for (let i = 0; i < opts.warmup + opts.runs; i++) {
    for (let v = 0; v < keys.length; v++) {
      const k = keys[(i + v) % keys.length] as K;
      const run = await opts.variants[k]();
      const t0 = performance.now();
      const r = await run();
      const dt = performance.now() - t0;
      if (i >= opts.warmup) {
        (samples.get(k) as number[]).push(dt);
        (results.get(k) as R[]).push(r);
      }
    }
  }
  const out = {} as Record<K, Measurement<R>>;
  for (const k of keys) {
    const s = samples.get(k) as number[];
    out[k] = { ...summarize(s), samples: s, results: results.get(k) as R[] };
  }
  return out;
}

/** Median, min and max of one numeric part of every run's result (e.g. a phase's own timing). */
export function partOf<R>(m: Measurement<R>, part: (r: R) => number): Measurement<R> {
  const samples = m.results.map(part);
  return { ...summarize(samples), samples, results: m.results };
}

/**
 * The median over runs of a[i] / b[i], for two variants of one interleaved measurement (run i
 * of each was taken back to back): a ratio that slow changes in the machine's load cancel out of.
 */
export function pairedRatio(a: Measurement<unknown>, b: Measurement<unknown>): number {
  if (a.samples.length !== b.samples.length) throw new RangeError('paired samples must be of equal count');
  return median(a.samples.map((x, i) => x / (b.samples[i] as number)));
}

/** Round for display: 3 significant digits below 100, integers above. */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

export function fmtRatio(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x >= 100) return `${x.toFixed(0)}×`;
  if (x >= 10) return `${x.toFixed(1)}×`;
  return `${x.toFixed(2)}×`;
}

export function fmtBytes(b: number): string {
  if (b >= 1 << 20) return `${(b / (1 << 20)).toFixed(2)} MiB`;
  if (b >= 1 << 10) return `${(b / (1 << 10)).toFixed(1)} KiB`;
  return `${b} B`;
}
