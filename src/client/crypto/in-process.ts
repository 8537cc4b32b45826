/**
 * The protocol work a participant does, behind an interface so the browser can run it in a
 * Web Worker (crypto.worker.ts) while Node runs it in process. The main thread never does the
 * protocol's arithmetic in the browser.
 */
import {
  type CommitteeJob,
  type CommitteeResponse,
  type Contribution,
  type MemberIdentity,
  type RoundConfig,
  type TrainerTimings,
  answerJob,
  buildContribution,
} from '../../secagg/index.js';

export interface CryptoRunner {
  contribute(cfg: RoundConfig, clientId: string, update: Int32Array): Promise<{ contribution: Contribution; timings: TrainerTimings }>;
  answer(cfg: RoundConfig, job: CommitteeJob, me: MemberIdentity): Promise<CommitteeResponse>;
}

export const inProcessCrypto: CryptoRunner = {
  contribute: (cfg, clientId, update) => buildContribution(cfg, clientId, update),
  answer: (cfg, job, me) => answerJob(cfg, job, me),
};
