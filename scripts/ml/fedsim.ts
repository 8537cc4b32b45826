/**
 * `npm run fedsim -- --clients 10 --rounds 20 --data <csv|synthetic> --out <dir> [--non-iid]`
 *
 * Plain federated averaging in one process (no networking, no masking): the
 * reference result the secure federation must reproduce.
 */
import { createCheckpoint } from '../../src/ml/checkpoint';
import { saveCheckpoint } from '../../src/ml/checkpoint-node';
import { countFrauds } from '../../src/ml/dataset';
import { runFedAvg } from '../../src/ml/federated';
import { computeMetrics } from '../../src/ml/metrics';
import { mlpArchitecture, buildModel } from '../../src/ml/model';
import { partitionDataset, DEFAULT_PARTITION_SEED } from '../../src/ml/partition';
import { evaluateModel, modelFromFlat } from '../../src/ml/pipeline';
import { predictDataset } from '../../src/ml/predict';
import { numInputs } from '../../src/ml/scaling';
import { SPLIT_SEED, splitDataset } from '../../src/ml/split';
import { setFlatWeights } from '../../src/ml/weights';
import { command, DATA_FLAGS, describe, flag, loadData, log, num, runMain, toggle, UsageError } from '../cli';
import { formatMetrics } from './format';
import { modelFlagUses, modelFlags } from './train-options';

const DEFAULTS = { clients: 10, rounds: 20, localEpochs: 3, batch: 32, lr: 0.01 };

const CMD = command({
  usage: 'npm run fedsim -- --clients N --rounds R --data <csv|synthetic> --out <dir> [options]',
  about: `
Simulates FedAvg over N clients in one process: the train part of the fixed
stratified 60/20/20 split (seed ${SPLIT_SEED}) is partitioned among the clients,
each round every client trains locally from the global weights and the server
applies new = global + Σ nᵢ·Δᵢ / Σ nᵢ. The threshold of the final model is
chosen on validation; the final checkpoint is saved in <dir>.`,
  flags: {
    clients: flag('N', `number of clients (default ${DEFAULTS.clients})`),
    rounds: `default ${DEFAULTS.rounds}`,
    ...DATA_FLAGS,
    out: flag('<dir>', 'checkpoint directory (created if missing)'),
    'non-iid': toggle('non-IID partition (Dirichlet(0.5) fraud shares, amount-skewed clients)'),
    'partition-seed': flag('N', `seed of the partition (default ${DEFAULT_PARTITION_SEED})`),
    'local-epochs': flag('E', `local epochs per round (default ${DEFAULTS.localEpochs})`),
    ...modelFlagUses(DEFAULTS),
  },
});

runMain(CMD.help, async () => {
  const f = CMD.parse();
  if (!f.out) throw new UsageError('--out <dir> is required');
  const clients = num('clients', f.clients, DEFAULTS.clients, { int: true, min: 1, max: 10_000 });
  const rounds = num('rounds', f.rounds, DEFAULTS.rounds, { int: true, min: 1 });
  const localEpochs = num('local-epochs', f['local-epochs'], DEFAULTS.localEpochs, { int: true, min: 1 });
  const partitionSeed = num('partition-seed', f['partition-seed'], DEFAULT_PARTITION_SEED, { int: true });
  const m = modelFlags(f, DEFAULTS);
  const mode = f['non-iid'] ? 'non-iid' : 'iid';

  const { dataset, label } = await loadData(f);
  const split = splitDataset(dataset);
  const parts = partitionDataset(split.train, { clients, mode, seed: partitionSeed });
  log(`data: ${label}: ${describe(dataset)}; train ${describe(split.train)}`);
  log(`${clients} ${mode} clients: ${parts.map((p) => `${p.size}/${countFrauds(p)}`).join(' ')} (rows/frauds)`);

  const arch = mlpArchitecture(numInputs(m.scaling), m.hidden);
  const probe = buildModel(arch);
  const t0 = performance.now();
  const global = await runFedAvg(parts, {
    rounds,
    arch,
    scaling: m.scaling,
    seed: m.seed,
    local: { epochs: localEpochs, batchSize: m.batchSize, learningRate: m.learningRate, loss: m.loss },
    onRound: async (r) => {
      setFlatWeights(probe, r.global);
      const v = computeMetrics(await predictDataset(probe, split.validation, m.scaling), split.validation.labels);
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      log(
        `round ${r.round}/${r.rounds}  train loss ${r.trainLoss.toFixed(5)}  val AUC-PR ${v.auc_pr.toFixed(4)}  (${secs} s)`,
      );
    },
  });
  probe.dispose();
  const final = await modelFromFlat(global, arch, m.scaling, split.validation);
  const metrics = await evaluateModel(final.model, split.validation, m.scaling, final.threshold);
  log('validation metrics:');
  log(formatMetrics(metrics));
  const ckpt = createCheckpoint(final.model, arch, m.scaling, final.threshold, {
    command: 'fedsim',
    data: label,
    clients,
    rounds,
    partition: mode,
    partitionSeed,
    localEpochs,
    batchSize: m.batchSize,
    learningRate: m.learningRate,
    loss: m.loss,
    seed: m.seed,
    splitSeed: SPLIT_SEED,
  });
  const paths = await saveCheckpoint(f.out, ckpt);
  log(`checkpoint saved: ${paths.manifest}, ${paths.weights}`);
});
