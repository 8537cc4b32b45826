/**
 * High-level training and evaluation used by the commands and the report:
 * centralized training, threshold selection on validation, evaluation.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Dataset } from './dataset';
import { chooseThreshold, computeMetrics, type Metrics } from './metrics';
import { buildModel, mlpArchitecture, type MlpArchitecture } from './model';
import { predictDataset } from './predict';
import { DEFAULT_SCALING, numInputs, transformFeatures, type ScalingSpec } from './scaling';
import { trainModel, type TrainOptions, type TrainSummary } from './train';
import { setFlatWeights } from './weights';

/** Options of {@link trainCentral}. */
export interface CentralOptions extends TrainOptions {
  readonly hidden?: readonly number[];
  readonly scaling?: ScalingSpec;
  /** Seed of the initial weights (the shuffling uses `seed` too). */
  readonly seed?: number;
}

/** A trained model with everything needed to checkpoint and evaluate it. */
export interface TrainedModel {
  readonly model: tf.LayersModel;
  readonly arch: MlpArchitecture;
  readonly scaling: ScalingSpec;
  /** Decision threshold chosen on validation (max F1). */
  readonly threshold: number;
}

/** Trains one model on `train`, then picks the threshold on `validation`. */
export async function trainCentral(
  train: Dataset,
  validation: Dataset,
  opts: CentralOptions = {},
): Promise<TrainedModel & { summary: TrainSummary }> {
  const scaling = opts.scaling ?? DEFAULT_SCALING;
  const arch = mlpArchitecture(numInputs(scaling), opts.hidden);
  const model = buildModel(arch, opts.seed ?? 0);
  const x = transformFeatures(train, scaling);
  const summary = await trainModel(model, x, train.labels, arch.inputs, opts);
  const threshold = await thresholdOnValidation(model, validation, scaling);
  return { model, arch, scaling, threshold, summary };
}

/** Builds a model from flat weights (e.g. the result of FedAvg) and picks its threshold. */
export async function modelFromFlat(
  flat: Float32Array,
  arch: MlpArchitecture,
  scaling: ScalingSpec,
  validation: Dataset,
): Promise<TrainedModel> {
  const model = buildModel(arch);
  setFlatWeights(model, flat);
  return { model, arch, scaling, threshold: await thresholdOnValidation(model, validation, scaling) };
}

/** The max-F1 threshold of `model` on `validation`. */
export async function thresholdOnValidation(
  model: tf.LayersModel,
  validation: Dataset,
  scaling: ScalingSpec,
): Promise<number> {
  return chooseThreshold(await predictDataset(model, validation, scaling), validation.labels);
}

/** Exact metrics of `model` on `data` at `threshold`. */
export async function evaluateModel(
  model: tf.LayersModel,
  data: Dataset,
  scaling: ScalingSpec,
  threshold: number,
): Promise<Metrics> {
  return computeMetrics(await predictDataset(model, data, scaling), data.labels, threshold);
}
