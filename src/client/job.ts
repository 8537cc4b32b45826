/**
 * A `job` message as the core's CommitteeJob (src/secagg/member.ts): the survivor list, the
 * slots, and — in a certified round — this member's slice-key commitment of each slot
 * (docs/protocol.md §25), which the member checks the key it derives against.
 */
import type { CommitteeJob } from '../secagg/index.js';
import type { JobMsg } from '../wire/messages.js';

export function committeeJobOf(federation: string, j: JobMsg): CommitteeJob {
  return {
    federation,
    round: j.round,
    memberIndex: j.memberIndex,
    survivors: j.survivors.map((s) => ({ clientId: s.id, digest: s.digest })),
    survivorHash: j.hS,
    slots: j.slots.map((s) => ({
      clientId: s.id,
      ephemeralPublic: s.eph,
      sealed: s.sealed,
      ...(s.signed ? { keyCommitment: s.signed.keys[j.memberIndex - 1] } : {}),
    })),
  };
}
