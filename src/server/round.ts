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
  DEFAULT_RETAIN_BYTES,
  DuplicateError,
  LateError,
  MalformedInputError,
  Q1,
  Q2,
  unpackResidues,
  RoundAggregator,
  SecAggError,
  ThresholdError,
  WrongRoundError,
  expandPublicRing,
  maxQuantized,
} from '../secagg/index.js';
import type { AnswerMsg, ComplaintMsg, ContributionMsg, PlainMsg, RoundId } from '../wire/messages.js';
import { bytesToI32 } from '../wire/codec.js';
import { Refusal } from './refusal.js';
import { type SignedContribution, checkContribution } from './signed.js';

import { CommitteeStage } from './committee-stage.js';
import {
  PREVIEW_LENGTH,
  type RoundEvidence,
  type RoundHost,
  type RoundOutcome,
  type RoundPhase,
  type RoundPlan,
} from './round-types.js';

export * from './round-types.js';
export { MAX_REISSUES } from './committee-stage.js';

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
  /** The committee stage, from the cut-off on (jobs, answers, complaints, re-issues). */
  private committee: CommitteeStage | undefined;
  /** Certified rounds: each accepted contribution's signed data, and each accepted answer's attestation. */
  private readonly signedBy = new Map<string, SignedContribution>();
  private readonly seenMasked = new Set<string>();
  private survivors: string[] = [];
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
      // Only a certified round can leave a convicted trainer out, which needs its y (§25).
      const retain = plan.certified ? DEFAULT_RETAIN_BYTES : 0;
      this.agg = new RoundAggregator(cfg, ring, () => createHash('sha256'), retain);
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
    const L = this.plan.config.length;
    const c: Contribution = {
      federation: this.plan.config.federation,
      round: msg.round,
      clientId,
      masked: [unpackResidues(msg.y1, L, Q1, 'y1'), unpackResidues(msg.y2, L, Q2, 'y2')],
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
    this.host.contributed?.(clientId, msg);
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
    if (!this.committee?.waiting()) void this.unmask('all answered');
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
    if (j === undefined || this.committee?.responded(clientId)) return;
    if (this.phaseValue === 'collecting' || this.phaseValue === 'committee') {
      this.bytesOut += this.host.send(clientId, plan.descriptor('member', j, this.submitBy, this.answerBy));
      const job = this.committee?.pendingJob(clientId);
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
    this.committee = new CommitteeStage(this.plan, this.host, this.agg, this.signedBy, cut, this.survivors, (n) => {
      this.bytesOut += n;
    });
    this.timer = setTimeout(() => void this.unmask('deadline'), Math.max(0, this.answerBy - Date.now()));
    this.checkAllAnswered();
  }

  /** The member index of a message's sender, which must be the one the message names. */
  private memberOf(clientId: string, msg: { round: number; memberIndex: number }, what: string): number {
    if (msg.round !== this.round)
      throw new WrongRoundError(`${what} for round ${msg.round}, the current round is ${this.round}`);
    const j = this.memberIndex.get(clientId) ?? 0;
    if (j === 0 || msg.memberIndex !== j)
      throw new Refusal('NOT_A_MEMBER', `${clientId} is not member ${msg.memberIndex} of round ${this.round}`);
    return j;
  }

  async answer(clientId: string, msg: AnswerMsg, size: number): Promise<void> {
    const j = this.memberOf(clientId, msg, 'answer');
    if (!this.agg) throw new Refusal('INSECURE_MODE_ONLY', 'no committee in the plaintext benchmark mode');
    if (!this.committee) throw new MalformedInputError(`answer from member ${j} before the cut-off`);
    await this.committee.answer(clientId, j, msg);
    this.bytesIn += size;
    this.checkAllAnswered();
  }

  /** A member's signed complaint instead of its answer (§25). */
  async complaint(clientId: string, msg: ComplaintMsg, size: number): Promise<void> {
    const j = this.memberOf(clientId, msg, 'complaint');
    if (!this.committee || this.phaseValue !== 'committee')
      throw new LateError(`complaint from member ${j} outside the committee phase`);
    await this.committee.complaint(clientId, j, msg);
    this.bytesIn += size;
    this.checkAllAnswered();
  }

  /** Re-issues the job without convicted trainers (§25); false when the round must fail instead. */
  private async reissue(): Promise<boolean> {
    const c = this.committee;
    if (!c || !(await c.reissue(() => this.phaseValue === 'unmasking'))) return false;
    this.survivors = c.survivors;
    this.answerBy = Date.now() + this.plan.committeeMs;
    this.phaseValue = 'committee';
    this.timer = setTimeout(() => void this.unmask('deadline'), this.plan.committeeMs);
    this.checkAllAnswered();
    return true;
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
      const complained = this.committee?.complained ?? 0;
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

  /** What the transcript records at the round's end (src/server/transcript.ts). */
  private evidence(): RoundEvidence {
    const c = this.committee;
    const cut =
      c && this.agg
        ? { firstCut: c.firstCut, cut: c.currentCut, sumY: this.agg.maskedSum(), reissues: c.reissued }
        : {};
    return { signedBy: this.signedBy, answers: c && this.agg ? this.agg.answersGiven() : [], ...cut };
  }

  private membersAnswered(): number[] {
    return this.committee?.membersAnswered() ?? [];
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
      attestations: this.committee?.attestations() ?? [],
      excluded: this.committee?.excluded ?? [],
      timings: this.timings,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      maskedPreview: this.maskedPreview,
      evidence: this.evidence(),
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
      attestations: this.committee?.attestations() ?? [],
      excluded: this.committee?.excluded ?? [],
      timings: this.timings,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      evidence: this.evidence(),
    });
  }
}
