/**
 * The committee member's one message (docs/protocol.md §13): open the slices of exactly the
 * survivor set S, sum them, and answer once, echoing H_S.
 */
import { bytesEqual } from './encoding.js';
import {
  DuplicateError,
  MalformedInputError,
  ParameterError,
  SurvivorSetError,
  TooFewSurvivorsError,
  WrongRoundError,
} from './errors.js';
import { type RoundConfig, validateRoundConfig } from './params.js';
import { type SliceFault, SliceFaultError, judgeSlice } from './complaint.js';
import { memberSliceKey } from './seal.js';
import { addSliceInto, sliceLength } from './shamir.js';
import { type SurvivorEntry, survivorHash } from './transcript.js';
import { validateClientId } from './trainer.js';

export interface SlotForMember {
  readonly clientId: string;
  readonly ephemeralPublic: Uint8Array;
  readonly sealed: Uint8Array;
  /** A certified trainer's signed commitment to this slice's key (docs/protocol.md §25). */
  readonly keyCommitment?: Uint8Array;
}

/** What the server sends member `memberIndex` after the cut-off. */
export interface CommitteeJob {
  readonly federation: string;
  readonly round: number;
  readonly memberIndex: number;
  /** S in sorted id order, with each contribution's digest. */
  readonly survivors: readonly SurvivorEntry[];
  readonly survivorHash: Uint8Array;
  /** The sealed slices addressed to this member, in the order of `survivors`. */
  readonly slots: readonly SlotForMember[];
}

export interface CommitteeResponse {
  readonly federation: string;
  readonly round: number;
  readonly memberIndex: number;
  readonly survivorHash: Uint8Array;
  /** Σ over S of this member's slices (P residues mod q1, then P mod q2). */
  readonly sum: Uint32Array;
}

export interface MemberIdentity {
  /**
   * Long-term X25519 secret key: 32 bytes, or a WebCrypto private key for X25519 (the browser
   * keeps it non-extractable where it can; docs/threat-model.md, "Browser keys").
   */
  readonly secretKey: Uint8Array | CryptoKey;
  readonly publicKey: Uint8Array;
}

/**
 * Turns a job into the response. Refuses (typed errors) a job for another round or member,
 * a survivor list that does not hash to H_S, slots that do not match S one-to-one, and any
 * slice that does not authenticate — it never answers for a partial or different set.
 */
/**
 * The smallest survivor set a member helps to unmask, whatever the server says: the sum of fewer
 * trainers would reveal too much of each (with one, all of it). A member's own setting, never
 * taken from the server (docs/protocol.md §13).
 */
export const DEFAULT_MIN_SURVIVORS = 3;

/** What a member insists on before it answers; set by the participant, not by the server. */
export interface MemberPolicy {
  /** Distinct trainers S must hold (≥ DEFAULT_MIN_SURVIVORS). */
  readonly minSurvivors: number;
}

export const DEFAULT_MEMBER_POLICY: MemberPolicy = { minSurvivors: DEFAULT_MIN_SURVIVORS };

export async function answerJob(
  cfg: RoundConfig,
  job: CommitteeJob,
  me: MemberIdentity,
  policy: MemberPolicy = DEFAULT_MEMBER_POLICY,
): Promise<CommitteeResponse> {
  validateRoundConfig(cfg);
  if (job.federation !== cfg.federation || job.round !== cfg.round)
    throw new WrongRoundError(`job for ${job.federation}#${job.round}, this round is ${cfg.federation}#${cfg.round}`);
  const { memberIndex } = job;
  if (!Number.isSafeInteger(memberIndex) || memberIndex < 1 || memberIndex > cfg.committee.m)
    throw new MalformedInputError(`member index ${memberIndex} outside 1..${cfg.committee.m}`);
  if (!bytesEqual(cfg.memberKeys[memberIndex - 1] as Uint8Array, me.publicKey))
    throw new MalformedInputError(`job addressed to member ${memberIndex}, whose key is not this member's`);
  const ctx = { federation: cfg.federation, round: cfg.round };
  const expected = survivorHash(ctx, job.survivors);
  if (!bytesEqual(expected, job.survivorHash))
    throw new SurvivorSetError('the survivor list does not hash to the H_S of the job');
  if (job.slots.length !== job.survivors.length)
    throw new SurvivorSetError(`${job.slots.length} slices for ${job.survivors.length} survivors`);
  if (job.survivors.length === 0) throw new SurvivorSetError('empty survivor set');
  checkSurvivorPolicy(job, policy);
  const len = sliceLength(cfg.committee);
  const judged = await Promise.all(
    job.slots.map(async (slot, i) => {
      const s = job.survivors[i] as SurvivorEntry;
      validateClientId(slot.clientId);
      if (slot.clientId !== s.clientId)
        throw new SurvivorSetError(`slice ${i} is from ${slot.clientId}, survivor ${i} is ${s.clientId}`);
      const id = { ctx, clientId: slot.clientId, memberIndex };
      const okm = await memberSliceKey(id, slot.ephemeralPublic, me.secretKey, me.publicKey);
      return { clientId: slot.clientId, okm, verdict: await judgeSlice(id, slot.sealed, okm, slot.keyCommitment, len) };
    }),
  );
  // Every slice is judged before anything is refused, so a complaint names all the bad ones (§25).
  const faults: SliceFault[] = [];
  for (const { clientId, okm, verdict } of judged)
    if (verdict.kind !== 'ok')
      faults.push(verdict.kind === 'key' ? { clientId, kind: 'key' } : { clientId, kind: verdict.kind, okm });
  if (faults.length) throw new SliceFaultError(faults);
  const sum = new Uint32Array(len);
  for (const { verdict } of judged) if (verdict.kind === 'ok') addSliceInto(sum, verdict.values);
  return { federation: cfg.federation, round: cfg.round, memberIndex, survivorHash: job.survivorHash, sum };
}

/** Refuses a survivor set of fewer trainers than the policy asks (S is sorted and unique by then, §13). */
export function checkSurvivorPolicy(job: CommitteeJob, policy: MemberPolicy): void {
  if (!Number.isSafeInteger(policy.minSurvivors) || policy.minSurvivors < DEFAULT_MIN_SURVIVORS) {
    throw new ParameterError(`a member's minimum survivor set must be an integer ≥ ${DEFAULT_MIN_SURVIVORS}`);
  }
  const ids = new Set(job.survivors.map((s) => s.clientId));
  if (ids.size < policy.minSurvivors) {
    throw new TooFewSurvivorsError(
      `round ${job.round}: the survivor set has ${ids.size} trainer(s); this member helps unmask only sums of ` +
        `at least ${policy.minSurvivors}, so that no single update is revealed`,
    );
  }
}

/** A member that answers at most once per (federation, round), as the protocol requires. */
export class CommitteeMember {
  private readonly answered = new Set<string>();
  constructor(readonly identity: MemberIdentity) {}

  async answer(cfg: RoundConfig, job: CommitteeJob): Promise<CommitteeResponse> {
    const key = `${cfg.federation}\u0000${cfg.round}`;
    if (this.answered.has(key)) throw new DuplicateError(`already answered round ${cfg.round} of ${cfg.federation}`);
    this.answered.add(key); // one chance: a failed attempt is not retried with a different job
    return answerJob(cfg, job, this.identity);
  }
}
