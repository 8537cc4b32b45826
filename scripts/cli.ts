/**
 * Shared plumbing of the command-line entry points: one table of the flags several commands
 * share (each declared once, with its help text), a command builder that parses argv strictly
 * with `util.parseArgs` and renders every command's help from that table, numeric flag
 * validation, the one `--committee` parser, data loading (`--data synthetic` or a CSV path),
 * and uniform error reporting (message on stderr, exit code 2 for usage errors, 1 for runtime
 * failures).
 */
import { parseArgs } from 'node:util';
import { CodedError, isCodedError } from '../src/base/error.js';
import { loadCreditCardCsvFile } from '../src/ml/csv-node.js';
import { countFrauds, type Dataset } from '../src/ml/dataset.js';
import { FRAUD_RATE } from '../src/ml/published-stats.js';
import { DEFAULT_SYNTHETIC_ROWS, DEFAULT_SYNTHETIC_SEED, generateSynthetic } from '../src/ml/synthetic.js';
import { type CommitteeSettings, explicitCommittee } from '../src/secagg/committee.js';
import { ParameterError } from '../src/secagg/errors.js';
import { ConfigError } from '../src/server/config.js';
import { OriginSyntaxError, parseOrigin } from '../src/server/headers.js';

/** A command-line usage problem (exit code 2). */
export class UsageError extends CodedError<'USAGE'> {
  override readonly name = 'UsageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('USAGE', message, options);
  }
}

// ---------------------------------------------------------------------------------------------
// Flags

/** One flag: how `parseArgs` reads it and how the help shows it. */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** Placeholder of the value in the help, e.g. `N`; none for boolean flags. */
  readonly arg?: string;
  /** What the flag does. Defaults are the command's business: see {@link command}. */
  readonly help: string;
}

/** A string flag of a command's own. */
export function flag<const A extends string>(arg: A, help: string): { type: 'string'; arg: A; help: string } {
  return { type: 'string', arg, help };
}

/** A boolean flag of a command's own. */
export function toggle(help: string): { type: 'boolean'; help: string } {
  return { type: 'boolean', help };
}

/** The flags several commands share, each declared once with its help text. */
export const FLAGS = {
  port: flag('N', 'port of the app, the participants and the observers'),
  host: flag('H', 'interface to bind (0.0.0.0 to let other machines join)'),
  'data-dir': flag('DIR', 'where model versions and the round log are kept'),
  'transcript-keep': flag(
    'K',
    'rounds whose masked vectors the transcripts keep in full, for `npm run audit` to recompute Σy (default 3; older rounds keep their signed digests; docs/transcript.md)',
  ),
  token: flag('T', 'join token participants must present'),
  open: toggle('accept joins without a token (demos)'),
  'allow-origin': flag(
    'ORIGIN[,ORIGIN…]',
    "let pages of these origins open the participants' WebSocket too, e.g. https://fl.example.org behind a proxy; clients that send no Origin header may always: browsers always send one",
  ),
  url: flag('URL', 'the server (its ws:// address, or the join URL it printed)'),
  committee: flag('M,T,R', 'committee size m, reconstruction threshold t_rec and packing ρ'),
  'insecure-demo': toggle(
    'INSECURE: accept a committee that is not subset-safe (2·t_rec ≤ m + c_max), so a dishonest server could read individual updates; tabs and the dashboard show it in red. Demos only',
  ),
  rounds: flag('N', 'rounds to run'),
  trainers: flag('N', 'headless trainers'),
  members: flag('N', 'headless committee volunteers'),
  'first-round': flag('N', 'the first round waits for N connected participants'),
  'submit-s': flag('S', 'seconds trainers have to send'),
  'committee-s': flag('S', 'seconds the committee has to answer after the cut-off'),
  'pause-s': flag('S', 'pause between rounds, in seconds'),
  epochs: flag('N', 'training epochs'),
  lr: flag('X', 'learning rate'),
  batch: flag('N', 'local batch size'),
  hidden: flag('A,B', 'hidden layer sizes of the MLP'),
  'non-iid': toggle('non-IID partition (per-client fraud rate and amount skew)'),
  data: flag('<csv|synthetic>', "a creditcard.csv-schema file, or 'synthetic' for the embedded generator"),
  rows: flag('N', 'synthetic only: number of rows'),
  'fraud-rate': flag('F', 'synthetic only: fraud rate in [0,1]'),
  seed: flag('N', 'synthetic only: generator seed'),
  help: { type: 'boolean', short: 'h', help: 'show this help' },
} as const satisfies Record<string, FlagSpec>;

export type SharedFlag = keyof typeof FLAGS;

/**
 * A command's use of a flag: for a shared flag, a note appended to its help in parentheses
 * (its default, typically) or `true` for none; for a flag of its own, its {@link FlagSpec}.
 */
export type FlagUse<K> = K extends SharedFlag ? string | true | FlagSpec : FlagSpec;
export type FlagUses<E> = { [K in keyof E]: FlagUse<K> };

type TypeOf<V, K> = V extends FlagSpec ? V['type'] : K extends SharedFlag ? (typeof FLAGS)[K]['type'] : never;

/** What {@link Command.parse} returns: each flag's value, undefined when absent. */
export type FlagValues<E> = {
  [K in keyof E]?: TypeOf<E[K], K> extends 'boolean' ? boolean : string;
} & { help?: boolean };

/** The data flags of every command that reads data, with the generator's defaults. */
export const DATA_FLAGS = {
  data: true,
  rows: `default ${DEFAULT_SYNTHETIC_ROWS}`,
  'fraud-rate': `default ${FRAUD_RATE}`,
  seed: `default ${DEFAULT_SYNTHETIC_SEED}`,
} as const;

export interface CommandSpec<E> {
  /** What follows `usage: `, e.g. `npm run server -- [options]`. */
  readonly usage: string;
  /** Paragraph between the usage line and the flags. */
  readonly about?: string;
  /** The command's flags in help order; `--help` is added last. */
  readonly flags: E;
  /** Paragraph after the flags. */
  readonly footer?: string;
}

export interface Command<E> {
  /** The help text, rendered from the flag table. */
  readonly help: string;
  /** Parses argv strictly: unknown flags, missing values and stray positionals are usage errors. */
  parse(argv?: readonly string[]): FlagValues<E>;
}

const HELP_WIDTH = 100;

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(' ')) {
      if (line && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    lines.push(line);
  }
  return lines;
}

function resolve(name: string, use: FlagSpec | string | true): { spec: FlagSpec; note: string | undefined } {
  if (typeof use === 'object') return { spec: use, note: undefined };
  const spec = (FLAGS as Record<string, FlagSpec>)[name];
  if (!spec) throw new Error(`--${name} is not a shared flag: give its FlagSpec`);
  return { spec, note: use === true ? undefined : use };
}

/** Renders help lines for flags: `  --name ARG   help (note)`, wrapped at {@link HELP_WIDTH}. */
export function flagHelp(flags: Record<string, FlagSpec | string | true>): string {
  const rows = Object.entries({ ...flags, help: true as const }).map(([name, use]) => {
    const { spec, note } = resolve(name, use);
    const left = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.arg ? ` ${spec.arg}` : ''}`;
    const text = !note
      ? spec.help
      : spec.help.endsWith(')')
        ? `${spec.help.slice(0, -1)}; ${note})`
        : `${spec.help} (${note})`;
    return { left, text };
  });
  const col = Math.min(26, Math.max(...rows.map((r) => r.left.length)) + 2);
  const out: string[] = [];
  for (const { left, text } of rows) {
    const body = wrap(text, HELP_WIDTH - 2 - col);
    const first =
      left.length + 2 <= col ? `  ${left.padEnd(col)}${body[0]}` : `  ${left}\n  ${' '.repeat(col)}${body[0]}`;
    out.push(first, ...body.slice(1).map((l) => `  ${' '.repeat(col)}${l}`));
  }
  return out.join('\n');
}

/** A command: its help rendered from the flag table, and a strict parser for its flags. */
export function command<const E extends FlagUses<E>>(spec: CommandSpec<E>): Command<E> {
  const uses = spec.flags as Record<string, FlagSpec | string | true>;
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, use] of Object.entries({ ...uses, help: true as const })) {
    const { spec: s } = resolve(name, use);
    options[name] = s.short ? { type: s.type, short: s.short } : { type: s.type };
  }
  const help = [
    `usage: ${spec.usage}`,
    ...(spec.about ? ['', wrap(spec.about.trim(), HELP_WIDTH).join('\n')] : []),
    '',
    flagHelp(uses),
    ...(spec.footer ? ['', spec.footer.trim()] : []),
  ].join('\n');
  return {
    help,
    parse: (argv = process.argv.slice(2)) => parseFlags(options, argv) as FlagValues<E>,
  };
}

/** Parses argv strictly; unknown flags and stray positionals are usage errors. */
function parseFlags(
  options: Record<string, { type: 'string' | 'boolean'; short?: string }>,
  argv: readonly string[] = process.argv.slice(2),
): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ options, args: [...argv], strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new UsageError((e as Error).message, { cause: e });
  }
}

// ---------------------------------------------------------------------------------------------
// Values

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
    const range = [c.min !== undefined ? `>= ${c.min}` : '', c.max !== undefined ? `<= ${c.max}` : '']
      .filter(Boolean)
      .join(' and ');
    throw new UsageError(
      `--${name} must be ${c.int ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}, got '${value}'`,
    );
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

/**
 * Parses `--allow-origin ORIGIN[,ORIGIN…]`: each an http(s) origin, scheme://host[:port] with
 * nothing after it; returned serialized as browsers send them. `undefined` gives `undefined`.
 */
export function parseOrigins(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',').map((p) => p.trim());
  if (parts.some((p) => p === ''))
    throw new UsageError(`--allow-origin takes a comma-separated list of origins, got '${value}'`);
  return parts.map((p) => {
    try {
      return parseOrigin(p);
    } catch (e) {
      if (e instanceof OriginSyntaxError) throw new UsageError(`--allow-origin: ${e.message}`, { cause: e });
      throw e;
    }
  });
}

const COMMITTEE_FORM = 'M,T,R: committee size m, reconstruction threshold t_rec and packing ρ, e.g. 5,4,2';

/**
 * The one `--committee` parser. `M,T,R` gives the whole committee, checked by the protocol
 * core's {@link explicitCommittee} (2 ≤ m ≤ 4096, t_rec ≤ m, 1 ≤ ρ ≤ t_rec − 1), with its
 * derived bounds c_max and d_max. Where a command also takes its older spelling `M` alone
 * (`{ allowSize: true }`), that gives a number: the committee size, the command deriving
 * t_rec and ρ by its own rule.
 */
export function parseCommittee(value: string): CommitteeSettings;
export function parseCommittee(value: string, opts: { allowSize: true }): CommitteeSettings | number;
export function parseCommittee(value: string, opts: { allowSize?: boolean } = {}): CommitteeSettings | number {
  const forms = opts.allowSize ? `${COMMITTEE_FORM}; or M alone, the committee size` : COMMITTEE_FORM;
  const parts = value.split(',').map((p) => p.trim());
  if (!parts.every((p) => /^\d+$/.test(p)) || !(parts.length === 3 || (opts.allowSize && parts.length === 1))) {
    throw new UsageError(`--committee takes ${forms}; got '${value}'`);
  }
  const [m, tRec, rho] = parts.map(Number) as [number, number?, number?];
  if (tRec === undefined || rho === undefined) {
    if (m < 2 || m > 4096) throw new UsageError(`--committee size m must be between 2 and 4096, got '${value}'`);
    return m;
  }
  try {
    return explicitCommittee({ m, tRec, rho });
  } catch (e) {
    if (e instanceof ParameterError) throw new UsageError(`--committee ${value}: ${e.message}`, { cause: e });
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Data, output, errors

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

/**
 * Runs a command's main with uniform error handling: a coded error (usage, ML input, protocol
 * refusal, …) or a configuration error prints its message, anything else its stack; usage
 * errors exit with 2, the rest with 1. Unless `tfjs` is false, tfjs runs on the cpu backend
 * (or `TFJS_BACKEND`).
 */
export function runMain(help: string, main: () => Promise<void>, { tfjs = true }: { tfjs?: boolean } = {}): void {
  const wantsHelp = process.argv.slice(2).some((a) => a === '--help' || a === '-h');
  if (wantsHelp) {
    process.stdout.write(`${help.trim()}\n`);
    return;
  }
  (async () => {
    if (tfjs) {
      const tf = await import('@tensorflow/tfjs');
      const { useBackend } = await import('../src/ml/backend.js');
      tf.env().set('PROD', true); // silences tfjs' "install tfjs-node" banner
      await useBackend(process.env.TFJS_BACKEND ?? 'cpu');
    }
    await main();
  })().catch((e: unknown) => {
    const usage = e instanceof UsageError;
    const known = isCodedError(e) || e instanceof ConfigError;
    process.stderr.write(`error: ${known ? e.message : String((e as Error)?.stack ?? e)}\n`);
    if (usage) process.stderr.write(`(run with --help for usage)\n`);
    process.exitCode = usage ? 2 : 1;
  });
}
