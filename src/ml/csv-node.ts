/**
 * Node-only entry point of the CSV loader: load a `creditcard.csv` file by
 * path, streaming it from disk. Browser code must import `./csv` instead.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { loadCreditCardCsv, type CsvLoadOptions, type CsvLoadResult } from './csv';
import { MlInputError } from './errors';

/** Streams and validates the CSV file at `path` (see {@link loadCreditCardCsv}). */
export async function loadCreditCardCsvFile(path: string, opts: CsvLoadOptions = {}): Promise<CsvLoadResult> {
  let isFile = false;
  try {
    isFile = (await stat(path)).isFile();
  } catch {
    throw new MlInputError(`CSV file not found: ${path}`);
  }
  if (!isFile) throw new MlInputError(`not a regular file: ${path}`);
  return loadCreditCardCsv(createReadStream(path, { highWaterMark: 1 << 16 }), opts);
}
