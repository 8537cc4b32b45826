/**
 * The committee stage of one server round (src/server/round.ts): the jobs sent to the members,
 * their answers (signature-checked in a certified round) and complaints (docs/protocol.md §25),
 * and the re-issue of the job without trainers the complaints convict. The round owns the phase,
 * the deadlines and the unmasking; this stage owns who has responded to which job.
 */
import { type CommitteeResponse, type CutOff, DuplicateError, type RoundAggregator } from '../secagg/index.js';
import type { AnswerMsg, Attestation, ComplaintMsg, ServerMessage } from '../wire/messages.js';
import { bytesToU32 } from '../wire/codec.js';
import { ComplaintDesk, type Conviction } from './complaints.js';
import { type Retry, jobMessage } from './jobs.js';
import { Refusal } from './refusal.js';
import type { RoundHost, RoundPlan } from './round-types.js';
import { type SignedContribution, checkAnswer } from './signed.js';

/** How many times one round's job may be re-issued after complaints. */
export const MAX_REISSUES = 3;

export class CommitteeStage {
  private readonly answeredBy = new Set<string>();
  /** Members that complained instead of answering the current job (§25). */
  private readonly complainedBy = new Set<string>();
  private readonly desk: ComplaintDesk | undefined;
  private attestationsOfJob: Attestation[] = [];
  readonly excluded: Conviction[] = [];
  private reissues = 0;
  /** The current job by member id, kept so a member that reconnects mid-round can get it. */
  private readonly jobs = new Map<string, ServerMessage>();
  /** The current survivor set S (ids), and the cut-off it came from (for a re-issue's `previous`). */
  survivors: string[];
  private cut: CutOff;
  /** The cut-off's S and H_S, before any exclusion (the round's transcript records both). */
  readonly firstCut: CutOff;
  /** Each re-issue's evidence, in order (the transcript keeps it for the audit, docs/transcript.md). */
  readonly reissued: Retry[] = [];

  constructor(
    private readonly plan: RoundPlan,
    private readonly host: RoundHost,
    private readonly agg: RoundAggregator,
    private readonly signedBy: ReadonlyMap<string, SignedContribution>,
    cut: CutOff,
    survivors: readonly string[],
    /** Bytes sent, for the round's count. */
    private readonly sent: (bytes: number) => void,
  ) {
    this.survivors = [...survivors];
    this.cut = cut;
    this.firstCut = cut;
    const certified = plan.certified;
    if (certified) {
      const eph = new Map(cut.jobs[0]?.slots.map((s) => [s.clientId, s.ephemeralPublic] as const));
      this.desk = new ComplaintDesk(agg.cfg, certified.descriptorDigest, certified.memberCerts, {
        signedOf: (id) => signedBy.get(id),
        ephemeralOf: (id) => eph.get(id),
        sealedOf: (id, j) => agg.sealedOf(id, j),
      });
      this.desk.reset(cut.survivorHash, this.survivors);
    }
    this.sendJobs(cut, undefined);
  }

  private get round(): number {
    return this.plan.config.round;
  }

  private sendJobs(cut: CutOff, retry: Retry | undefined): void {
    cut.jobs.forEach((job, j) => {
      const id = this.plan.members[j] as string;
      const msg: ServerMessage = jobMessage(job, this.signedBy, retry);
      this.jobs.set(id, msg);
      this.sent(this.host.send(id, msg));
    });
  }

  /** The current survivor set's cut (after any re-issue). */
  get currentCut(): CutOff {
    return this.cut;
  }

  /** The current job of a member that has not responded to it yet. */
  pendingJob(id: string): ServerMessage | undefined {
    return this.responded(id) ? undefined : this.jobs.get(id);
  }

  responded(id: string): boolean {
    return this.answeredBy.has(id) || this.complainedBy.has(id);
  }

  /** Whether a connected member has not responded to the current job yet. */
  waiting(): boolean {
    return this.plan.members.some((id) => !this.responded(id) && this.host.isConnected(id));
  }

  get complained(): number {
    return this.complainedBy.size;
  }

  membersAnswered(): number[] {
    return this.plan.members.map((id, j) => (this.answeredBy.has(id) ? j + 1 : 0)).filter((j) => j > 0);
  }

  attestations(): Attestation[] {
    return [...this.attestationsOfJob].sort((a, b) => a.memberIndex - b.memberIndex);
  }

  /** A member's answer (member index already checked): the core's checks, then its signature. */
  async answer(clientId: string, j: number, msg: AnswerMsg): Promise<void> {
    if (this.complainedBy.has(clientId)) throw new DuplicateError(`member ${j} already complained about this job`);
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
    if (attestation) this.attestationsOfJob.push(attestation);
    this.answeredBy.add(clientId);
    const { tRec, m } = this.agg.cfg.committee;
    this.host.emit({ type: 'answer', round: this.round, answered: this.agg.answered, tRec, m });
  }

  /** A member's signed complaint instead of its answer (§25): checked, kept, counted as its response. */
  async complaint(clientId: string, j: number, msg: ComplaintMsg): Promise<void> {
    if (!this.desk)
      throw new Refusal('BAD_COMPLAINT', 'complaints are heard only in the committee phase of a certified round');
    if (this.answeredBy.has(clientId)) throw new DuplicateError(`member ${j} already answered this job`);
    await this.desk.add(msg);
    this.complainedBy.add(clientId);
    const trainers = msg.faults.map((f) => f.id);
    this.host.log.warn('complaint', { round: this.round, member: j, trainers, kinds: msg.faults.map((f) => f.kind) });
    this.host.emit({ type: 'complaint', round: this.round, memberIndex: j, trainers });
  }

  /**
   * Fewer than t_rec answers and complaints that convict: leave the convicted trainers out and
   * send the committee a new job with the evidence (§25). False when that is not possible (the
   * round then fails); `stillOurs` is asked after the convictions are checked.
   */
  async reissue(stillOurs: () => boolean): Promise<boolean> {
    const { desk, agg } = this;
    if (!desk || desk.count === 0 || this.reissues >= MAX_REISSUES) return false;
    const convictions = await desk.convictions();
    if (convictions.length === 0 || !stillOurs()) return false;
    const out = new Set(convictions.map((c) => c.id));
    const remaining = this.survivors.filter((id) => !out.has(id));
    const impossible = (code: string, reason: string): false => {
      this.host.log.warn('exclusion_impossible', { round: this.round, code, reason });
      return false;
    };
    if (remaining.length < this.plan.minSurvivors)
      return impossible(
        'TOO_FEW_SURVIVORS',
        `${remaining.length} trainer(s) would remain, ${this.plan.minSurvivors} needed`,
      );
    const unkept = convictions.find((c) => !agg.canExclude(c.id));
    if (unkept) return impossible('CAPACITY_EXCEEDED', `the masked vector of ${unkept.id} was not kept`);
    const previous = this.cut.survivors.map((s) => ({ id: s.clientId, digest: s.digest }));
    const retry: Retry = { previous, excluded: convictions.map((c) => c.evidence), complaints: desk.complaints };
    const cut = agg.exclude([...out]);
    this.cut = cut;
    this.reissued.push(retry);
    this.reissues++;
    this.excluded.push(...convictions);
    this.survivors = remaining;
    this.answeredBy.clear();
    this.complainedBy.clear();
    this.attestationsOfJob = [];
    desk.reset(cut.survivorHash, remaining);
    const trainers = convictions.map((c) => c.id);
    const how = convictions.map((c) => c.how);
    this.host.log.warn('excluded', {
      round: this.round,
      trainers,
      how,
      message: `left out of round ${this.round} after verifiable complaints; the committee is asked again without them`,
    });
    this.host.emit({ type: 'excluded', round: this.round, trainers, how });
    this.sendJobs(cut, retry);
    return true;
  }
}
