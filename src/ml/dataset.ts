/**
 * The in-memory dataset shape shared by the generator, the CSV loader, the
 * splitter, the partitioner and training.
 *
 * Rows hold the 30 raw inputs of the Kaggle `creditcard.csv` schema in file
 * order — `Time, V1..V28, Amount` — as float32, row-major. Labels are 0/1.
 */
import { require_ } from './errors';

/** Raw input columns in CSV order (the label column `Class` is separate). */
export const RAW_COLUMNS: readonly string[] = ['Time', ...Array.from({ length: 28 }, (_, i) => `V${i + 1}`), 'Amount'];
/** All CSV columns, in order, as Kaggle ships them. */
export const CSV_COLUMNS: readonly string[] = [...RAW_COLUMNS, 'Class'];
/** Number of raw inputs per row (30). */
export const NUM_RAW = RAW_COLUMNS.length;
/** Column index of `Time` in a raw row. */
export const COL_TIME = 0;
/** Column index of `V{k}` (k = 1..28) in a raw row. */
export const colV = (k: number): number => k;
/** Column index of `Amount` in a raw row. */
export const COL_AMOUNT = 29;

/** A labelled set of transactions. */
export interface Dataset {
  /** Row-major `size × 30` raw inputs (`Time, V1..V28, Amount`). */
  readonly features: Float32Array;
  /** `size` labels, 1 = fraud. */
  readonly labels: Uint8Array;
  readonly size: number;
}

/** Builds a dataset, checking that the arrays agree in length and labels are 0/1. */
export function makeDataset(features: Float32Array, labels: Uint8Array): Dataset {
  require_(
    features.length === labels.length * NUM_RAW,
    `features length ${features.length} != labels ${labels.length} × ${NUM_RAW}`,
  );
  for (let i = 0; i < labels.length; i++) {
    require_(labels[i] === 0 || labels[i] === 1, `label at row ${i} is ${labels[i]}, expected 0 or 1`);
  }
  return { features, labels, size: labels.length };
}

/** The rows at `indices`, in that order. */
export function subset(data: Dataset, indices: ArrayLike<number>): Dataset {
  const n = indices.length;
  const features = new Float32Array(n * NUM_RAW);
  const labels = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    const src = indices[r] as number;
    require_(Number.isInteger(src) && src >= 0 && src < data.size, `row index ${src} out of range`);
    features.set(data.features.subarray(src * NUM_RAW, (src + 1) * NUM_RAW), r * NUM_RAW);
    labels[r] = data.labels[src] as number;
  }
  return { features, labels, size: n };
}

/** Concatenates datasets row-wise. */
export function concatDatasets(parts: readonly Dataset[]): Dataset {
  const size = parts.reduce((s, p) => s + p.size, 0);
  const features = new Float32Array(size * NUM_RAW);
  const labels = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    features.set(p.features, off * NUM_RAW);
    labels.set(p.labels, off);
    off += p.size;
  }
  return { features, labels, size };
}

/** Number of fraud rows. */
export function countFrauds(data: Dataset): number {
  let s = 0;
  for (let i = 0; i < data.size; i++) s += data.labels[i] as number;
  return s;
}

/** One raw value: row `row`, column `col`. */
export function rawValue(data: Dataset, row: number, col: number): number {
  return data.features[row * NUM_RAW + col] as number;
}
