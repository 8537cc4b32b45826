/**
 * Partitioning of a (training) dataset into per-client datasets for federated
 * simulation. Deterministic from the seed: client k of a federation always
 * receives the same rows. Partitions are disjoint and cover every row.
 *
 * - `iid`: each class is shuffled and dealt round-robin, so every client has
 *   (up to one row) the same size and fraud rate.
 * - `non-iid`: frauds are distributed with Dirichlet(`fraudAlpha`) proportions
 *   (per-client fraud rates differ strongly for small alpha), and legitimate
 *   rows are sorted by a key mixing their log-amount rank (weight `amountSkew`)
 *   with noise and cut into equal contiguous blocks, so client 0 sees mostly
 *   small amounts and client K−1 mostly large ones.
 */
import { COL_AMOUNT, NUM_RAW, subset, type Dataset } from './dataset';
import { require_ } from './errors';
import { Rng } from './rng';

export type PartitionMode = 'iid' | 'non-iid';

/** Options of {@link partitionIndices}. */
export interface PartitionOptions {
  readonly clients: number;
  readonly mode?: PartitionMode;
  /** Seed (default 7). */
  readonly seed?: number;
  /** Dirichlet concentration of the fraud allocation, non-IID only (default 0.5). */
  readonly fraudAlpha?: number;
  /** Weight in [0, 1] of the amount rank in the legitimate-row ordering, non-IID only (default 0.8). */
  readonly amountSkew?: number;
}

export const DEFAULT_PARTITION_SEED = 7;

function dirichletCounts(rng: Rng, total: number, k: number, alpha: number): number[] {
  const g = Array.from({ length: k }, () => rng.gamma(alpha));
  const sum = g.reduce((a, b) => a + b, 0);
  const exact = g.map((x) => (x / sum) * total);
  const counts = exact.map(Math.floor);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
  let left = total - counts.reduce((a, b) => a + b, 0);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    counts[i] = (counts[i] as number) + 1;
  }
  return counts;
}

/** Per-client ascending row indices into `data`. */
export function partitionIndices(data: Dataset, opts: PartitionOptions): Uint32Array[] {
  const k = opts.clients;
  const mode = opts.mode ?? 'iid';
  const alpha = opts.fraudAlpha ?? 0.5;
  const skew = opts.amountSkew ?? 0.8;
  require_(Number.isInteger(k) && k >= 1, `clients must be a positive integer, got ${k}`);
  require_(mode === 'iid' || mode === 'non-iid', `mode must be 'iid' or 'non-iid', got ${String(mode)}`);
  require_(alpha > 0, `fraudAlpha must be > 0, got ${alpha}`);
  require_(skew >= 0 && skew <= 1, `amountSkew must be in [0, 1], got ${skew}`);
  const rng = new Rng(opts.seed ?? DEFAULT_PARTITION_SEED).fork(`partition:${mode}:${k}`);

  const frauds: number[] = [];
  const legit: number[] = [];
  for (let i = 0; i < data.size; i++) (data.labels[i] === 1 ? frauds : legit).push(i);
  require_(legit.length >= k, `need at least ${k} legitimate rows for ${k} clients, got ${legit.length}`);
  const parts: number[][] = Array.from({ length: k }, () => []);

  if (mode === 'iid') {
    rng.shuffle(frauds);
    rng.shuffle(legit);
    frauds.forEach((row, j) => parts[j % k]!.push(row));
    legit.forEach((row, j) => parts[(j + frauds.length) % k]!.push(row));
  } else {
    rng.shuffle(frauds);
    let off = 0;
    dirichletCounts(rng, frauds.length, k, alpha).forEach((c, client) => {
      parts[client]!.push(...frauds.slice(off, off + c));
      off += c;
    });
    const logAmt = (i: number): number => Math.log1p(Math.max(0, data.features[i * NUM_RAW + COL_AMOUNT] as number));
    const byAmount = [...legit].sort((a, b) => logAmt(a) - logAmt(b) || a - b);
    const key = new Float64Array(data.size);
    byAmount.forEach((row, rank) => {
      key[row] = skew * (rank / byAmount.length) + (1 - skew) * rng.next();
    });
    const ordered = [...legit].sort((a, b) => (key[a] as number) - (key[b] as number) || a - b);
    for (let client = 0; client < k; client++) {
      const lo = Math.floor((client * ordered.length) / k);
      const hi = Math.floor(((client + 1) * ordered.length) / k);
      parts[client]!.push(...ordered.slice(lo, hi));
    }
  }
  return parts.map((p) => Uint32Array.from(p).sort());
}

/** Per-client datasets (see {@link partitionIndices}). */
export function partitionDataset(data: Dataset, opts: PartitionOptions): Dataset[] {
  return partitionIndices(data, opts).map((idx) => subset(data, idx));
}
