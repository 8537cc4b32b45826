/**
 * The participant engine, shared by the browser app and the headless Node client. One
 * explicit state machine per role in the current round:
 *
 *   trainer: idle → waiting → training → sealing → sent → done | failed
 *   member:  waiting → job → answered → done | failed
 *
 * It speaks exactly once per round: one contribution as a trainer, one answer (or one signed
 * complaint) as a member — never twice for a round id, even if the server asks again, except a
 * job re-issued without trainers convicted by evidence the member checks (docs/protocol.md §25).
 * Training and the protocol's
 * arithmetic are injected (LocalTrainer, CryptoRunner) so the browser can run them off the
 * main thread.
 */
import {
  type RoundConfig,
  type SliceFault,
  joinProof,
  packResidues,
  quantize,
  maxQuantized,
  DEFAULT_MIN_SURVIVORS,
  contributionDigest,
  isSubsetSafe,
} from '../secagg/index.js';
import { bytesToF32, encodeMessage, u32ToBytes } from '../wire/codec.js';
import type { ErrorMsg, JobMsg, ResultMsg, RoundMsg, ServerMessage } from '../wire/messages.js';
import { WIRE_VERSION } from '../wire/messages.js';
import { STATS_LENGTH, statsToMetrics } from '../ml/stats.js';
import { encodeStats, vectorLayout } from '../wire/layout.js';
import { inProcessCrypto } from './crypto/in-process.js';
import { EnrollError } from './enroll.js';
import { CertifiedParticipant } from './certified.js';
import type { CryptoRunner } from './crypto/types.js';
import { committeeJobOf } from './job.js';
import { SpokenRounds } from './spoken.js';
import { type DpAcceptance, MemoryPrivacyLedger, type PrivacyLedger, acceptDpRound, privacyView } from './privacy.js';
import { checkReceipt } from './receipt.js';
import { Transport } from './transport.js';
import {
  type DropPoint,
  type EngineEvent,
  type EngineOptions,
  type EngineSnapshot,
  INITIAL_SNAPSHOT,
} from './engine-types.js';

export * from './engine-types.js';

function secureWords(n: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i += 16384) globalThis.crypto.getRandomValues(out.subarray(i, Math.min(n, i + 16384)));
  return out;
}

/**
 * The core's configuration of a secure round: the descriptor's own `config` (the core validated
 * it when the message was decoded, and validates it again where it is entered).
 */
export function descriptorConfig(msg: RoundMsg): RoundConfig {
  if (msg.config.mode !== 'secure') throw new Error(`round ${msg.config.round} is plaintext: it has no committee`);
  return msg.config;
}

export class ParticipantEngine {
  private readonly opts: EngineOptions;
  private readonly transport: Transport;
  private readonly listeners = new Set<(e: EngineEvent) => void>();
  private readonly crypto: CryptoRunner;
  private readonly spoken: SpokenRounds;
  private readonly privacy: PrivacyLedger;
  /** What this trainer accepted of the current DP round (docs/dp.md §12). */
  private dpRound: DpAcceptance | undefined;
  private snap: EngineSnapshot = INITIAL_SNAPSHOT;
  private current: RoundMsg | undefined;
  /** Contribution/answer frames this engine sent in the current round. */
  private sentThisRound = 0;
  private crashed = false;
  private stopped = false;
  /** The certified federation's side of this participant (undefined: INSECURE uncertified). */
  private readonly certified: CertifiedParticipant | undefined;

  constructor(opts: EngineOptions) {
    if (opts.train && !opts.trainer) throw new Error('a training participant needs a LocalTrainer');
    if (!opts.authority && !opts.insecureUncertified)
      throw new Error('a participant needs the enrollment authority it trusts (its URL and pinned key)');
    this.certified = opts.authority
      ? new CertifiedParticipant({
          authority: opts.authority,
          token: opts.token,
          identity: opts.identity,
          ...(opts.signing ? { signing: opts.signing } : {}),
          train: opts.train,
          committee: opts.committee,
          ...(opts.presenceMs !== undefined ? { presenceMs: opts.presenceMs } : {}),
        })
      : undefined;
    this.opts = opts;
    this.spoken = new SpokenRounds(opts.answeredRounds);
    this.privacy = opts.privacy?.ledger ?? new MemoryPrivacyLedger();
    this.crypto = opts.crypto ?? inProcessCrypto;
    this.transport = new Transport(opts.url, opts.socketFactory, {
      open: () => this.update({ connection: 'open' }), // the join answers the server's hello
      message: (m) =>
        void this.onMessage(m).catch((e: unknown) =>
          this.fail(this.snap.round, 'CLIENT_ERROR', e instanceof Error ? e.message : String(e)),
        ),
      invalid: (e) => this.emit({ type: 'error', code: e.code, message: `server message refused: ${e.message}` }),
      close: (_code, reason, retry) =>
        this.update({
          connection: retry ? 'connecting' : 'closed',
          ...(retry ? {} : { lastError: reason || this.snap.lastError }),
        }),
    });
  }

  get state(): EngineSnapshot {
    return this.snap;
  }

  /** The raw transport (tests use it to send malformed or duplicate frames). */
  get wire(): Transport {
    return this.transport;
  }

  on(f: (e: EngineEvent) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  private emit(e: EngineEvent): void {
    for (const f of this.listeners) f(e);
  }

  private update(p: Partial<EngineSnapshot>): void {
    this.snap = { ...this.snap, ...p };
    this.emit({ type: 'state', state: this.snap });
  }

  start(): void {
    this.update({ connection: 'connecting' });
    if (!this.certified) {
      this.transport.connect();
      return;
    }
    void this.enrollThenConnect(0);
  }

  /** Enrolls with the pinned authority (retrying while it is unreachable), then connects. */
  private async enrollThenConnect(attempt: number): Promise<void> {
    const c = this.certified;
    if (!c || this.stopped) return;
    try {
      await c.enroll();
    } catch (e) {
      const code = typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : 'CLIENT_ERROR';
      const message = e instanceof Error ? e.message : String(e);
      this.emit({ type: 'error', code, message });
      const retry = e instanceof EnrollError && e.code === 'AUTHORITY_UNREACHABLE' && !this.stopped;
      this.update({ connection: retry ? 'connecting' : 'closed', lastError: message });
      if (retry) setTimeout(() => void this.enrollThenConnect(attempt + 1), Math.min(10_000, 500 * 2 ** attempt));
      return;
    }
    if (this.stopped) return;
    c.keepPresent(
      () => this.snap.connection === 'open' && !this.crashed,
      (message) => this.emit({ type: 'error', code: 'AUTHORITY_UNREACHABLE', message }),
    );
    this.transport.connect();
  }

  /** Leaves the federation (tells the server, then closes). */
  stop(): void {
    this.stopped = true;
    this.certified?.stopPresence();
    this.transport.send({ t: 'leave' });
    this.transport.close();
    this.update({ connection: 'closed' });
  }

  private maybeDrop(round: number, point: DropPoint): boolean {
    if (this.crashed) return true;
    if (!this.opts.dropAt?.(round, point)) return false;
    this.crashed = true;
    this.certified?.stopPresence();
    this.emit({ type: 'dropped', round, point });
    this.transport.close();
    this.update({ connection: 'closed', lastError: `dropped at ${point} (simulated)` });
    return true;
  }

  private fail(round: number | undefined, code: string, message: string): void {
    this.emit({ type: 'error', code, message, ...(round !== undefined ? { round } : {}) });
    if (round !== undefined && round === this.snap.round) this.update({ phase: 'failed', lastError: message });
    else this.update({ lastError: message });
  }

  private async onMessage(m: ServerMessage): Promise<void> {
    switch (m.t) {
      case 'hello': {
        const o = this.opts;
        const proof = await joinProof(o.identity, m.challenge);
        this.transport.send({
          t: 'join',
          v: WIRE_VERSION,
          token: o.token,
          publicKey: o.identity.publicKey,
          proof,
          train: o.train,
          committee: o.committee,
          ...(o.label ? { label: o.label } : {}),
          ...(this.certified?.certificate ? { certificate: this.certified.certificate } : {}),
        });
        return;
      }
      case 'welcome':
        this.update({
          clientId: m.clientId,
          federation: m.federation,
          version: m.version,
          phase: this.snap.phase === 'idle' ? 'waiting' : this.snap.phase,
        });
        return;
      case 'round':
        return this.onRound(m);
      case 'job':
        return this.onJob(m);
      case 'result':
        return this.onResult(m);
      case 'error':
        return this.onError(m);
    }
  }

  private async onRound(m: RoundMsg): Promise<void> {
    if (
      this.current?.config.round === m.config.round &&
      (this.snap.phase === 'training' || this.snap.phase === 'sealing')
    )
      return; // already at work on it
    this.current = m;
    this.sentThisRound = 0;
    this.update({
      round: m.config.round,
      role: m.role,
      memberIndex: m.memberIndex,
      version: m.version,
      phase: 'waiting',
      lastError: undefined,
    });
    this.emit({
      type: 'round',
      round: m.config.round,
      role: m.role,
      version: m.version,
      ...(m.memberIndex ? { memberIndex: m.memberIndex } : {}),
      weights: bytesToF32(m.weights, 'weights'),
      architecture: m.architecture,
      ...(m.config.mode === 'secure' ? { committee: m.config.committee } : {}),
    });
    if (m.config.mode !== 'secure' && m.role !== 'idle') {
      // No plaintext path: an honest participant never sends its update in the clear, whatever
      // the server asks (docs/threat-model.md, "Downgrade").
      return this.fail(
        m.config.round,
        'INSECURE_DESCRIPTOR',
        `the server asked for round ${m.config.round} without secure aggregation (updates in the clear); refused, nothing was sent`,
      );
    }
    if (
      m.config.mode === 'secure' &&
      m.role !== 'idle' &&
      !isSubsetSafe(m.config.committee) &&
      !this.opts.acceptUnsafeCommittee
    ) {
      const { m: size, tRec, rho } = m.config.committee;
      return this.fail(
        m.config.round,
        'UNSAFE_COMMITTEE',
        `refused round ${m.config.round}, nothing was sent: committee m=${size}, t_rec=${tRec}, ρ=${rho} is not subset-safe (2·t_rec ≤ m + c_max), so a dishonest server could read individual updates; take part only through an insecure-demo link`,
      );
    }
    if (this.certified && m.role !== 'idle') {
      // Certified federation: the committee must be the authority's, and everyone signs and
      // checks the same descriptor digest (docs/protocol.md §23).
      try {
        await this.certified.beginRound(m);
      } catch (e) {
        const code = (e as { code?: string }).code ?? 'UNCERTIFIED_COMMITTEE';
        const why = e instanceof Error ? e.message : String(e);
        return this.fail(m.config.round, code, `refused round ${m.config.round}, nothing was sent: ${why}`);
      }
      if (!this.stillCurrent(m)) return;
    }
    this.dpRound = undefined;
    if (m.dp && m.role === 'trainer') {
      // A DP round: this trainer's own check and accountant decide, before any training.
      const verdict = await acceptDpRound(m, this.opts.privacy ?? {}, this.privacy);
      if (!this.stillCurrent(m)) return;
      if (!verdict.ok) return this.fail(m.config.round, verdict.code, verdict.message);
      this.dpRound = verdict.value;
      this.emit({ type: 'privacy', round: m.config.round, ...privacyView(verdict.value, m.dp.accounting) });
    }
    if (m.role === 'trainer') await this.trainAndSend(m);
    else if (m.role === 'member') this.update({ phase: 'waiting' });
  }

  private stillCurrent(m: RoundMsg): boolean {
    return this.current === m && !this.crashed;
  }

  private async trainAndSend(m: RoundMsg): Promise<void> {
    const trainer = this.opts.trainer;
    if (!trainer)
      return this.fail(m.config.round, 'NOT_A_TRAINER', 'asked to train, but this participant has no training data');
    if (await this.spoken.spoke(m.config.federation, m.config.round))
      return this.fail(
        m.config.round,
        'ALREADY_SPOKEN',
        `already took part in round ${m.config.round}; a participant speaks once per round, so nothing more is sent`,
      );
    if (this.maybeDrop(m.config.round, 'before-train')) return;
    this.update({ phase: 'training' });
    const weights = bytesToF32(m.weights, 'weights');
    const layout = vectorLayout(weights.length, m.metrics, m.dp !== undefined);
    if (layout.length !== m.config.length)
      return this.fail(
        m.config.round,
        'MALFORMED',
        `descriptor has ${weights.length} weights${m.metrics ? ' and metrics' : ''} for a vector of ${m.config.length}`,
      );
    let stats: Float64Array | undefined;
    if (m.metrics) {
      stats = this.opts.evaluator
        ? await this.opts.evaluator.evaluate(weights, m.architecture)
        : new Float64Array(STATS_LENGTH);
      if (!this.stillCurrent(m)) return;
      if (this.opts.evaluator) {
        const mt = statsToMetrics(stats);
        this.emit({
          type: 'evaluated',
          round: m.config.round,
          version: m.version,
          n: mt.n,
          aucPr: mt.auc_pr,
          loss: mt.loss,
        });
      }
    }
    const out = await trainer.train(
      {
        round: m.config.round,
        weights,
        architecture: m.architecture,
        epochs: m.train.epochs,
        batchSize: m.train.batchSize,
        learningRate: m.train.learningRate,
      },
      (fraction, detail) => this.emit({ type: 'progress', phase: 'training', fraction, ...(detail ? { detail } : {}) }),
    );
    if (!this.stillCurrent(m)) return;
    this.emit({
      type: 'trained',
      round: m.config.round,
      numSamples: out.numSamples,
      ...(out.loss !== undefined ? { loss: out.loss } : {}),
    });
    this.update({ phase: 'sealing' });
    const dp = this.dpRound;
    let update: Int32Array;
    if (dp && m.config.mode === 'secure') {
      // docs/dp.md §12: clip → rotate → round → noise share, in the crypto runner; uniform weights.
      try {
        const noisy = await this.crypto.privatize(out.delta, dp.params, m.config.publicSeed);
        if (!this.stillCurrent(m)) return;
        update = new Int32Array(layout.weightIndex + 1);
        update.set(noisy, 0);
        update[layout.weightIndex] = maxQuantized(m.config.bits);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        return this.fail(m.config.round, 'DP_FAILED', `the update could not be privatized (${why}); nothing was sent`);
      }
    } else {
      const weight = Math.min(out.numSamples, m.quant.weightCap) / m.quant.weightCap;
      update = quantize(
        out.delta,
        weight,
        { bits: m.config.bits, clip: m.quant.clip, ...(m.quant.l2Clip ? { l2Clip: m.quant.l2Clip } : {}) },
        (this.opts.randomWords ?? secureWords)(out.delta.length + 1),
      );
    }
    let q = update;
    if (stats) {
      q = new Int32Array(layout.length);
      q.set(update, 0);
      q.set(encodeStats(stats, m.config.bits), layout.metricsOffset);
    }
    if (q.length !== m.config.length)
      return this.fail(
        m.config.round,
        'MALFORMED',
        `update has ${q.length} coordinates, the round expects ${m.config.length}`,
      );
    this.opts.onQuantized?.(m.config.round, q);
    if (this.maybeDrop(m.config.round, 'before-send')) return;
    const cfg = descriptorConfig(m);
    this.emit({ type: 'progress', phase: 'sealing', fraction: 0 });
    const { contribution: c, timings, digests } = await this.crypto.contribute(cfg, this.snap.clientId ?? '', q);
    if (!this.stillCurrent(m)) return;
    let sig: Uint8Array | undefined;
    if (this.certified) {
      try {
        sig = await this.certified.signContribution(c, digests);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        return this.fail(m.config.round, 'UNCERTIFIED', `the contribution cannot be signed (${why}); nothing was sent`);
      }
      if (!this.stillCurrent(m)) return;
    }
    this.emit({ type: 'progress', phase: 'sealing', fraction: 1 });
    // Remembered before the message leaves: one chance, even across a reload or a restart; and a
    // DP round is charged to this trainer's own accountant before its update can be released.
    if (dp) await this.privacy.add(m.config.federation, m.config.round, dp.charge);
    await this.spoken.remember(m.config.federation, m.config.round);
    if (!this.stillCurrent(m)) return;
    const encoded = encodeMessage({
      t: 'contribution',
      round: m.config.round,
      y1: c.wire?.[0] ?? packResidues(c.masked[0]),
      y2: c.wire?.[1] ?? packResidues(c.masked[1]),
      eph: c.ephemeralPublic,
      sealed: [...c.sealed],
      ...(sig ? { sig, keys: [...digests.keys] } : {}),
    });
    const bytes = this.transport.sendRaw(encoded);
    this.sentThisRound++;
    if (bytes === 0)
      return this.fail(
        m.config.round,
        'DISCONNECTED',
        'not connected when the contribution was ready; it was not sent',
      );
    this.update({ phase: 'sent' });
    this.sentDigest = { round: m.config.round, digest: contributionDigest(c.ephemeralPublic, c.sealed) };
    this.emit({ type: 'sent', round: m.config.round, bytes, timings });
    this.maybeDrop(m.config.round, 'after-send');
  }

  private async onJob(j: JobMsg): Promise<void> {
    const m = this.current;
    if (!m || m.config.round !== j.round || m.role !== 'member' || m.memberIndex !== j.memberIndex) {
      return this.fail(
        j.round,
        'UNEXPECTED_JOB',
        `job for round ${j.round} as member ${j.memberIndex} does not match this participant's role`,
      );
    }
    const { federation, round } = m.config;
    const spoke = await this.spoken.spoke(federation, round);
    if (!j.retry && spoke) {
      return this.fail(j.round, 'ALREADY_ANSWERED', `already answered round ${j.round}; a member answers once`);
    }
    this.update({ phase: 'job' });
    if (this.certified) {
      try {
        await this.certified.checkJob(m, j);
        // A re-issued job: every trainer left out must be convicted by evidence this member checks,
        // and it must follow the job this member spoke for (if any): §25.
        const previous = j.retry ? await this.certified.checkRetry(m, j) : undefined;
        if (previous && spoke && !(await this.spoken.spokeFor(federation, round, previous)))
          return this.fail(j.round, 'ALREADY_ANSWERED', `already answered another job of round ${j.round}`);
      } catch (e) {
        const code = (e as { code?: string }).code ?? 'UNCERTIFIED_CONTRIBUTION';
        const why = e instanceof Error ? e.message : String(e);
        return this.fail(j.round, code, `refused the committee job, nothing was sent: ${why}`);
      }
      if (!this.stillCurrent(m)) return;
    } else if (j.retry) {
      return this.fail(j.round, 'UNPROVEN_EXCLUSION', 're-issued jobs are accepted only in a certified federation');
    }
    if (this.maybeDrop(round, 'before-answer')) return;
    await this.spoken.remember(federation, round, j.hS); // before answering: one chance
    const job = committeeJobOf(federation, j);
    try {
      // A DP round's noise needs its minSurvivors (K + colluders) survivors: the descriptor's, if larger.
      const own = this.opts.minSurvivors ?? DEFAULT_MIN_SURVIVORS;
      const policy = { minSurvivors: Math.max(own, m.dp?.params.minSurvivors ?? 0) };
      const r = await this.crypto.answer(descriptorConfig(m), job, this.opts.identity, policy);
      if (!this.stillCurrent(m)) return;
      const sum = u32ToBytes(r.sum);
      let sig: Uint8Array | undefined;
      if (this.certified) {
        sig = await this.certified.signAnswer(r, sum);
        if (!this.stillCurrent(m)) return;
      }
      const bytes = this.transport.send({
        t: 'answer',
        round: r.round,
        memberIndex: r.memberIndex,
        hS: r.survivorHash,
        sum,
        ...(sig ? { sig } : {}),
      });
      this.sentThisRound++;
      this.update({ phase: 'answered' });
      this.emit({ type: 'answered', round: j.round, bytes, survivors: j.survivors.length });
    } catch (e) {
      const faults = (e as { faults?: readonly SliceFault[] }).faults;
      if (faults?.length && this.certified && this.stillCurrent(m)) return this.complain(m, j, faults);
      const code = typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : 'CLIENT_ERROR';
      this.fail(j.round, code, `refused the committee job: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Slices this member cannot use: a signed complaint instead of an answer (§25). */
  private async complain(m: RoundMsg, j: JobMsg, faults: readonly SliceFault[]): Promise<void> {
    const certified = this.certified as CertifiedParticipant;
    const target = { federation: m.config.federation, round: j.round, memberIndex: j.memberIndex, survivorHash: j.hS };
    const msg = await certified.complaint(target, faults);
    if (!this.stillCurrent(m)) return;
    const bytes = this.transport.send(msg);
    this.sentThisRound++;
    this.update({ phase: 'answered' });
    this.emit({ type: 'complained', round: j.round, bytes, trainers: faults.map((f) => f.clientId) });
  }

  private async onResult(r: ResultMsg): Promise<void> {
    const m = this.current;
    if (this.certified && m && m.config.round === r.round && m.role !== 'idle') {
      // Split view: the members' signed H_S values must verify and agree (docs/threat-model.md).
      try {
        await this.certified.checkResult(m, r);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        this.emit({ type: 'error', code: 'SPLIT_VIEW', message: why, round: r.round });
      }
    }
    await this.receipt(r);
    if (r.round === this.snap.round)
      this.update({ phase: r.ok ? 'done' : 'failed', version: r.version, ...(r.ok ? {} : { lastError: r.reason }) });
    else this.update({ version: Math.max(this.snap.version, r.version) });
    this.emit({
      type: 'result',
      round: r.round,
      ok: r.ok,
      version: r.version,
      survivors: r.survivors,
      answered: r.answered,
      ...(r.code ? { code: r.code } : {}),
      ...(r.reason ? { reason: r.reason } : {}),
      ...(r.nextRoundInMs !== undefined ? { nextRoundInMs: r.nextRoundInMs } : {}),
    });
  }

  /** The contribution digest (§13) this trainer sent, for its receipt. */
  private sentDigest: { round: number; digest: Promise<Uint8Array> } | undefined;

  /** A certified trainer's receipt: is its contribution in the S the members signed (receipt.ts)? */
  private async receipt(r: ResultMsg): Promise<void> {
    const sent = this.sentDigest;
    const federation = this.current?.config.federation;
    if (!this.certified || !sent || sent.round !== r.round || !federation || !this.snap.clientId) return;
    this.sentDigest = undefined;
    const got = checkReceipt(federation, r, { clientId: this.snap.clientId, digest: await sent.digest });
    this.emit({ type: 'receipt', round: r.round, ...got });
  }

  private onError(e: ErrorMsg): void {
    // A refusal of this round's one message fails the round for this participant; a refusal of
    // a replay after an accepted message (duplicate) does not undo the accepted one.
    const ownRound =
      e.round !== undefined &&
      e.round === this.snap.round &&
      (e.ref === 'contribution' || e.ref === 'answer' || e.ref === 'plain') &&
      this.sentThisRound <= 1;
    this.fail(ownRound ? e.round : undefined, e.code, e.message);
  }
}
