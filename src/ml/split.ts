/**
 * The fixed train / validation / test split shared by every command.
 *
 * Rows are split per class (stratified) by a seeded shuffle of their row
 * indices: 60 % train, 20 % validation, 20 % test, seed {@link SPLIT_SEED}.
 * The split depends only on the labels, the row order of the data and the seed,
 * so `train:central`, `fedsim` and `evaluate` agree on the held-out rows of the
 * same file (or the same synthetic options). Validation is used to choose the
 * decision threshold; test is never touched by training.
 */
import { countFrauds, subset, type Dataset } from './dataset';
import { require_ } from './errors';
import { Rng } from './rng';

/** Seed of the documented default split. */
export const SPLIT_SEED = 42;
/** Fractions of each class assigned to train and validation (test gets the rest). */
export const SPLIT_FRACTIONS = { train: 0.6, validation: 0.2 } as const;

export type SplitName = 'train' | 'validation' | 'test';
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'validation', 'test'];

/** Ascending row indices of each part. */
export type SplitIndices = Record<SplitName, Uint32Array>;

/** Computes the stratified split of `labels` (ascending indices in each part). */
export function splitIndices(labels: Uint8Array, seed: number = SPLIT_SEED): SplitIndices {
  require_(labels.length >= 3, `need at least 3 rows to split, got ${labels.length}`);
  const rng = new Rng(seed).fork('split');
  const parts: Record<SplitName, number[]> = { train: [], validation: [], test: [] };
  for (const cls of [0, 1]) {
    const idx: number[] = [];
    for (let i = 0; i < labels.length; i++) if (labels[i] === cls) idx.push(i);
    rng.shuffle(idx);
    const nTrain = Math.round(idx.length * SPLIT_FRACTIONS.train);
    const nVal = Math.round(idx.length * SPLIT_FRACTIONS.validation);
    parts.train.push(...idx.slice(0, nTrain));
    parts.validation.push(...idx.slice(nTrain, nTrain + nVal));
    parts.test.push(...idx.slice(nTrain + nVal));
  }
  const sorted = (a: number[]): Uint32Array => Uint32Array.from(a).sort();
  return { train: sorted(parts.train), validation: sorted(parts.validation), test: sorted(parts.test) };
}

/** The three parts of `data` as datasets. */
export function splitDataset(data: Dataset, seed: number = SPLIT_SEED): Record<SplitName, Dataset> {
  const idx = splitIndices(data.labels, seed);
  const out = {
    train: subset(data, idx.train),
    validation: subset(data, idx.validation),
    test: subset(data, idx.test),
  };
  require_(out.train.size > 0 && out.validation.size > 0 && out.test.size > 0, 'a split part is empty; need more rows');
  return out;
}

/** A one-line description such as `train 2518 rows (190 frauds)`. */
export function describeDataset(name: string, d: Dataset): string {
  return `${name} ${d.size} rows (${countFrauds(d)} frauds)`;
}
