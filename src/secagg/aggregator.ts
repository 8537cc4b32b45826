/**
 * The server's role in one round (docs/protocol.md §13, §14): a running sum of the masked
 * vectors (memory O(L), never O(n·L)), the cut-off that fixes the survivor set S and the
 * committee jobs, and unmasking from ≥ t_rec answers that echo the same H_S.
 *
 * The aggregator never sees an individual update: it holds Σy, the sealed slices (opaque to
 * it), and finally Σs, from which only Σx follows.
 *
 * To leave a convicted trainer out after the cut-off (docs/protocol.md §25) it must subtract that
 * trainer's y from Σy, so it keeps each contribution's y while they fit in `retainBytes`
 * (default 256 MiB); a trainer whose y was not kept cannot be left out (CapacityError), and the
 * round then fails rather than unmask a sum that includes it.
 */
import { bytesEqual } from './encoding.js';
import {
  CapacityError,
  DuplicateError,
  LateError,
  MalformedInputError,
  SurvivorSetError,
  ThresholdError,
  WrongRoundError,
} from './errors.js';
import { type Accumulator, engine, engineReady } from './engine.js';
import { type PublicRing, type Residues, expandPublicRing, removeMask } from './mask.js';
import type { CommitteeJob, CommitteeResponse } from './member.js';
import { type RoundConfig, validateRoundConfig } from './params.js';
import { robustReconstruct } from './robust.js';
import { sliceLength } from './shamir.js';
import { type Contribution, validateClientId } from './trainer.js';
import { type Sha256Hasher, type SurvivorEntry, compareIds, contributionDigest, survivorHash } from './transcript.js';

interface Held {
  readonly ephemeralPublic: Uint8Array;
  readonly sealed: readonly Uint8Array[];
  readonly digest: Uint8Array;
}

/** How much of the contributions' y the aggregator keeps, to subtract a convicted trainer's. */
export const DEFAULT_RETAIN_BYTES = 256 * 1024 * 1024;

export type AggregatorPhase = 'collecting' | 'committee' | 'unmasked' | 'failed';

export interface UnmaskResult {
  /** Σx over S: the exact integer sum of the survivors' quantized updates. */
  readonly sum: Float64Array;
  readonly survivors: readonly string[];
  /** Members whose answers were used or cross-checked. */
  readonly members: readonly number[];
  /** Members whose answers were wrong and were corrected away (docs/protocol.md §14.1), ascending. */
  readonly faulty: readonly number[];
  /** False when exactly t_rec answers were used: nothing could check them. */
  readonly checked: boolean;
}

export interface CutOff {
  readonly survivors: readonly SurvivorEntry[];
  readonly survivorHash: Uint8Array;
  /** jobs[j − 1] is member j's job. */
  readonly jobs: readonly CommitteeJob[];
}

export class RoundAggregator {
  readonly cfg: RoundConfig;
  private phase: AggregatorPhase = 'collecting';
  /** Σy per prime, reduced lazily, by the engine (docs/protocol.md §14, §6.1). */
  private sumY: Accumulator | undefined;
  private readonly held = new Map<string, Held>();
  private readonly pending = new Set<string>();
  private cut: CutOff | undefined;
  private readonly answers = new Map<number, CommitteeResponse>();
  private ring: Promise<PublicRing> | undefined;

  private readonly hasher: (() => Sha256Hasher) | undefined;
  /** Each contribution's y, while they fit in retainBytes (to leave a convicted trainer out). */
  private readonly retained = new Map<string, Residues>();
  private readonly retainBytes: number;
  private retainedBytes = 0;

  /**
   * `hasher` optionally supplies an incremental SHA-256 for the contribution digests (the Node
   * server passes its native one; the default is WebCrypto, which costs a copy per message).
   */
  constructor(cfg: RoundConfig, ring?: PublicRing, hasher?: () => Sha256Hasher, retainBytes = DEFAULT_RETAIN_BYTES) {
    validateRoundConfig(cfg);
    this.cfg = cfg;
    this.hasher = hasher;
    this.retainBytes = retainBytes;
    if (ring) this.ring = Promise.resolve(ring);
  }

  /** The Σy accumulator, made by the engine once it has loaded (the first contribution waits for it). */
  private async accumulator(): Promise<Accumulator> {
    if (!this.sumY) {
      await engineReady();
      this.sumY ??= engine().accumulator(this.cfg.length);
    }
    return this.sumY;
  }

  get state(): AggregatorPhase {
    return this.phase;
  }

  get contributions(): number {
    return this.held.size;
  }

  /**
   * Validates and accumulates one contribution. Throws a typed error and changes nothing on
   * refusal. `authenticate` (a certified federation's signature check) runs after the shape
   * checks and before anything is accumulated; what it throws refuses the contribution.
   */
  async add(c: Contribution, authenticate?: () => Promise<void>): Promise<void> {
    const cfg = this.cfg;
    if (c.federation !== cfg.federation || c.round !== cfg.round)
      throw new WrongRoundError(
        `contribution for ${c.federation}#${c.round}, this round is ${cfg.federation}#${cfg.round}`,
      );
    validateClientId(c.clientId);
    if (this.phase !== 'collecting') throw new LateError(`contribution from ${c.clientId} after the cut-off`);
    if (this.held.has(c.clientId) || this.pending.has(c.clientId))
      throw new DuplicateError(`second contribution from ${c.clientId} in round ${cfg.round}`);
    if (this.held.size + this.pending.size >= cfg.nMax)
      throw new CapacityError(
        `round ${cfg.round} already holds n_max = ${cfg.nMax} contributions; more would break the decoding budget`,
      );
    const [y1, y2] = c.masked;
    if (
      !(y1 instanceof Uint32Array) ||
      !(y2 instanceof Uint32Array) ||
      y1.length !== cfg.length ||
      y2.length !== cfg.length
    ) {
      throw new MalformedInputError(
        `masked vector of ${c.clientId} must be two Uint32Arrays of ${cfg.length} residues`,
      );
    }
    if (!(c.ephemeralPublic instanceof Uint8Array) || c.ephemeralPublic.length !== 32)
      throw new MalformedInputError(`ephemeral key of ${c.clientId} must be 32 bytes`);
    const sealedLen = sliceLength(cfg.committee) * 4 + 16;
    if (
      c.sealed.length !== cfg.committee.m ||
      c.sealed.some((s) => !(s instanceof Uint8Array) || s.length !== sealedLen)
    ) {
      throw new MalformedInputError(`${c.clientId} must send ${cfg.committee.m} sealed slices of ${sealedLen} bytes`);
    }
    this.pending.add(c.clientId);
    try {
      if (authenticate) await authenticate();
      const digest = await contributionDigest(c.ephemeralPublic, c.sealed, this.hasher);
      const sumY = await this.accumulator();
      if (this.phase !== 'collecting') throw new LateError(`contribution from ${c.clientId} after the cut-off`);
      // Additions without a reduction per element, reduced once when unmasking. The range check
      // rides along; an unreduced residue rolls the addition back exactly (integer sums).
      for (const k of [0, 1] as const) {
        if (!sumY.add(k, c.masked[k])) {
          if (k === 1) sumY.subtract(0, c.masked[0]);
          throw new MalformedInputError(`masked vector of ${c.clientId} has a residue not reduced mod q${k + 1}`);
        }
      }
      this.held.set(c.clientId, { ephemeralPublic: c.ephemeralPublic, sealed: c.sealed, digest });
      const size = 8 * cfg.length;
      if (this.retainedBytes + size <= this.retainBytes) {
        this.retained.set(c.clientId, c.masked);
        this.retainedBytes += size;
      }
    } finally {
      this.pending.delete(c.clientId);
    }
  }

  /** Fixes S and returns each member's job. Contributions arriving later are refused as late. */
  closeContributions(): CutOff {
    if (this.phase !== 'collecting') throw new LateError('the contribution phase is already closed');
    if (this.held.size === 0) {
      this.phase = 'failed';
      throw new ThresholdError(0, 1, 'no trainer contributed');
    }
    this.phase = 'committee';
    return this.cutFor([...this.held.keys()].sort(compareIds));
  }

  /** The sealed slice a trainer addressed to member j (for the evidence of a complaint), if held. */
  sealedOf(clientId: string, memberIndex: number): Uint8Array | undefined {
    return this.held.get(clientId)?.sealed[memberIndex - 1];
  }

  /** Whether `clientId` could be left out after the cut-off (its y was kept). */
  canExclude(clientId: string): boolean {
    return this.retained.has(clientId) && this.held.has(clientId);
  }

  /**
   * Leaves convicted trainers out after the cut-off (docs/protocol.md §25): subtracts their y from
   * Σy, drops their slices, forgets the answers for the old S and returns the new jobs. Throws
   * (changing nothing) if one of them is not a survivor or its y was not kept.
   */
  exclude(clientIds: readonly string[]): CutOff {
    if (this.phase !== 'committee') throw new LateError(`cannot leave trainers out in phase ${this.phase}`);
    for (const id of clientIds)
      if (!this.canExclude(id))
        throw new CapacityError(
          `${id} cannot be left out of round ${this.cfg.round}: it is not a survivor or its masked vector was not kept (retainBytes)`,
        );
    for (const id of new Set(clientIds)) {
      const y = this.retained.get(id) as Residues;
      const sumY = this.sumY as Accumulator; // a retained y was accumulated
      sumY.subtract(0, y[0]);
      sumY.subtract(1, y[1]);
      this.retained.delete(id);
      this.held.delete(id);
    }
    this.answers.clear();
    return this.cutFor([...this.held.keys()].sort(compareIds));
  }

  private cutFor(ids: readonly string[]): CutOff {
    const survivors = ids.map((clientId) => ({ clientId, digest: (this.held.get(clientId) as Held).digest }));
    const hS = survivorHash({ federation: this.cfg.federation, round: this.cfg.round }, survivors);
    const jobs = Array.from({ length: this.cfg.committee.m }, (_, j): CommitteeJob => ({
      federation: this.cfg.federation,
      round: this.cfg.round,
      memberIndex: j + 1,
      survivors,
      survivorHash: hS,
      slots: ids.map((clientId) => {
        const h = this.held.get(clientId) as Held;
        return { clientId, ephemeralPublic: h.ephemeralPublic, sealed: h.sealed[j] as Uint8Array };
      }),
    }));
    this.cut = { survivors, survivorHash: hS, jobs };
    // The slices are in the jobs now; the aggregator keeps only what unmasking needs.
    return this.cut;
  }

  /** Records one committee answer; refuses wrong rounds, duplicates, late answers and a wrong H_S. */
  receive(r: CommitteeResponse): void {
    this.check(r);
    this.answers.set(r.memberIndex, r);
  }

  /** The checks `receive` makes, without recording the answer (a caller may authenticate in between). */
  check(r: CommitteeResponse): void {
    const cfg = this.cfg;
    if (r.federation !== cfg.federation || r.round !== cfg.round)
      throw new WrongRoundError(`answer for ${r.federation}#${r.round}, this round is ${cfg.federation}#${cfg.round}`);
    if (this.phase === 'collecting')
      throw new MalformedInputError(`answer from member ${r.memberIndex} before the cut-off`);
    if (this.phase !== 'committee')
      throw new LateError(`answer from member ${r.memberIndex} after the round ${this.phase}`);
    if (!Number.isSafeInteger(r.memberIndex) || r.memberIndex < 1 || r.memberIndex > cfg.committee.m)
      throw new MalformedInputError(`member index ${r.memberIndex} outside 1..${cfg.committee.m}`);
    if (this.answers.has(r.memberIndex)) throw new DuplicateError(`second answer from member ${r.memberIndex}`);
    if (!(r.survivorHash instanceof Uint8Array) || !bytesEqual(r.survivorHash, (this.cut as CutOff).survivorHash)) {
      throw new SurvivorSetError(`member ${r.memberIndex} answered for a different survivor set`);
    }
    if (!(r.sum instanceof Uint32Array) || r.sum.length !== sliceLength(cfg.committee))
      throw new MalformedInputError(`answer of member ${r.memberIndex} has the wrong length`);
  }

  get answered(): number {
    return this.answers.size;
  }

  /** True once t_rec consistent answers are in. */
  get ready(): boolean {
    return this.answers.size >= this.cfg.committee.tRec;
  }

  /**
   * Unmasks Σx. With fewer than t_rec answers the round fails (ThresholdError) and nothing is
   * output. With n answers, up to ⌊(n − t_rec)/2⌋ wrong ones are corrected and named; more wrong
   * answers than that are detected (InconsistentSharesError) whenever n > t_rec (§14.1).
   */
  async unmask(): Promise<UnmaskResult> {
    if (this.phase !== 'committee') throw new LateError(`cannot unmask in phase ${this.phase}`);
    const need = this.cfg.committee.tRec;
    if (this.answers.size < need) {
      this.phase = 'failed';
      throw new ThresholdError(this.answers.size, need);
    }
    try {
      this.ring ??= expandPublicRing(
        this.cfg.publicSeed,
        { federation: this.cfg.federation, round: this.cfg.round },
        this.cfg.length,
      );
      const { sum, faulty, used, checked } = unmaskAnswers(
        this.cfg,
        this.maskedSum(),
        [...this.answers.values()],
        await this.ring,
      );
      this.phase = 'unmasked';
      return {
        sum,
        survivors: (this.cut as CutOff).survivors.map((s) => s.clientId),
        members: used,
        faulty,
        checked,
      };
    } catch (e) {
      this.phase = 'failed';
      throw e;
    }
  }

  /** Σy over the current survivor set, reduced mod q1 and q2 (what unmasking starts from; §14 step 2). */
  maskedSum(): Residues {
    const acc = this.sumY; // created with the first contribution
    if (!acc) return [new Uint32Array(this.cfg.length), new Uint32Array(this.cfg.length)];
    return [acc.reduce(0), acc.reduce(1)];
  }

  /** The answers recorded for the current job, by member index (for the round's transcript). */
  answersGiven(): CommitteeResponse[] {
    return [...this.answers.values()].sort((a, b) => a.memberIndex - b.memberIndex);
  }
}

/**
 * Unmasking itself (docs/protocol.md §14), a pure function of public data: Σŝ reconstructed
 * robustly from the answers (§14.1), then the aggregate mask removed from the reduced Σy. The
 * server's aggregator and the auditor (src/audit/) call this one function, so an audit
 * recomputes exactly what the server decoded.
 */
export function unmaskAnswers(
  cfg: RoundConfig,
  sumY: Residues,
  answers: readonly CommitteeResponse[],
  ring: PublicRing,
): { sum: Float64Array; faulty: readonly number[]; used: readonly number[]; checked: boolean } {
  const shares = [...answers]
    .sort((a, b) => a.memberIndex - b.memberIndex)
    .map((r) => ({ index: r.memberIndex, values: r.sum }));
  const { secrets: sumS, faulty, used, checked } = robustReconstruct(shares, cfg.committee);
  const sum = removeMask(sumY, sumS, ring, cfg.delta, cfg.length);
  return { sum, faulty, used, checked };
}
