/**
 * Persistence in a data directory (embedded, no database):
 *
 *   state.json          { federation, version, lastStartedRound, createdAt }  (atomic rename)
 *   models/v<N>/        every finished model version, in the checkpoint format of src/ml
 *                       (model.json + weights.bin) — `npm run evaluate -- --model` reads it
 *   rounds.jsonl        one JSON line per round: outcome, trainers, survivors, members, timings, bytes
 *
 * A version directory is written completely before state.json points at it, so a crash leaves
 * the previous version current. Round numbers are never reused across restarts: the next round
 * is lastStartedRound + 1, persisted before its descriptor goes out.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Checkpoint } from '../ml/checkpoint.js';
import { loadCheckpoint, saveCheckpoint } from '../ml/checkpoint-node.js';

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
  startedAt: string;
  endedAt: string;
}

export class Store {
  constructor(readonly dir: string) {}

  private get statePath(): string {
    return join(this.dir, 'state.json');
  }

  modelDir(version: number): string {
    return join(this.dir, 'models', `v${version}`);
  }

  async init(): Promise<void> {
    await mkdir(join(this.dir, 'models'), { recursive: true });
  }

  async readState(): Promise<FederationState | undefined> {
    let text: string;
    try {
      text = await readFile(this.statePath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    const s = JSON.parse(text) as FederationState;
    if (
      typeof s.federation !== 'string' ||
      !Number.isSafeInteger(s.version) ||
      !Number.isSafeInteger(s.lastStartedRound)
    ) {
      throw new Error(`${this.statePath} is corrupt`);
    }
    return s;
  }

  async writeState(s: FederationState): Promise<void> {
    const tmp = `${this.statePath}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, `${JSON.stringify(s, null, 2)}\n`);
    await rename(tmp, this.statePath);
  }

  async saveModel(version: number, ckpt: Checkpoint): Promise<string> {
    const dir = this.modelDir(version);
    const tmp = `${dir}.tmp`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    await saveCheckpoint(tmp, ckpt);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    return dir;
  }

  loadModel(version: number): Promise<Checkpoint> {
    return loadCheckpoint(this.modelDir(version));
  }

  async appendRound(r: RoundRecord): Promise<void> {
    await appendFile(join(this.dir, 'rounds.jsonl'), `${JSON.stringify(r)}\n`);
  }

  async readRounds(): Promise<RoundRecord[]> {
    try {
      const text = await readFile(join(this.dir, 'rounds.jsonl'), 'utf8');
      return text
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as RoundRecord);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }
}
