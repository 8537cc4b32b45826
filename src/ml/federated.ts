/**
 * Federated averaging on flat weight vectors.
 *
 * A client turns the global flat weights into an update with
 * {@link localUpdate}: `delta = local − global` after a few local epochs,
 * plus its sample count (the FedAvg weight). The server (or the secure
 * aggregation, which only ever sees sums) applies
 * `new = global + Σ wᵢ·Δᵢ / Σ wᵢ` with {@link applyAggregate}.
 * {@link runFedAvg} is the in-process, unmasked reference federation.
 */
import type * as tf from '@tensorflow/tfjs';
import { countFrauds, type Dataset } from './dataset';
import { require_, ShapeMismatchError } from './errors';
import { buildModel, type MlpArchitecture } from './model';
import { hashLabel } from './rng';
import { transformFeatures, type ScalingSpec } from './scaling';
import { trainModel, type TrainOptions } from './train';
import { flattenWeights, setFlatWeights } from './weights';

/** Options of {@link localUpdate}. */
export interface LocalUpdateOptions extends TrainOptions {
  readonly arch: MlpArchitecture;
  readonly scaling: ScalingSpec;
  /** A model of architecture `arch` to reuse as scratch space (its weights are overwritten). */
  readonly model?: tf.LayersModel;
}

/** A client's contribution to one round. */
export interface LocalUpdate {
  /** `local − global`, same layout as the flat weights. */
  readonly delta: Float32Array;
  /** FedAvg weight: number of local training rows. */
  readonly numSamples: number;
  readonly frauds: number;
  /** Mean training loss of the last local epoch. */
  readonly trainLoss: number;
}

/** Trains from `globalFlat` on the client's data and returns the weight delta. */
export async function localUpdate(
  globalFlat: Float32Array,
  data: Dataset,
  opts: LocalUpdateOptions,
): Promise<LocalUpdate> {
  require_(data.size > 0, 'client dataset is empty');
  const model = opts.model ?? buildModel(opts.arch);
  try {
    setFlatWeights(model, globalFlat);
    const x = transformFeatures(data, opts.scaling);
    const summary = await trainModel(model, x, data.labels, x.length / data.size, opts);
    const local = flattenWeights(model);
    const delta = new Float32Array(local.length);
    for (let i = 0; i < local.length; i++) delta[i] = (local[i] as number) - (globalFlat[i] as number);
    return { delta, numSamples: data.size, frauds: countFrauds(data), trainLoss: summary.epochLosses.at(-1) ?? NaN };
  } finally {
    if (!opts.model) model.dispose();
  }
}

/** FedAvg: `global + sumOfWeightedDeltas / sumOfWeights` (a new array). */
export function applyAggregate(
  globalFlat: Float32Array,
  sumOfWeightedDeltas: ArrayLike<number>,
  sumOfWeights: number,
): Float32Array<ArrayBuffer> {
  if (sumOfWeightedDeltas.length !== globalFlat.length) {
    throw new ShapeMismatchError(
      `aggregate has length ${sumOfWeightedDeltas.length}, global weights ${globalFlat.length}`,
    );
  }
  require_(Number.isFinite(sumOfWeights) && sumOfWeights > 0, `sumOfWeights must be > 0, got ${sumOfWeights}`);
  const out = new Float32Array(globalFlat.length);
  for (let i = 0; i < out.length; i++)
    out[i] = (globalFlat[i] as number) + (sumOfWeightedDeltas[i] as number) / sumOfWeights;
  return out;
}

/** Σ wᵢ·Δᵢ and Σ wᵢ with wᵢ = numSamples (what secure aggregation would output). */
export function sumWeightedDeltas(updates: readonly LocalUpdate[]): { sum: Float64Array; weight: number } {
  require_(updates.length > 0, 'no updates to aggregate');
  const len = (updates[0] as LocalUpdate).delta.length;
  const sum = new Float64Array(len);
  let weight = 0;
  for (const u of updates) {
    if (u.delta.length !== len) throw new ShapeMismatchError(`update has length ${u.delta.length}, expected ${len}`);
    for (let i = 0; i < len; i++) sum[i]! += u.numSamples * (u.delta[i] as number);
    weight += u.numSamples;
  }
  return { sum, weight };
}

/** Options of {@link runFedAvg}. */
export interface FedAvgOptions {
  readonly rounds: number;
  readonly arch: MlpArchitecture;
  readonly scaling: ScalingSpec;
  /** Local training options (epochs per round, learning rate, loss, …). */
  readonly local?: Omit<TrainOptions, 'seed' | 'onProgress'>;
  /** Seed of the initial model and of the clients' shuffling (default 0). */
  readonly seed?: number;
  /** Initial global weights (default: a fresh model from `seed`). */
  readonly initial?: Float32Array;
  readonly onRound?: (r: FedRoundInfo) => void | Promise<void>;
}

/** Progress after each round. */
export interface FedRoundInfo {
  /** 1-based round number. */
  readonly round: number;
  readonly rounds: number;
  /** Sample-weighted mean local training loss. */
  readonly trainLoss: number;
  readonly global: Float32Array;
}

/** Plain federated averaging over in-memory clients (no networking, no masking). */
export async function runFedAvg(clients: readonly Dataset[], opts: FedAvgOptions): Promise<Float32Array> {
  require_(clients.length > 0, 'need at least one client');
  require_(
    Number.isInteger(opts.rounds) && opts.rounds >= 0,
    `rounds must be a non-negative integer, got ${opts.rounds}`,
  );
  const seed = opts.seed ?? 0;
  const scratch = buildModel(opts.arch, seed);
  try {
    let global = opts.initial ?? flattenWeights(scratch);
    for (let round = 1; round <= opts.rounds; round++) {
      const updates: LocalUpdate[] = [];
      for (let k = 0; k < clients.length; k++) {
        const data = clients[k] as Dataset;
        if (data.size === 0) continue;
        const clientSeed = (seed ^ hashLabel(`round ${round} client ${k}`)) | 0;
        updates.push(
          await localUpdate(global, data, {
            ...opts.local,
            arch: opts.arch,
            scaling: opts.scaling,
            model: scratch,
            seed: clientSeed,
          }),
        );
      }
      const { sum, weight } = sumWeightedDeltas(updates);
      global = applyAggregate(global, sum, weight);
      const trainLoss = updates.reduce((s, u) => s + u.trainLoss * u.numSamples, 0) / weight;
      await opts.onRound?.({ round, rounds: opts.rounds, trainLoss, global });
    }
    return global;
  } finally {
    scratch.dispose();
  }
}
