/**
 * One round on the server, as an explicit state machine:
 *
 *   collecting ──(all expected trainers sent | submit deadline)──▶ committee
 *   committee  ──(all members answered | committee deadline)──▶ unmasking ──▶ done
 *   committee  ──(< t_rec answers, complaints convict trainers)──▶ committee (re-issued job, §25)
 *   any phase  ──(too few survivors | < t_rec answers | inconsistent answers | abort)──▶ failed
 *
 * It holds only the running sum (via RoundAggregator) and the sealed slices; it never sees an
 * individual update. Messages arrive already decoded and schema-checked; the sender's id comes
 * from its authenticated connection, never from the message.
 */
import { createHash } from 'node:crypto';
import {
  type Contribution,
  type CommitteeResponse,
  DuplicateError,
  LateError,
  MalformedInputError,
  Q1,
  RoundAggregator,
  SecAggError,
  ThresholdError,
  WrongRoundError,
  expandPublicRing,
  maxQuantized,
} from '../secagg/index.js';
import type {
  AnswerMsg,
  Attestation,
  ComplaintMsg,
  ContributionMsg,
  PlainMsg,
  Role,
  RoundId,
  RoundMsg,
  ServerMessage,
  WireCertificate,
  WireRoundConfig,
} from '../wire/messages.js';
import { bytesToI32, bytesToU32 } from '../wire/codec.js';
import type { FederationEvent } from '../wire/events.js';
import { ComplaintDesk, type Conviction } from './complaints.js';
import { type Retry, jobMessage } from './jobs.js';
import type { Logger } from './log.js';
import { Refusal } from './refusal.js';
import { type CertifiedRound, type SignedContribution, checkAnswer, checkContribution } from './signed.js';

export type RoundPhase = 'starting' | 'collecting' | 'committee' | 'unmasking' | 'done' | 'failed';

export interface RoundPlan {
  /** The round's configuration; a plaintext one (INSECURE benchmark mode) has no committee. */
  readonly config: WireRoundConfig;
  readonly version: number;
  readonly trainers: readonly string[];
  /** members[j − 1] is member j. */
  readonly members: readonly string[];
  readonly submitMs: number;
  readonly committeeMs: number;
  readonly minSurvivors: number;
  /** A certified federation's round: certificates and the descriptor digest (signed.ts). */
  readonly certified?: CertifiedRound & { readonly memberCerts: readonly WireCertificate[] };
  /** Builds the descriptor for one participant (role and deadlines filled in). */
  readonly descriptor: (role: Role, memberIndex: number | undefined, submitBy: number, answerBy: number) => RoundMsg;
}

export interface RoundHost {
  send(clientId: string, msg: ServerMessage): number;
  isConnected(clientId: string): boolean;
  emit(e: FederationEvent): void;
  log: Logger;
}

/** How many leading coordinates the "what the server sees" preview shows. */
export const PREVIEW_LENGTH = 256;

export type RoundOutcome =
  | {
      ok: true;
      sum: Float64Array;
      survivors: string[];
      membersAnswered: number[];
      /** Members (1-based) whose wrong answers robust unmasking corrected away (§14.1). */
      faultyMembers: number[];
      attestations: Attestation[];
      /** Trainers left out after verifiable complaints (§25), with how they were convicted. */
      excluded: Conviction[];
      timings: Record<string, number>;
      bytesIn: number;
      bytesOut: number;
      maskedPreview: number[];
    }
  | {
      ok: false;
      code: string;
      reason: string;
      survivors: string[];
      membersAnswered: number[];
      attestations: Attestation[];
      excluded: Conviction[];
      timings: Record<string, number>;
      bytesIn: number;
      bytesOut: number;
    };

/** How many times one round's job may be re-issued after complaints. */
export const MAX_REISSUES = 3;

export class RoundRun {
  readonly plan: RoundPlan;
  private readonly host: RoundHost;
  private phaseValue: RoundPhase = 'starting';
  private agg: RoundAggregator | undefined;
  private readonly plainSum: Float64Array | undefined;
  private readonly sent = new Set<string>();
  /** Trainers that have not sent yet, and members by id → index (O(1) checks per message). */
  private readonly notSent: Set<string>;
  private readonly trainerSet: Set<string>;
  private readonly memberIndex: Map<string, number>;
  private readonly answeredBy = new Set<string>();
  /** Members that complained instead of answering the current job (§25). */
  private readonly complainedBy = new Set<string>();
  private desk: ComplaintDesk | undefined;
  private readonly excluded: Conviction[] = [];
  private reissues = 0;
  /** Certified rounds: each accepted contribution's signed data, and each accepted answer's attestation. */
  private readonly signedBy = new Map<string, SignedContribution>();
  private attestations: Attestation[] = [];
  private readonly seenMasked = new Set<string>();
  private survivors: string[] = [];
  /** Committee jobs by member id, kept so a member that reconnects mid-round can get its job. */
  private readonly jobs = new Map<string, ServerMessage>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly t0 = performance.now();
  private readonly timings: Record<string, number> = {};
  private bytesIn = 0;
  private bytesOut = 0;
  /** The first accepted contribution's leading residues (mod q1), as fractions of q1. */
  private maskedPreview: number[] = [];
  private resolve!: (o: RoundOutcome) => void;
  readonly done: Promise<RoundOutcome>;
  submitBy = 0;
  answerBy = 0;

  constructor(plan: RoundPlan, host: RoundHost) {
    this.plan = plan;
    this.host = host;
    this.done = new Promise((r) => (this.resolve = r));
    this.trainerSet = new Set(plan.trainers);
    this.notSent = new Set(plan.trainers);
    this.memberIndex = new Map(plan.members.map((id, j) => [id, j + 1]));
    if (plan.config.mode === 'plaintext') this.plainSum = new Float64Array(plan.config.length);
  }

  get phase(): RoundPhase {
    return this.phaseValue;
  }

  get round(): RoundId {
    return this.plan.config.round;
  }

  private mark(name: string): void {
    this.timings[name] = Math.round(performance.now() - this.t0);
  }

  /** Sends every participant its descriptor and starts the submit deadline. */
  async start(): Promise<void> {
    const { plan } = this;
    const cfg = plan.config;
    if (cfg.mode === 'secure') {
      // The public ring is the same for every party: expand it once, before anyone can send.
      const ring = await expandPublicRing(cfg.publicSeed, { federation: cfg.federation, round: cfg.round }, cfg.length);
      this.agg = new RoundAggregator(cfg, ring, () => createHash('sha256'));
    }
    if (this.phaseValue !== 'starting') return; // aborted while expanding
    const now = Date.now();
    this.submitBy = now + plan.submitMs;
    this.answerBy = this.submitBy + plan.committeeMs;
    this.phaseValue = 'collecting';
    for (const id of plan.trainers) {
      this.bytesOut += this.host.send(id, plan.descriptor('trainer', undefined, this.submitBy, this.answerBy));
    }
    plan.members.forEach((id, j) => {
      this.bytesOut += this.host.send(id, plan.descriptor('member', j + 1, this.submitBy, this.answerBy));
    });
    this.mark('descriptor_ms');
    this.timer = setTimeout(() => this.closeContributions('deadline'), plan.submitMs);
    this.checkAllSent();
  }

  private requireTrainer(clientId: string, round: number): void {
    if (round !== this.round) {
      throw new WrongRoundError(`message for round ${round}, the current round is ${this.round}`);
    }
    if (!this.trainerSet.has(clientId))
      throw new Refusal('NOT_A_TRAINER', `${clientId} is not a trainer of round ${this.round}`);
  }

  async contribution(clientId: string, msg: ContributionMsg, size: number): Promise<void> {
    this.requireTrainer(clientId, msg.round);
    if (this.plan.config.mode === 'plaintext') {
      const why = 'this server runs the insecure plaintext benchmark mode; send plain updates';
      throw new Refusal('INSECURE_MODE_ONLY', why);
    }
    if (this.phaseValue !== 'collecting' || !this.agg)
      throw new LateError(`contribution from ${clientId} outside the collection phase of round ${this.round}`);
    const c: Contribution = {
      federation: this.plan.config.federation,
      round: msg.round,
      clientId,
      masked: [bytesToU32(msg.y1, 'y1'), bytesToU32(msg.y2, 'y2')],
      ephemeralPublic: msg.eph,
      sealed: msg.sealed,
    };
    let signed: SignedContribution | undefined;
    let maskedKey = '';
    let added = false;
    const certified = this.plan.certified;
    // A certified federation: the signature is checked after the shape, before anything counts.
    const authenticate = certified
      ? async () => {
          signed = await checkContribution(certified, this.plan.config.federation, clientId, msg);
          // The same masked vector twice is a copy of another trainer's message, however signed.
          maskedKey = Buffer.from(signed.masked).toString('hex');
          if (this.seenMasked.has(maskedKey))
            throw new DuplicateError(
              `the masked vector of ${clientId} is a copy of another contribution of this round`,
            );
          this.seenMasked.add(maskedKey);
          added = true;
        }
      : undefined;
    try {
      await this.agg.add(c, authenticate); // typed errors (duplicate, late, malformed, signature); nothing changes then
    } catch (e) {
      if (added) this.seenMasked.delete(maskedKey);
      throw e;
    }
    if (signed) this.signedBy.set(clientId, signed);
    this.bytesIn += size;
    if (this.maskedPreview.length === 0)
      this.maskedPreview = Array.from(c.masked[0].subarray(0, PREVIEW_LENGTH), (v) => v / Q1);
    this.accepted(clientId);
  }

  plain(clientId: string, msg: PlainMsg, size: number): void {
    this.requireTrainer(clientId, msg.round);
    if (!this.plainSum)
      throw new Refusal('INSECURE_MODE_ONLY', 'plaintext updates are refused: this federation aggregates securely');
    if (this.phaseValue !== 'collecting') throw new LateError(`update from ${clientId} after the cut-off`);
    if (this.sent.has(clientId)) throw new DuplicateError(`second update from ${clientId}`);
    const x = bytesToI32(msg.x, 'x');
    const { length } = this.plan.config;
    if (x.length !== length) throw new MalformedInputError(`update has ${x.length} coordinates, expected ${length}`);
    const limit = maxQuantized(this.plan.config.bits);
    for (let i = 0; i < x.length; i++)
      if (Math.abs(x[i] as number) > limit) throw new MalformedInputError(`coordinate ${i} out of range`);
    for (let i = 0; i < x.length; i++) this.plainSum[i] = (this.plainSum[i] as number) + (x[i] as number);
    this.bytesIn += size;
    this.accepted(clientId);
  }

  private accepted(clientId: string): void {
    this.sent.add(clientId);
    this.notSent.delete(clientId);
    this.host.emit({
      type: 'contribution',
      round: this.round,
      received: this.sent.size,
      expected: this.plan.trainers.length,
      bytes: this.bytesIn,
    });
    this.checkAllSent();
  }

  /** Closes early once every trainer still connected has sent. */
  private checkAllSent(): void {
    if (this.phaseValue !== 'collecting') return;
    let waiting = false;
    for (const id of this.notSent) if ((waiting = this.host.isConnected(id))) break;
    if (!waiting) this.closeContributions('all sent');
  }

  private checkAllAnswered(): void {
    if (this.phaseValue !== 'committee') return;
    const waiting = this.plan.members.some(
      (id) => !this.answeredBy.has(id) && !this.complainedBy.has(id) && this.host.isConnected(id),
    );
    if (!waiting) void this.unmask('all answered');
  }

  /**
   * A participant of this round reconnected (e.g. a reloaded tab) before speaking: it gets its
   * descriptor again, and a member its job, so the round need not wait out the deadline. A
   * member still answers at most once: it remembers answered rounds across reloads.
   */
  rejoined(clientId: string): void {
    const { plan } = this;
    if (this.phaseValue === 'collecting' && this.trainerSet.has(clientId) && !this.sent.has(clientId)) {
      this.bytesOut += this.host.send(clientId, plan.descriptor('trainer', undefined, this.submitBy, this.answerBy));
      return;
    }
    const j = this.memberIndex.get(clientId);
    if (j === undefined || this.answeredBy.has(clientId) || this.complainedBy.has(clientId)) return;
    if (this.phaseValue === 'collecting' || this.phaseValue === 'committee') {
      this.bytesOut += this.host.send(clientId, plan.descriptor('member', j, this.submitBy, this.answerBy));
      const job = this.jobs.get(clientId);
      if (job) this.bytesOut += this.host.send(clientId, job);
    }
  }

  /** A participant disconnected: it may be the last one the round was waiting for. */
  left(): void {
    this.checkAllSent();
    this.checkAllAnswered();
  }

  private closeContributions(why: string): void {
    if (this.phaseValue !== 'collecting') return;
    clearTimeout(this.timer);
    this.mark('cutoff_ms');
    this.survivors = this.plan.trainers.filter((id) => this.sent.has(id));
    const dropped = this.plan.trainers.filter((id) => !this.sent.has(id));
    this.host.log.info('cutoff', { round: this.round, why, survivors: this.survivors.length, dropped: dropped.length });
    this.host.emit({ type: 'cutoff', round: this.round, survivors: this.survivors, dropped });
    if (this.survivors.length < this.plan.minSurvivors) {
      this.fail(
        'TOO_FEW_SURVIVORS',
        `${this.survivors.length} trainer(s) sent, ${this.plan.minSurvivors} needed to unmask a sum without revealing an individual update`,
      );
      return;
    }
    if (!this.agg) {
      this.finish((this.plainSum as Float64Array).slice(), []);
      return;
    }
    this.phaseValue = 'committee';
    const cut = this.agg.closeContributions();
    const certified = this.plan.certified;
    if (certified) {
      const agg = this.agg;
      this.desk = new ComplaintDesk(agg.cfg, certified.descriptorDigest, certified.memberCerts, {
        signedOf: (id) => this.signedBy.get(id),
        ephemeralOf: (id) => cut.jobs[0]?.slots.find((s) => s.clientId === id)?.ephemeralPublic,
        sealedOf: (id, j) => agg.sealedOf(id, j),
      });
      this.desk.reset(cut.survivorHash, this.survivors);
    }
    this.sendJobs(cut, undefined);
    this.timer = setTimeout(() => void this.unmask('deadline'), Math.max(0, this.answerBy - Date.now()));
    this.checkAllAnswered();
  }

  private sendJobs(cut: ReturnType<RoundAggregator['closeContributions']>, retry: Retry | undefined): void {
    cut.jobs.forEach((job, j) => {
      const id = this.plan.members[j] as string;
      const msg: ServerMessage = jobMessage(job, this.signedBy, retry);
      this.jobs.set(id, msg);
      this.bytesOut += this.host.send(id, msg);
    });
  }

  /** A member's signed complaint instead of its answer (§25): checked, kept, counted as its response. */
  async complaint(clientId: string, msg: ComplaintMsg, size: number): Promise<void> {
    if (msg.round !== this.round)
      throw new WrongRoundError(`complaint for round ${msg.round}, the current round is ${this.round}`);
    const j = this.memberIndex.get(clientId) ?? 0;
    if (j === 0 || msg.memberIndex !== j)
      throw new Refusal('NOT_A_MEMBER', `${clientId} is not member ${msg.memberIndex} of round ${this.round}`);
    if (!this.desk)
      throw new Refusal('BAD_COMPLAINT', 'complaints are heard only in the committee phase of a certified round');
    if (this.phaseValue !== 'committee') throw new LateError(`complaint from member ${j} after the committee phase`);
    if (this.answeredBy.has(clientId)) throw new DuplicateError(`member ${j} already answered this job`);
    await this.desk.add(msg);
    this.complainedBy.add(clientId);
    this.bytesIn += size;
    const trainers = msg.faults.map((f) => f.id);
    this.host.log.warn('complaint', { round: this.round, member: j, trainers, kinds: msg.faults.map((f) => f.kind) });
    this.host.emit({ type: 'complaint', round: this.round, memberIndex: j, trainers });
    this.checkAllAnswered();
  }

  /**
   * Fewer than t_rec answers and complaints that convict: leave the convicted trainers out and
   * ask the committee again (§25). False when that is not possible (the round then fails).
   */
  private async reissue(): Promise<boolean> {
    const desk = this.desk;
    const agg = this.agg;
    if (!desk || !agg || desk.count === 0 || this.reissues >= MAX_REISSUES) return false;
    const convictions = await desk.convictions();
    if (convictions.length === 0 || this.phaseValue !== 'unmasking') return false;
    const out = new Set(convictions.map((c) => c.id));
    const remaining = this.survivors.filter((id) => !out.has(id));
    const why = (code: string, reason: string): false => {
      this.host.log.warn('exclusion_impossible', { round: this.round, code, reason });
      return false;
    };
    if (remaining.length < this.plan.minSurvivors)
      return why('TOO_FEW_SURVIVORS', `${remaining.length} trainer(s) would remain, ${this.plan.minSurvivors} needed`);
    const unkept = convictions.find((c) => !agg.canExclude(c.id));
    if (unkept) return why('CAPACITY_EXCEEDED', `the masked vector of ${unkept.id} was not kept`);
    const previous = (this.jobs.values().next().value as { survivors: Retry['previous'] } | undefined)?.survivors ?? [];
    const retry: Retry = { previous, excluded: convictions.map((c) => c.evidence), complaints: desk.complaints };
    const cut = agg.exclude([...out]);
    this.reissues++;
    this.excluded.push(...convictions);
    this.survivors = remaining;
    this.answeredBy.clear();
    this.complainedBy.clear();
    this.attestations = [];
    desk.reset(cut.survivorHash, remaining);
    this.answerBy = Date.now() + this.plan.committeeMs;
    const trainers = convictions.map((c) => c.id);
    this.host.log.warn('excluded', {
      round: this.round,
      trainers,
      how: convictions.map((c) => c.how),
      message: `left out of round ${this.round} after verifiable complaints; the committee is asked again without them`,
    });
    this.host.emit({ type: 'excluded', round: this.round, trainers, how: convictions.map((c) => c.how) });
    this.phaseValue = 'committee';
    this.sendJobs(cut, retry);
    this.timer = setTimeout(() => void this.unmask('deadline'), this.plan.committeeMs);
    this.checkAllAnswered();
    return true;
  }

  async answer(clientId: string, msg: AnswerMsg, size: number): Promise<void> {
    if (msg.round !== this.round) {
      throw new WrongRoundError(`answer for round ${msg.round}, the current round is ${this.round}`);
    }
    const j = this.memberIndex.get(clientId) ?? 0;
    if (j === 0 || msg.memberIndex !== j)
      throw new Refusal('NOT_A_MEMBER', `${clientId} is not member ${msg.memberIndex} of round ${this.round}`);
    if (!this.agg) throw new Refusal('INSECURE_MODE_ONLY', 'no committee in the plaintext benchmark mode');
    if (this.complainedBy.has(clientId)) throw new DuplicateError(`member ${j} already complained about this job`);
    const { committee } = this.agg.cfg;
    const r: CommitteeResponse = {
      federation: this.plan.config.federation,
      round: msg.round,
      memberIndex: msg.memberIndex,
      survivorHash: msg.hS,
      sum: bytesToU32(msg.sum, 'sum'),
    };
    let attestation: Attestation | undefined;
    if (this.plan.certified) {
      // The core's checks first (early, late, duplicate, wrong H_S, length), then the signature.
      this.agg.check(r);
      attestation = await checkAnswer(this.plan.certified, this.plan.config.federation, clientId, msg);
    }
    this.agg.receive(r); // typed errors: before cut-off, late, duplicate, wrong H_S, wrong length
    if (attestation) this.attestations.push(attestation);
    this.bytesIn += size;
    this.answeredBy.add(clientId);
    const { tRec, m } = committee;
    this.host.emit({ type: 'answer', round: this.round, answered: this.agg.answered, tRec, m });
    this.checkAllAnswered();
  }

  private async unmask(why: string): Promise<void> {
    if (this.phaseValue !== 'committee' || !this.agg) return;
    clearTimeout(this.timer);
    this.phaseValue = 'unmasking';
    this.mark('answers_ms');
    const { tRec } = this.agg.cfg.committee;
    this.host.log.info('unmask', { round: this.round, why, answered: this.agg.answered, tRec });
    if (!this.agg.ready) {
      if (await this.reissue()) return;
      const complained = this.complainedBy.size;
      const silent = this.plan.members.length - this.agg.answered - complained;
      const e = new ThresholdError(
        this.agg.answered,
        tRec,
        `${silent} member(s) silent${complained ? `, ${complained} complained without convicting a trainer` : ''}`,
      );
      this.fail(e.code, e.message);
      return;
    }
    try {
      const res = await this.agg.unmask();
      if (res.faulty.length) {
        const ids = res.faulty.map((j) => this.plan.members[j - 1]);
        this.host.log.warn('faulty_members', {
          round: this.round,
          members: res.faulty,
          clientIds: ids,
          message: `committee answers of member(s) ${res.faulty.join(', ')} were wrong; corrected from the others`,
        });
      }
      this.finish(res.sum, [...res.faulty]);
    } catch (e) {
      if (e instanceof SecAggError) this.fail(e.code, e.message);
      else this.fail('INTERNAL', e instanceof Error ? e.message : String(e));
    }
  }

  private membersAnswered(): number[] {
    return this.plan.members.map((id, j) => (this.answeredBy.has(id) ? j + 1 : 0)).filter((j) => j > 0);
  }

  private finish(sum: Float64Array, faultyMembers: number[]): void {
    this.phaseValue = 'done';
    this.mark('total_ms');
    this.resolve({
      ok: true,
      sum,
      survivors: this.survivors,
      membersAnswered: this.membersAnswered(),
      faultyMembers,
      attestations: this.sortedAttestations(),
      excluded: this.excluded,
      timings: this.timings,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      maskedPreview: this.maskedPreview,
    });
  }

  /** Ends the round without a model change. */
  fail(code: string, reason: string): void {
    if (this.phaseValue === 'done' || this.phaseValue === 'failed') return;
    clearTimeout(this.timer);
    this.phaseValue = 'failed';
    this.mark('total_ms');
    this.resolve({
      ok: false,
      code,
      reason,
      survivors: this.survivors,
      membersAnswered: this.membersAnswered(),
      attestations: this.sortedAttestations(),
      excluded: this.excluded,
      timings: this.timings,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
    });
  }

  private sortedAttestations(): Attestation[] {
    return [...this.attestations].sort((a, b) => a.memberIndex - b.memberIndex);
  }
}
