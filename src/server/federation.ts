/**
 * The federation: one loop over rounds, composed of its jobs —
 *
 *   registry.ts    participants, connections, the join handshake
 *   schedule.ts    when a round may start and the draw of its roles
 *   descriptor.ts  the round's configuration and its `round` messages
 *   round.ts       one round's own state machine (collecting → committee → unmasking → done)
 *   outcome.ts     the decoded sum applied, persisted, recorded and announced
 *   ledger.ts      what is persisted and resumed from (federation id, model version, round ids)
 *
 * The loop's state lives here and only here:
 *
 *   idle ──(a join, or the pause after a round)──▶ start scheduled ──▶ starting
 *   starting ──(roles drawn, round id persisted)──▶ running ──(done or failed, settled)──▶ idle
 *   starting ──(not enough participants: `waiting` event)──▶ idle
 *   any ──(stop)──▶ stopped (a running round fails with ABORTED; the model is unchanged)
 *
 * Transport-agnostic: a connection is anything that can send bytes and be closed (the WebSocket
 * layer in http.ts adapts `ws`).
 */
import { OffenderBook } from './offenders.js';
import { type CommitteeSettings, isSubsetSafe } from '../secagg/index.js';
import { mlpArchitecture, parameterCount } from '../ml/model.js';
import { DEFAULT_SCALING, numInputs } from '../ml/scaling.js';
import type { FederationEvent, FederationStatus } from '../wire/events.js';
import { maxContributionBytes, vectorLayout } from '../wire/layout.js';
import { descriptorDigest } from '../wire/digest.js';
import type { RoundId, WireCertificate } from '../wire/messages.js';
import { type ServerConfig, configuredCommittee } from './config.js';
import { observedScheme, roundDescriptor } from './descriptor.js';
import { Ledger } from './ledger.js';
import type { Logger } from './log.js';
import { settleRound } from './outcome.js';
import { PrivacyBudget } from './privacy.js';
import { type Health, StartRetry } from './progress.js';
import { Refusal } from './refusal.js';
import { type Connection, Registry, type RoundMessage, type Session } from './registry.js';
import { type RoundOutcome, RoundRun } from './round.js';
import { type Draw, allRoundsRun, drawRoles } from './schedule.js';
import { type AuthorityLink, seatAuthorityCommittee } from './authority-link.js';
import { type ServerCertificate } from '../cert/server.js';
import { bytesEqual } from '../base/bytes.js';
import { toHex } from '../secagg/index.js';
import { RoundTranscript } from './transcript.js';
import { TranscriptStore } from './transcript-store.js';

/** How soon a round start is tried again while the authority's committee is not ready. */
const COMMITTEE_RETRY_MS = 500;

export { type Connection, type Session, participantId } from './registry.js';

export interface FederationOptions {
  /**
   * Test mode only (config.testMode): called with each round's decoded sum before its
   * `round_done` event, so an in-process test can check exactness. Never on any wire.
   */
  onDecodedForTest?: (round: RoundId, sum: Float64Array) => void;
  /**
   * Test mode only: play a dishonest server that accepts contributions without checking their
   * signatures (the malicious-server suite shows that honest members catch what it lets through).
   */
  dishonestSkipContributionChecksForTest?: boolean;
}

export class Federation {
  readonly config: ServerConfig;
  readonly maxMessageBytes: number;
  private readonly log: Logger;
  private readonly ledger: Ledger;
  private readonly registry: Registry;
  private readonly listeners = new Set<(e: FederationEvent) => void>();
  private readonly early: FederationEvent[] = [];
  private readonly onDecodedForTest: ((round: RoundId, sum: Float64Array) => void) | undefined;
  private readonly skipContributionChecks: boolean;
  private authority: AuthorityLink | undefined;
  private freshCommittee = false;
  private retryDraw = false;
  /** The operator's committee (checked once, here: subset-safe unless insecureDemo), if one is configured. */
  private readonly explicitCommittee: CommitteeSettings | undefined;
  /**
   * Whether this federation may run committees that are not subset-safe: insecureDemo with an
   * explicit committee that is not, or with committees sized per round.
   */
  readonly insecureDemo: boolean;
  // ---- the loop's state
  private stopped = false;
  private startTimer: ReturnType<typeof setTimeout> | undefined;
  /** When startTimer fires (ms since the epoch), for /status. */
  private nextStartAt: number | undefined;
  /** True from the decision to start a round until it is `current` (the start awaits I/O). */
  private starting = false;
  /** The running round, until its outcome is settled. */
  private current: RoundRun | undefined;
  /** The current round's settling (record, result messages); stop() waits for it. */
  private finishing: Promise<void> = Promise.resolve();
  private roundsRun = 0;
  private readonly offenders: OffenderBook;
  /** A DP federation's parameters and accountant (privacy.ts); undefined without DP. */
  private readonly privacy: PrivacyBudget | undefined;
  private budgetSpent = false;
  /** The rounds' transcripts (docs/transcript.md) and the server's certificate (docs/protocol.md §26). */
  readonly transcripts: TranscriptStore;
  private serverCert: ServerCertificate | undefined;
  private transcript: RoundTranscript | undefined;
  private readonly retry: StartRetry;
  private lastWaiting = '';

  constructor(config: ServerConfig, log: Logger, options: FederationOptions = {}) {
    if (options.onDecodedForTest && !config.testMode) throw new Error('onDecodedForTest needs a server in test mode');
    if (options.dishonestSkipContributionChecksForTest && !config.testMode)
      throw new Error('dishonestSkipContributionChecksForTest needs a server in test mode');
    this.skipContributionChecks = !!options.dishonestSkipContributionChecksForTest;
    this.config = config;
    this.log = log;
    this.onDecodedForTest = options.onDecodedForTest;
    this.explicitCommittee = configuredCommittee(config);
    this.insecureDemo =
      config.insecureDemo && !config.insecurePlaintext && !(this.explicitCommittee?.subsetSafe ?? false);
    if (this.insecureDemo) {
      const c = this.explicitCommittee;
      log.warn('insecure_demo', {
        committee: c ? `${c.m},${c.tRec},${c.rho}` : 'sized per round',
        why: 'committees that are not subset-safe are accepted: a dishonest server could read individual updates',
      });
    }
    const params = parameterCount(mlpArchitecture(numInputs(DEFAULT_SCALING), config.hidden));
    this.privacy = PrivacyBudget.of(config, params);
    const length = vectorLayout(params, config.secureMetrics, this.privacy !== undefined).length;
    const m = config.committee?.m ?? config.committeeMax;
    this.maxMessageBytes = config.maxMessageBytes ?? maxContributionBytes(length, m);
    this.ledger = new Ledger(config, log);
    this.offenders = new OffenderBook(config.dataDir, log);
    this.transcripts = new TranscriptStore(config.dataDir, config.transcriptKeep);
    this.retry = new StartRetry(log, (e) => this.emit(e));
    this.registry = new Registry(config, this.maxMessageBytes, log, {
      welcome: () => ({ federation: this.ledger.federation, version: this.ledger.version }),
      currentRound: () => this.current?.round,
      emit: (e) => this.emit(e),
      joined: (id) => {
        this.current?.rejoined(id);
        this.announceInterrupted(id);
        this.scheduleStart(0);
      },
      left: () => this.current?.left(),
      roundMessage: (id, msg, size) => this.roundMessage(id, msg, size),
      refusal: (id) => this.offenders.refusal(id),
    });
  }

  /** Loads the last finished version from the data directory, or creates version 0. */
  async init(): Promise<void> {
    await this.ledger.open();
    this.privacy?.restore(this.ledger.loggedRounds);
    await this.transcripts.init();
    const r = this.ledger.interrupted;
    if (r) {
      const { round, versionBefore: version, code = 'INTERRUPTED', reason = '' } = r;
      this.emit({ type: 'round_failed', round, version, code, reason, timings: {}, bytesIn: 0, bytesOut: 0 });
    }
  }

  /** After a restart, a participant of the round the crash interrupted is told it failed. */
  private announceInterrupted(id: string): void {
    const r = this.ledger.interrupted;
    if (!r || !this.ledger.interruptedParticipants.delete(id)) return;
    const { round, versionBefore: version, code, reason } = r;
    this.registry.send(id, { t: 'result', round, ok: false, version, survivors: 0, answered: 0, code, reason });
  }

  /** Whether rounds can start (/healthz): not while round starts keep failing (progress.ts). */
  health(): Health {
    return this.retry.health();
  }

  get federationId(): string {
    return this.ledger.federation;
  }

  get version(): number {
    return this.ledger.version;
  }

  /** The id of the last round started (the next one is this + 1). */
  get lastStartedRound(): RoundId {
    return this.ledger.lastStartedRound;
  }

  get globalWeights(): Float32Array {
    return this.ledger.model.weights;
  }

  get modelDir(): string {
    return this.ledger.modelDir;
  }

  onEvent(f: (e: FederationEvent) => void): () => void {
    this.listeners.add(f);
    for (const e of this.early.splice(0)) f(e);
    return () => this.listeners.delete(f);
  }

  private emit(e: FederationEvent): void {
    // Events before anyone listens (the interrupted round found at init) wait for the first listener.
    if (!this.listeners.size && this.early.length < 16) this.early.push(e);
    for (const f of this.listeners) {
      try {
        f(e);
      } catch (err) {
        this.log.error('listener_failed', { error: String(err) });
      }
    }
  }

  status(): FederationStatus {
    return {
      federation: this.ledger.federation,
      version: this.ledger.version,
      round: this.current?.round ?? null,
      phase: this.current?.phase ?? (this.stopped ? 'stopped' : 'idle'),
      participants: this.registry.counts(),
      insecurePlaintext: this.config.insecurePlaintext,
      insecureDemo: this.insecureDemo,
      ...(this.privacy ? { privacy: this.privacy.status() } : {}),
      ...(this.nextStartAt !== undefined && !this.stopped ? { nextRoundAt: this.nextStartAt } : {}),
    };
  }

  /** A new transport connection; returns the handlers the transport calls. */
  connect(conn: Connection): Session {
    return this.registry.connect(conn);
  }

  private async roundMessage(id: string, msg: RoundMessage, size: number): Promise<void> {
    const run = this.current;
    if (!run) throw new Refusal('NO_ROUND', `no round is running (message for round ${msg.round})`);
    if (msg.t === 'contribution') await run.contribution(id, msg, size);
    else if (msg.t === 'answer') await run.answer(id, msg, size);
    else if (msg.t === 'complaint') await run.complaint(id, msg, size);
    else run.plain(id, msg, size);
  }

  // ---- the loop ------------------------------------------------------------------------------

  private scheduleStart(delay: number): void {
    if (this.stopped || this.current || this.starting || this.startTimer) return;
    // (no next round once the configured rounds have run: an attempt then only returns)
    this.nextStartAt = allRoundsRun(this.config, this.roundsRun) ? undefined : Date.now() + delay;
    this.startTimer = setTimeout(() => {
      this.startTimer = undefined;
      this.nextStartAt = undefined;
      void this.maybeStartRound().then(
        () => this.retry.succeeded(),
        (e: unknown) => this.scheduleStart(this.retry.failed(e)),
      );
    }, delay);
  }

  private waiting(reason: string): void {
    if (reason !== this.lastWaiting) {
      this.lastWaiting = reason;
      this.log.info('waiting', { reason });
      this.emit({ type: 'waiting', reason });
    }
  }

  private async maybeStartRound(): Promise<void> {
    if (this.stopped || this.current || this.starting) return;
    if (allRoundsRun(this.config, this.roundsRun)) return;
    if (this.privacy?.exhausted) return this.endForBudget(this.privacy);
    this.starting = true;
    try {
      await this.startRound();
    } finally {
      this.starting = false;
    }
    if (this.retryDraw) {
      this.retryDraw = false;
      this.scheduleStart(COMMITTEE_RETRY_MS);
    }
  }

  private async startRound(): Promise<void> {
    const eligible = this.registry.connected().filter((p) => !this.offenders.refusal(p.id));
    const first = drawRoles(eligible, this.config, this.explicitCommittee, this.roundsRun === 0);
    if (typeof first === 'string') return this.waiting(first);
    const draw = this.authority && first.committee ? await this.authorityDraw(first.committee) : first;
    if (typeof draw === 'string') {
      this.retryDraw = true; // the authority's pool changes without a join here
      return this.waiting(draw);
    }
    this.lastWaiting = '';
    const { trainers, members, committee, signedCommittee } = draw;
    const round = await this.ledger.nextRound([...trainers, ...members].map((p) => p.id));
    const version = this.ledger.version;
    const certified = this.config.authorityKeys !== undefined;
    const dp = committee ? this.privacy?.descriptor() : undefined;
    const descriptor = roundDescriptor({
      federation: this.ledger.federation,
      round,
      version,
      model: this.ledger.model,
      config: this.config,
      ...(committee ? { committee: { scheme: committee, memberKeys: members.map((p) => p.publicKey) } } : {}),
      ...(certified ? { memberCerts: members.map((p) => p.certificate as WireCertificate) } : {}),
      ...(signedCommittee ? { committeeCert: signedCommittee } : {}),
      ...(dp ? { dp } : {}),
    });
    const { config } = descriptor;
    const certifiedRound = certified
      ? {
          descriptorDigest: descriptorDigest(descriptor.message('trainer', undefined, 0, 0)),
          memberCerts: members.map((p) => p.certificate as WireCertificate),
          ...(this.skipContributionChecks ? { skipContributionChecksForTest: true } : {}),
          certificates: new Map(
            [...trainers, ...members].map((p) => [p.id, p.certificate as WireCertificate] as const),
          ),
        }
      : undefined;
    const digest = certifiedRound?.descriptorDigest ?? descriptorDigest(descriptor.message('trainer', undefined, 0, 0));
    const transcript = new RoundTranscript({
      store: this.transcripts,
      log: this.log,
      descriptor: descriptor.message('trainer', undefined, 0, 0),
      descriptorDigest: digest,
      serverKey: this.ledger.serverKey,
      serverCertificate: await this.serverCertificate(),
      trainers: trainers.map((p) => p.id),
      members: members.map((p) => p.id),
    });
    this.transcript = transcript;
    const run = new RoundRun(
      {
        config,
        version,
        trainers: trainers.map((p) => p.id),
        members: members.map((p) => p.id),
        submitMs: this.config.submitMs,
        committeeMs: this.config.committeeMs,
        minSurvivors: this.config.minSurvivors,
        ...(dp ? { dp } : {}),
        descriptor: descriptor.message,
        ...(certifiedRound ? { certified: certifiedRound } : {}),
      },
      {
        send: (id, m) => this.registry.send(id, m),
        isConnected: (id) => this.registry.isConnected(id),
        emit: (e) => this.emit(e),
        log: this.log,
        contributed: (id, msg) => transcript.contributed(id, msg),
      },
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
      insecureDemo: config.mode === 'secure' && !isSubsetSafe(config.committee),
    });
    this.finishing = run.done
      .then((outcome) => this.finishRound(run, outcome, startedAt))
      .catch((e: unknown) => {
        this.log.error('round_finish_failed', { round, error: String(e) });
        this.current = undefined;
        this.scheduleStart(this.config.pauseMs);
      });
  }

  private async finishRound(run: RoundRun, outcome: RoundOutcome, startedAt: string): Promise<void> {
    const host = {
      config: this.config,
      ledger: this.ledger,
      log: this.log,
      emit: (e: FederationEvent) => this.emit(e),
      send: this.registry.send.bind(this.registry),
      privacy: this.privacy,
      onDecodedForTest: this.onDecodedForTest,
      transcript: this.transcript,
      // finishRound schedules the next start after the pause, unless this was the last round
      nextRoundInMs: () =>
        this.stopped || allRoundsRun(this.config, this.roundsRun) ? undefined : this.config.pauseMs,
    };
    // Convictions are on disk before the result tells anyone (§25).
    for (const c of outcome.excluded) await this.offenders.record(c.id, run.round, c.how);
    await settleRound(host, run.plan, outcome, startedAt);
    this.current = undefined;
    if (allRoundsRun(this.config, this.roundsRun)) {
      this.emit({ type: 'finished', rounds: this.roundsRun, version: this.ledger.version });
      return;
    }
    this.scheduleStart(this.config.pauseMs);
  }

  /** The budget is spent: no more rounds, said once, in words (docs/dp.md §12). */
  private endForBudget(p: PrivacyBudget): void {
    this.stopped = true;
    if (this.budgetSpent) return;
    this.budgetSpent = true;
    const s = p.status(); // exhausted: its budget is set
    const event = { epsilon: s.epsilon, next: s.next, budget: s.budget ?? Infinity, delta: s.delta, rounds: s.rounds };
    this.log.warn('privacy_budget_spent', event);
    this.emit({ type: 'privacy_budget_spent', ...event, message: p.spentMessage() });
    this.emit({ type: 'finished', rounds: this.roundsRun, version: this.ledger.version });
  }

  /** The committee drawn by the enrollment authority from its own pool (docs/protocol.md §24). */
  useAuthority(link: AuthorityLink): void {
    this.authority = link;
  }

  /**
   * A certificate of the server's key the operator obtained from the authority
   * (`npm run server -- --server-cert`); refused when it names another key or federation.
   */
  useServerCertificate(c: ServerCertificate): void {
    if (!bytesEqual(c.body.signKey, this.ledger.serverKey.publicKey) || c.body.federation !== this.ledger.federation)
      throw new Refusal(
        'UNCERTIFIED',
        `the server certificate is for another key or federation (this server's key: ${toHex(this.ledger.serverKey.publicKey)}, federation ${this.ledger.federation})`,
      );
    this.serverCert = c;
  }

  /** The server's public signing key (docs/protocol.md §26). */
  get serverPublicKey(): Uint8Array {
    return this.ledger.serverKey.publicKey;
  }

  /**
   * The authority's certificate of the server's key (docs/protocol.md §26), asked for once and
   * again a day before it runs out; undefined where the authority link cannot certify servers
   * (the round's transcript then says so, and an audit fails it).
   */
  private async serverCertificate(): Promise<ServerCertificate | undefined> {
    const c = this.serverCert;
    if (c && c.body.notAfter - Date.now() > 24 * 3600_000) return c;
    const link = this.authority;
    if (!link?.certifyServer) return c;
    try {
      this.serverCert = await link.certifyServer(this.ledger.serverKey.publicKey);
    } catch (e) {
      this.log.warn('server_certificate_refused', { error: e instanceof Error ? e.message : String(e) });
    }
    return this.serverCert;
  }

  private async authorityDraw(scheme: CommitteeSettings): Promise<Draw | string> {
    const r = await seatAuthorityCommittee(this.authority as AuthorityLink, scheme, this.freshCommittee, {
      participant: (id) => this.registry.get(id),
      connected: () => this.registry.connected(),
      minTrainers: this.config.minTrainers,
    });
    this.freshCommittee = r.fresh;
    return r.draw;
  }

  /** Stops starting rounds; a round in progress fails with ABORTED (model unchanged). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.startTimer);
    this.nextStartAt = undefined;
    const run = this.current;
    if (run) {
      run.fail('ABORTED', 'the server is stopping');
      await new Promise((r) => setTimeout(r, 0));
      // the aborted round's record and result go out before the connections close
      await this.finishing;
    }
    this.registry.closeAll(1001, 'server stopping');
    this.registry.refusals.flush(); // the refusals counted but not yet reported
  }
}
