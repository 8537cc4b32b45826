/**
 * The CryptoRunner that does the protocol's arithmetic on the calling thread: Node's headless
 * participants, the simulator and the tests (the browser uses worker-crypto.ts instead).
 */
import { answerJob, buildContribution } from '../../secagg/index.js';
import { privatizeUpdate } from '../privacy.js';
import type { CryptoRunner } from './types.js';

export const inProcessCrypto: CryptoRunner = {
  contribute: (cfg, clientId, update) => buildContribution(cfg, clientId, update),
  privatize: async (update, params, seed) => privatizeUpdate(update, params, seed),
  answer: (cfg, job, me, policy) => answerJob(cfg, job, me, policy),
};
