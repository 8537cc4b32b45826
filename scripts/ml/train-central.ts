/**
 * `npm run train:central -- --data <csv|synthetic> --out <dir> [--epochs N]`
 *
 * Centralized baseline: trains one model on the train part of the fixed split
 * (see src/ml/split.ts), chooses the threshold on the validation part, prints
 * validation metrics and saves a checkpoint in <dir>.
 */
import { createCheckpoint } from '../../src/ml/checkpoint';
import { saveCheckpoint } from '../../src/ml/checkpoint-node';
import { evaluateModel, trainCentral } from '../../src/ml/pipeline';
import { SPLIT_SEED, splitDataset } from '../../src/ml/split';
import { command, DATA_FLAGS, describe, flag, loadData, log, num, runMain, UsageError } from '../cli';
import { formatMetrics } from './format';
import { modelFlagUses, modelFlags } from './train-options';

const DEFAULTS = { epochs: 20, batch: 64, lr: 0.003 };

const CMD = command({
  usage: 'npm run train:central -- --data <csv|synthetic> --out <dir> [options]',
  about: `
Trains the fraud MLP on all training rows (the centralized baseline) and saves
a checkpoint (model.json + weights.bin) in <dir>. Uses the fixed stratified
60/20/20 train/validation/test split (seed ${SPLIT_SEED}); the threshold is
chosen on validation; test rows are never used.`,
  flags: {
    ...DATA_FLAGS,
    out: flag('<dir>', 'checkpoint directory (created if missing)'),
    epochs: `default ${DEFAULTS.epochs}`,
    ...modelFlagUses(DEFAULTS),
  },
});

runMain(CMD.help, async () => {
  const f = CMD.parse();
  if (!f.out) throw new UsageError('--out <dir> is required');
  const epochs = num('epochs', f.epochs, DEFAULTS.epochs, { int: true, min: 1 });
  const m = modelFlags(f, DEFAULTS);
  const { dataset, label } = await loadData(f);
  const split = splitDataset(dataset);
  log(`data: ${label}: ${describe(dataset)}`);
  log(`train: ${describe(split.train)}; validation: ${describe(split.validation)}`);
  const t0 = performance.now();
  const trained = await trainCentral(split.train, split.validation, {
    ...m,
    epochs,
    onProgress: (p) => {
      if (p.kind === 'epoch') log(`epoch ${p.epoch + 1}/${p.epochs}  loss ${p.loss.toFixed(5)}`);
    },
  });
  const secs = (performance.now() - t0) / 1000;
  log(`trained in ${secs.toFixed(1)} s (${Math.round(trained.summary.samplesSeen / secs)} samples/s)`);
  const metrics = await evaluateModel(trained.model, split.validation, trained.scaling, trained.threshold);
  log('validation metrics:');
  log(formatMetrics(metrics));
  const ckpt = createCheckpoint(trained.model, trained.arch, trained.scaling, trained.threshold, {
    command: 'train:central',
    data: label,
    epochs,
    batchSize: m.batchSize,
    learningRate: m.learningRate,
    loss: m.loss,
    seed: m.seed,
    splitSeed: SPLIT_SEED,
    validation: { auc_pr: metrics.auc_pr, roc_auc: metrics.roc_auc, recall_at_1pct_fpr: metrics.recall_at_1pct_fpr },
  });
  const paths = await saveCheckpoint(f.out, ckpt);
  log(`checkpoint saved: ${paths.manifest}, ${paths.weights}`);
});
