import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from './backend';
import { loadCreditCardCsvFile } from './csv-node';
import { countFrauds } from './dataset';
import { evaluateModel, trainCentral } from './pipeline';
import { splitDataset } from './split';
import { HAS_SAMPLE, SAMPLE_CSV } from './test-support';
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
