import { describe, expect, it } from 'vitest';
import { makeDataset, NUM_RAW } from '../../ml/dataset.js';
import { MIN_ROWS, needsConfirmation, reviewData } from './data-check.js';

const data = (labels: number[]) =>
  makeDataset(new Float32Array(labels.length * NUM_RAW), Uint8Array.from(labels));

describe('reviewData', () => {
  it('refuses a header-only file in words', () => {
    const r = reviewData('x.csv', data([]), [], 0);
    expect(r.fatal).toMatch(/no data rows — only a header/);
  });
  it('refuses a file whose every row is bad, naming the first', () => {
    const r = reviewData('x.csv', data([]), [{ line: 2, reason: 'V3 is not a number' }], 4);
    expect(r.fatal).toMatch(/all 4 data row\(s\) are invalid \(line 2: V3 is not a number\)/);
  });
  it('refuses too few rows', () => {
    expect(reviewData('x.csv', data([0, 1, 0]), [], 0).fatal).toMatch(/only 3 valid row/);
  });
  it('asks before skipping bad rows and lists the first five', () => {
    const issues = Array.from({ length: 8 }, (_, i) => ({ line: i + 2, reason: 'bad' }));
    const labels = Array.from({ length: 40 }, (_, i) => (i % 10 === 0 ? 1 : 0));
    const r = reviewData('x.csv', data(labels), issues, 8);
    expect(r.fatal).toBeUndefined();
    expect(r.badRows?.count).toBe(8);
    expect(r.badRows?.first).toHaveLength(5);
    expect(r.oneClass).toBeUndefined();
    expect(needsConfirmation(r)).toBe(true);
  });
  it('warns about a file without frauds', () => {
    const r = reviewData('x.csv', data(Array<number>(MIN_ROWS * 3).fill(0)), [], 0);
    expect(r.oneClass).toMatch(/no fraud rows/);
    expect(needsConfirmation(r)).toBe(true);
  });
  it('passes a clean two-class file without questions', () => {
    const labels = Array.from({ length: 50 }, (_, i) => (i % 5 === 0 ? 1 : 0));
    const r = reviewData('x.csv', data(labels), [], 0);
    expect(r).toEqual({ rows: 50, frauds: 10 });
    expect(needsConfirmation(r)).toBe(false);
  });
});
