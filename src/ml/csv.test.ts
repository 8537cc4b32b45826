import { describe, expect, it } from 'vitest';
import { datasetToCsv, loadCreditCardCsv } from './csv';
import { loadCreditCardCsvFile } from './csv-node';
import { CSV_COLUMNS, countFrauds, NUM_RAW } from './dataset';
import { CsvValidationError, MlInputError } from './errors';
import { HAS_SAMPLE, SAMPLE_CSV } from '../../test/support/ml-sample.js';
import { readFileSync } from 'node:fs';

const header = CSV_COLUMNS.join(',');
const row = (time: number, amount: string, cls: string): string =>
  [time, ...Array.from({ length: 28 }, (_, i) => (i - 14) / 10), amount, cls].join(',');

describe.skipIf(!HAS_SAMPLE)('loader on the real sample', () => {
  it('loads every row of the sample', async () => {
    const r = await loadCreditCardCsvFile(SAMPLE_CSV);
    expect(r.dataset.size).toBe(4196);
    expect(countFrauds(r.dataset)).toBe(316);
    expect(r.badRowCount).toBe(0);
    // spot-check the first row against an independent parse
    const first = readFileSync(SAMPLE_CSV, 'utf8').split('\n')[1]!.split(',').map(Number);
    expect(Array.from(r.dataset.features.subarray(0, NUM_RAW))).toEqual(first.slice(0, NUM_RAW).map(Math.fround));
  });

  it('round-trips through CSV text, a Blob and a quoted Kaggle-style file', async () => {
    const { dataset } = await loadCreditCardCsvFile(SAMPLE_CSV);
    const text = datasetToCsv(dataset);
    const again = await loadCreditCardCsv(new Blob([text]));
    expect(again.dataset.features).toEqual(dataset.features);
    expect(again.dataset.labels).toEqual(dataset.labels);
    const quoted = text
      .split('\n')
      .map((l, i) =>
        i === 0
          ? l
              .split(',')
              .map((c) => `"${c}"`)
              .join(',')
          : l.replace(/,(\d)$/, ',"$1"'),
      )
      .join('\r\n');
    const q = await loadCreditCardCsv(quoted);
    expect(q.dataset.labels).toEqual(dataset.labels);
    expect(q.dataset.features).toEqual(dataset.features);
  });
});

describe('loader validation', () => {
  it('accepts quoted header and labels, and byte chunks split anywhere', async () => {
    const text = `${CSV_COLUMNS.map((c) => `"${c}"`).join(',')}\n${row(0, '1.5', '"0"')}\n${row(10, '"2"', '"1"')}\n`;
    const bytes = new TextEncoder().encode(text);
    async function* chunks() {
      for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
    }
    const r = await loadCreditCardCsv(chunks());
    expect(r.dataset.size).toBe(2);
    expect(Array.from(r.dataset.labels)).toEqual([0, 1]);
    expect(r.dataset.features[NUM_RAW + 29]).toBe(2);
  });

  it('rejects malformed rows with their line numbers', async () => {
    const text = [
      header,
      row(0, '1', '0'),
      row(1, 'abc', '0'),
      row(2, '1', '2'),
      '',
      row(3, '-5', '1'),
      '1,2,3',
      row(4, '1', '1'),
      '',
    ].join('\n');
    const err = await loadCreditCardCsv(text).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CsvValidationError);
    const issues = (err as CsvValidationError).issues;
    expect(issues.map((i) => i.line)).toEqual([3, 4, 5, 6, 7]);
    expect(issues[0]!.reason).toMatch(/Amount is not a number/);
    expect(issues[1]!.reason).toMatch(/Class must be 0 or 1/);
    expect(issues[2]!.reason).toMatch(/empty line/);
    expect(issues[3]!.reason).toMatch(/Amount must be >= 0/);
    expect(issues[4]!.reason).toMatch(/expected 31 fields, got 3/);
    expect((err as Error).message).toMatch(/line 3/);
  });

  it("reports bad rows instead of throwing with onBadRows: 'report'", async () => {
    const r = await loadCreditCardCsv([header, row(0, '1', '0'), row(1, '1', 'x'), row(2, '3', '1')].join('\n'), {
      onBadRows: 'report',
    });
    expect(r.dataset.size).toBe(2);
    expect(r.badRowCount).toBe(1);
    expect(r.issues).toEqual([{ line: 3, reason: 'Class must be 0 or 1, got "x"' }]);
  });

  it('rejects a wrong header and a missing file', async () => {
    await expect(loadCreditCardCsv('a,b,c\n1,2,3\n')).rejects.toThrow(/header must be/);
    await expect(loadCreditCardCsv('')).rejects.toThrow(CsvValidationError);
    await expect(loadCreditCardCsvFile('/nonexistent/creditcard.csv')).rejects.toThrow(MlInputError);
  });
});
