/** Model/training flags shared by `train:central`, `fedsim` and the report. */
import { DEFAULT_HIDDEN } from '../../src/ml/model';
import type { LossSpec } from '../../src/ml/losses';
import { DEFAULT_SCALING, type ScalingSpec } from '../../src/ml/scaling';
import { intList, num, UsageError } from '../cli';

export const MODEL_OPTIONS = {
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  loss: { type: 'string' },
  'pos-weight': { type: 'string' },
  hidden: { type: 'string' },
  'no-time': { type: 'boolean' },
  'init-seed': { type: 'string' },
} as const;

export const MODEL_HELP = (batch: number, lr: number): string => `  --batch-size N          mini-batch size (default ${batch})
  --lr X                  Adam learning rate (default ${lr})
  --loss bce|focal        weighted cross-entropy or focal loss (γ=2, α=0.75) (default bce)
  --pos-weight W          fraud class weight of the bce loss (default 5)
  --hidden 32,16          hidden layer sizes (default ${DEFAULT_HIDDEN.join(',')})
  --no-time               drop the time-of-day inputs
  --init-seed N           seed of the initial weights and shuffling (default 0)`;

type ModelFlags = { [K in keyof typeof MODEL_OPTIONS]?: (typeof MODEL_OPTIONS)[K]['type'] extends 'boolean' ? boolean | undefined : string | undefined };

/** Training hyper-parameters parsed from the flags. */
export function modelFlags(f: ModelFlags, defaults: { batch: number; lr: number }) {
  const posWeight = num('pos-weight', f['pos-weight'], 5, { min: 1e-6 });
  let loss: LossSpec;
  if (f.loss === undefined || f.loss === 'bce') loss = { kind: 'weighted-bce', posWeight };
  else if (f.loss === 'focal') loss = { kind: 'focal', gamma: 2, alpha: 0.75 };
  else throw new UsageError(`--loss must be 'bce' or 'focal', got '${f.loss}'`);
  const scaling: ScalingSpec = { ...DEFAULT_SCALING, useTime: !f['no-time'] };
  return {
    batchSize: num('batch-size', f['batch-size'], defaults.batch, { int: true, min: 1 }),
    learningRate: num('lr', f.lr, defaults.lr, { min: 1e-9, max: 10 }),
    loss,
    hidden: intList('hidden', f.hidden, DEFAULT_HIDDEN),
    scaling,
    seed: num('init-seed', f['init-seed'], 0, { int: true }),
  };
}
