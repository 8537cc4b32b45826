/**
 * Synthetic credit-card transactions modelled on the published statistics of
 * the Kaggle dataset (see `published-stats.ts`). This is the embedded default
 * data source: it needs no download and is deterministic from its seed.
 *
 * Model (per row, class first):
 * - Class: exactly `round(rows × fraudRate)` frauds at seeded random positions.
 * - V1..V28, legitimate: independent N(0, V_STD[k]).
 * - V1..V28, fraud: `s · V_FRAUD_MEAN[k] + N(0, e_k)` with a per-row severity
 *   `s ~ U(0, 2)` shared by all components (frauds range from mild to blatant
 *   and the shifts are correlated, as in the real data); `e_k` is chosen so the
 *   component's standard deviation equals the published V_FRAUD_STD[k].
 * - Amount, legitimate: log-normal with the published median (22.00) and mean
 *   (88.35), capped at the published maximum, rounded to cents.
 * - Amount, fraud: mixture of "card testing" micro-amounts (45 %, median 1.00)
 *   and a log-normal body, tuned to the published fraud median (9.25) and mean
 *   (≈122), capped at the published fraud maximum 2125.87.
 * - Time: integer seconds in [0, 172792] (two days starting at midnight);
 *   legitimate traffic follows a day/night cycle (trough ≈ 03:00, peak ≈ 15:00),
 *   frauds a much flatter one.
 */
import { makeDataset, NUM_RAW, COL_AMOUNT, COL_TIME, type Dataset } from './dataset';
import { require_ } from './errors';
import { AMOUNT, FRAUD_RATE, TIME_MAX, V_FRAUD_MEAN, V_FRAUD_STD, V_STD } from './published-stats';
import { Rng } from './rng';

/** Options of {@link generateSynthetic}. */
export interface SyntheticOptions {
  /** Number of rows (default 100,000). */
  readonly rows?: number;
  /** Fraction of fraud rows, in [0, 1] (default 0.00172, the published rate). */
  readonly fraudRate?: number;
  /** Seed; equal seeds and options give identical datasets (default 1). */
  readonly seed?: number;
}

export const DEFAULT_SYNTHETIC_ROWS = 100_000;
export const DEFAULT_SYNTHETIC_SEED = 1;

const LEGIT_AMOUNT_MU = Math.log(AMOUNT.all.median);
const LEGIT_AMOUNT_SIGMA = Math.sqrt(2 * Math.log(AMOUNT.all.mean / AMOUNT.all.median));
const FRAUD_MICRO_SHARE = 0.45;
const FRAUD_MICRO_MU = 0;
const FRAUD_MICRO_SIGMA = 0.6;
const FRAUD_BODY_MU = Math.log(78);
const FRAUD_BODY_SIGMA = 1.6;

const FRAUD_NOISE = V_FRAUD_STD.map((sd, k) => {
  const mu = V_FRAUD_MEAN[k] as number;
  return Math.sqrt(Math.max(sd * sd - (mu * mu) / 3, 0.01));
});

const cents = (x: number): number => Math.round(x * 100) / 100;

/** Relative transaction intensity at hour-of-day `h` for the class. */
function intensity(h: number, fraud: boolean): number {
  return fraud ? 1 + 0.3 * Math.cos((2 * Math.PI * (h - 11)) / 24) : 1 + 0.85 * Math.cos((2 * Math.PI * (h - 15)) / 24);
}

function sampleTime(rng: Rng, fraud: boolean): number {
  const peak = fraud ? 1.3 : 1.85;
  for (;;) {
    const t = rng.int(TIME_MAX + 1);
    const h = (t % 86400) / 3600;
    if (rng.next() * peak <= intensity(h, fraud)) return t;
  }
}

function sampleAmount(rng: Rng, fraud: boolean): number {
  if (!fraud) {
    const a = Math.exp(LEGIT_AMOUNT_MU + LEGIT_AMOUNT_SIGMA * rng.normal());
    return cents(Math.min(a, AMOUNT.all.max));
  }
  const micro = rng.next() < FRAUD_MICRO_SHARE;
  const a = micro
    ? Math.exp(FRAUD_MICRO_MU + FRAUD_MICRO_SIGMA * rng.normal())
    : Math.exp(FRAUD_BODY_MU + FRAUD_BODY_SIGMA * rng.normal());
  return cents(Math.min(a, AMOUNT.fraud.max));
}

/** Generates a synthetic dataset; deterministic in (rows, fraudRate, seed). */
export function generateSynthetic(opts: SyntheticOptions = {}): Dataset {
  const rows = opts.rows ?? DEFAULT_SYNTHETIC_ROWS;
  const fraudRate = opts.fraudRate ?? FRAUD_RATE;
  const seed = opts.seed ?? DEFAULT_SYNTHETIC_SEED;
  require_(Number.isInteger(rows) && rows >= 1, `rows must be a positive integer, got ${rows}`);
  require_(
    Number.isFinite(fraudRate) && fraudRate >= 0 && fraudRate <= 1,
    `fraudRate must be in [0, 1], got ${fraudRate}`,
  );
  require_(Number.isInteger(seed), `seed must be an integer, got ${seed}`);

  const root = new Rng(seed);
  const labels = new Uint8Array(rows);
  labels.fill(1, 0, Math.round(rows * fraudRate));
  root.fork('labels').shuffle(labels);

  const rng = root.fork('rows');
  const features = new Float32Array(rows * NUM_RAW);
  for (let r = 0; r < rows; r++) {
    const fraud = labels[r] === 1;
    const o = r * NUM_RAW;
    const severity = fraud ? 2 * rng.next() : 0;
    for (let k = 0; k < 28; k++) {
      features[o + 1 + k] = fraud
        ? severity * (V_FRAUD_MEAN[k] as number) + (FRAUD_NOISE[k] as number) * rng.normal()
        : (V_STD[k] as number) * rng.normal();
    }
    features[o + COL_AMOUNT] = sampleAmount(rng, fraud);
    features[o + COL_TIME] = sampleTime(rng, fraud);
  }
  return makeDataset(features, labels);
}
