/**
 * The committee's `job` messages (docs/protocol.md §13, §23, §25): the core's job for member j,
 * each slot with its trainer's signed data in a certified round, and — for a job re-issued after
 * complaints — the previous survivor list with the evidence against each trainer left out.
 */
import type { CommitteeJob } from '../secagg/index.js';
import type { JobMsg, SignedComplaint, WireExcluded } from '../wire/messages.js';
import type { SignedContribution } from './signed.js';

export interface Retry {
  readonly previous: JobMsg['survivors'];
  readonly excluded: readonly WireExcluded[];
  readonly complaints: readonly SignedComplaint[];
}

export function jobMessage(
  job: CommitteeJob,
  signedBy: ReadonlyMap<string, SignedContribution>,
  retry: Retry | undefined,
): JobMsg {
  return {
    t: 'job',
    round: job.round,
    memberIndex: job.memberIndex,
    survivors: job.survivors.map((s) => ({ id: s.clientId, digest: s.digest })),
    hS: job.survivorHash,
    slots: job.slots.map((s) => {
      const sc = signedBy.get(s.clientId);
      const signed = sc
        ? { signed: { cert: sc.cert, sig: sc.sig, masked: sc.masked, slices: [...sc.slices], keys: [...sc.keys] } }
        : {};
      return { id: s.clientId, eph: s.ephemeralPublic, sealed: s.sealed, ...signed };
    }),
    ...(retry
      ? {
          retry: { previous: [...retry.previous], excluded: [...retry.excluded], complaints: [...retry.complaints] },
        }
      : {}),
  };
}
