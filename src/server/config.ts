/**
 * Server configuration: defaults, a JSON config file and CLI flags (flags win), validated at
 * start with messages that name the setting. The quantization budget (docs/protocol.md §3) is
 * checked here too, so a server never starts with parameters that could decode wrongly, and so
 * is the committee's subset safety (§15): an explicit committee that is not subset-safe is
 * refused unless `insecureDemo` is set.
 */
import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import { CodedError } from '../base/error.js';
import {
  type CommitteeSettings,
  DEFAULT_MIN_SURVIVORS,
  DEFAULT_PROFILE,
  SecAggError,
  SubsetSafetyError,
  checkBudget,
  explicitCommittee,
  requireSubsetSafe,
} from '../secagg/index.js';
import { CommitteeSchema } from '../wire/messages.js';
import { originProblem, parseOrigin } from './headers.js';

const posInt = v.pipe(v.number(), v.integer(), v.minValue(1));
const nonNegInt = v.pipe(v.number(), v.integer(), v.minValue(0));
const positive = v.pipe(v.number(), v.finite(), v.gtValue(0));
const origin = v.pipe(
  v.string(),
  v.check(
    (s) => originProblem(s) === undefined,
    (issue) => originProblem(String(issue.input)) ?? 'not an origin',
  ),
  v.transform(parseOrigin),
);

export const ServerConfigSchema = v.strictObject({
  host: v.string(),
  port: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535)),
  dataDir: v.string(),
  /**
   * Rebuild state.json from the newest loadable checkpoint and the round log before starting
   * (`--recover`), when the start-up check refused the data directory (src/server/recover.ts).
   */
  recover: v.boolean(),
  /**
   * Rounds whose masked vectors the transcripts keep in full (`--transcript-keep`, default 3;
   * older rounds keep their signed digests): docs/transcript.md.
   */
  transcriptKeep: nonNegInt,
  /** Join token; ignored when `open`. */
  token: v.optional(v.string()),
  open: v.boolean(),
  /**
   * Origins, besides the server's own (always allowed, see ownOrigins in headers.ts), whose pages
   * may open the participants' WebSocket: e.g. the public https:// origin of a proxy in front, or
   * the host name other machines use with host 0.0.0.0. An upgrade without an Origin header (a
   * Node client) is always allowed; browsers always send one.
   */
  allowedOrigins: v.array(origin),
  /** Rounds to run before stopping (0 = run until stopped). */
  rounds: nonNegInt,
  /**
   * Explicit committee (m, t_rec, ρ), checked by the core (explicitCommittee) below and refused
   * unless subset-safe (or `insecureDemo`); or sized from `corruptFraction`/`dropoutFraction`
   * against the volunteers each round when absent.
   */
  committee: v.optional(CommitteeSchema),
  /**
   * INSECURE: accept committees that are not subset-safe (2·t_rec ≤ m + c_max, docs/protocol.md
   * §15), explicit or sized. A dishonest server could then unmask two survivor sets that differ in
   * one trainer and read that trainer's update. For demos of small federations only; observers and
   * tabs show it in red.
   */
  insecureDemo: v.boolean(),
  committeeMax: posInt,
  corruptFraction: v.pipe(v.number(), v.minValue(0), v.maxValue(0.99)),
  dropoutFraction: v.pipe(v.number(), v.minValue(0), v.maxValue(0.99)),
  /**
   * Trainers needed before a round starts, and survivors needed to unmask: never below the
   * members' own minimum (DEFAULT_MIN_SURVIVORS = 3), since members refuse smaller survivor sets.
   */
  minTrainers: v.pipe(v.number(), v.integer(), v.minValue(DEFAULT_MIN_SURVIVORS)),
  minSurvivors: v.pipe(v.number(), v.integer(), v.minValue(DEFAULT_MIN_SURVIVORS)),
  /** The first round after start waits until this many participants are connected (0 = no wait). */
  firstRoundParticipants: nonNegInt,
  submitMs: posInt,
  committeeMs: posInt,
  /** Pause between rounds. */
  pauseMs: nonNegInt,
  delta: posInt,
  bits: posInt,
  nMax: posInt,
  clip: positive,
  l2Clip: v.optional(positive),
  /** Samples at which a trainer's FedAvg weight saturates. */
  weightCap: positive,
  epochs: posInt,
  batchSize: posInt,
  learningRate: positive,
  hidden: v.array(posInt),
  seed: nonNegInt,
  maxMessageBytes: v.optional(posInt),
  /**
   * A certified federation: the enrollment authority's Ed25519 public keys (hex; the current one
   * and retired ones still accepted). Joins must then carry a certificate under one of them,
   * contributions and answers must be signed (docs/protocol.md §23).
   */
  authorityKeys: v.optional(
    v.array(v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'must be 32 bytes as lowercase hex'))),
  ),
  /** Trainers append local metrics (sufficient statistics) to the masked vector. */
  secureMetrics: v.boolean(),
  /**
   * Differential privacy (docs/dp.md §12), on when set: the noise multiplier z, the noise
   * standard deviation of the honest sum ÷ the clipping norm `dpClip`. Trainers clip, rotate,
   * round and add their share of distributed discrete Gaussian noise before masking.
   */
  dpNoiseMultiplier: v.optional(positive),
  /** L2 clipping norm C of a trainer's model delta in a DP round. */
  dpClip: positive,
  /** The privacy budget E: no round opens whose ε(δ) would exceed it (none: rounds are only counted). */
  dpEpsilon: v.optional(positive),
  /** δ of the reported ε. */
  dpDelta: v.pipe(v.number(), v.gtValue(0), v.ltValue(1)),
  /** Trainers assumed to collude with the server: their noise is not counted (K = minSurvivors − this). */
  dpColluders: nonNegInt,
  /** Test mode: in-process hooks for test harnesses (the decoded sum; on no wire; never in production). */
  testMode: v.boolean(),
  /** INSECURE: trainers send plaintext updates. Only for the labelled benchmark comparison. */
  insecurePlaintext: v.boolean(),
  /** Largest frame a connection may send before it has joined (a join with its certificate fits). */
  preJoinMaxBytes: posInt,
  /** A connection that has not joined by then is closed (JOIN_TIMEOUT). */
  joinTimeoutMs: posInt,
  /** A connection that sends nothing and answers no ping for this long is closed (IDLE). */
  idleTimeoutMs: posInt,
  /** An HTTP request's headers, and the whole request, must arrive within these (Node answers 408 and closes). */
  headersTimeoutMs: posInt,
  requestTimeoutMs: posInt,
  /** WebSocket connections at once, in all and per address (limits.ts); the next upgrade is answered 503. */
  maxConnections: posInt,
  maxConnectionsPerAddress: posInt,
  /** Refusals a connection may cause within `errorWindowMs` before it is closed (ERROR_BUDGET). */
  errorBudget: posInt,
  errorWindowMs: posInt,
  /** Refusals logged (and announced to observers) one by one per 10 s; beyond, summarized (refusal-log.ts). */
  refusalsLogged: posInt,
  /** Observers of /events at once, in all and per address (subscribers.ts); the next are refused with 503. */
  maxObservers: posInt,
  maxObserversPerAddress: posInt,
  /** Bytes an observer may leave unread before it is disconnected. */
  observerBufferBytes: posInt,
  /** Time an observer has to read its replay. */
  observerReplayMs: posInt,
  logLevel: v.picklist(['debug', 'info', 'warn', 'error', 'silent']),
});

export type ServerConfig = v.InferOutput<typeof ServerConfigSchema>;

export const DEFAULT_CONFIG: ServerConfig = {
  host: '127.0.0.1',
  port: 8080,
  dataDir: 'data/federation',
  recover: false,
  transcriptKeep: 3,
  open: false,
  allowedOrigins: [],
  rounds: 0,
  committeeMax: 128,
  corruptFraction: 0.05,
  dropoutFraction: 0.1,
  minTrainers: DEFAULT_MIN_SURVIVORS,
  minSurvivors: DEFAULT_MIN_SURVIVORS,
  firstRoundParticipants: 0,
  submitMs: 30_000,
  committeeMs: 15_000,
  pauseMs: 500,
  delta: DEFAULT_PROFILE.delta,
  bits: DEFAULT_PROFILE.bits,
  nMax: DEFAULT_PROFILE.nMax,
  clip: 0.5,
  weightCap: 5000,
  epochs: 2,
  batchSize: 128,
  learningRate: 0.003,
  hidden: [32, 16],
  seed: 1,
  secureMetrics: true,
  dpClip: 1,
  dpDelta: 1e-5,
  dpColluders: 0,
  testMode: false,
  insecurePlaintext: false,
  insecureDemo: false,
  preJoinMaxBytes: 8 * 1024,
  joinTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxConnections: 4096,
  maxConnectionsPerAddress: 256,
  errorBudget: 50,
  errorWindowMs: 10_000,
  refusalsLogged: 20,
  maxObservers: 256,
  maxObserversPerAddress: 16,
  observerBufferBytes: 128 * 1024,
  observerReplayMs: 30_000,
  logLevel: 'info',
};

/** UNREADABLE_CONFIG: the config file cannot be read or holds no JSON object; INVALID_CONFIG: a setting is wrong. */
export type ConfigErrorCode = 'UNREADABLE_CONFIG' | 'INVALID_CONFIG';

export class ConfigError extends CodedError<ConfigErrorCode> {}

/** Merges defaults ← file ← overrides and validates; throws ConfigError with every problem named. */
export function resolveConfig(overrides: Partial<ServerConfig> = {}, file?: string): ServerConfig {
  let fromFile: Record<string, unknown> = {};
  if (file) {
    try {
      fromFile = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new ConfigError('UNREADABLE_CONFIG', `cannot read config file ${file}: ${why}`);
    }
    if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) {
      throw new ConfigError('UNREADABLE_CONFIG', `config file ${file} must hold a JSON object`);
    }
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, x]) => x !== undefined));
  const parsed = v.safeParse(ServerConfigSchema, { ...DEFAULT_CONFIG, ...fromFile, ...defined });
  if (!parsed.success) {
    const problems = parsed.issues.map(
      (i) => `${i.path?.map((p) => String(p.key)).join('.') ?? '(config)'}: ${i.message}`,
    );
    throw new ConfigError('INVALID_CONFIG', `invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const cfg = parsed.output;
  try {
    checkBudget({ delta: cfg.delta, bits: cfg.bits, nMax: cfg.nMax });
  } catch (e) {
    if (e instanceof SecAggError) throw new ConfigError('INVALID_CONFIG', `invalid configuration: ${e.message}`);
    throw e;
  }
  configuredCommittee(cfg);
  if (!cfg.open && !cfg.token) {
    throw new ConfigError('INVALID_CONFIG', 'invalid configuration: a join token is required unless --open is given');
  }
  checkDpSettings(cfg);
  if (cfg.minSurvivors > cfg.minTrainers) {
    const why = `minSurvivors (${cfg.minSurvivors}) exceeds minTrainers (${cfg.minTrainers})`;
    throw new ConfigError('INVALID_CONFIG', `invalid configuration: ${why}`);
  }
  return cfg;
}

/** The DP settings that cannot work together (the plan itself is checked by privacy.ts at start). */
function checkDpSettings(cfg: ServerConfig): void {
  const bad = (why: string): never => {
    throw new ConfigError('INVALID_CONFIG', `invalid configuration: ${why}`);
  };
  if (cfg.dpNoiseMultiplier === undefined) {
    if (cfg.dpEpsilon !== undefined) bad('dpEpsilon (--dp-epsilon) needs dpNoiseMultiplier (--dp-noise-multiplier)');
    return;
  }
  if (cfg.insecurePlaintext)
    bad("differential privacy needs the secure sum: plaintext updates would carry one trainer's noise share only");
  if (cfg.dpColluders >= cfg.minSurvivors)
    bad(
      `dpColluders (${cfg.dpColluders}) must be below minSurvivors (${cfg.minSurvivors}): no honest trainer's noise would be counted`,
    );
}

/**
 * The operator's explicit committee with its derived bounds (undefined when committees are sized
 * per round): a ConfigError INVALID_CONFIG when the core refuses the scheme, or when it is not
 * subset-safe and `insecureDemo` is not set — naming the inequality with its numbers.
 */
export function configuredCommittee(cfg: ServerConfig): CommitteeSettings | undefined {
  if (!cfg.committee) return undefined;
  try {
    const settings = explicitCommittee(cfg.committee);
    if (!cfg.insecureDemo) requireSubsetSafe(settings);
    return settings;
  } catch (e) {
    if (e instanceof SubsetSafetyError)
      throw new ConfigError(
        'INVALID_CONFIG',
        `invalid configuration: ${e.message}; or start with --insecure-demo (setting insecureDemo)`,
      );
    if (e instanceof SecAggError) throw new ConfigError('INVALID_CONFIG', `invalid configuration: ${e.message}`);
    throw e;
  }
}
