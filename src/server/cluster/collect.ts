/**
 * The coordinator's view of a round's aggregation (docs/cluster.md §4): the committed partial
 * sums that count — those whose every contribution's claim still names them — merged into the
 * round's Σy with the exact list of contributions it covers (the survivor set S is that list).
 * Partials whose claims were taken over are void and ignored; the ones that count are disjoint by
 * construction, and mergePartials refuses any overlap all the same.
 */
import type { KV } from '@nats-io/kv';
import { type Covered, type PartialSum, decodePartial, mergePartials } from './partial.js';
import { claimKey } from './stream.js';

const dec = new TextDecoder();

export interface RoundAggregate {
  readonly covers: Covered[];
  readonly y: [Uint32Array, Uint32Array];
  /** Committed partials counted, and void ones ignored. */
  readonly partials: number;
  readonly void: number;
}

export async function committedPartials(kv: KV, round: number): Promise<{ valid: PartialSum[]; void: number }> {
  const keys: string[] = [];
  for await (const k of await kv.keys(`p.${round}.>`)) keys.push(k);
  keys.sort();
  const valid: PartialSum[] = [];
  let voided = 0;
  for (const k of keys) {
    const e = await kv.get(k);
    if (!e || e.operation !== 'PUT') continue;
    const p = decodePartial(e.value);
    const batch = p.partial.slice(0, p.partial.lastIndexOf('-'));
    let ours = true;
    for (const c of p.covers) {
      const claim = await kv.get(claimKey(round, c.id));
      if (!claim || dec.decode(claim.value) !== batch) {
        ours = false;
        break;
      }
    }
    if (ours) valid.push(p);
    else voided++;
  }
  return { valid, void: voided };
}

/** Σy and S of a round from its committed partials; undefined when none is committed. */
export async function roundAggregate(kv: KV, round: number, length: number): Promise<RoundAggregate | undefined> {
  const { valid, void: voided } = await committedPartials(kv, round);
  if (!valid.length) return undefined;
  const { covers, y } = mergePartials(length, valid);
  return { covers, y, partials: valid.length, void: voided };
}
