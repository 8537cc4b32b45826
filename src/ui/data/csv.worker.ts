/**
 * The CSV Web Worker (an ES module worker, bundled by Vite from the `new Worker(new URL(…))`
 * pattern in csv-load.ts): parses a `creditcard.csv`-schema file off the page's main thread,
 * reporting how far it has read, and keeps the bad rows as a list instead of failing on the
 * first one, so the page can offer to skip them.
 */
import { loadCreditCardCsv } from '../../ml/csv.js';
import { CsvValidationError } from '../../ml/errors.js';
import type { CsvWorkerReply } from './csv-protocol.js';

const post = (m: CsvWorkerReply, transfer: Transferable[] = []): void => self.postMessage(m, { transfer });

self.onmessage = async (ev: MessageEvent<{ file: File }>) => {
  const file = ev.data.file;
  let read = 0;
  let lastPost = 0;
  // Counts the bytes the loader has consumed, for a progress bar in proportion to the file.
  const counted = file.stream().pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, ctl) {
        read += chunk.byteLength;
        const now = Date.now();
        if (now - lastPost > 50) {
          lastPost = now;
          post({ type: 'progress', fraction: file.size ? read / file.size : 1 });
        }
        ctl.enqueue(chunk);
      },
    }),
  );
  try {
    const res = await loadCreditCardCsv(counted, { onBadRows: 'report', maxIssues: 20 });
    // The loader's arrays are fresh slices of ordinary ArrayBuffers (csv.ts): moved, not copied.
    const features = res.dataset.features as Float32Array<ArrayBuffer>;
    const labels = res.dataset.labels as Uint8Array<ArrayBuffer>;
    post(
      {
        type: 'done',
        features,
        labels,
        issues: [...res.issues],
        badRowCount: res.badRowCount,
        lines: res.lines,
      },
      [features.buffer, labels.buffer],
    );
  } catch (e) {
    post({
      type: 'failed',
      message: e instanceof Error ? e.message : String(e),
      issues: e instanceof CsvValidationError ? [...e.issues] : [],
    });
  }
};
