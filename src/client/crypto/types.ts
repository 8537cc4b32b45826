/**
 * The protocol work a participant does, behind an interface so the browser can run it in a
 * Web Worker (worker-crypto.ts over crypto.worker.ts) while Node runs it in process
 * (in-process.ts). The main thread never does the protocol's arithmetic in the browser.
 */
import type {
  CommitteeJob,
  CommitteeResponse,
  Contribution,
  ContributionDigests,
  MemberIdentity,
  MemberPolicy,
  RoundConfig,
  TrainerTimings,
} from '../../secagg/index.js';

export interface CryptoRunner {
  contribute(
    cfg: RoundConfig,
    clientId: string,
    update: Int32Array,
  ): Promise<{ contribution: Contribution; timings: TrainerTimings; digests: ContributionDigests }>;
  /** The member's answer; `policy` is the member's own (minimum survivor set), never the server's. */
  answer(cfg: RoundConfig, job: CommitteeJob, me: MemberIdentity, policy?: MemberPolicy): Promise<CommitteeResponse>;
}
