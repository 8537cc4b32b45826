/**
 * The server's side of verifiable complaints (docs/protocol.md §25): it checks each member's
 * signed complaint as it arrives (a complaint that claims a proof it does not carry is refused,
 * `BAD_COMPLAINT`), keeps them for the survivor set they name, and decides which trainers are
 * convicted with the same function every member uses before it answers a re-issued job
 * (src/wire/evidence.ts). It never decides on its own say-so: what it cannot prove to the
 * members, the members refuse.
 */
import { verifySignature } from '../cert/sign.js';
import { DuplicateError, SurvivorSetError, bytesEqual, sliceLength } from '../secagg/index.js';
import {
  type EvidenceContext,
  EvidenceError,
  complaintSignatureValid,
  convicted,
  faultProven,
} from '../wire/evidence.js';
import type { ComplaintMsg, SignedComplaint, WireCertificate, WireExcluded } from '../wire/messages.js';
import type { RoundConfig } from '../secagg/index.js';
import { Refusal } from './refusal.js';
import type { SignedContribution } from './signed.js';

/** What the desk needs of the round: its trainers' signed data and their sealed slices. */
export interface ComplaintSource {
  signedOf(clientId: string): SignedContribution | undefined;
  ephemeralOf(clientId: string): Uint8Array | undefined;
  sealedOf(clientId: string, memberIndex: number): Uint8Array | undefined;
}

export interface Conviction {
  readonly id: string;
  readonly how: 'proven' | 'attested';
  readonly evidence: WireExcluded;
}

export class ComplaintDesk {
  private readonly ctx: EvidenceContext;
  private readonly byMember = new Map<number, SignedComplaint>();
  private hS: Uint8Array = new Uint8Array(32);
  private survivors = new Set<string>();

  constructor(
    cfg: RoundConfig,
    descriptorDigest: Uint8Array,
    memberCerts: readonly WireCertificate[],
    private readonly source: ComplaintSource,
  ) {
    this.ctx = {
      federation: cfg.federation,
      round: cfg.round,
      m: cfg.committee.m,
      tRec: cfg.committee.tRec,
      rho: cfg.committee.rho,
      sliceResidues: sliceLength(cfg.committee),
      descriptorDigest,
      memberCerts,
      // The server admitted only certified trainers (registry.ts); members check again themselves.
      checkTrainerCert: () => Promise.resolve(),
      verify: verifySignature,
    };
  }

  /** A new job (the cut-off, or a re-issue): complaints are about one survivor set. */
  reset(hS: Uint8Array, survivors: readonly string[]): void {
    this.hS = hS;
    this.survivors = new Set(survivors);
    this.byMember.clear();
  }

  get count(): number {
    return this.byMember.size;
  }

  get complaints(): SignedComplaint[] {
    return [...this.byMember.values()].sort((a, b) => a.memberIndex - b.memberIndex);
  }

  /** The evidence about one trainer: its signed data and the slices that complaints reveal keys for. */
  evidenceOf(id: string): WireExcluded | undefined {
    const signed = this.source.signedOf(id);
    const eph = this.source.ephemeralOf(id);
    if (!signed || !eph) return undefined;
    const sealed: { memberIndex: number; sealed: Uint8Array }[] = [];
    for (const c of this.byMember.values())
      if (c.faults.some((f) => f.id === id && f.okm)) {
        const s = this.source.sealedOf(id, c.memberIndex);
        if (s) sealed.push({ memberIndex: c.memberIndex, sealed: s });
      }
    const { cert, sig, masked, slices, keys } = signed;
    return { id, eph, signed: { cert, sig, masked, slices: [...slices], keys: [...keys] }, sealed };
  }

  /** Checks and keeps one member's complaint (typed refusals; nothing is kept then). */
  async add(msg: ComplaintMsg): Promise<void> {
    const c: SignedComplaint = { memberIndex: msg.memberIndex, hS: msg.hS, faults: msg.faults, sig: msg.sig };
    if (this.byMember.has(c.memberIndex)) throw new DuplicateError(`second complaint from member ${c.memberIndex}`);
    if (!bytesEqual(c.hS, this.hS))
      throw new SurvivorSetError(`member ${c.memberIndex} complained about a different survivor set`);
    const named = new Set<string>();
    for (const f of c.faults) {
      if (!this.survivors.has(f.id) || named.has(f.id))
        throw new Refusal('BAD_COMPLAINT', `the complaint names ${f.id}, not a survivor of this job (or twice)`);
      named.add(f.id);
      if ((f.kind === 'key') !== (f.okm === undefined))
        throw new Refusal(
          'BAD_COMPLAINT',
          `a '${f.kind}' fault ${f.kind === 'key' ? 'reveals no key' : 'must reveal its slice key'}`,
        );
    }
    if (!(await complaintSignatureValid(this.ctx, c)))
      throw new Refusal(
        'BAD_SIGNATURE',
        `the complaint's signature does not verify under member ${c.memberIndex}'s key`,
      );
    // A claimed proof must hold, or the member is lying about an honest trainer's slice.
    this.byMember.set(c.memberIndex, c);
    for (const f of c.faults) {
      if (f.kind === 'key') continue;
      const ex = this.evidenceOf(f.id);
      if (!ex || !(await faultProven(this.ctx, ex, c.memberIndex, f.okm))) {
        this.byMember.delete(c.memberIndex);
        throw new Refusal(
          'BAD_COMPLAINT',
          `member ${c.memberIndex}'s complaint about ${f.id} proves nothing: its slice opens under the key the trainer committed to`,
        );
      }
    }
  }

  /** The trainers the complaints convict, each with its evidence, in survivor order. */
  async convictions(): Promise<Conviction[]> {
    const named = new Set<string>();
    for (const c of this.byMember.values()) for (const f of c.faults) named.add(f.id);
    const out: Conviction[] = [];
    const complaints = this.complaints;
    for (const id of [...named].sort()) {
      const evidence = this.evidenceOf(id);
      if (!evidence) continue;
      try {
        const how = await convicted(this.ctx, this.hS, evidence, complaints, false);
        out.push({ id, how, evidence });
      } catch (e) {
        if (!(e instanceof EvidenceError)) throw e;
      }
    }
    return out;
  }
}
