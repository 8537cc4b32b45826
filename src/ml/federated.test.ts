import { describe, expect, it, beforeAll } from 'vitest';
import { useBackend } from './backend';
import { ShapeMismatchError } from './errors';
import { applyAggregate, localUpdate, runFedAvg, sumWeightedDeltas } from './federated';
import { buildModel, mlpArchitecture, parameterCount } from './model';
import { partitionDataset } from './partition';
import { DEFAULT_SCALING, numInputs } from './scaling';
import { generateSynthetic } from './synthetic';
import { flattenWeights, setFlatWeights } from './weights';

const arch = mlpArchitecture(numInputs(DEFAULT_SCALING), [8, 4]);
beforeAll(async () => {
  await useBackend('cpu');
});

describe('flat weights', () => {
  it('flatten/unflatten is lossless and seeded', () => {
    const a = buildModel(arch, 3);
    const flat = flattenWeights(a);
    expect(flat.length).toBe(parameterCount(arch));
    expect(flattenWeights(buildModel(arch, 3))).toEqual(flat);
    const b = buildModel(arch, 4);
    expect(flattenWeights(b)).not.toEqual(flat);
    const odd = flat.map((_, i) => Math.fround(Math.sin(i) * 1e-3 + i * 1e-7));
    setFlatWeights(b, odd);
    expect(flattenWeights(b)).toEqual(odd);
    expect(() => setFlatWeights(b, new Float32Array(3))).toThrow(ShapeMismatchError);
  });
});

describe('FedAvg', () => {
  it('applyAggregate computes global + Σwᵢ·Δᵢ / Σwᵢ', () => {
    const g = new Float32Array([1, 2, 3]);
    const updates = [
      { delta: new Float32Array([1, 0, -1]), numSamples: 1, frauds: 0, trainLoss: 0 },
      { delta: new Float32Array([4, 3, 2]), numSamples: 2, frauds: 0, trainLoss: 0 },
    ];
    const { sum, weight } = sumWeightedDeltas(updates);
    expect(weight).toBe(3);
    expect(Array.from(applyAggregate(g, sum, weight))).toEqual([4, 4, 4]);
    expect(() => applyAggregate(g, new Float64Array(2), 1)).toThrow(ShapeMismatchError);
    expect(() => applyAggregate(g, sum, 0)).toThrow(/sumOfWeights/);
  });

  it('localUpdate is deterministic and returns local − global', async () => {
    const data = generateSynthetic({ rows: 600, fraudRate: 0.1, seed: 2 });
    const global = flattenWeights(buildModel(arch, 1));
    const opts = { arch, scaling: DEFAULT_SCALING, epochs: 1, batchSize: 64, seed: 5 };
    const u1 = await localUpdate(global, data, opts);
    const u2 = await localUpdate(global, data, opts);
    expect(u1.numSamples).toBe(600);
    expect(u1.frauds).toBe(60);
    expect(u1.delta).toEqual(u2.delta);
    expect(u1.delta.some((v) => v !== 0)).toBe(true);
    const local = applyAggregate(global, u1.delta, 1);
    const u3 = await localUpdate(global, data, { ...opts, seed: 6 });
    expect(u3.delta).not.toEqual(u1.delta);
    expect(local.length).toBe(global.length);
  });

  it('one client with one round equals its local update', async () => {
    const data = generateSynthetic({ rows: 400, fraudRate: 0.1, seed: 3 });
    const parts = partitionDataset(data, { clients: 2 });
    const result = await runFedAvg(parts, {
      rounds: 2,
      arch,
      scaling: DEFAULT_SCALING,
      seed: 1,
      local: { epochs: 1, batchSize: 50 },
    });
    const again = await runFedAvg(parts, {
      rounds: 2,
      arch,
      scaling: DEFAULT_SCALING,
      seed: 1,
      local: { epochs: 1, batchSize: 50 },
    });
    expect(result).toEqual(again);
    expect(result).not.toEqual(flattenWeights(buildModel(arch, 1)));
  });
});
