/**
 * The committee draw (docs/protocol.md §24), where the aggregation server has no say: volunteers
 * tell the authority themselves that they are present (a statement signed with their certified
 * key, renewed while they run), and the authority draws each epoch's committee uniformly
 * (crypto.randomInt Fisher–Yates) from the volunteers present now, then signs the list.
 *
 * The server may ask for the current committee at any time, but a fresh draw only once per
 * `minEpochMs` (the last draw is returned until then), so it cannot re-draw until it likes the
 * committee; and it cannot add or remove a volunteer from the pool.
 */
import { randomInt } from 'node:crypto';
import { type Certificate, authorityId, verifyCertificateAsync } from '../cert/certificate.js';
import { type CommitteeBody, type SignedCommittee, presenceBytes, signCommittee } from '../cert/committee.js';
import { verifySignature } from '../cert/sign.js';
import { AuthorityError, type AuthorityKeys } from './keys.js';

export interface DrawOptions {
  /** A volunteer is in the pool this long after its last presence statement (default 30 s). */
  readonly presenceTtlMs?: number;
  /** Fresh draws at most this often (default 30 s). */
  readonly minEpochMs?: number;
  /** How long a drawn committee may be used (default 10 min). */
  readonly epochMs?: number;
  /** Largest clock difference accepted in a presence statement (default 60 s). */
  readonly skewMs?: number;
}

export interface Scheme {
  readonly m: number;
  readonly tRec: number;
  readonly rho: number;
}

export class CommitteeDraw {
  private readonly present = new Map<string, { cert: Certificate; lastSeen: number }>();
  private readonly verified = new Set<string>();
  private current: SignedCommittee | undefined;
  private lastDrawAt = -Infinity;
  private epoch = 0;

  constructor(
    private readonly keys: AuthorityKeys,
    private readonly federation: string,
    private readonly opts: DrawOptions = {},
  ) {}

  private ttl(): number {
    return this.opts.presenceTtlMs ?? 30_000;
  }

  /** Records a volunteer's signed presence; throws an AuthorityError when it does not check. */
  async presence(cert: Certificate, time: number, signature: Uint8Array, now: number): Promise<void> {
    if (Math.abs(now - time) > (this.opts.skewMs ?? 60_000))
      throw new AuthorityError('BAD_ENROLLMENT', 'the presence statement is not from now (check the clock)');
    try {
      const pins = [this.keys.signPublic, ...this.keys.retired.map((r) => r.publicKey)];
      await verifyCertificateAsync(
        cert,
        { authorities: pins, federation: this.federation, role: 'member', now },
        this.verified,
      );
    } catch (e) {
      throw new AuthorityError('BAD_ENROLLMENT', `presence refused: ${e instanceof Error ? e.message : String(e)}`);
    }
    const id = cert.body.participantId;
    if (!(await verifySignature(cert.body.signKey, presenceBytes(this.federation, id, time), signature)))
      throw new AuthorityError('BAD_ENROLLMENT', 'the presence statement is not signed by the certified key');
    this.present.set(id, { cert, lastSeen: now });
  }

  private pool(now: number): Certificate[] {
    const out: Certificate[] = [];
    for (const [id, p] of this.present) {
      if (now - p.lastSeen > this.ttl() || now >= p.cert.body.notAfter) this.present.delete(id);
      else out.push(p.cert);
    }
    return out;
  }

  /**
   * The committee for `scheme`: the current one while it is valid, has this scheme and (unless a
   * fresh one is asked for) all its members are present; otherwise a fresh uniform draw, at most
   * once per minEpochMs (until then the last one, even if stale).
   */
  committee(scheme: Scheme, now: number, fresh = false): SignedCommittee {
    const c = this.current;
    const pool = this.pool(now);
    const reusable =
      c !== undefined &&
      now < c.body.notAfter &&
      c.body.m === scheme.m &&
      c.body.tRec === scheme.tRec &&
      c.body.rho === scheme.rho;
    const allPresent = reusable && c.body.members.every((x) => this.present.has(x.participantId));
    if (reusable && allPresent && !fresh) return c;
    if (c && now - this.lastDrawAt < (this.opts.minEpochMs ?? 30_000)) {
      if (reusable) return c;
      throw new AuthorityError(
        'RATE_LIMITED',
        `a fresh committee can be drawn ${Math.ceil(((this.opts.minEpochMs ?? 30_000) - (now - this.lastDrawAt)) / 1000)} s from now`,
      );
    }
    if (pool.length < scheme.m)
      throw new AuthorityError(
        'TOO_FEW_VOLUNTEERS',
        `${pool.length} certified volunteer(s) present at the authority, ${scheme.m} needed`,
      );
    const a = [...pool];
    for (let i = a.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [a[i], a[j]] = [a[j] as Certificate, a[i] as Certificate];
    }
    const body: CommitteeBody = {
      federation: this.federation,
      epoch: ++this.epoch,
      notBefore: now - 60_000,
      notAfter: now + (this.opts.epochMs ?? 600_000),
      m: scheme.m,
      tRec: scheme.tRec,
      rho: scheme.rho,
      members: a.slice(0, scheme.m).map((x) => ({ participantId: x.body.participantId, sealKey: x.body.sealKey })),
      pool: pool.length,
      authority: authorityId(this.keys.signPublic),
    };
    this.lastDrawAt = now;
    this.current = signCommittee(this.keys.signSecret, body);
    return this.current;
  }
}
