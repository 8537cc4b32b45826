/**
 * `--pace S` (the demo's default): the headless participants take their time so that every
 * phase of a round stays on screen long enough to follow — trainers send one after another
 * over about S seconds, committee members answer one after another over about S seconds.
 * Only when they speak changes; what they send does not.
 */
import { inProcessCrypto } from '../src/client/crypto/in-process.js';
import type { CryptoRunner } from '../src/client/crypto/types.js';
import type { LocalTrainer } from '../src/client/trainers/types.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The i-th of n participants waits this long: spread over [0.25·S, S]. */
export function paceDelayMs(paceS: number, i: number, n: number): number {
  if (paceS <= 0) return 0;
  return Math.round(1000 * paceS * (0.25 + (0.75 * (i + 1)) / Math.max(1, n)));
}

/** A trainer that hands in its update `delayMs` after training. */
export function pacedTrainer(inner: LocalTrainer, delayMs: number): LocalTrainer {
  if (delayMs <= 0) return inner;
  return {
    train: async (input, progress) => {
      const out = await inner.train(input, progress);
      await sleep(delayMs);
      return out;
    },
  };
}

/** In-process crypto whose member answers come `delayMs` late. */
export function pacedCrypto(delayMs: number): CryptoRunner {
  if (delayMs <= 0) return inProcessCrypto;
  return {
    ...inProcessCrypto,
    answer: async (...args: Parameters<CryptoRunner['answer']>) => {
      const out = await inProcessCrypto.answer(...args);
      await sleep(delayMs);
      return out;
    },
  };
}
