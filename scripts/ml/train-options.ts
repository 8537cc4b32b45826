/** Model/training flags shared by `train:central`, `fedsim` and the report. */
import { DEFAULT_HIDDEN } from '../../src/ml/model';
import type { LossSpec } from '../../src/ml/losses';
import { DEFAULT_SCALING, type ScalingSpec } from '../../src/ml/scaling';
import { type FlagValues, flag, intList, num, toggle, UsageError } from '../cli';

/** The model and training flags, with the command's defaults in their help. */
export const modelFlagUses = (d: { batch: number; lr: number }) =>
  ({
    'batch-size': flag('N', `mini-batch size (default ${d.batch})`),
    lr: `Adam; default ${d.lr}`,
    loss: flag('bce|focal', 'weighted cross-entropy or focal loss (γ=2, α=0.75) (default bce)'),
    'pos-weight': flag('W', 'fraud class weight of the bce loss (default 5)'),
    hidden: `default ${DEFAULT_HIDDEN.join(',')}`,
    'no-time': toggle('drop the time-of-day inputs'),
    'init-seed': flag('N', 'seed of the initial weights and shuffling (default 0)'),
  }) as const;

type ModelFlags = FlagValues<ReturnType<typeof modelFlagUses>>;

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
