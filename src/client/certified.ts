/**
 * A participant's side of a certified federation (docs/protocol.md §23–§24), kept apart from
 * the engine's state machine: enrollment with the pinned authority, presence renewals of a
 * volunteer, the checks before speaking (the committee, a job's contributions, a result's signed
 * H_S) and the signatures on what it sends. The engine calls it at each step; it holds the
 * credentials, the certificate cache and the current round's descriptor digest.
 */
import { type SigningKeyPair, createSigningKey, signAsync } from '../cert/sign.js';
import { answerBytes, complaintBytes, contributionBytes, digest } from '../cert/statements.js';
import type { ContributionDigests, MemberIdentity, SliceFault } from '../secagg/index.js';
import { descriptorDigest } from '../wire/digest.js';
import { participantIdOf } from '../wire/ids.js';
import type { ComplaintMsg, JobMsg, ResultMsg, RoundMsg, WireCertificate } from '../wire/messages.js';
import { checkRetry } from './retry.js';
import { type Credentials, EnrollError, announcePresence, enroll } from './enroll.js';
import { type CertCache, VerifyError, checkAttestations, checkCommittee, checkJob } from './verify.js';

export interface CertifiedOptions {
  /** Where the authority answers, and the keys this participant pins. */
  readonly authority: { readonly url: string; readonly keys: readonly Uint8Array[] };
  readonly token: string;
  readonly identity: MemberIdentity;
  readonly signing?: SigningKeyPair;
  readonly train: boolean;
  readonly committee: boolean;
  readonly presenceMs?: number;
}

export class CertifiedParticipant {
  private credentials: Credentials | undefined;
  private readonly cache: CertCache = new Set();
  private digest: Uint8Array | undefined;
  private answeredHS: Uint8Array | undefined;
  private presenceTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly o: CertifiedOptions) {}

  private get trust(): { authorities: readonly Uint8Array[] } {
    return { authorities: this.o.authority.keys };
  }

  /** The certificate the join carries, once enrolled. */
  get certificate(): WireCertificate | undefined {
    return this.credentials?.certificate as WireCertificate | undefined;
  }

  /** Enrolls (throws EnrollError / CertificateError); the same signing key on every attempt. */
  async enroll(): Promise<void> {
    const o = this.o;
    this.credentials = await enroll({
      url: o.authority.url,
      token: o.token,
      identity: o.identity,
      signing: o.signing ?? this.credentials?.signing ?? createSigningKey(),
      roles: [...(o.train ? (['trainer'] as const) : []), ...(o.committee ? (['member'] as const) : [])],
      participantId: participantIdOf(o.identity.publicKey),
      trust: this.trust,
    });
  }

  /**
   * A volunteer tells the authority it is present while it runs, so the authority may draw it:
   * now, then every presenceMs while `connected()` (a volunteer the server cannot reach should not
   * be drawn).
   */
  keepPresent(connected: () => boolean, failed: (message: string) => void, first = true): void {
    const creds = this.credentials;
    if (!creds || !this.o.committee) return;
    if (first || connected())
      announcePresence(this.o.authority.url, creds).catch((e: unknown) => failed(`presence not renewed: ${String(e)}`));
    this.presenceTimer = setTimeout(() => this.keepPresent(connected, failed, false), this.o.presenceMs ?? 10_000);
  }

  stopPresence(): void {
    clearTimeout(this.presenceTimer);
  }

  /** A new round: a trainer checks the committee; everyone keeps the descriptor digest. Throws VerifyError. */
  async beginRound(m: RoundMsg): Promise<void> {
    this.digest = undefined;
    this.answeredHS = undefined;
    if (m.role === 'trainer') await checkCommittee(m, this.trust, this.cache);
    this.digest = descriptorDigest(m);
  }

  private require(): { creds: Credentials; digest: Uint8Array } {
    if (!this.credentials || !this.digest)
      throw new EnrollError('AUTHORITY_REFUSED', 'not enrolled, or the round was not checked');
    return { creds: this.credentials, digest: this.digest };
  }

  /** The signature of the contribution statement (docs/protocol.md §23). */
  signContribution(
    c: { federation: string; round: number; ephemeralPublic: Uint8Array },
    digests: ContributionDigests,
  ): Promise<Uint8Array> {
    const { creds, digest: d } = this.require();
    const statement = contributionBytes({
      federation: c.federation,
      round: c.round,
      descriptorDigest: d,
      maskedDigest: digests.masked,
      ephemeralPublic: c.ephemeralPublic,
      sliceDigests: digests.slices,
      keyCommitments: digests.keys,
    });
    return signAsync(creds.signing.secretKey, statement);
  }

  /** The member's checks of its job (throws VerifyError naming what failed). */
  async checkJob(m: RoundMsg, j: JobMsg): Promise<void> {
    const { digest: d } = this.require();
    await checkJob(m, j, d, this.trust, this.cache);
  }

  /**
   * A re-issued job (docs/protocol.md §25): checks the evidence against every excluded trainer
   * and returns the H_S of the job it replaces. Throws VerifyError UNPROVEN_EXCLUSION.
   */
  async checkRetry(m: RoundMsg, j: JobMsg): Promise<Uint8Array> {
    const { digest: d } = this.require();
    return checkRetry(m, j, d, this.trust, this.cache);
  }

  /** The member's signed complaint about the slices it could not use, sent instead of an answer. */
  async complaint(
    r: { federation: string; round: number; memberIndex: number; survivorHash: Uint8Array },
    faults: readonly SliceFault[],
  ): Promise<ComplaintMsg> {
    const { creds } = this.require();
    const wire = faults.map((f) => ({ id: f.clientId, kind: f.kind, ...(f.okm ? { okm: f.okm } : {}) }));
    const statement = complaintBytes({
      federation: r.federation,
      round: r.round,
      memberIndex: r.memberIndex,
      survivorHash: r.survivorHash,
      faults: wire.map((f) => ({ trainer: f.id, kind: f.kind, key: f.okm ?? new Uint8Array(0) })),
    });
    const sig = await signAsync(creds.signing.secretKey, statement);
    return { t: 'complaint', round: r.round, memberIndex: r.memberIndex, hS: r.survivorHash, faults: wire, sig };
  }

  /** The signature of the answer statement; remembers the H_S for the result's check. */
  signAnswer(
    r: { federation: string; round: number; memberIndex: number; survivorHash: Uint8Array },
    sum: Uint8Array,
  ): Promise<Uint8Array> {
    const { creds } = this.require();
    this.answeredHS = r.survivorHash;
    const statement = answerBytes({
      federation: r.federation,
      round: r.round,
      memberIndex: r.memberIndex,
      survivorHash: r.survivorHash,
      answerDigest: digest(sum),
    });
    return signAsync(creds.signing.secretKey, statement);
  }

  /** Split view: the members' signed H_S values of a result must verify and agree. Throws VerifyError. */
  async checkResult(m: RoundMsg, r: ResultMsg): Promise<void> {
    if (r.ok && !r.attestations?.length)
      throw new VerifyError('SPLIT_VIEW', `round ${r.round} ended without the members' signed answers`);
    await checkAttestations(m, r.attestations ?? [], this.answeredHS);
  }
}
