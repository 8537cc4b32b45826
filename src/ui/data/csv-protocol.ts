/** The messages of the CSV worker (csv.worker.ts) to the page (csv-load.ts). */
import type { CsvRowIssue } from '../../ml/errors.js';

export type CsvWorkerReply =
  | { type: 'progress'; fraction: number }
  | {
      type: 'done';
      features: Float32Array<ArrayBuffer>;
      labels: Uint8Array<ArrayBuffer>;
      /** The first bad rows (at most 20); `badRowCount` counts them all. */
      issues: CsvRowIssue[];
      badRowCount: number;
      lines: number;
    }
  | { type: 'failed'; message: string; issues: CsvRowIssue[] };
