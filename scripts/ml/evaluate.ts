/**
 * `npm run evaluate -- --model <dir> --data <csv|synthetic> [--split test]`
 *
 * Evaluates a checkpoint on one part of the fixed split (default: the held-out
 * test part) and prints a metrics table; the last stdout line is one JSON
 * object with auc_pr, roc_auc, recall_at_1pct_fpr, n, frauds and the rest.
 */
import { modelFromCheckpoint } from '../../src/ml/checkpoint';
import { loadCheckpoint } from '../../src/ml/checkpoint-node';
import { evaluateModel } from '../../src/ml/pipeline';
import { SPLIT_NAMES, SPLIT_SEED, splitDataset, type SplitName } from '../../src/ml/split';
import { command, DATA_FLAGS, describe, flag, loadData, log, num, runMain, UsageError } from '../cli';
import { formatMetrics } from './format';

const CMD = command({
  usage: 'npm run evaluate -- --model <dir> --data <csv|synthetic> [options]',
  about: `
Evaluates the checkpoint in <dir> (written by train:central or fedsim).
By default only the held-out test part of the fixed stratified 60/20/20
split (seed ${SPLIT_SEED}) is evaluated — the rows neither command trained on
or chose the threshold with. Prints a table; the last line is JSON.`,
  flags: {
    model: flag('<dir>', 'checkpoint directory (model.json + weights.bin)'),
    ...DATA_FLAGS,
    split: flag('NAME', 'test (default), validation, train or all'),
    threshold: flag('X', "override the checkpoint's decision threshold"),
  },
});

runMain(CMD.help, async () => {
  const f = CMD.parse();
  if (!f.model) throw new UsageError('--model <dir> is required');
  const split = f.split ?? 'test';
  if (split !== 'all' && !SPLIT_NAMES.includes(split as SplitName)) {
    throw new UsageError(`--split must be one of ${SPLIT_NAMES.join(', ')}, all; got '${split}'`);
  }
  const ckpt = await loadCheckpoint(f.model);
  const threshold = num('threshold', f.threshold, ckpt.manifest.threshold, { min: 0, max: 1 });
  const { dataset, label } = await loadData(f);
  const data = split === 'all' ? dataset : splitDataset(dataset)[split as SplitName];
  const made = ckpt.manifest.meta.command;
  log(`model: ${f.model} (${typeof made === 'string' ? made : 'unknown command'})`);
  log(`data: ${label}, split '${split}': ${describe(data)}`);
  const metrics = await evaluateModel(modelFromCheckpoint(ckpt), data, ckpt.manifest.scaling, threshold);
  process.stdout.write(`${formatMetrics(metrics)}\n`);
  process.stdout.write(`${JSON.stringify({ ...metrics, split, data: label, model: f.model })}\n`);
});
