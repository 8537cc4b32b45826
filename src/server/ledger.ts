/**
 * What the federation persists and resumes from (store.ts holds the format): its id, the
 * current model version and weights, the last round id handed out, and the round log.
 */
import { randomBytes } from 'node:crypto';
import type { RoundId } from '../wire/messages.js';
import type { ServerConfig } from './config.js';
import type { Logger } from './log.js';
import { type GlobalModel, initialModel, modelFromCheckpoint, toCheckpoint } from './model.js';
import { type FederationState, type RoundRecord, Store } from './store.js';

export class Ledger {
  private readonly store: Store;
  private state!: FederationState;
  private current!: GlobalModel;

  constructor(
    private readonly config: ServerConfig,
    private readonly log: Logger,
  ) {
    this.store = new Store(config.dataDir);
  }

  /** Loads the last finished version from the data directory, or creates version 0. */
  async open(): Promise<void> {
    await this.store.init();
    const s = await this.store.readState();
    if (s) {
      this.state = s;
      this.current = modelFromCheckpoint(await this.store.loadModel(s.version));
      const { federation, version, lastStartedRound } = s;
      this.log.info('resumed', { federation, version, lastStartedRound, dataDir: this.config.dataDir });
      await this.recordInterrupted();
    } else {
      this.current = initialModel(this.config.hidden, this.config.seed);
      const federation = `fed-${randomBytes(6).toString('hex')}`;
      this.state = { federation, version: 0, lastStartedRound: 0, createdAt: new Date().toISOString() };
      await this.store.saveModel(0, toCheckpoint(this.current, { federation, version: 0, note: 'initial weights' }));
      await this.store.writeState(this.state);
      this.log.info('created', { federation, dataDir: this.config.dataDir, params: this.current.weights.length });
    }
  }

  /** A round started but never recorded means the server stopped without a clean shutdown
   * during it: the round log says so (the model was not changed; its version was never written). */
  private async recordInterrupted(): Promise<void> {
    const rounds = await this.store.readRounds();
    const last = rounds.reduce((m, r) => Math.max(m, r.round), 0);
    const round = this.state.lastStartedRound;
    if (round <= last) return;
    const now = new Date().toISOString();
    const reason = 'the server stopped during this round without a clean shutdown; the model was not changed';
    this.log.warn('round_interrupted', { round, version: this.state.version, reason });
    await this.store.appendRound({
      round,
      outcome: 'failed',
      code: 'INTERRUPTED',
      reason,
      versionBefore: this.state.version,
      versionAfter: this.state.version,
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
    });
  }

  get federation(): string {
    return this.state.federation;
  }

  get version(): number {
    return this.state.version;
  }

  get lastStartedRound(): RoundId {
    return this.state.lastStartedRound;
  }

  get model(): GlobalModel {
    return this.current;
  }

  get modelDir(): string {
    return this.store.modelDir(this.state.version);
  }

  /** The next round id, persisted before it is used: never reused, even across restarts. */
  async nextRound(): Promise<RoundId> {
    const round = this.state.lastStartedRound + 1;
    this.state = { ...this.state, lastStartedRound: round };
    await this.store.writeState(this.state);
    return round;
  }

  /** Saves `model` as the next version, then makes it current; returns its version. */
  async commitVersion(model: GlobalModel, meta: Record<string, unknown>): Promise<number> {
    const version = this.state.version + 1;
    await this.store.saveModel(version, toCheckpoint(model, { federation: this.state.federation, version, ...meta }));
    this.current = model;
    this.state = { ...this.state, version };
    await this.store.writeState(this.state);
    return version;
  }

  appendRound(record: RoundRecord): Promise<void> {
    return this.store.appendRound(record);
  }
}
