/**
 * The audit of trainers left out after complaints (docs/protocol.md §25, docs/transcript.md §6):
 * each re-issue must replace the survivor set the round had at that point, and each trainer it
 * left out must be convicted by the members' signed complaints for that set — decided by the same
 * function the server and every member use (src/wire/evidence.ts `convicted`), with the trainer's
 * certificate checked under the auditor's own pinned authorities.
 */
import { bytesEqual } from '../base/bytes.js';
import { verifyCertificateAsync } from '../cert/certificate.js';
import { verifySignature } from '../cert/sign.js';
import { sliceLength, survivorHash } from '../secagg/index.js';
import { type EvidenceContext, convicted } from '../wire/evidence.js';
import type { SecureRoundConfig } from '../wire/messages.js';
import type { Transcript } from '../wire/transcript.js';
import { fail } from './findings.js';

export async function checkExclusions(
  t: Transcript,
  c: SecureRoundConfig,
  D: Uint8Array,
  authorities: readonly Uint8Array[],
  now: number,
): Promise<void> {
  const r = t.round;
  const reissues = t.reissues ?? [];
  const ctx: EvidenceContext = {
    federation: t.federation,
    round: r,
    m: c.committee.m,
    tRec: c.committee.tRec,
    rho: c.committee.rho,
    sliceResidues: sliceLength(c.committee),
    descriptorDigest: D,
    memberCerts: t.descriptor.memberCerts ?? [],
    checkTrainerCert: async (cert, id) => {
      if (cert.body.participantId !== id) throw new Error('the certificate names another id');
      await verifyCertificateAsync(cert, { authorities, federation: t.federation, role: 'trainer', now });
    },
    verify: verifySignature,
  };
  let current = t.cutoff?.survivors ?? [];
  const out = new Set<string>();
  for (const [k, re] of reissues.entries()) {
    const which = `re-issue ${k + 1}`;
    const same =
      re.previous.length === current.length &&
      re.previous.every(
        (x, j) => x.id === current[j]?.id && bytesEqual(x.digest, current[j]?.digest ?? new Uint8Array()),
      );
    if (!same) fail(r, 'server', 'exclusion', `${which} does not replace the survivor set the round had`);
    const hS = survivorHash(
      { federation: t.federation, round: r },
      re.previous.map((x) => ({ clientId: x.id, digest: x.digest })),
    );
    for (const ex of re.excluded) {
      try {
        await convicted(ctx, hS, ex, re.complaints);
      } catch (e) {
        fail(r, `trainer ${ex.id}`, 'exclusion', `left out unproven: ${e instanceof Error ? e.message : String(e)}`);
      }
      out.add(ex.id);
    }
    const gone = new Set(re.excluded.map((x) => x.id));
    current = current.filter((x) => !gone.has(x.id));
  }
  const named = new Set(t.excluded.map((x) => x.id));
  if (named.size !== out.size || [...named].some((id) => !out.has(id)))
    fail(r, 'server', 'exclusion', 'the trainers named as excluded are not the ones the re-issues left out');
  if (current.length !== t.survivors.length || current.some((x, j) => x.id !== t.survivors[j]?.id))
    fail(
      r,
      'server',
      'survivor-set',
      'the final S is not S at the cut-off without the trainers the re-issues left out',
    );
}
