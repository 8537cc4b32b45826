/**
 * Shared plumbing of the command-line entry points: flag parsing with
 * `util.parseArgs`, numeric flag validation, data loading (`--data synthetic`
 * or a CSV path), and uniform error reporting (message on stderr, exit code 2
 * for usage errors, 1 for runtime failures).
 */
import * as tf from '@tensorflow/tfjs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { useBackend } from '../src/ml/backend';
import { loadCreditCardCsvFile } from '../src/ml/csv-node';
import { countFrauds, type Dataset } from '../src/ml/dataset';
import { MlError } from '../src/ml/errors';
import { SecAggError } from '../src/secagg/errors';
import { ConfigError } from '../src/server/config';
import { FRAUD_RATE } from '../src/ml/published-stats';
import { DEFAULT_SYNTHETIC_ROWS, DEFAULT_SYNTHETIC_SEED, generateSynthetic } from '../src/ml/synthetic';

/** A command-line usage problem (exit code 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Flags shared by every command that reads data. */
export const DATA_OPTIONS = {
  data: { type: 'string' },
  rows: { type: 'string' },
  'fraud-rate': { type: 'string' },
  seed: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export const DATA_HELP = `  --data <csv|synthetic>  a creditcard.csv-schema file, or 'synthetic' for the embedded generator
  --rows N                synthetic only: number of rows (default ${DEFAULT_SYNTHETIC_ROWS})
  --fraud-rate F          synthetic only: fraud rate in [0,1] (default ${FRAUD_RATE})
  --seed N                synthetic only: generator seed (default ${DEFAULT_SYNTHETIC_SEED})
  -h, --help              show this help`;

/** Parses argv strictly; unknown flags and stray positionals are usage errors. */
export function parseFlags<T extends Options>(options: T, argv = process.argv.slice(2)) {
  try {
    return parseArgs({ options, args: argv, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Parses a numeric flag value; `undefined` gives `def`. */
export function num(
  name: string,
  value: string | undefined,
  def: number,
  c: { int?: boolean; min?: number; max?: number } = {},
): number {
  if (value === undefined) return def;
  const v = Number(value);
  const bad =
    value.trim() === '' ||
    !Number.isFinite(v) ||
    (c.int && !Number.isInteger(v)) ||
    (c.min !== undefined && v < c.min) ||
    (c.max !== undefined && v > c.max);
  if (bad) {
    const range = [c.min !== undefined ? `>= ${c.min}` : '', c.max !== undefined ? `<= ${c.max}` : ''].filter(Boolean).join(' and ');
    throw new UsageError(`--${name} must be ${c.int ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}, got '${value}'`);
  }
  return v;
}

/** Parses a comma-separated list of positive integers (e.g. `--hidden 32,16`). */
export function intList(name: string, value: string | undefined, def: readonly number[]): number[] {
  if (value === undefined) return [...def];
  const parts = value.split(',').map((p) => num(name, p, 0, { int: true, min: 1 }));
  if (parts.length === 0) throw new UsageError(`--${name} must be a comma-separated list of positive integers`);
  return parts;
}

/** Loads the dataset selected by `--data` (and the synthetic options). */
export async function loadData(flags: {
  data?: string | undefined;
  rows?: string | undefined;
  'fraud-rate'?: string | undefined;
  seed?: string | undefined;
}): Promise<{ dataset: Dataset; label: string }> {
  if (!flags.data) throw new UsageError('--data <csv|synthetic> is required');
  if (flags.data === 'synthetic') {
    const rows = num('rows', flags.rows, DEFAULT_SYNTHETIC_ROWS, { int: true, min: 10 });
    const fraudRate = num('fraud-rate', flags['fraud-rate'], FRAUD_RATE, { min: 0, max: 1 });
    const seed = num('seed', flags.seed, DEFAULT_SYNTHETIC_SEED, { int: true });
    const dataset = generateSynthetic({ rows, fraudRate, seed });
    return { dataset, label: `synthetic(rows=${rows}, fraudRate=${fraudRate}, seed=${seed})` };
  }
  for (const f of ['rows', 'fraud-rate', 'seed'] as const) {
    if (flags[f] !== undefined) throw new UsageError(`--${f} only applies to --data synthetic`);
  }
  const { dataset } = await loadCreditCardCsvFile(flags.data, {
    onProgress: (lines) => log(`  read ${lines} lines…`),
  });
  return { dataset, label: flags.data };
}

/** Progress output (stderr, so stdout stays machine-readable). */
export function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

/** Describes a dataset in one line. */
export function describe(d: Dataset): string {
  const f = countFrauds(d);
  return `${d.size} rows, ${f} frauds (${((100 * f) / Math.max(1, d.size)).toFixed(3)} %)`;
}

/** Runs a command's main with the cpu backend and uniform error handling. */
export function runMain(help: string, main: () => Promise<void>): void {
  const wantsHelp = process.argv.slice(2).some((a) => a === '--help' || a === '-h');
  if (wantsHelp) {
    process.stdout.write(`${help.trim()}\n`);
    return;
  }
  (async () => {
    tf.env().set('PROD', true); // silences tfjs' "install tfjs-node" banner
    await useBackend(process.env.TFJS_BACKEND ?? 'cpu');
    await main();
  })().catch((e: unknown) => {
    const usage = e instanceof UsageError;
    const known = usage || e instanceof MlError || e instanceof ConfigError || e instanceof SecAggError;
    process.stderr.write(`error: ${known ? (e as Error).message : String((e as Error)?.stack ?? e)}\n`);
    if (usage) process.stderr.write(`(run with --help for usage)\n`);
    process.exitCode = usage ? 2 : 1;
  });
}
