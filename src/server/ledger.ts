/**
 * What the federation persists and resumes from (store.ts holds the format): its id, the
 * current model version and weights, the last round id handed out, and the round log.
 */
import { randomBytes } from 'node:crypto';
import type { RoundId } from '../wire/messages.js';
import type { ServerConfig } from './config.js';
import type { Logger } from './log.js';
import { type GlobalModel, initialModel, modelFromCheckpoint, toCheckpoint } from './model.js';
import { RECOVER_HINT, checkDataDir } from './datadir.js';
import { DataDirError } from './datadir-error.js';
import { recover } from './recover.js';
import { type FederationState, type RoundRecord, Store, emptyRoundRecord } from './store.js';
import type { RawSigningKeyPair } from '../cert/sign.js';
import { recordSigner } from './chain.js';
import { loadOrCreateServerKey } from './server-key.js';

export class Ledger {
  private readonly store: Store;
  private state!: FederationState;
  private current!: GlobalModel;
  /** The server's signing key (server-key.ts, docs/protocol.md §26). */
  serverKey!: RawSigningKeyPair;

  constructor(
    private readonly config: ServerConfig,
    private readonly log: Logger,
  ) {
    this.store = new Store(config.dataDir);
  }

  /**
   * Loads the last finished version from the data directory, or creates version 0 in an empty
   * one. Refuses (DataDirError) a directory that is not writable or whose files disagree
   * (datadir.ts); with `config.recover`, rebuilds the state first (recover.ts).
   */
  async open(): Promise<void> {
    await this.store.init();
    this.serverKey = await loadOrCreateServerKey(this.config.dataDir);
    this.store.signer = recordSigner(this.serverKey.secretKey);
    if (this.config.recover) await recover(this.store, this.log);
    const log = await this.store.readLog();
    this.loggedRounds = log.records;
    const state = await this.store.readState();
    const verdict = checkDataDir({ dir: this.config.dataDir, state, versions: await this.store.versionsOnDisk(), log });
    if (state.kind === 'ok' && state.legacy)
      this.log.warn('state_without_checksum', {
        file: this.store.statePath,
        note: 'written by an earlier version; sealed at the next write',
      });
    if (verdict.kind === 'resume') {
      const s = verdict.state;
      try {
        this.current = modelFromCheckpoint(await this.store.loadModel(s.version));
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        throw new DataDirError(
          'MODEL_UNREADABLE',
          `${this.store.modelDir(s.version)} cannot be loaded: ${why}; ${RECOVER_HINT}`,
          {
            cause: e,
          },
        );
      }
      this.state = s;
      const { federation, version, lastStartedRound } = s;
      this.log.info('resumed', { federation, version, lastStartedRound, dataDir: this.config.dataDir });
      await this.recordInterrupted(log.records);
    } else {
      const model = initialModel(this.config.hidden, this.config.seed);
      const federation = `fed-${randomBytes(6).toString('hex')}`;
      const state = { federation, version: 0, lastStartedRound: 0, createdAt: new Date().toISOString() };
      await this.store.saveModel(0, toCheckpoint(model, { federation, version: 0, note: 'initial weights' }));
      await this.store.createLog();
      await this.store.writeState(state);
      this.state = state;
      this.current = model;
      this.log.info('created', { federation, dataDir: this.config.dataDir, params: model.weights.length });
    }
  }

  /** A round started but never recorded means the server stopped without a clean shutdown
   * during it: the round log says so (the model was not changed; its version was never written),
   * and so do the observers and the participants of that round (`interrupted`). */
  private async recordInterrupted(records: readonly RoundRecord[]): Promise<void> {
    const last = records.reduce((m, r) => Math.max(m, r.round), 0);
    const round = this.state.lastStartedRound;
    if (round <= last) return;
    const reason = 'the server stopped during this round without a clean shutdown; the model was not changed';
    this.log.warn('round_interrupted', { round, version: this.state.version, reason });
    const record = emptyRoundRecord(round, 'INTERRUPTED', reason, this.state.version);
    await this.store.appendRound(record, this.state.federation);
    this.interrupted = record;
    this.interruptedParticipants = new Set(await this.store.readRoles(round));
  }

  /** The round log as read at open (the privacy accountant is rebuilt from it, privacy.ts). */
  loggedRounds: readonly RoundRecord[] = [];

  /** The round this start found interrupted (recorded as such), if any. */
  interrupted: RoundRecord | undefined;
  /** Its participants not yet told (federation.ts tells each when it joins again). */
  interruptedParticipants = new Set<string>();

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

  /**
   * The next round id, persisted before it is used: never reused, even across restarts. Its
   * participants are recorded first, so that after a crash they can be told it was interrupted.
   */
  async nextRound(participants: readonly string[] = []): Promise<RoundId> {
    const round = this.state.lastStartedRound + 1;
    if (participants.length) await this.store.writeRoles(round, participants);
    const next = { ...this.state, lastStartedRound: round };
    await this.store.writeState(next);
    this.state = next;
    return round;
  }

  /**
   * Saves `model` as the next version and points the state at it; only once both are durable
   * does it become current (served, and the start of the next round). When the state cannot be
   * written, the new version's directory is set aside (`v<N>.unused-…`, never deleted), so
   * what is on disk and what is served still agree; the error is rethrown.
   */
  async commitVersion(model: GlobalModel, meta: Record<string, unknown>): Promise<number> {
    const version = this.state.version + 1;
    await this.store.saveModel(version, toCheckpoint(model, { federation: this.state.federation, version, ...meta }));
    const next = { ...this.state, version };
    try {
      await this.store.writeState(next);
    } catch (e) {
      const to = await this.store.setAsideModel(version, 'unused').catch((err: unknown) => String(err));
      this.log.error('state_write_failed', { version, setAside: to, error: String(e) });
      throw e;
    }
    this.state = next;
    this.current = model;
    return version;
  }

  appendRound(record: RoundRecord): Promise<void> {
    return this.store.appendRound(record, this.state.federation);
  }

  /** The data directory (transcripts live beside the log, transcript-store.ts). */
  get dataDir(): string {
    return this.config.dataDir;
  }
}
