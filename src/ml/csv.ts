/**
 * Streaming loader for the Kaggle `creditcard.csv` schema
 * (`Time,V1,...,V28,Amount,Class`), in the browser and in Node.
 *
 * Input is consumed chunk by chunk (a `Blob`/`File`, a WHATWG
 * `ReadableStream`, any async iterable of text/bytes such as a Node file
 * stream, or a whole string) and split into physical lines; each line is
 * tokenised by papaparse (quoted or unquoted fields, `""` escapes) and then
 * validated. Every bad row is reported with its 1-based line number and a
 * reason — never guessed at or silently dropped. By default any bad row makes
 * the load fail with a {@link CsvValidationError}; with `onBadRows: 'report'`
 * the good rows are returned together with the list of bad ones.
 *
 * For a file path in Node use `loadCreditCardCsvFile` from `./csv-node`.
 */
import Papa from 'papaparse';
import { CSV_COLUMNS, COL_AMOUNT, COL_TIME, NUM_RAW, makeDataset, type Dataset } from './dataset';
import { CsvValidationError, MlInputError, type CsvRowIssue } from './errors';

/** Anything the loader can stream from. */
export type CsvSource = string | Blob | ReadableStream<Uint8Array> | AsyncIterable<string | Uint8Array>;

/** Options of {@link loadCreditCardCsv}. */
export interface CsvLoadOptions {
  /** `'throw'` (default): fail on any bad row. `'report'`: return good rows plus issues. */
  readonly onBadRows?: 'throw' | 'report';
  /** Maximum number of issues kept in the list (all are counted). Default 1000. */
  readonly maxIssues?: number;
  /** Called every `progressEvery` data rows with the number of lines read so far. */
  readonly onProgress?: (linesRead: number) => void;
  readonly progressEvery?: number;
}

/** Result of {@link loadCreditCardCsv}. */
export interface CsvLoadResult {
  /** The valid rows, in file order. */
  readonly dataset: Dataset;
  /** Bad rows (line, reason); empty when the file is clean. */
  readonly issues: readonly CsvRowIssue[];
  readonly badRowCount: number;
  /** Number of physical lines read, header included. */
  readonly lines: number;
}

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

async function* textChunks(source: CsvSource): AsyncGenerator<string> {
  if (typeof source === 'string') {
    yield source;
    return;
  }
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const decode = (c: string | Uint8Array): string => {
    try {
      return typeof c === 'string' ? c : decoder.decode(c, { stream: true });
    } catch {
      throw new MlInputError('CSV input is not valid UTF-8 text');
    }
  };
  const stream = typeof Blob !== 'undefined' && source instanceof Blob ? source.stream() : source;
  if (typeof ReadableStream !== 'undefined' && stream instanceof ReadableStream) {
    const reader = (stream as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield decode(value);
    }
  } else {
    for await (const c of stream as AsyncIterable<string | Uint8Array>) yield decode(c);
  }
  const tail = decoder.decode();
  if (tail) yield tail;
}

/** Physical lines (without terminators), numbered from 1. */
async function* lines(source: CsvSource): AsyncGenerator<[number, string]> {
  let rest = '';
  let n = 0;
  for await (const chunk of textChunks(source)) {
    rest += chunk;
    let start = 0;
    for (let nl = rest.indexOf('\n', start); nl !== -1; nl = rest.indexOf('\n', start)) {
      const end = nl > start && rest.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield [++n, rest.slice(start, end)];
      start = nl + 1;
    }
    rest = rest.slice(start);
  }
  if (rest.length > 0) yield [++n, rest.endsWith('\r') ? rest.slice(0, -1) : rest];
}

function tokenize(line: string): { fields: string[]; error?: string } {
  const res = Papa.parse<string[]>(line, { delimiter: ',', header: false, dynamicTyping: false });
  const first = res.errors[0];
  if (first) return { fields: [], error: `malformed CSV (${first.message})` };
  return { fields: res.data[0] ?? [] };
}

function checkHeader(line: string): void {
  const { fields, error } = tokenize(line.replace(/^\uFEFF/, ''));
  const got = fields.map((f) => f.trim());
  if (error || got.length !== CSV_COLUMNS.length || got.some((c, i) => c !== CSV_COLUMNS[i])) {
    throw new CsvValidationError([
      { line: 1, reason: `header must be ${CSV_COLUMNS.join(',')} (quoted or not), got: ${line.slice(0, 120)}` },
    ]);
  }
}

/** Parses one data row into `out` (30 raw values) and returns its label, or a reason string. */
function parseRow(line: string, out: Float32Array): 0 | 1 | string {
  const { fields, error } = tokenize(line);
  if (error) return error;
  if (fields.length !== CSV_COLUMNS.length) return `expected ${CSV_COLUMNS.length} fields, got ${fields.length}`;
  for (let c = 0; c < NUM_RAW; c++) {
    const raw = (fields[c] as string).trim();
    if (!NUMBER_RE.test(raw)) return `${CSV_COLUMNS[c]} is not a number: ${JSON.stringify(raw.slice(0, 40))}`;
    const v = Number(raw);
    if (!Number.isFinite(v) || Math.abs(v) > 3.4e38) return `${CSV_COLUMNS[c]} is out of range: ${raw}`;
    out[c] = v;
  }
  if ((out[COL_TIME] as number) < 0) return `Time must be >= 0, got ${out[COL_TIME]}`;
  if ((out[COL_AMOUNT] as number) < 0) return `Amount must be >= 0, got ${out[COL_AMOUNT]}`;
  const cls = (fields[NUM_RAW] as string).trim();
  if (cls !== '0' && cls !== '1') return `Class must be 0 or 1, got ${JSON.stringify(cls.slice(0, 40))}`;
  return cls === '1' ? 1 : 0;
}

/** Streams, validates and loads a `creditcard.csv`-schema source. */
export async function loadCreditCardCsv(source: CsvSource, opts: CsvLoadOptions = {}): Promise<CsvLoadResult> {
  const maxIssues = opts.maxIssues ?? 1000;
  const every = opts.progressEvery ?? 50_000;
  const issues: CsvRowIssue[] = [];
  let badRowCount = 0;
  const report = (line: number, reason: string): void => {
    badRowCount++;
    if (issues.length < maxIssues) issues.push({ line, reason });
  };

  let cap = 4096;
  let features = new Float32Array(cap * NUM_RAW);
  let labels = new Uint8Array(cap);
  let size = 0;
  const row = new Float32Array(NUM_RAW);
  const pendingBlank: number[] = [];
  let lineCount = 0;

  for await (const [n, text] of lines(source)) {
    lineCount = n;
    if (n === 1) {
      checkHeader(text);
      continue;
    }
    if (text.trim() === '') {
      pendingBlank.push(n);
      continue;
    }
    for (const b of pendingBlank.splice(0)) report(b, 'empty line');
    const parsed = parseRow(text, row);
    if (typeof parsed === 'string') {
      report(n, parsed);
      continue;
    }
    if (size === cap) {
      cap *= 2;
      const f = new Float32Array(cap * NUM_RAW);
      f.set(features);
      features = f;
      const l = new Uint8Array(cap);
      l.set(labels);
      labels = l;
    }
    features.set(row, size * NUM_RAW);
    labels[size++] = parsed;
    if (opts.onProgress && size % every === 0) opts.onProgress(n);
  }
  if (lineCount === 0) throw new CsvValidationError([{ line: 1, reason: 'file is empty (no header)' }]);
  if (badRowCount > 0 && (opts.onBadRows ?? 'throw') === 'throw') throw new CsvValidationError(issues, badRowCount);
  const dataset = makeDataset(features.slice(0, size * NUM_RAW), labels.slice(0, size));
  return { dataset, issues, badRowCount, lines: lineCount };
}

/** Serialises a dataset back to the Kaggle CSV schema (unquoted, `\n` line ends). */
export function datasetToCsv(data: Dataset): string {
  const out: string[] = [CSV_COLUMNS.join(',')];
  for (let r = 0; r < data.size; r++) {
    const vals = Array.from(data.features.subarray(r * NUM_RAW, (r + 1) * NUM_RAW), (v) => String(v));
    vals.push(String(data.labels[r]));
    out.push(vals.join(','));
  }
  return out.join('\n') + '\n';
}
