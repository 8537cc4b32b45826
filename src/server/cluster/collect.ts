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

/**
 * Every current value under a key pattern, read in one pass (a watcher's initial snapshot, not
 * one request per key: a round of 10^5 trainers has 10^5 claims).
 */
export async function snapshot(kv: KV, pattern: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  let any = false;
  for await (const k of await kv.keys(pattern)) {
    any = !!k || any;
    if (any) break;
  }
  if (!any) return out;
  const w = await kv.watch({ key: pattern, ignoreDeletes: false });
  for await (const e of w) {
    if (e.operation === 'PUT') out.set(e.key, e.value);
    else out.delete(e.key);
    if (e.delta === 0) break;
  }
  w.stop();
  return out;
}

export async function committedPartials(kv: KV, round: number): Promise<{ valid: PartialSum[]; void: number }> {
  const partials = [...(await snapshot(kv, `p.${round}.>`)).entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  const claims = await snapshot(kv, `c.${round}.>`);
  const valid: PartialSum[] = [];
  let voided = 0;
  for (const [, value] of partials) {
    const p = decodePartial(value);
    const batch = p.partial.slice(0, p.partial.lastIndexOf('-'));
    const ours = p.covers.every((c) => {
      const claim = claims.get(claimKey(round, c.id));
      return claim !== undefined && dec.decode(claim) === batch;
    });
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
