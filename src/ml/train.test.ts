import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from './backend';
import { loadCreditCardCsvFile } from './csv-node';
import { countFrauds } from './dataset';
import { evaluateModel, trainCentral } from './pipeline';
import { splitDataset } from './split';
import { HAS_SAMPLE, SAMPLE_CSV } from '../../test/support/ml-sample.js';
import type { TrainProgress } from './train';
import { flattenWeights } from './weights';

beforeAll(async () => {
  await useBackend('cpu');
});

describe.skipIf(!HAS_SAMPLE)('centralized training on the real sample', () => {
  it('beats the fraud-rate baseline of AUC-PR by a wide margin, deterministically', async () => {
    const { dataset } = await loadCreditCardCsvFile(SAMPLE_CSV);
    const split = splitDataset(dataset);
    const events: TrainProgress[] = [];
    const opts = { epochs: 4, batchSize: 64, hidden: [16, 8], seed: 1 };
    const trained = await trainCentral(split.train, split.validation, { ...opts, onProgress: (p) => events.push(p) });
    const m = await evaluateModel(trained.model, split.test, trained.scaling, trained.threshold);
    const baseline = countFrauds(split.test) / split.test.size; // AUC-PR of a random ranking
    expect(baseline).toBeLessThan(0.1);
    expect(m.auc_pr).toBeGreaterThan(0.8);
    expect(m.roc_auc).toBeGreaterThan(0.95);
    expect(m.recall_at_1pct_fpr).toBeGreaterThan(0.6);
    expect(events.filter((e) => e.kind === 'epoch')).toHaveLength(4);
    expect(events.filter((e) => e.kind === 'batch')).toHaveLength(4 * Math.ceil(split.train.size / 64));
    const again = await trainCentral(split.train, split.validation, opts);
    expect(flattenWeights(again.model)).toEqual(flattenWeights(trained.model));
  });
});

describe('training lets the event loop run', () => {
  it('a timer due during training fires before training ends (a closed tab stops in time)', async () => {
    const { generateSynthetic } = await import('./synthetic');
    const { buildModel, mlpArchitecture } = await import('./model');
    const { DEFAULT_SCALING, numInputs, transformFeatures } = await import('./scaling');
    const { trainModel } = await import('./train');
    await useBackend('cpu');
    const data = generateSynthetic({ rows: 4000, fraudRate: 0.02, seed: 2 });
    const arch = mlpArchitecture(numInputs(DEFAULT_SCALING));
    const model = buildModel(arch, 1);
    const x = transformFeatures(data, DEFAULT_SCALING);
    let fired = false;
    let firedAtBatch = -1;
    let batches = 0;
    setTimeout(() => {
      fired = true;
      firedAtBatch = batches;
    }, 0);
    await trainModel(model, x, data.labels, arch.inputs, {
      epochs: 4,
      batchSize: 16,
      onProgress: (p) => void (p.kind === 'batch' && batches++),
    });
    model.dispose();
    expect(fired).toBe(true);
    expect(firedAtBatch).toBeGreaterThan(0);
    expect(firedAtBatch).toBeLessThan(batches); // it ran while training was still going
  });
});
