/**
 * The demo's baseline: a model trained on one trainer's data alone, against the federation's
 * latest model, both measured on the same held-out rows (the headless trainers' validation
 * rows, which neither trained on). Served as `GET /baseline.json` (src/wire/baseline.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { loadCheckpoint } from '../src/ml/checkpoint-node.js';
import { modelFromCheckpoint } from '../src/ml/checkpoint.js';
import { countFrauds, type Dataset } from '../src/ml/dataset.js';
import { evaluateModel, trainCentral } from '../src/ml/pipeline.js';
import type { Baseline } from '../src/wire/baseline.js';

export class BaselineReport {
  private report: Baseline;
  private evaluating = Promise.resolve();

  constructor(
    private readonly heldOut: Dataset,
    private readonly modelsDir: string,
    private readonly trainers: number,
  ) {
    this.report = { heldOut: { rows: heldOut.size, frauds: countFrauds(heldOut) } };
  }

  /** Trains the one-trainer model (in the background of the demo; a second or two). */
  async trainAlone(train: Dataset, validation: Dataset, epochs: number): Promise<void> {
    const t = await trainCentral(train, validation, { epochs, batchSize: 64, learningRate: 0.003, seed: 1 });
    const m = await evaluateModel(t.model, this.heldOut, t.scaling, t.threshold);
    t.model.dispose();
    this.report = {
      ...this.report,
      alone: { rows: train.size, frauds: countFrauds(train), aucPr: m.auc_pr, recall: m.recall_at_1pct_fpr },
    };
  }

  /** Measures model `version` of the federation (after each finished round; one at a time). */
  federationAt(version: number): Promise<void> {
    this.evaluating = this.evaluating.then(async () => {
      if (version <= (this.report.federation?.version ?? -1)) return;
      const ckpt = await loadCheckpoint(join(this.modelsDir, `v${version}`));
      const model = modelFromCheckpoint(ckpt);
      const m = await evaluateModel(model, this.heldOut, ckpt.manifest.scaling, ckpt.manifest.threshold);
      model.dispose();
      this.report = {
        ...this.report,
        federation: { version, trainers: this.trainers, aucPr: m.auc_pr, recall: m.recall_at_1pct_fpr },
      };
    });
    return this.evaluating;
  }

  /** A fallback handler for GET /baseline.json. */
  route(): (req: IncomingMessage, res: ServerResponse) => boolean {
    return (req, res) => {
      if (req.method !== 'GET' || new URL(req.url ?? '/', 'http://localhost').pathname !== '/baseline.json')
        return false;
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(this.report));
      return true;
    };
  }
}
