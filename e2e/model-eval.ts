/**
 * The global model's quality, measured in the test process on a fixed synthetic validation set
 * (seeded, so every run scores the same rows): reads the checkpoints the server wrote in
 * `<dataDir>/models/v<N>/`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { modelFromCheckpoint } from '../src/ml/checkpoint';
import { loadCheckpoint } from '../src/ml/checkpoint-node';
import type { Dataset } from '../src/ml/dataset';
import { evaluateModel } from '../src/ml/pipeline';
import { generateSynthetic } from '../src/ml/synthetic';

let validation: Dataset | undefined;

/** 20,000 synthetic rows (1 % fraud) from a seed no tab uses for training. */
export function validationSet(): Dataset {
  validation ??= generateSynthetic({ rows: 20_000, fraudRate: 0.01, seed: 20_250_606 });
  return validation;
}

export async function aucPrOf(modelDir: string, data: Dataset = validationSet()): Promise<number> {
  const ckpt = await loadCheckpoint(modelDir);
  const model = modelFromCheckpoint(ckpt);
  try {
    return (await evaluateModel(model, data, ckpt.manifest.scaling, ckpt.manifest.threshold)).auc_pr;
  } finally {
    model.dispose();
  }
}

/** The raw bytes of a checkpoint's weights (to show that a failed round changed nothing). */
export async function weightBytes(modelDir: string): Promise<Buffer> {
  const manifest = JSON.parse(await readFile(join(modelDir, 'model.json'), 'utf8')) as { weights: { file: string } };
  return readFile(join(modelDir, manifest.weights.file));
}
