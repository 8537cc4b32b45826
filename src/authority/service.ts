/**
 * The enrollment authority (docs/protocol.md §23; docs/threat-model.md "Parties"): separate
 * from the aggregation server, it holds the Ed25519 key that signs participant certificates.
 * It checks the join token, the request's signature by the signing key it names, and the proof
 * of possession of the sealing key, then certifies federation, participant id (derived from the
 * sealing key, as the server derives it), both keys, the roles and a validity interval.
 */
import { timingSafeEqual } from 'node:crypto';
import { type Certificate, type CertRole, authorityId, issueCertificate } from '../cert/certificate.js';
import type { SignedCommittee } from '../cert/committee.js';
import { SERVER_CERTIFICATE_MS, type ServerCertificate, issueServerCertificate } from '../cert/server.js';
import { verifySignature } from '../cert/sign.js';
import { CommitteeDraw, type DrawOptions, type Scheme } from './draw.js';
import { enrollBytes } from '../cert/statements.js';
import { verifyEnrollProof } from '../secagg/index.js';
import type { AuthorityInfo, EnrollRequest } from '../wire/authority.js';
import { participantIdOf } from '../wire/ids.js';
import { type AuthorityKeys, AuthorityError } from './keys.js';

export interface AuthorityOptions extends DrawOptions {
  /** The federation this authority enrolls participants of. */
  readonly federation: string;
  /** The join token enrollment requires; undefined with `open`. */
  readonly token?: string;
  readonly open?: boolean;
  /** Certificate lifetime (default 24 h). */
  readonly certificateMs?: number;
  /** Clock (tests). */
  readonly now?: () => number;
}

export const DEFAULT_CERTIFICATE_MS = 24 * 3600_000;

export class EnrollmentAuthority {
  private readonly now: () => number;
  /** Certificates issued, by participant id (the latest). */
  readonly issued = new Map<string, Certificate>();
  /** The committee draw from the volunteers present (docs/protocol.md §24). */
  readonly draw: CommitteeDraw;

  constructor(
    readonly keys: AuthorityKeys,
    private readonly opts: AuthorityOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.draw = new CommitteeDraw(keys, opts.federation, opts);
    if (!opts.open && !opts.token)
      throw new AuthorityError('UNAUTHENTICATED', 'an authority needs a join token or open');
  }

  get federation(): string {
    return this.opts.federation;
  }

  info(): AuthorityInfo {
    return {
      federation: this.opts.federation,
      publicKey: this.keys.signPublic,
      enrollKey: this.keys.enrollPublic,
      retired: this.keys.retired.map((r) => ({ publicKey: r.publicKey, acceptUntil: r.acceptUntil })),
    };
  }

  private checkToken(token: string): void {
    if (this.opts.open) return;
    const want = Buffer.from(this.opts.token ?? '');
    const got = Buffer.from(token);
    if (want.length !== got.length || !timingSafeEqual(want, got))
      throw new AuthorityError('UNAUTHENTICATED', 'wrong join token');
  }

  /** A volunteer's signed presence (it may be drawn while it lasts). */
  presence(cert: Certificate, time: number, signature: Uint8Array): Promise<void> {
    return this.draw.presence(cert, time, signature, this.now());
  }

  /** The committee for a scheme (the current epoch's, or a fresh draw when allowed). */
  committee(scheme: Scheme, fresh = false): SignedCommittee {
    return this.draw.committee(scheme, this.now(), fresh);
  }

  /**
   * Certifies the aggregation server's signing key for this federation (docs/protocol.md §26).
   * Only the operator's own wiring calls this (in process, `npm start`; or `npm run authority --
   * --certify-server`): it is on no HTTP route, so no participant can have a key certified as
   * the server's.
   */
  certifyServer(signKey: Uint8Array): ServerCertificate {
    const now = this.now();
    return issueServerCertificate(this.keys.signSecret, {
      federation: this.opts.federation,
      signKey,
      notBefore: now - 60_000,
      notAfter: now + SERVER_CERTIFICATE_MS,
      authority: authorityId(this.keys.signPublic),
    });
  }

  async enroll(req: EnrollRequest): Promise<Certificate> {
    if (req.federation !== this.opts.federation)
      throw new AuthorityError(
        'WRONG_FEDERATION',
        `this authority enrolls federation ${this.opts.federation}, not ${req.federation}`,
      );
    this.checkToken(req.token);
    if (req.participantId !== participantIdOf(req.sealKey))
      throw new AuthorityError('BAD_ENROLLMENT', 'the participant id is not the one derived from the sealing key');
    const roles = [...new Set(req.roles)] as CertRole[];
    const bytes = enrollBytes({ ...req, roles });
    if (!(await verifySignature(req.signKey, bytes, req.signature)))
      throw new AuthorityError('BAD_ENROLLMENT', 'the request is not signed by the signing key it names');
    const k = this.keys;
    if (!(await verifyEnrollProof(k.enrollSecret, k.enrollPublic, req.sealKey, bytes, req.proof)))
      throw new AuthorityError('BAD_ENROLLMENT', 'no proof of possession of the sealing key');
    const now = this.now();
    const cert = issueCertificate(k.signSecret, {
      federation: this.opts.federation,
      participantId: req.participantId,
      sealKey: req.sealKey,
      signKey: req.signKey,
      roles,
      notBefore: now - 60_000, // a minute of clock skew
      notAfter: now + (this.opts.certificateMs ?? DEFAULT_CERTIFICATE_MS),
      authority: authorityId(k.signPublic),
    });
    this.issued.set(req.participantId, cert);
    return cert;
  }
}

/** The authority as the aggregation server beside it asks it for committees (src/server/authority-link.ts). */
export function inProcessAuthority(auth: EnrollmentAuthority): {
  committee(scheme: Scheme, fresh: boolean): Promise<SignedCommittee>;
  certifyServer(signKey: Uint8Array): Promise<ServerCertificate>;
} {
  return {
    committee: (scheme, fresh) => Promise.resolve().then(() => auth.committee(scheme, fresh)),
    certifyServer: (signKey) => Promise.resolve().then(() => auth.certifyServer(signKey)),
  };
}
