/**
 * Small deterministic pseudo-random generator (sfc32 seeded through splitmix32).
 *
 * Identical output in every JavaScript engine (browser and Node), unlike
 * `Math.random`. Used for the synthetic generator, splits, partitions,
 * shuffling and weight-initialiser seeds so that every run is reproducible.
 * Not cryptographically secure — never use it for masks or keys.
 */
import { require_ } from './errors';

function splitmix32(state: number): [number, number] {
  const s = (state + 0x9e3779b9) | 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [s, (z ^ (z >>> 16)) >>> 0];
}

/** Hashes a string label to 32 bits (FNV-1a), used to derive named sub-streams. */
export function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A seeded random stream. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | null = null;

  /** @param seed any integer (only its low 32 bits matter) */
  constructor(readonly seed: number) {
    require_(Number.isInteger(seed), `seed must be an integer, got ${seed}`);
    let s = seed | 0;
    const out: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [ns, v] = splitmix32(s);
      s = ns;
      out.push(v);
    }
    [this.a, this.b, this.c, this.d] = out as [number, number, number, number];
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** An independent stream derived from this stream's seed and a label. */
  fork(label: string): Rng {
    return new Rng((Math.imul(this.seed, 0x9e3779b1) ^ hashLabel(label)) | 0);
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal variate (Box–Muller). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Gamma(shape, 1) variate (Marsaglia–Tsang), shape > 0. */
  gamma(shape: number): number {
    require_(shape > 0, `gamma shape must be > 0, got ${shape}`);
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(this.next() || 1e-300, 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = this.normal();
      const v0 = 1 + c * x;
      if (v0 <= 0) continue;
      const v = v0 * v0 * v0;
      const u = this.next();
      if (Math.log(u || 1e-300) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  }

  /** In-place Fisher–Yates shuffle; returns the same array. */
  shuffle<T extends { length: number; [i: number]: unknown }>(arr: T): T {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = arr[i];
      arr[i] = arr[j];
      arr[j] = tmp;
    }
    return arr;
  }
}
