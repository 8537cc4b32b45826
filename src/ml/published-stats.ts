/**
 * Published statistics of the full Kaggle "Credit Card Fraud Detection"
 * dataset (ULB MLG, 284,807 rows, 492 frauds), used by the synthetic generator.
 *
 * Sources: the public dataset (Kaggle `mlg-ulb/creditcardfraud`, ODbL: fraud
 * rate, Amount/Time summary, headline fraud shifts) and the widely reproduced
 * class-conditional `describe()` of the public CSV (per-component means and
 * standard deviations, rounded to 2 decimals). These are constants — no
 * client data is needed to use them.
 */

/** Fraction of fraud rows in the full dataset (492 / 284,807). */
export const FRAUD_RATE = 0.00172;

/** Time window of the dataset in seconds (two days). */
export const TIME_MAX = 172792;

/** Amount summary (euros). */
export const AMOUNT = {
  all: { mean: 88.35, std: 250.12, median: 22.0, max: 25691.16 },
  fraud: { mean: 122.21, std: 256.68, median: 9.25, max: 2125.87 },
} as const;

/** Standard deviation of V1..V28 over all rows (≈ the legitimate class). */
export const V_STD: readonly number[] = [
  1.96, 1.65, 1.52, 1.42, 1.38, 1.33, 1.24, 1.19, 1.1, 1.09, 1.02, 1.0, 1.0, 0.96, 0.92, 0.88, 0.85, 0.84, 0.81, 0.77,
  0.73, 0.73, 0.62, 0.61, 0.52, 0.48, 0.4, 0.33,
];

/** Mean of V1..V28 over fraud rows (legitimate rows have mean ≈ 0). */
export const V_FRAUD_MEAN: readonly number[] = [
  -4.77, 3.62, -7.03, 4.54, -3.15, -1.4, -5.57, 0.57, -2.58, -5.68, 3.8, -6.26, -0.11, -6.97, -0.09, -4.14, -6.67,
  -2.25, 0.68, 0.37, 0.71, 0.01, -0.04, -0.11, 0.04, 0.05, 0.17, 0.08,
];

/** Standard deviation of V1..V28 over fraud rows. */
export const V_FRAUD_STD: readonly number[] = [
  6.78, 4.29, 7.11, 2.87, 5.37, 1.86, 7.21, 6.8, 2.5, 4.9, 2.68, 4.65, 1.1, 4.28, 1.05, 3.87, 6.97, 2.9, 1.54, 1.35,
  3.87, 1.49, 1.58, 0.52, 0.8, 0.47, 1.38, 0.55,
];
