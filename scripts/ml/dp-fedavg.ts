/**
 * DP-FedAvg in one process for the utility report (`npm run report:dp`): every trainer trains
 * locally, privatizes its delta exactly as the crypto worker does (src/dp/pipeline.ts privatize:
 * clip → rotate → round → its noise share), the integer vectors are summed (the secure sum's
 * output, which src/sim/dp.test.ts shows is exact over real sockets), and the server decodes and
 * averages as src/server/model.ts does. Without DP (`params` undefined) it is sample-weighted
 * FedAvg, the baseline.
 */
import { type Dataset } from '../../src/ml/dataset';
import { localUpdate } from '../../src/ml/federated';
import { buildModel, type MlpArchitecture } from '../../src/ml/model';
import { hashLabel } from '../../src/ml/rng';
import type { ScalingSpec } from '../../src/ml/scaling';
import { flattenWeights } from '../../src/ml/weights';
import { decodeSum, privatize } from '../../src/dp/pipeline';
import { WordStream, chachaSource } from '../../src/dp/random';
import { type DpRoundParams, sigma2Of } from '../../src/dp/round';
import { paddedLength } from '../../src/dp/rotation';

export interface DpFedAvgOptions {
  readonly rounds: number;
  readonly arch: MlpArchitecture;
  readonly scaling: ScalingSpec;
  readonly local: { epochs: number; batchSize: number; learningRate: number };
  readonly seed: number;
  /** The round's DP parameters; undefined: the DP-free baseline. */
  readonly params?: DpRoundParams;
  readonly onRound?: (round: number, global: Float32Array) => void | Promise<void>;
}

/** The L2 norms of the trainers' first-round deltas (to choose the clipping norm). */
export async function firstRoundNorms(
  clients: readonly Dataset[],
  o: Omit<DpFedAvgOptions, 'rounds'>,
): Promise<number[]> {
  const scratch = buildModel(o.arch, o.seed);
  try {
    const global = flattenWeights(scratch);
    const out: number[] = [];
    for (let k = 0; k < clients.length; k++) {
      const u = await localUpdate(global, clients[k] as Dataset, {
        ...o.local,
        arch: o.arch,
        scaling: o.scaling,
        model: scratch,
        seed: (o.seed ^ hashLabel(`round 1 client ${k}`)) | 0,
      });
      out.push(Math.hypot(...u.delta));
    }
    return out;
  } finally {
    scratch.dispose();
  }
}

export async function runDpFedAvg(clients: readonly Dataset[], o: DpFedAvgOptions): Promise<Float32Array> {
  const scratch = buildModel(o.arch, o.seed);
  try {
    let global = flattenWeights(scratch);
    const L = global.length;
    for (let round = 1; round <= o.rounds; round++) {
      // The round's public seed (rotation) and each trainer's secret randomness, reproducible.
      const seed = new Uint8Array(32);
      new DataView(seed.buffer).setUint32(0, hashLabel(`report:dp ${o.seed} round ${round}`) >>> 0);
      const sum = new Float64Array(o.params ? paddedLength(L) : L);
      let weight = 0;
      for (let k = 0; k < clients.length; k++) {
        const data = clients[k] as Dataset;
        if (data.size === 0) continue;
        const u = await localUpdate(global, data, {
          ...o.local,
          arch: o.arch,
          scaling: o.scaling,
          model: scratch,
          seed: (o.seed ^ hashLabel(`round ${round} client ${k}`)) | 0,
        });
        if (o.params) {
          const secret = new Uint8Array(32);
          new DataView(secret.buffer).setUint32(0, hashLabel(`report:dp secret ${o.seed} ${round} ${k}`) >>> 0);
          const p = o.params;
          const rs = new WordStream(chachaSource(secret));
          const x = privatize(u.delta, { clip: p.clip, gamma: p.gamma, beta: p.beta, sigma2: sigma2Of(p) }, seed, rs);
          for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + (x.values[i] as number);
          weight += 1; // uniform weights in a DP round (docs/dp.md §12)
        } else {
          for (let i = 0; i < L; i++) sum[i] = (sum[i] as number) + u.numSamples * (u.delta[i] as number);
          weight += u.numSamples;
        }
      }
      const total = o.params ? decodeSum(sum, o.params, seed, L) : sum;
      const next = new Float32Array(L);
      for (let i = 0; i < L; i++) next[i] = (global[i] as number) + (total[i] as number) / weight;
      global = next;
      await o.onRound?.(round, global);
    }
    return global;
  } finally {
    scratch.dispose();
  }
}
