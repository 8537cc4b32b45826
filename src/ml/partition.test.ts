import { describe, expect, it } from 'vitest';
import { countFrauds } from './dataset';
import { partitionDataset, partitionIndices } from './partition';
import { splitIndices } from './split';
import { generateSynthetic } from './synthetic';

const data = generateSynthetic({ rows: 20_000, fraudRate: 0.02, seed: 9 });

function expectDisjointCover(parts: Uint32Array[], total: number): void {
  const seen = new Uint8Array(total);
  for (const p of parts) for (const i of p) seen[i]!++;
  expect(seen.every((c) => c === 1)).toBe(true);
}

describe('partitionIndices', () => {
  for (const mode of ['iid', 'non-iid'] as const) {
    it(`${mode}: deterministic, disjoint and covering`, () => {
      const a = partitionIndices(data, { clients: 10, mode, seed: 3 });
      const b = partitionIndices(data, { clients: 10, mode, seed: 3 });
      const c = partitionIndices(data, { clients: 10, mode, seed: 4 });
      expect(a).toEqual(b);
      expect(a).not.toEqual(c);
      expect(a).toHaveLength(10);
      expectDisjointCover(a, data.size);
    });
  }

  it('iid: equal sizes and fraud counts up to one row', () => {
    const parts = partitionDataset(data, { clients: 10, mode: 'iid' });
    const sizes = parts.map((p) => p.size);
    const frauds = parts.map(countFrauds);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(Math.max(...frauds) - Math.min(...frauds)).toBeLessThanOrEqual(1);
  });

  it('non-iid: fraud rates and amounts differ across clients', () => {
    const parts = partitionDataset(data, { clients: 10, mode: 'non-iid' });
    const rates = parts.map((p) => countFrauds(p) / p.size);
    expect(Math.max(...rates) / Math.max(1e-9, Math.min(...rates))).toBeGreaterThan(3);
    const medAmount = parts.map((p) => {
      const a: number[] = [];
      for (let i = 0; i < p.size; i++) if (p.labels[i] === 0) a.push(p.features[i * 30 + 29] as number);
      return a.sort((x, y) => x - y)[a.length >> 1] as number;
    });
    expect(medAmount[9]! / medAmount[0]!).toBeGreaterThan(5);
  });

  it('rejects bad options', () => {
    expect(() => partitionIndices(data, { clients: 0 })).toThrow(/clients/);
    expect(() => partitionIndices(data, { clients: 2, amountSkew: 2, mode: 'non-iid' })).toThrow(/amountSkew/);
  });
});

describe('splitIndices', () => {
  it('is a fixed, stratified, disjoint 60/20/20 split', () => {
    const a = splitIndices(data.labels);
    expect(a).toEqual(splitIndices(data.labels));
    expectDisjointCover([a.train, a.validation, a.test], data.size);
    const frauds = (idx: Uint32Array): number => idx.reduce((s, i) => s + (data.labels[i] as number), 0);
    expect(a.train.length / data.size).toBeCloseTo(0.6, 2);
    expect(frauds(a.test) / a.test.length).toBeCloseTo(0.02, 3);
    expect(splitIndices(data.labels, 1)).not.toEqual(a);
  });
});
