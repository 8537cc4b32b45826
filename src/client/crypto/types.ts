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
import type { DpRoundParams } from '../../dp/round.js';

export interface CryptoRunner {
  contribute(
    cfg: RoundConfig,
    clientId: string,
    update: Int32Array,
  ): Promise<{ contribution: Contribution; timings: TrainerTimings; digests: ContributionDigests }>;
  /** A DP round's privatized update (docs/dp.md §12): d integers with this trainer's noise share. */
  privatize(update: Float32Array, params: DpRoundParams, seed: Uint8Array): Promise<Int32Array>;
  /** The member's answer; `policy` is the member's own (minimum survivor set), never the server's. */
  answer(cfg: RoundConfig, job: CommitteeJob, me: MemberIdentity, policy?: MemberPolicy): Promise<CommitteeResponse>;
}
