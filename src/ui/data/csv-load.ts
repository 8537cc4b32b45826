/**
 * Loads a CSV file the person chose in the CSV worker (csv.worker.ts), with progress: the page
 * stays responsive whatever the file's size. Resolves with the valid rows and the bad ones
 * (skipped only if the person agrees, data-review.ts); a file that cannot be read at all (no
 * header, the wrong columns, not text) rejects with a {@link DataProblem} in words.
 */
import { CodedError } from '../../base/error.js';
import { type Dataset, makeDataset } from '../../ml/dataset.js';
import type { CsvRowIssue } from '../../ml/errors.js';
import type { CsvWorkerReply } from './csv-protocol.js';

export interface LoadedCsv {
  name: string;
  dataset: Dataset;
  issues: readonly CsvRowIssue[];
  badRowCount: number;
}

/** The chosen data cannot be used; the message says why in words. */
export class DataProblem extends CodedError<'DATA_PROBLEM'> {
  override readonly name = 'DataProblem';
  constructor(message: string) {
    super('DATA_PROBLEM', message);
  }
}

export function loadCsvInWorker(file: File, onProgress: (fraction: number) => void): Promise<LoadedCsv> {
  const worker = new Worker(new URL('./csv.worker.ts', import.meta.url), { type: 'module' });
  return new Promise<LoadedCsv>((resolve, reject) => {
    worker.onmessage = (ev: MessageEvent<CsvWorkerReply>) => {
      const m = ev.data;
      if (m.type === 'progress') return onProgress(m.fraction);
      worker.terminate();
      if (m.type === 'failed') {
        const first = m.issues[0];
        reject(new DataProblem(first ? `${file.name}, line ${first.line}: ${first.reason}` : `${file.name}: ${m.message}`));
        return;
      }
      onProgress(1);
      resolve({
        name: file.name,
        dataset: makeDataset(m.features, m.labels),
        issues: m.issues,
        badRowCount: m.badRowCount,
      });
    };
    worker.onerror = (ev) => {
      worker.terminate();
      reject(new DataProblem(`${file.name} could not be read: ${ev.message || 'the CSV worker failed'}`));
    };
    worker.postMessage({ file });
  });
}
