/**
 * The federation: participants, the draw of roles each round, the round loop, the global
 * model and its persistence. Transport-agnostic: a connection is anything that can send
 * bytes and be closed (the WebSocket layer in http.ts adapts `ws`).
 *
 * Every participant speaks once per round: the committee is drawn uniformly (crypto.randomInt
 * Fisher–Yates) from the volunteers, and everyone else with the train role trains.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import {
  type CommitteeSettings,
  SecAggError,
  explicitCommittee,
  sizeCommittee,
  verifyJoinProof,
  x25519PublicKey,
} from '../secagg/index.js';
import { isCodedError } from '../base/error.js';
import { mlpArchitecture, parameterCount } from '../ml/model.js';
import { DEFAULT_SCALING, numInputs } from '../ml/scaling.js';
import { WireError, decodeClientMessage, encodeMessage } from '../wire/codec.js';
import { decodeStats, maxContributionBytes, vectorLayout } from '../wire/layout.js';
import { statsToMetrics } from '../ml/stats.js';
import { type ClientMessage, type JoinMsg, type RoundId, type ServerMessage, WIRE_VERSION } from '../wire/messages.js';
import { type FederationEvent, type FederationMetrics, type FederationStatus, SHORT_ID } from '../wire/events.js';
import type { ServerConfig } from './config.js';
import type { Logger } from './log.js';
import { type GlobalModel, applyDecodedSum, initialModel, modelFromCheckpoint, toCheckpoint } from './model.js';
import { Refusal } from './refusal.js';
import { observedScheme, roundDescriptor } from './descriptor.js';
import { PREVIEW_LENGTH, type RoundOutcome, RoundRun } from './round.js';
import { type FederationState, Store } from './store.js';

export interface Connection {
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

interface Participant {
  readonly id: string;
  readonly publicKey: Uint8Array;
  train: boolean;
  committee: boolean;
  label: string | undefined;
  conn: Connection | undefined;
}

/** Short, stable participant id derived from the long-term public key. */
export function participantId(publicKey: Uint8Array): string {
  return `p${createHash('sha256').update(publicKey).digest('hex').slice(0, 16)}`;
}

function shuffle<T>(xs: readonly T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

export interface FederationOptions {
  /**
   * Test mode only (config.testMode): called with each round's decoded sum before its
   * `round_done` event, so an in-process test can check exactness. Never on any wire.
   */
  onDecodedForTest?: (round: RoundId, sum: Float64Array) => void;
}

export class Federation {
  readonly config: ServerConfig;
  private readonly store: Store;
  private readonly log: Logger;
  private state!: FederationState;
  private model!: GlobalModel;
  private readonly participants = new Map<string, Participant>();
  private current: RoundRun | undefined;
  private readonly listeners = new Set<(e: FederationEvent) => void>();
  private roundsRun = 0;
  private stopped = false;
  private startTimer: ReturnType<typeof setTimeout> | undefined;
  private lastWaiting = '';
  /** True from the decision to start a round until it is `current` (the start awaits I/O). */
  private starting = false;
  /** The current round's finishing (record, result messages); stop() waits for it. */
  private finishing: Promise<void> = Promise.resolve();
  readonly maxMessageBytes: number;
  private readonly onDecodedForTest: ((round: RoundId, sum: Float64Array) => void) | undefined;
  /** The operator's committee (validated by the core once, at start), if one is configured. */
  private readonly explicitCommittee: CommitteeSettings | undefined;

  constructor(config: ServerConfig, log: Logger, options: FederationOptions = {}) {
    if (options.onDecodedForTest && !config.testMode) throw new Error('onDecodedForTest needs a server in test mode');
    this.config = config;
    this.onDecodedForTest = options.onDecodedForTest;
    this.explicitCommittee = config.committee && explicitCommittee(config.committee);
    this.store = new Store(config.dataDir);
    this.log = log;
    const params = initialModelParams(config);
    this.maxMessageBytes = config.maxMessageBytes ?? maxContributionBytes(vectorLayout(params, config.secureMetrics).length, config.committee?.m ?? config.committeeMax);
  }

  /** Loads the last finished version from the data directory, or creates version 0. */
  async init(): Promise<void> {
    await this.store.init();
    const s = await this.store.readState();
    if (s) {
      this.state = s;
      this.model = modelFromCheckpoint(await this.store.loadModel(s.version));
      this.log.info('resumed', { federation: s.federation, version: s.version, lastStartedRound: s.lastStartedRound, dataDir: this.config.dataDir });
      await this.recordInterrupted();
    } else {
      this.model = initialModel(this.config.hidden, this.config.seed);
      this.state = { federation: `fed-${randomBytes(6).toString('hex')}`, version: 0, lastStartedRound: 0, createdAt: new Date().toISOString() };
      await this.store.saveModel(0, toCheckpoint(this.model, { federation: this.state.federation, version: 0, note: 'initial weights' }));
      await this.store.writeState(this.state);
      this.log.info('created', { federation: this.state.federation, dataDir: this.config.dataDir, params: this.model.weights.length });
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

  get federationId(): string {
    return this.state.federation;
  }

  get version(): number {
    return this.state.version;
  }

  /** The id of the last round started (the next one is this + 1). */
  get lastStartedRound(): number {
    return this.state.lastStartedRound;
  }

  get globalWeights(): Float32Array {
    return this.model.weights;
  }

  get modelDir(): string {
    return this.store.modelDir(this.state.version);
  }

  onEvent(f: (e: FederationEvent) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  private emit(e: FederationEvent): void {
    for (const f of this.listeners) {
      try {
        f(e);
      } catch (err) {
        this.log.error('listener_failed', { error: String(err) });
      }
    }
  }

  status(): FederationStatus {
    const connected = [...this.participants.values()].filter((p) => p.conn);
    return {
      federation: this.state.federation,
      version: this.state.version,
      round: this.current?.round ?? null,
      phase: this.current?.phase ?? (this.stopped ? 'stopped' : 'idle'),
      participants: { connected: connected.length, trainers: connected.filter((p) => p.train).length, volunteers: connected.filter((p) => p.committee).length },
      insecurePlaintext: this.config.insecurePlaintext,
    };
  }

  private send(id: string, msg: ServerMessage): number {
    const p = this.participants.get(id);
    if (!p?.conn) return 0;
    const bytes = encodeMessage(msg);
    try {
      p.conn.send(bytes);
    } catch (e) {
      this.log.warn('send_failed', { clientId: id, error: String(e) });
      return 0;
    }
    return bytes.byteLength;
  }

  private emitParticipants(): void {
    const s = this.status().participants;
    const list = [...this.participants.values()]
      .filter((p) => p.conn)
      .map((p) => ({ id: p.id.slice(0, SHORT_ID), train: p.train, committee: p.committee, ...(p.label ? { label: p.label.slice(0, 32) } : {}) }));
    this.emit({ type: 'participants', ...s, list });
  }

  /** A new transport connection; returns the handlers the transport calls. */
  connect(conn: Connection): { message(data: Uint8Array, binary: boolean): Promise<void>; close(): void } {
    let id: string | undefined;
    let joining = false;
    // A fresh challenge per connection: the join must prove possession of its secret key.
    const challengeSecret = new Uint8Array(randomBytes(32));
    const challenge = x25519PublicKey(challengeSecret);
    const reply = (msg: ServerMessage) => {
      try {
        conn.send(encodeMessage(msg));
      } catch {
        /* the connection is gone; nothing to tell */
      }
    };
    const refuse = (e: unknown, ref?: string) => {
      const code = isCodedError(e) || e instanceof SecAggError ? e.code : 'INTERNAL';
      const message = e instanceof Error ? e.message : String(e);
      if (code === 'INTERNAL') this.log.error('internal_error', { clientId: id, error: message, stack: e instanceof Error ? e.stack : undefined });
      else this.log.warn('refused', { clientId: id, code, message, ref });
      this.emit({ type: 'refused', ...(id ? { clientId: id } : {}), code, message, ...(ref ? { ref } : {}) });
      reply({ t: 'error', code, message, ...(ref ? { ref } : {}), ...(this.current ? { round: this.current.round } : {}) });
    };
    reply({ t: 'hello', v: WIRE_VERSION, challenge });
    return {
      message: async (data, binary) => {
        let msg: ClientMessage | undefined;
        try {
          if (!binary) throw new Refusal('TEXT_FRAME', 'messages must be binary msgpack frames');
          msg = decodeClientMessage(data, this.maxMessageBytes);
          if (!id) {
            if (msg.t !== 'join') throw new Refusal('NOT_JOINED', `send a join message before ${msg.t}`);
            if (joining) throw new Refusal('ALREADY_JOINED', 'a join on this connection is being checked');
            joining = true;
            try {
              this.checkToken(msg.token);
              if (!(await verifyJoinProof(challengeSecret, challenge, msg.publicKey, msg.proof))) {
                throw new Refusal('UNAUTHENTICATED', 'the join proof does not verify: the public key is not this participant\'s');
              }
              id = this.join(conn, msg);
            } finally {
              joining = false;
            }
            return;
          }
          await this.dispatch(id, msg, data.byteLength);
        } catch (e) {
          refuse(e, msg?.t ?? (e instanceof WireError ? e.ref : undefined));
          if (e instanceof Refusal && e.code === 'UNAUTHENTICATED') conn.close(4001, 'unauthenticated');
        }
      },
      close: () => {
        if (!id) return;
        const p = this.participants.get(id);
        if (p && p.conn === conn) {
          p.conn = undefined;
          this.log.info('left', { clientId: id });
          this.emitParticipants();
          this.current?.left();
        }
      },
    };
  }

  private checkToken(token: string): void {
    if (this.config.open) return;
    const want = Buffer.from(this.config.token ?? '');
    const got = Buffer.from(token);
    if (want.length !== got.length || !timingSafeEqual(want, got)) throw new Refusal('UNAUTHENTICATED', 'wrong join token');
  }

  private join(conn: Connection, msg: JoinMsg): string {
    if (!msg.train && !msg.committee) throw new Refusal('NOT_JOINED', 'a participant must train, volunteer for the committee, or both');
    const id = participantId(msg.publicKey);
    const existing = this.participants.get(id);
    if (existing?.conn && existing.conn !== conn) existing.conn.close(4000, 'replaced by a new connection of the same identity');
    const p: Participant = { id, publicKey: msg.publicKey, train: msg.train, committee: msg.committee, label: msg.label, conn };
    this.participants.set(id, p);
    this.log.info('joined', { clientId: id, train: msg.train, committee: msg.committee, label: msg.label });
    this.send(id, { t: 'welcome', v: WIRE_VERSION, clientId: id, federation: this.state.federation, version: this.state.version, ...(this.config.insecurePlaintext ? { insecurePlaintext: true } : {}) });
    this.emitParticipants();
    this.current?.rejoined(id);
    this.scheduleStart(0);
    return id;
  }

  private async dispatch(id: string, msg: ClientMessage, size: number): Promise<void> {
    if (msg.t === 'join') throw new Refusal('ALREADY_JOINED', 'this connection has already joined');
    if (msg.t === 'leave') {
      const p = this.participants.get(id);
      p?.conn?.close(1000, 'left');
      return;
    }
    const run = this.current;
    if (!run) throw new Refusal('NO_ROUND', `no round is running (message for round ${msg.round})`);
    if (msg.t === 'contribution') await run.contribution(id, msg, size);
    else if (msg.t === 'answer') run.answer(id, msg, size);
    else run.plain(id, msg, size);
  }

  // ---- the round loop ------------------------------------------------------------------------

  private scheduleStart(delay: number): void {
    if (this.stopped || this.current || this.starting || this.startTimer) return;
    this.startTimer = setTimeout(() => {
      this.startTimer = undefined;
      void this.maybeStartRound().catch((e: unknown) => this.log.error('round_start_failed', { error: String(e) }));
    }, delay);
  }

  private waiting(reason: string): void {
    if (reason !== this.lastWaiting) {
      this.lastWaiting = reason;
      this.log.info('waiting', { reason });
      this.emit({ type: 'waiting', reason });
    }
  }

  /** A secure round's committee (settings and members); a plaintext round has none. */
  private chooseCommittee(connected: Participant[]): { settings?: CommitteeSettings; members: Participant[] } | string {
    if (this.config.insecurePlaintext) return { members: [] };
    const volunteers = connected.filter((p) => p.committee);
    let settings: CommitteeSettings;
    try {
      settings = this.explicitCommittee
        ? this.explicitCommittee
        : sizeCommittee({ n: connected.length, m: Math.min(this.config.committeeMax, volunteers.length), corruptFraction: this.config.corruptFraction, dropoutFraction: this.config.dropoutFraction });
    } catch (e) {
      return `committee cannot be sized from ${volunteers.length} volunteer(s): ${e instanceof Error ? e.message : String(e)}`;
    }
    if (volunteers.length < settings.m) return `${volunteers.length} committee volunteer(s) connected, ${settings.m} needed`;
    return { settings, members: shuffle(volunteers).slice(0, settings.m) };
  }

  private async maybeStartRound(): Promise<void> {
    if (this.stopped || this.current || this.starting) return;
    if (this.config.rounds > 0 && this.roundsRun >= this.config.rounds) return;
    this.starting = true;
    try {
      await this.startRound();
    } finally {
      this.starting = false;
    }
  }

  private async startRound(): Promise<void> {
    const connected = [...this.participants.values()].filter((p) => p.conn);
    if (this.roundsRun === 0 && connected.length < this.config.firstRoundParticipants) {
      return this.waiting(`${connected.length} of ${this.config.firstRoundParticipants} participants connected for the first round`);
    }
    const pick = this.chooseCommittee(connected);
    if (typeof pick === 'string') return this.waiting(pick);
    const memberIds = new Set(pick.members.map((p) => p.id));
    const trainers = connected.filter((p) => p.train && !memberIds.has(p.id));
    if (trainers.length < this.config.minTrainers) return this.waiting(`${trainers.length} trainer(s) connected, ${this.config.minTrainers} needed`);
    this.lastWaiting = '';

    const round = this.state.lastStartedRound + 1;
    this.state = { ...this.state, lastStartedRound: round };
    await this.store.writeState(this.state); // never reuse a round id, even across restarts
    const version = this.state.version;
    const { settings, members } = pick;
    const descriptor = roundDescriptor({
      federation: this.state.federation,
      round,
      version,
      model: this.model,
      config: this.config,
      ...(settings ? { committee: { scheme: settings, memberKeys: members.map((p) => p.publicKey) } } : {}),
    });
    const { config } = descriptor;
    const run = new RoundRun(
      {
        config,
        version,
        trainers: trainers.map((p) => p.id),
        members: members.map((p) => p.id),
        submitMs: this.config.submitMs,
        committeeMs: this.config.committeeMs,
        minSurvivors: this.config.minSurvivors,
        descriptor: descriptor.message,
      },
      { send: (id, m) => this.send(id, m), isConnected: (id) => !!this.participants.get(id)?.conn, emit: (e) => this.emit(e), log: this.log },
    );
    this.current = run;
    this.roundsRun++;
    const startedAt = new Date().toISOString();
    const { m, tRec, rho } = observedScheme(config);
    this.log.info('round_started', { round, version, trainers: trainers.length, m, tRec, rho, length: config.length });
    await run.start();
    this.emit({
      type: 'round_started',
      round,
      version,
      trainers: trainers.map((p) => p.id),
      members: members.map((p) => p.id),
      m,
      tRec,
      rho,
      length: config.length,
      submitBy: run.submitBy,
      answerBy: run.answerBy,
      insecurePlaintext: config.mode === 'plaintext',
    });
    this.finishing = run.done
      .then((outcome) => this.finishRound(run, outcome, startedAt))
      .catch((e: unknown) => {
        this.log.error('round_finish_failed', { round, error: String(e) });
        this.current = undefined;
        this.scheduleStart(this.config.pauseMs);
      });
  }

  private async finishRound(run: RoundRun, o: RoundOutcome, startedAt: string): Promise<void> {
    const round = run.round;
    const versionBefore = this.state.version;
    let versionAfter = versionBefore;
    let code = o.ok ? undefined : o.code;
    let reason = o.ok ? undefined : o.reason;
    let aggregatePreview: number[] = [];
    if (o.ok) {
      try {
        const { weights, mean, weightSum } = applyDecodedSum(this.model.weights, o.sum, { bits: this.config.bits, clip: this.config.clip });
        aggregatePreview = Array.from(mean.subarray(0, PREVIEW_LENGTH));
        versionAfter = versionBefore + 1;
        const next: GlobalModel = { ...this.model, weights };
        await this.store.saveModel(versionAfter, toCheckpoint(next, { federation: this.state.federation, version: versionAfter, round, survivors: o.survivors.length, weightSum }));
        this.model = next;
        this.state = { ...this.state, version: versionAfter };
        await this.store.writeState(this.state);
      } catch (e) {
        versionAfter = versionBefore;
        code = e instanceof SecAggError ? e.code : 'APPLY_FAILED';
        reason = `the aggregate could not be applied: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    const ok = versionAfter > versionBefore;
    let metrics: FederationMetrics | undefined;
    if (ok && o.ok) {
      const layout = vectorLayout(this.model.weights.length, this.config.secureMetrics);
      if (layout.metricsOffset >= 0) {
        try {
          const mt = statsToMetrics(decodeStats(o.sum.subarray(layout.metricsOffset, layout.length), this.config.bits), 0.5);
          metrics = { version: versionBefore, n: mt.n, frauds: mt.frauds, loss: mt.loss, auc_pr: mt.auc_pr, roc_auc: mt.roc_auc, recall_at_1pct_fpr: mt.recall_at_1pct_fpr, precision: mt.precision, recall: mt.recall, f1: mt.f1 };
        } catch (e) {
          this.log.warn('metrics_undecodable', { round, error: String(e) });
        }
      }
    }
    await this.store.appendRound({
      round,
      outcome: ok ? 'ok' : 'failed',
      ...(code ? { code } : {}),
      ...(reason ? { reason } : {}),
      versionBefore,
      versionAfter,
      trainers: [...run.plan.trainers],
      survivors: o.survivors,
      members: [...run.plan.members],
      membersAnswered: o.membersAnswered,
      tRec: observedScheme(run.plan.config).tRec,
      timings: o.timings,
      bytesIn: o.bytesIn,
      bytesOut: o.bytesOut,
      ...(metrics ? { metrics: { ...metrics } } : {}),
      startedAt,
      endedAt: new Date().toISOString(),
    });
    if (ok && o.ok) {
      const digest = createHash('sha256').update(new Uint8Array(o.sum.buffer, o.sum.byteOffset, o.sum.byteLength)).digest('hex');
      this.log.info('round_done', { round, version: versionAfter, survivors: o.survivors.length, answered: o.membersAnswered.length, ...o.timings });
      this.onDecodedForTest?.(round, o.sum);
      this.emit({
        type: 'round_done',
        round,
        version: versionAfter,
        survivors: o.survivors,
        membersAnswered: o.membersAnswered,
        timings: o.timings,
        bytesIn: o.bytesIn,
        bytesOut: o.bytesOut,
        sumDigest: digest,
        ...(metrics ? { metrics } : {}),
        preview: { masked: o.maskedPreview, aggregate: aggregatePreview },
      });
    } else {
      this.log.warn('round_failed', { round, version: versionBefore, code, reason });
      this.emit({ type: 'round_failed', round, version: versionBefore, code: code ?? 'UNKNOWN', reason: reason ?? '', timings: o.timings, bytesIn: o.bytesIn, bytesOut: o.bytesOut });
    }
    const result: ServerMessage = {
      t: 'result',
      round,
      ok,
      version: versionAfter,
      survivors: o.survivors.length,
      answered: o.membersAnswered.length,
      ...(code ? { code } : {}),
      ...(reason ? { reason } : {}),
    };
    for (const id of new Set([...run.plan.trainers, ...run.plan.members])) this.send(id, result);
    this.current = undefined;
    if (this.config.rounds > 0 && this.roundsRun >= this.config.rounds) {
      this.emit({ type: 'finished', rounds: this.roundsRun, version: this.state.version });
      return;
    }
    this.scheduleStart(this.config.pauseMs);
  }

  /** Stops starting rounds; a round in progress fails with ABORTED (model unchanged). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.startTimer);
    const run = this.current;
    if (run) {
      run.fail('ABORTED', 'the server is stopping');
      await new Promise((r) => setTimeout(r, 0));
      // the aborted round's record and result go out before the connections close
      await this.finishing;
    }
    for (const p of this.participants.values()) p.conn?.close(1001, 'server stopping');
  }
}

function initialModelParams(config: ServerConfig): number {
  return parameterCount(mlpArchitecture(numInputs(DEFAULT_SCALING), config.hidden));
}
