/**
 * Durable speak-once (docs/threat-model.md "Durable speak-once", docs/protocol.md §25): the
 * rounds this participant spoke in — and, for a member, the H_S of each job it answered or
 * complained about — remembered in memory and in the durable store (IndexedDB in the browser, a
 * flushed file for the Node client) before the message leaves.
 */
import { toHex } from '../secagg/index.js';
import type { AnsweredRounds } from './engine-types.js';

const roundKey = (federation: string, round: number): string => `${federation}\u0000${round}`;
const jobKey = (federation: string, round: number, hS: Uint8Array): string =>
  `${federation}\u0000${round}\u0000${toHex(hS)}`;

export class SpokenRounds {
  private readonly memory = new Set<string>();

  constructor(private readonly store: AnsweredRounds | undefined) {}

  private async has(key: string): Promise<boolean> {
    return this.memory.has(key) || (this.store !== undefined && (await this.store.has(key)));
  }

  /** Whether this participant already contributed or answered in this round. */
  spoke(federation: string, round: number): Promise<boolean> {
    return this.has(roundKey(federation, round));
  }

  /** Whether this member answered (or complained about) the job with this H_S. */
  spokeFor(federation: string, round: number, hS: Uint8Array): Promise<boolean> {
    return this.has(jobKey(federation, round, hS));
  }

  /** Remembers the round (and the job's H_S, for a member) before the message leaves. */
  async remember(federation: string, round: number, hS?: Uint8Array): Promise<void> {
    for (const key of [roundKey(federation, round), ...(hS ? [jobKey(federation, round, hS)] : [])]) {
      this.memory.add(key);
      await this.store?.add(key);
    }
  }
}
