/**
 * Persistence in a data directory (embedded, no database):
 *
 *   state.json          { federation, version, lastStartedRound, createdAt, sum }  (atomic replace)
 *   models/v<N>/        every finished model version, in the checkpoint format of src/ml
 *                       (model.json + weights.bin) — `npm run evaluate -- --model` reads it
 *   rounds.jsonl        one JSON line per round: outcome, trainers, survivors, members, timings,
 *                       bytes, and its checksum `sum`
 *
 * Every write is flushed to disk, file and directory, before it returns (durable.ts); state.json
 * and every log line carry a checksum (records of earlier versions, without one, are read as
 * they are). A version directory is written completely under a
 * temporary name and renamed into place only where no directory of that version exists: a
 * finished version is never overwritten. state.json points at a version only once its
 * directory is durable, so a crash leaves the previous version current. Round numbers are never
 * reused across restarts: the next round is lastStartedRound + 1, persisted before its
 * descriptor goes out. Startup checks all three against each other (datadir.ts).
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type Checkpoint } from '../ml/checkpoint.js';
import { loadCheckpoint, saveCheckpoint } from '../ml/checkpoint-node.js';
import { DataDirError } from './datadir-error.js';
import { type RecordSigner, lineHash, tailOf } from './chain.js';
import { appendDurable, replaceDurable, seal, syncDir, unseal, unsealedLegacy, writeDurable } from './durable.js';

export interface FederationState {
  federation: string;
  version: number;
  lastStartedRound: number;
  createdAt: string;
}

export interface RoundRecord {
  round: number;
  outcome: 'ok' | 'failed';
  code?: string;
  reason?: string;
  versionBefore: number;
  versionAfter: number;
  trainers: string[];
  survivors: string[];
  members: string[];
  membersAnswered: number[];
  tRec: number;
  timings: Record<string, number>;
  bytesIn: number;
  bytesOut: number;
  /** Secure metrics of the starting model (versionBefore), when the round carried them. */
  metrics?: Record<string, number>;
  /** A decoded DP round's charge (docs/dp.md §12): what the accountant composed, and ε after it. */
  dp?: { l2: number; sigma2: number; honest: number; dim: number; epsilon: number; delta: number };
  startedAt: string;
  endedAt: string;
  /** SHA-256 (hex) of the round's transcript file (docs/transcript.md), when one was written. */
  transcript?: string;
  /** The hash chain (chain.ts): the previous line's hash and the server's signature. */
  prev?: string;
  sig?: string;
}

/** The record of a round that ran nothing (interrupted by a crash, or the round id a recovery takes). */
export function emptyRoundRecord(round: number, code: string, reason: string, version: number): RoundRecord {
  const now = new Date().toISOString();
  return {
    round,
    outcome: 'failed',
    code,
    reason,
    versionBefore: version,
    versionAfter: version,
    trainers: [],
    survivors: [],
    members: [],
    membersAnswered: [],
    tRec: 0,
    timings: {},
    bytesIn: 0,
    bytesOut: 0,
    startedAt: now,
    endedAt: now,
  };
}

/** What state.json holds: nothing, something unusable (and why), or a state whose checksum matches. */
/** `legacy`: written by an earlier version, without a checksum (accepted; sealed at the next write). */
export type StateRead =
  { kind: 'missing' } | { kind: 'bad'; why: string } | { kind: 'ok'; state: FederationState; legacy: boolean };

/** A line of the round log that cannot be used, and why (1-based line number). */
export interface BadLine {
  line: number;
  text: string;
  why: string;
}

export interface LogRead {
  missing: boolean;
  records: RoundRecord[];
  bad: BadLine[];
  /** The file does not end with a newline: its last line was cut short by a crash or a full disk. */
  tornTail: boolean;
  /** Every line as read (for --recover, which rewrites the log without the bad ones). */
  lines: string[];
}

export const STATE_FILE = 'state.json';
/** The participants of the last round started, so that a restart can tell them it was interrupted. */
export const ROLES_FILE = 'round-participants.json';
export const LOG_FILE = 'rounds.jsonl';
const VERSION_DIR = /^v(0|[1-9]\d*)$/;

function isState(s: Record<string, unknown>): boolean {
  return (
    typeof s.federation === 'string' &&
    Number.isSafeInteger(s.version) &&
    (s.version as number) >= 0 &&
    Number.isSafeInteger(s.lastStartedRound) &&
    (s.lastStartedRound as number) >= 0 &&
    typeof s.createdAt === 'string'
  );
}

function isRecord(r: Record<string, unknown>): boolean {
  return (
    Number.isSafeInteger(r.round) &&
    (r.outcome === 'ok' || r.outcome === 'failed') &&
    Number.isSafeInteger(r.versionBefore) &&
    Number.isSafeInteger(r.versionAfter)
  );
}

/** One log line: a record whose checksum matches, or why not. */
export function parseLogLine(text: string): RoundRecord | string {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return 'it is not JSON (cut short?)';
  }
  const r = unsealedLegacy(raw) ?? unseal(raw);
  if (typeof r === 'string') return r;
  return isRecord(r) ? (r as unknown as RoundRecord) : 'it is not a round record';
}

export class Store {
  /** The hash of the log's last line, once known (chain.ts); forgotten when an append fails. */
  private tail: string | undefined;
  /** Signs each appended record with the server's key (ledger.ts sets it once the key is loaded). */
  signer: RecordSigner | undefined;

  constructor(readonly dir: string) {}

  get statePath(): string {
    return join(this.dir, STATE_FILE);
  }

  get logPath(): string {
    return join(this.dir, LOG_FILE);
  }

  get modelsDir(): string {
    return join(this.dir, 'models');
  }

  modelDir(version: number): string {
    return join(this.modelsDir, `v${version}`);
  }

  /** Creates the directories, removes temporaries a crash left, and proves the directory writable. */
  async init(): Promise<void> {
    try {
      await mkdir(this.modelsDir, { recursive: true });
      for (const dir of [this.modelsDir, this.dir])
        for (const name of await readdir(dir))
          if (name.startsWith('.') && name.endsWith('.tmp')) await rm(join(dir, name), { recursive: true });
      const probe = join(this.dir, `.write-probe-${randomBytes(4).toString('hex')}`);
      await writeDurable(probe, 'probe', 'wx');
      await rm(probe);
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
      throw new DataDirError(
        'DATA_DIR_UNWRITABLE',
        `the data directory ${this.dir} is not writable (${why}): finished versions could not be saved. ` +
          'Fix its permissions or free space, or point --data-dir at a writable directory',
        { cause: e },
      );
    }
  }

  async readState(): Promise<StateRead> {
    let text: string;
    try {
      text = await readFile(this.statePath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
      throw e;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return { kind: 'bad', why: 'it is not JSON' };
    }
    const legacy = unsealedLegacy(raw);
    const s = legacy ?? unseal(raw);
    if (typeof s === 'string') return { kind: 'bad', why: s };
    if (!isState(s)) return { kind: 'bad', why: 'it lacks federation, version, lastStartedRound or createdAt' };
    const { federation, version, lastStartedRound, createdAt } = s as unknown as FederationState;
    return { kind: 'ok', state: { federation, version, lastStartedRound, createdAt }, legacy: legacy !== undefined };
  }

  writeState(s: FederationState): Promise<void> {
    const { federation, version, lastStartedRound, createdAt } = s;
    return replaceDurable(
      this.statePath,
      `${JSON.stringify(seal({ federation, version, lastStartedRound, createdAt }), null, 2)}\n`,
    );
  }

  /** Records who takes part in `round` (before its descriptor goes out). */
  writeRoles(round: number, participants: readonly string[]): Promise<void> {
    return replaceDurable(join(this.dir, ROLES_FILE), `${JSON.stringify(seal({ round, participants }))}\n`);
  }

  /** The participants of `round`, when the roles file is about that round and intact; else none. */
  async readRoles(round: number): Promise<string[]> {
    try {
      const r = unseal(JSON.parse(await readFile(join(this.dir, ROLES_FILE), 'utf8')));
      if (typeof r === 'string' || r.round !== round || !Array.isArray(r.participants)) return [];
      return r.participants.filter((p): p is string => typeof p === 'string');
    } catch {
      return [];
    }
  }

  /** The versions whose directories are in models/ (v<N> only), ascending. */
  async versionsOnDisk(): Promise<number[]> {
    const names = await readdir(this.modelsDir).catch(() => [] as string[]);
    return names
      .filter((n) => VERSION_DIR.test(n))
      .map((n) => Number(n.slice(1)))
      .sort((a, b) => a - b);
  }

  /**
   * Saves a version: written under a temporary name, every file and the directory flushed, then
   * renamed into place — refused (VERSION_EXISTS) where a directory of that version exists.
   */
  async saveModel(version: number, ckpt: Checkpoint): Promise<string> {
    const dir = this.modelDir(version);
    const tmp = join(this.modelsDir, `.v${version}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await mkdir(tmp);
      const files = await saveCheckpoint(tmp, ckpt);
      for (const f of [files.weights, files.manifest]) {
        const fh = await open(f, 'r+');
        await fh.sync().finally(() => fh.close());
      }
      await syncDir(tmp);
      const taken = await lstat(dir).then(
        () => true,
        () => false,
      );
      if (taken)
        throw new DataDirError('VERSION_EXISTS', `${dir} exists already: a finished version is never overwritten`);
      await rename(tmp, dir);
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
    await syncDir(this.modelsDir);
    return dir;
  }

  /** Moves a version directory aside (never deleted): `v<N>.<why>-<time>`; returns the new path. */
  async setAsideModel(version: number, why: string): Promise<string> {
    const to = `${this.modelDir(version)}.${why}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await rename(this.modelDir(version), to);
    await syncDir(this.modelsDir);
    return to;
  }

  loadModel(version: number): Promise<Checkpoint> {
    return loadCheckpoint(this.modelDir(version));
  }

  /** An empty round log, created with the federation (so that a missing log means a lost one). */
  async createLog(): Promise<void> {
    await writeDurable(this.logPath, '', 'wx');
    await syncDir(this.dir);
  }

  /**
   * Appends one record, chained to the previous line (`prev`) and, with a signer and the
   * federation, signed by the server (chain.ts).
   */
  async appendRound(r: RoundRecord, federation?: string): Promise<void> {
    const { prev: _p, sig: _s, ...rest } = r;
    const prev = this.tail ?? tailOf((await this.readLog()).lines);
    const body = { ...rest, prev };
    const sig = this.signer && federation ? this.signer(federation, r.round, prev, JSON.stringify(body)) : undefined;
    const line = JSON.stringify(seal(sig ? { ...body, sig } : body));
    this.tail = undefined;
    await appendDurable(this.logPath, `${line}\n`);
    this.tail = lineHash(line);
  }

  async readLog(): Promise<LogRead> {
    let text: string;
    try {
      text = await readFile(this.logPath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        return { missing: true, records: [], bad: [], tornTail: false, lines: [] };
      throw e;
    }
    const tornTail = text.length > 0 && !text.endsWith('\n');
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const records: RoundRecord[] = [];
    const bad: BadLine[] = [];
    lines.forEach((l, i) => {
      if (!l.trim()) return;
      const r = tornTail && i === lines.length - 1 ? 'it was cut short (no newline at its end)' : parseLogLine(l);
      if (typeof r === 'string') bad.push({ line: i + 1, text: l, why: r });
      else records.push(r);
    });
    return { missing: false, records, bad, tornTail, lines };
  }

  /** The round records (throws on a log that cannot be read; the startup check has said why). */
  async readRounds(): Promise<RoundRecord[]> {
    return (await this.readLog()).records;
  }
}
