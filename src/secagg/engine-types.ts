/**
 * The arithmetic engine's interface (docs/protocol.md §6.1), shared by the
 * reference (engine-ts.ts) and the wasm engine (wasm/engine-wasm.ts). Callers validate inputs
 * first: an engine computes, it does not check shapes (except the accumulator's range check,
 * which the protocol requires, §14).
 */
export type EngineName = 'wasm' | 'ts';

/** Why the reference engine runs instead of the wasm one. */
export type FallbackCode =
  | 'NO_WEBASSEMBLY' // no WebAssembly at all
  | 'NO_SIMD' // WebAssembly without 128-bit SIMD (or SIMD disabled)
  | 'NOT_BUILT' // the module was not built (scripts/build-wasm.ts)
  | 'LOAD_FAILED' // the module did not compile or instantiate (a CSP without 'wasm-unsafe-eval', …)
  | 'NOT_LOADED' // still loading
  | 'FORCED'; // useEngine('ts')

export interface FallbackReason {
  readonly code: FallbackCode;
  readonly message: string;
}

/** Σy of one round per prime, reduced lazily (docs/protocol.md §14). */
export interface Accumulator {
  /** acc_k += y; false, and acc_k unchanged, if some y[i] ≥ q_k. */
  add(k: 0 | 1, y: Uint32Array): boolean;
  /** acc_k −= y, for a y added before (leaving a convicted trainer out, §25). */
  subtract(k: 0 | 1, y: Uint32Array): void;
  /** acc_k mod q_k. */
  reduce(k: 0 | 1): Uint32Array;
}

export interface ArithEngine {
  readonly name: EngineName;
  /** In-place forward NTT of N residues mod q_k (§6). */
  nttForward(k: 0 | 1, a: Int32Array): void;
  /** In-place inverse NTT, scaled by N^{-1} (§6). */
  nttInverse(k: 0 | 1, a: Int32Array): void;
  /** out = a ⊙ b mod q_k over N entries. */
  pointwise(k: 0 | 1, a: Int32Array, b: Int32Array, out: Int32Array): void;
  /** CBD(η = 21) noise from 6·count bytes (§9). */
  cbd(bytes: Uint8Array, count: number): Int8Array;
  /**
   * y = Δ·x + e + INTT(â ⊙ ŝ·N^{-1}) mod (q1, q2), `length` coordinates (§10); x undefined = 0.
   * `ring[k]` holds ≥ ⌈length/N⌉·N residues, `s[k]` N residues (NTT domain).
   */
  mask(
    ring: readonly [Uint32Array, Uint32Array],
    s: readonly [Uint32Array, Uint32Array],
    x: Int32Array | undefined,
    noise: Int8Array,
    delta: number,
    length: number,
  ): [Uint32Array, Uint32Array];
  /** z = Σy − INTT(â ⊙ Σŝ·N^{-1}) mod (q1, q2), `length` coordinates (§14). */
  unmask(
    ring: readonly [Uint32Array, Uint32Array],
    sumS: readonly [Uint32Array, Uint32Array],
    sumY: readonly [Uint32Array, Uint32Array],
    length: number,
  ): [Uint32Array, Uint32Array];
  /**
   * Packed-Shamir evaluation (§11) mod q_k: out[j·P + p] = Σ_i mat[j·t + i]·values[p·t + i],
   * for the m × t Lagrange matrix and P polynomials' t values each.
   */
  evalShares(k: 0 | 1, mat: Float64Array, values: Uint32Array, m: number, t: number, P: number): Uint32Array;
  /** Packs residues into 26 bits each (§4.1); a value ≥ 2^26 is a MalformedInputError. */
  pack(v: Uint32Array): Uint8Array;
  /**
   * Unpacks `count` residues below q (§4.1); a wrong length, a value ≥ q or a set padding bit is a
   * MalformedInputError (`what` names the vector in the message).
   */
  unpack(b: Uint8Array, count: number, q: number, what?: string): Uint32Array;
  /** A fresh Σy accumulator of `length` coordinates per prime. */
  accumulator(length: number): Accumulator;
}
