/**
 * The protocol work a participant does, behind an interface so the browser can run it in a
 * Web Worker (worker-crypto.ts over crypto.worker.ts) while Node runs it in process
 * (in-process.ts). The main thread never does the protocol's arithmetic in the browser.
 */
import type {
  CommitteeJob,
  CommitteeResponse,
  Contribution,
  MemberIdentity,
  RoundConfig,
  TrainerTimings,
} from '../../secagg/index.js';

export interface CryptoRunner {
  contribute(
    cfg: RoundConfig,
    clientId: string,
    update: Int32Array,
  ): Promise<{ contribution: Contribution; timings: TrainerTimings }>;
  answer(cfg: RoundConfig, job: CommitteeJob, me: MemberIdentity): Promise<CommitteeResponse>;
}
