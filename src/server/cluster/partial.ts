/**
 * Partial sums of masked vectors (docs/cluster.md §3): what an aggregation worker commits — Σy
 * over the contributions it covers, reduced mod q1 and q2 and packed as 26-bit residues, with
 * the exact list of those contributions (client id and stream sequence). Masked vectors add
 * mod q, so partial sums of disjoint sets add up to the round's Σy in any order.
 */
import { decode, encode } from '@msgpack/msgpack';
import { CodedError } from '../../base/error.js';
import { PRIMES } from '../../secagg/field.js';
import { packResidues, unpackResidues } from '../../secagg/packing.js';

export class PartialSumError extends CodedError<'BAD_PARTIAL' | 'DOUBLE_COUNT'> {}

export interface Covered {
  /** The trainer's client id. */
  readonly id: string;
  /** The contribution's sequence number in the stream. */
  readonly seq: number;
}

export interface PartialSum {
  readonly round: number;
  readonly length: number;
  /** Unique id of this partial (the claims of its contributions name it). */
  readonly partial: string;
  readonly worker: string;
  readonly covers: readonly Covered[];
  /** Σy mod q1 and mod q2. */
  readonly y: readonly [Uint32Array, Uint32Array];
}

/** A running Σy: unreduced doubles, exact while count·q < 2^53 (reduced every 2^26 additions). */
export class SumAccumulator {
  private readonly acc: [Float64Array, Float64Array];
  private count = 0;

  constructor(readonly length: number) {
    this.acc = [new Float64Array(length), new Float64Array(length)];
  }

  add(y1: Uint32Array, y2: Uint32Array): void {
    if (y1.length !== this.length || y2.length !== this.length)
      throw new PartialSumError(
        'BAD_PARTIAL',
        `a vector of ${y1.length}/${y2.length} residues for length ${this.length}`,
      );
    const [a1, a2] = this.acc;
    for (let i = 0; i < this.length; i++) {
      a1[i] = (a1[i] as number) + (y1[i] as number);
      a2[i] = (a2[i] as number) + (y2[i] as number);
    }
    if (++this.count >= 2 ** 26) this.reduceInPlace();
  }

  private reduceInPlace(): void {
    this.acc.forEach((a, p) => {
      const q = PRIMES[p] as number;
      for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) % q;
    });
    this.count = 1;
  }

  /** Σy mod q1, mod q2. */
  residues(): [Uint32Array, Uint32Array] {
    return [0, 1].map((p) => {
      const q = PRIMES[p] as number;
      const a = this.acc[p] as Float64Array;
      const out = new Uint32Array(a.length);
      for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) % q;
      return out;
    }) as [Uint32Array, Uint32Array];
  }
}

/** The round's Σy from disjoint partial sums; two partials covering one contribution are refused. */
export function mergePartials(
  length: number,
  parts: readonly PartialSum[],
): { covers: Covered[]; y: [Uint32Array, Uint32Array] } {
  const acc = new SumAccumulator(length);
  const seen = new Map<string, string>();
  const covers: Covered[] = [];
  for (const p of parts) {
    if (p.length !== length)
      throw new PartialSumError('BAD_PARTIAL', `partial ${p.partial} has length ${p.length}, not ${length}`);
    for (const c of p.covers) {
      const other = seen.get(c.id);
      if (other !== undefined)
        throw new PartialSumError('DOUBLE_COUNT', `contribution of ${c.id} is in partials ${other} and ${p.partial}`);
      seen.set(c.id, p.partial);
      covers.push(c);
    }
    acc.add(p.y[0], p.y[1]);
  }
  covers.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { covers, y: acc.residues() };
}

interface Encoded {
  r: number;
  L: number;
  p: string;
  w: string;
  c: [string, number][];
  y1: Uint8Array;
  y2: Uint8Array;
}

export function encodePartial(p: PartialSum): Uint8Array {
  const e: Encoded = {
    r: p.round,
    L: p.length,
    p: p.partial,
    w: p.worker,
    c: p.covers.map((c) => [c.id, c.seq]),
    y1: packResidues(p.y[0]),
    y2: packResidues(p.y[1]),
  };
  return encode(e);
}

export function decodePartial(b: Uint8Array): PartialSum {
  let e: Encoded;
  try {
    e = decode(b) as Encoded;
  } catch (err) {
    throw new PartialSumError('BAD_PARTIAL', `a partial sum that is not msgpack: ${String(err)}`);
  }
  const ok =
    e !== null &&
    typeof e === 'object' &&
    Number.isSafeInteger(e.r) &&
    Number.isSafeInteger(e.L) &&
    e.L > 0 &&
    typeof e.p === 'string' &&
    typeof e.w === 'string' &&
    Array.isArray(e.c) &&
    e.c.every((x) => Array.isArray(x) && typeof x[0] === 'string' && Number.isSafeInteger(x[1])) &&
    e.y1 instanceof Uint8Array &&
    e.y2 instanceof Uint8Array;
  if (!ok) throw new PartialSumError('BAD_PARTIAL', 'a partial sum of the wrong shape');
  return {
    round: e.r,
    length: e.L,
    partial: e.p,
    worker: e.w,
    covers: e.c.map(([id, seq]) => ({ id, seq })),
    y: [unpackResidues(e.y1, e.L, PRIMES[0], 'partial y1'), unpackResidues(e.y2, e.L, PRIMES[1], 'partial y2')],
  };
}
