/**
 * The wasm engine (docs/protocol.md §6.1): the ArithEngine over the module built from
 * arith.as.ts (loaded by load.ts), laying out its linear memory for each call.
 *
 * Memory: the NTT tables of both primes sit at the bottom of the heap; above them, every call
 * lays out its inputs, copies them in, runs a kernel and copies the outputs out. The memory grows
 * to the largest call and stays (about 13·L bytes for a masking of L coordinates). Each
 * accumulator gets an instance of its own (its Σy lives as long as its round).
 */
import { MalformedInputError } from '../errors.js';
import { invMod, mulMod } from '../field.js';
import { RESIDUE_BITS, packedLength } from '../packing-ts.js';
import { N, PLANS } from '../ntt.js';
import type { Accumulator, ArithEngine } from '../engine-types.js';
import { WasmAccumulator } from './accumulator.js';
import { type Kernels, Layout, ensure } from './kernels.js';

/** ψ-powers in bit-reversed order (forward) and of ψ^{-1} (inverse), as in ntt.ts (§6). */
function twiddles(k: 0 | 1): [Uint32Array, Uint32Array] {
  const { q, psi } = PLANS[k];
  const psiInv = invMod(psi, q);
  const fw = new Uint32Array(N);
  const inv = new Uint32Array(N);
  const bits = Math.log2(N);
  let p = 1;
  let pi = 1;
  for (let i = 0; i < N; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r = (r << 1) | ((i >>> b) & 1);
    fw[r] = p;
    inv[r] = pi;
    p = mulMod(p, psi, q);
    pi = mulMod(pi, psiInv, q);
  }
  return [fw, inv];
}

interface PrimeTables {
  readonly q: number;
  readonly nInv: number;
  readonly w: number;
  readonly wp: number;
  readonly wi: number;
  readonly wip: number;
}

export class WasmEngine implements ArithEngine {
  readonly name = 'wasm' as const;
  private readonly tables: readonly [PrimeTables, PrimeTables];
  private readonly scratch: number;

  constructor(
    private readonly module: WebAssembly.Module,
    private readonly x: Kernels,
  ) {
    const lay = new Layout(x.heapBase());
    const t = ([0, 1] as const).map((k) => {
      const [fw, inv] = twiddles(k);
      const at = { w: lay.take(4 * N), wp: lay.take(4 * N), wi: lay.take(4 * N), wip: lay.take(4 * N) };
      ensure(x.memory, lay.end);
      this.u32(at.w, N).set(fw);
      this.u32(at.wi, N).set(inv);
      x.shoupTable(at.w, at.wp, N, PLANS[k].q);
      x.shoupTable(at.wi, at.wip, N, PLANS[k].q);
      return { q: PLANS[k].q, nInv: PLANS[k].nInv, ...at };
    });
    this.tables = [t[0] as PrimeTables, t[1] as PrimeTables];
    this.scratch = lay.end;
  }

  private u32(ptr: number, len: number): Uint32Array {
    return new Uint32Array(this.x.memory.buffer, ptr, len);
  }

  private layout(): Layout {
    return new Layout(this.scratch);
  }

  nttForward(k: 0 | 1, a: Int32Array): void {
    const T = this.tables[k];
    const lay = this.layout();
    const p = lay.take(4 * N);
    ensure(this.x.memory, lay.end);
    this.u32(p, N).set(new Uint32Array(a.buffer, a.byteOffset, N));
    this.x.nttForward(p, T.w, T.wp, T.q);
    new Uint32Array(a.buffer, a.byteOffset, N).set(this.u32(p, N));
  }

  nttInverse(k: 0 | 1, a: Int32Array): void {
    const T = this.tables[k];
    const lay = this.layout();
    const p = lay.take(4 * N);
    const c = lay.take(4 * N);
    const cp = lay.take(4 * N);
    ensure(this.x.memory, lay.end);
    this.u32(p, N).set(new Uint32Array(a.buffer, a.byteOffset, N));
    this.x.nttInverseNoScale(p, T.wi, T.wip, T.q);
    this.u32(c, N).fill(T.nInv);
    this.x.shoupTable(c, cp, N, T.q);
    this.x.pointwise(p, c, cp, p, N, T.q);
    new Uint32Array(a.buffer, a.byteOffset, N).set(this.u32(p, N));
  }

  pointwise(k: 0 | 1, a: Int32Array, b: Int32Array, out: Int32Array): void {
    const q = this.tables[k].q;
    const lay = this.layout();
    const [pa, pb, pbp] = [lay.take(4 * N), lay.take(4 * N), lay.take(4 * N)];
    ensure(this.x.memory, lay.end);
    this.u32(pa, N).set(new Uint32Array(a.buffer, a.byteOffset, N));
    this.u32(pb, N).set(new Uint32Array(b.buffer, b.byteOffset, N));
    this.x.shoupTable(pb, pbp, N, q);
    this.x.pointwise(pa, pb, pbp, pa, N, q);
    new Uint32Array(out.buffer, out.byteOffset, N).set(this.u32(pa, N));
  }

  cbd(bytes: Uint8Array, count: number): Int8Array {
    if (bytes.length < count * 6) throw new RangeError(`CBD needs ${count * 6} bytes, got ${bytes.length}`);
    const lay = this.layout();
    const [pin, pout] = [lay.take(6 * count), lay.take(count)];
    ensure(this.x.memory, lay.end);
    new Uint8Array(this.x.memory.buffer, pin, 6 * count).set(bytes.subarray(0, 6 * count));
    this.x.cbd(pin, pout, count);
    return new Int8Array(this.x.memory.buffer, pout, count).slice();
  }

  /** Lays out ring blocks and the scaled secret with its companions for prime k. */
  private ringAndSecret(lay: Layout, length: number) {
    const blocks = Math.ceil(length / N);
    return { blocks, ring: lay.take(4 * blocks * N), s: lay.take(4 * N), sp: lay.take(4 * N), buf: lay.take(4 * N) };
  }

  private loadRingAndSecret(
    k: 0 | 1,
    at: ReturnType<WasmEngine['ringAndSecret']>,
    ring: Uint32Array,
    s: Uint32Array,
  ): void {
    const T = this.tables[k];
    this.u32(at.ring, at.blocks * N).set(ring.subarray(0, at.blocks * N));
    this.u32(at.buf, N).set(s.subarray(0, N));
    this.x.scaleInto(at.buf, at.s, N, T.nInv, T.q);
    this.x.shoupTable(at.s, at.sp, N, T.q);
  }

  mask(
    ring: readonly [Uint32Array, Uint32Array],
    s: readonly [Uint32Array, Uint32Array],
    x: Int32Array | undefined,
    noise: Int8Array,
    delta: number,
    length: number,
  ): [Uint32Array, Uint32Array] {
    const lay = this.layout();
    const at = this.ringAndSecret(lay, length);
    const px = x ? lay.take(4 * length) : 0;
    const pe = lay.take(length);
    const py = lay.take(4 * length);
    ensure(this.x.memory, lay.end);
    if (x) new Int32Array(this.x.memory.buffer, px, length).set(x.subarray(0, length));
    new Int8Array(this.x.memory.buffer, pe, length).set(noise.subarray(0, length));
    const out: [Uint32Array, Uint32Array] = [new Uint32Array(length), new Uint32Array(length)];
    for (const k of [0, 1] as const) {
      const T = this.tables[k];
      this.loadRingAndSecret(k, at, ring[k], s[k]);
      const dq = delta % T.q;
      const r32 = 2 ** 32 % T.q;
      const dqp = Math.floor((dq * 2 ** 32) / T.q);
      this.x.maskPrime(at.ring, at.s, at.sp, px, pe, py, length, T.wi, T.wip, T.q, dq, dqp, r32, at.buf);
      out[k].set(this.u32(py, length));
    }
    return out;
  }

  unmask(
    ring: readonly [Uint32Array, Uint32Array],
    sumS: readonly [Uint32Array, Uint32Array],
    sumY: readonly [Uint32Array, Uint32Array],
    length: number,
  ): [Uint32Array, Uint32Array] {
    const lay = this.layout();
    const at = this.ringAndSecret(lay, length);
    const py = lay.take(4 * length);
    ensure(this.x.memory, lay.end);
    const out: [Uint32Array, Uint32Array] = [new Uint32Array(length), new Uint32Array(length)];
    for (const k of [0, 1] as const) {
      const T = this.tables[k];
      this.loadRingAndSecret(k, at, ring[k], sumS[k]);
      this.u32(py, length).set(sumY[k].subarray(0, length));
      this.x.unmaskPrime(at.ring, at.s, at.sp, py, py, length, T.wi, T.wip, T.q, at.buf);
      out[k].set(this.u32(py, length));
    }
    return out;
  }

  evalShares(k: 0 | 1, mat: Float64Array, values: Uint32Array, m: number, t: number, P: number): Uint32Array {
    const tp = (t + 3) & ~3;
    const lay = this.layout();
    const [pm, pv, po] = [lay.take(4 * m * tp), lay.take(4 * P * tp), lay.take(4 * m * P)];
    ensure(this.x.memory, lay.end);
    const M = this.u32(pm, m * tp);
    const V = this.u32(pv, P * tp);
    M.fill(0);
    V.fill(0);
    for (let j = 0; j < m; j++) for (let i = 0; i < t; i++) M[j * tp + i] = mat[j * t + i] as number;
    for (let p = 0; p < P; p++) V.set(values.subarray(p * t, p * t + t), p * tp);
    this.x.evalShares(pm, pv, m, tp, P, this.tables[k].q, po);
    return this.u32(po, m * P).slice();
  }

  pack(v: Uint32Array): Uint8Array {
    const n = v.length;
    const groups = Math.ceil(n / 4);
    const lay = this.layout();
    const [pin, pout] = [lay.take(16 * groups), lay.take(13 * groups)];
    ensure(this.x.memory, lay.end);
    const src = this.u32(pin, 4 * groups);
    src.set(v);
    src.fill(0, n);
    const all = this.x.pack(pin, pout, groups);
    if (all >>> RESIDUE_BITS !== 0) throw new MalformedInputError('a residue does not fit in 26 bits');
    return new Uint8Array(this.x.memory.buffer, pout, packedLength(n)).slice();
  }

  unpack(b: Uint8Array, count: number, q: number, what = 'vector'): Uint32Array {
    if (b.length !== packedLength(count))
      throw new MalformedInputError(
        `${what}: ${b.length} bytes, ${packedLength(count)} expected for ${count} packed residues`,
      );
    const groups = Math.ceil(count / 4);
    const lay = this.layout();
    const [pin, pout] = [lay.take(13 * groups), lay.take(16 * groups)];
    ensure(this.x.memory, lay.end);
    const bytes = new Uint8Array(this.x.memory.buffer, pin, 13 * groups + 3);
    bytes.set(b);
    bytes.fill(0, b.length);
    const max = this.x.unpack(pin, pout, groups) >>> 0;
    const out = this.u32(pout, 4 * groups);
    // bits beyond the last value (inside the last byte) must be zero: the values after it are
    for (let i = count; i < 4 * groups; i++)
      if (out[i] !== 0) throw new MalformedInputError(`${what}: padding bits of the packed residues are not zero`);
    if (count > 0 && max >= q) throw new MalformedInputError(`${what}: a residue is not reduced mod ${q}`);
    return out.slice(0, count);
  }

  accumulator(length: number): Accumulator {
    return new WasmAccumulator(new WebAssembly.Instance(this.module).exports as unknown as Kernels, length);
  }
}
