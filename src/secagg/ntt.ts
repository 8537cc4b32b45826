/**
 * Negacyclic number-theoretic transform over Z_q[X]/(X^N + 1), N = 2048, for each prime of
 * the profile (docs/protocol.md §6: q_k ≡ 1 mod 4096, so a primitive 2N-th root ψ
 * exists and X^N + 1 splits).
 *
 * Convention (fixed, because public ring elements are sampled directly in this domain):
 * the forward transform is Cooley–Tukey with ψ-powers in bit-reversed order and produces its
 * output in bit-reversed order, â[i] = a(ψ^(2·brv(i)+1)); the inverse is Gentleman–Sande and
 * maps that order back to coefficients. Pointwise products in this domain are negacyclic
 * products of polynomials. `inverseNoScale` omits the final multiplication by N^{-1}, so a
 * caller can fold N^{-1} into one operand once instead of once per coefficient.
 */
import { PRIMES, generator, invMod, mulMod, powMod } from './field.js';

export const N = 2048;
const LOG_N = 11;

function bitReverse(x: number, bits: number): number {
  let r = 0;
  for (let i = 0; i < bits; i++) r = (r << 1) | ((x >>> i) & 1);
  return r;
}

/*
 * Butterflies work on Int32Array residues in [0, q) with branch-free corrections: for an int32
 * x in (−q, q), `x + ((x >> 31) & q)` maps it into [0, q). A product of two residues is formed
 * in a double (exact, < 2^52) and reduced with a truncated floating quotient, which leaves a
 * remainder in (−q, 2q) that two such corrections fold back. Branches on random data were the
 * bottleneck of the float64 version (≈ 2× slower).
 */

/** a·b mod q for residues a, b < q (branch-free; `qInv` = 1/q). */
function mulRed(a: number, b: number, q: number, qInv: number): number {
  const p = a * b;
  let r = (p - ((p * qInv) | 0) * q) | 0;
  r += (r >> 31) & q;
  r -= q;
  return r + ((r >> 31) & q);
}

export class NttPlan {
  readonly q: number;
  /** ψ: a primitive 2N-th root of unity mod q (ψ^N = −1). */
  readonly psi: number;
  readonly nInv: number;
  private readonly qInv: number;
  private readonly psiRev: Int32Array;
  private readonly psiInvRev: Int32Array;

  constructor(q: number) {
    if ((q - 1) % (2 * N) !== 0) throw new RangeError(`q = ${q} is not 1 mod ${2 * N}`);
    if (q >= 2 ** 30) throw new RangeError('q must be below 2^30 for int32 butterflies');
    this.q = q;
    this.qInv = 1 / q;
    this.psi = powMod(generator(q), (q - 1) / (2 * N), q);
    const psiInv = invMod(this.psi, q);
    this.nInv = invMod(N, q);
    this.psiRev = new Int32Array(N);
    this.psiInvRev = new Int32Array(N);
    let p = 1;
    let pi = 1;
    const pows = new Int32Array(N);
    const powsInv = new Int32Array(N);
    for (let i = 0; i < N; i++) {
      pows[i] = p;
      powsInv[i] = pi;
      p = mulMod(p, this.psi, q);
      pi = mulMod(pi, psiInv, q);
    }
    for (let i = 0; i < N; i++) {
      const r = bitReverse(i, LOG_N);
      this.psiRev[i] = pows[r] as number;
      this.psiInvRev[i] = powsInv[r] as number;
    }
  }

  /** In-place forward transform of N residues in [0, q). */
  forward(a: Int32Array): void {
    const q = this.q;
    const qInv = this.qInv;
    const w = this.psiRev;
    let t = N;
    for (let m = 1; m < N; m <<= 1) {
      t >>= 1;
      for (let i = 0; i < m; i++) {
        const j1 = 2 * i * t;
        const j2 = j1 + t;
        const s = w[m + i] as number;
        for (let j = j1; j < j2; j++) {
          const u = a[j] as number;
          const p = (a[j + t] as number) * s;
          let v = (p - ((p * qInv) | 0) * q) | 0;
          v += (v >> 31) & q;
          v -= q;
          v += (v >> 31) & q;
          let x = u + v - q;
          x += (x >> 31) & q;
          a[j] = x;
          let y = u - v;
          y += (y >> 31) & q;
          a[j + t] = y;
        }
      }
    }
  }

  /** In-place inverse transform without the final N^{-1} scaling. */
  inverseNoScale(a: Int32Array): void {
    const q = this.q;
    const qInv = this.qInv;
    const w = this.psiInvRev;
    let t = 1;
    for (let m = N; m > 1; m >>= 1) {
      const h = m >> 1;
      let j1 = 0;
      for (let i = 0; i < h; i++) {
        const j2 = j1 + t;
        const s = w[h + i] as number;
        for (let j = j1; j < j2; j++) {
          const u = a[j] as number;
          const v = a[j + t] as number;
          let x = u + v - q;
          x += (x >> 31) & q;
          a[j] = x;
          let d = u - v;
          d += (d >> 31) & q;
          const p = d * s;
          let r = (p - ((p * qInv) | 0) * q) | 0;
          r += (r >> 31) & q;
          r -= q;
          r += (r >> 31) & q;
          a[j + t] = r;
        }
        j1 += 2 * t;
      }
      t <<= 1;
    }
  }

  /** In-place inverse transform (coefficients out). */
  inverse(a: Int32Array): void {
    this.inverseNoScale(a);
    this.scale(a, this.nInv);
  }

  /** a ← a·c mod q, elementwise. */
  scale(a: Int32Array, c: number): void {
    for (let i = 0; i < a.length; i++) a[i] = mulRed(a[i] as number, c, this.q, this.qInv);
  }

  /** out ← a ⊙ b mod q over N entries (the NTT-domain product), from the given offsets. */
  pointwise(a: ArrayLike<number>, b: ArrayLike<number>, out: Int32Array, aOffset = 0, bOffset = 0): void {
    const q = this.q;
    const qInv = this.qInv;
    for (let i = 0; i < N; i++) out[i] = mulRed(a[aOffset + i] as number, b[bOffset + i] as number, q, qInv);
  }
}

/** The NTT plans of the two primes, built once per process. */
export const PLANS: readonly [NttPlan, NttPlan] = [new NttPlan(PRIMES[0]), new NttPlan(PRIMES[1])];

/** Schoolbook negacyclic product mod q — the reference the NTT is tested against. */
export function negacyclicSchoolbook(a: ArrayLike<number>, b: ArrayLike<number>, q: number): Int32Array {
  const n = a.length;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const ai = a[i] as number;
    if (ai === 0) continue;
    for (let j = 0; j < n; j++) {
      const p = mulMod(ai, b[j] as number, q);
      const k = i + j;
      if (k < n) {
        const s = (out[k] as number) + p;
        out[k] = s >= q ? s - q : s;
      } else {
        const s = (out[k - n] as number) - p;
        out[k - n] = s < 0 ? s + q : s;
      }
    }
  }
  return out;
}
