/**
 * The wasm engine's kernels (docs/protocol.md §6, §9, §10, §11, §14, §6.1), in
 * AssemblyScript with 128-bit SIMD. Compiled by scripts/build-wasm.ts; the glue that owns the
 * memory layout is ./engine-wasm.ts. Every kernel computes exactly the residues of the reference
 * (src/secagg/ntt.ts, mask.ts, cbd.ts, shamir.ts, aggregator.ts): all outputs are canonical
 * (in [0, q)), so the bytes agree whatever the order of the operations.
 *
 * Nothing here allocates: the glue passes byte offsets into this module's linear memory.
 * Residues are u32 in [0, q) with q < 2^26. Products use Shoup's method: for a fixed factor
 * w < q and w' = ⌊w·2^32/q⌋, a·w − ⌊a·w'/2^32⌋·q lies in [0, 2q) for any a < 2^32, and one
 * unsigned min folds it into [0, q).
 */

const N: i32 = 2048;

/** The heap starts here; the glue lays its buffers out above it. */
export function heapBase(): usize {
  return __heap_base;
}

// ---- lane helpers ----------------------------------------------------------------------------

/** a·w mod q in every lane, from the Shoup companion wp = ⌊w·2^32/q⌋. */
// @ts-ignore: decorator
@inline
function mulShoup(a: v128, w: v128, wp: v128, qv: v128): v128 {
  const lo = i64x2.extmul_low_i32x4_u(a, wp);
  const hi = i64x2.extmul_high_i32x4_u(a, wp);
  const t = i32x4.shuffle(lo, hi, 1, 3, 5, 7);
  const r = i32x4.sub(i32x4.mul(a, w), i32x4.mul(t, qv));
  return i32x4.min_u(r, i32x4.sub(r, qv));
}

/** (u + v) mod q for u, v in [0, q). */
// @ts-ignore: decorator
@inline
function addMod(u: v128, v: v128, qv: v128): v128 {
  const s = i32x4.add(u, v);
  return i32x4.min_u(s, i32x4.sub(s, qv));
}

/** (u − v) mod q for u, v in [0, q). */
// @ts-ignore: decorator
@inline
function subMod(u: v128, v: v128, qv: v128): v128 {
  const d = i32x4.add(i32x4.sub(u, v), qv);
  return i32x4.min_u(d, i32x4.sub(d, qv));
}

/** The Shoup companion ⌊w·2^32/q⌋ of w < q. */
export function shoup(w: u32, q: u32): u32 {
  return u32((u64(w) << 32) / u64(q));
}

/** Writes the Shoup companions of `count` residues at src into dst. */
export function shoupTable(src: usize, dst: usize, count: i32, q: u32): void {
  for (let i = 0; i < count; i++) store<u32>(dst + (<usize>i << 2), shoup(load<u32>(src + (<usize>i << 2)), q));
}

/** dst[i] = src[i]·c mod q (the scaling by N^{-1} of a secret, §10). */
export function scaleInto(src: usize, dst: usize, count: i32, c: u32, q: u32): void {
  for (let i = 0; i < count; i++) {
    const p = (u64(load<u32>(src + (<usize>i << 2))) * u64(c)) % u64(q);
    store<u32>(dst + (<usize>i << 2), u32(p));
  }
}

// ---- NTT (§6): Cooley–Tukey forward, Gentleman–Sande inverse, ψ-powers bit-reversed ---------

/** In-place forward transform of N residues at a; w/wp: ψ^brv(i) and their Shoup companions. */
export function nttForward(a: usize, w: usize, wp: usize, q: u32): void {
  const qv = i32x4.splat(q);
  let t = N;
  let m = 1;
  for (; m < N >> 2; m <<= 1) {
    t >>= 1;
    for (let i = 0; i < m; i++) {
      const s = i32x4.splat(load<u32>(w + (<usize>(m + i) << 2)));
      const sp = i32x4.splat(load<u32>(wp + (<usize>(m + i) << 2)));
      const p1 = a + (<usize>(2 * i * t) << 2);
      const p2 = p1 + (<usize>t << 2);
      for (let j = 0; j < t; j += 4) {
        const o = <usize>j << 2;
        const u = v128.load(p1 + o);
        const v = mulShoup(v128.load(p2 + o), s, sp, qv);
        v128.store(p1 + o, addMod(u, v, qv));
        v128.store(p2 + o, subMod(u, v, qv));
      }
    }
  }
  // t = 2: groups of four [u0 u1 v0 v1], two groups a vector pair.
  for (let g = 0; g < m; g += 2) {
    const p = a + (<usize>(4 * g) << 2);
    const x = v128.load(p);
    const y = v128.load(p, 16);
    const ws = v128.load64_zero(w + (<usize>(m + g) << 2));
    const wps = v128.load64_zero(wp + (<usize>(m + g) << 2));
    const s = i32x4.shuffle(ws, ws, 0, 0, 1, 1);
    const sp = i32x4.shuffle(wps, wps, 0, 0, 1, 1);
    const u = i32x4.shuffle(x, y, 0, 1, 4, 5);
    const v = mulShoup(i32x4.shuffle(x, y, 2, 3, 6, 7), s, sp, qv);
    const U = addMod(u, v, qv);
    const V = subMod(u, v, qv);
    v128.store(p, i32x4.shuffle(U, V, 0, 1, 4, 5));
    v128.store(p, i32x4.shuffle(U, V, 2, 3, 6, 7), 16);
  }
  m <<= 1;
  // t = 1: pairs [u v], four pairs a vector pair.
  for (let g = 0; g < m; g += 4) {
    const p = a + (<usize>(2 * g) << 2);
    const x = v128.load(p);
    const y = v128.load(p, 16);
    const s = v128.load(w + (<usize>(m + g) << 2));
    const sp = v128.load(wp + (<usize>(m + g) << 2));
    const u = i32x4.shuffle(x, y, 0, 2, 4, 6);
    const v = mulShoup(i32x4.shuffle(x, y, 1, 3, 5, 7), s, sp, qv);
    const U = addMod(u, v, qv);
    const V = subMod(u, v, qv);
    v128.store(p, i32x4.shuffle(U, V, 0, 4, 1, 5));
    v128.store(p, i32x4.shuffle(U, V, 2, 6, 3, 7), 16);
  }
}

/** In-place inverse transform without the N^{-1} scaling; w/wp: ψ^{-brv(i)} and companions. */
export function nttInverseNoScale(a: usize, w: usize, wp: usize, q: u32): void {
  const qv = i32x4.splat(q);
  // t = 1 (h = N/2 groups of one pair)
  let h = N >> 1;
  for (let g = 0; g < h; g += 4) {
    const p = a + (<usize>(2 * g) << 2);
    const x = v128.load(p);
    const y = v128.load(p, 16);
    const s = v128.load(w + (<usize>(h + g) << 2));
    const sp = v128.load(wp + (<usize>(h + g) << 2));
    const u = i32x4.shuffle(x, y, 0, 2, 4, 6);
    const v = i32x4.shuffle(x, y, 1, 3, 5, 7);
    const U = addMod(u, v, qv);
    const V = mulShoup(subMod(u, v, qv), s, sp, qv);
    v128.store(p, i32x4.shuffle(U, V, 0, 4, 1, 5));
    v128.store(p, i32x4.shuffle(U, V, 2, 6, 3, 7), 16);
  }
  h >>= 1;
  // t = 2
  for (let g = 0; g < h; g += 2) {
    const p = a + (<usize>(4 * g) << 2);
    const x = v128.load(p);
    const y = v128.load(p, 16);
    const ws = v128.load64_zero(w + (<usize>(h + g) << 2));
    const wps = v128.load64_zero(wp + (<usize>(h + g) << 2));
    const s = i32x4.shuffle(ws, ws, 0, 0, 1, 1);
    const sp = i32x4.shuffle(wps, wps, 0, 0, 1, 1);
    const u = i32x4.shuffle(x, y, 0, 1, 4, 5);
    const v = i32x4.shuffle(x, y, 2, 3, 6, 7);
    const U = addMod(u, v, qv);
    const V = mulShoup(subMod(u, v, qv), s, sp, qv);
    v128.store(p, i32x4.shuffle(U, V, 0, 1, 4, 5));
    v128.store(p, i32x4.shuffle(U, V, 2, 3, 6, 7), 16);
  }
  let t = 4;
  for (h >>= 1; h >= 1; h >>= 1) {
    for (let i = 0; i < h; i++) {
      const s = i32x4.splat(load<u32>(w + (<usize>(h + i) << 2)));
      const sp = i32x4.splat(load<u32>(wp + (<usize>(h + i) << 2)));
      const p1 = a + (<usize>(2 * i * t) << 2);
      const p2 = p1 + (<usize>t << 2);
      for (let j = 0; j < t; j += 4) {
        const o = <usize>j << 2;
        const u = v128.load(p1 + o);
        const v = v128.load(p2 + o);
        v128.store(p1 + o, addMod(u, v, qv));
        v128.store(p2 + o, mulShoup(subMod(u, v, qv), s, sp, qv));
      }
    }
    t <<= 1;
  }
}

/** out = a ⊙ b mod q over `count` entries (count a multiple of 4); bp: Shoup companions of b. */
export function pointwise(a: usize, b: usize, bp: usize, out: usize, count: i32, q: u32): void {
  const qv = i32x4.splat(q);
  for (let i = 0; i < count; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, mulShoup(v128.load(a + o), v128.load(b + o), v128.load(bp + o), qv));
  }
}

// ---- masking (§10) and unmasking (§14) --------------------------------------------------------

/**
 * y = Δ·x + e + INTT(â_j ⊙ ŝ') mod q for `length` coordinates, block by block. ŝ' = ŝ·N^{-1}
 * (s) with Shoup companions (sp); x: i32 (0 = no update); e: i8; dq = Δ mod q, dqp its
 * companion; r32 = 2^32 mod q (maps a negative int32 to a congruent u32); buf: N scratch u32.
 */
export function maskPrime(
  ring: usize,
  s: usize,
  sp: usize,
  x: usize,
  e: usize,
  out: usize,
  length: i32,
  w: usize,
  wp: usize,
  q: u32,
  dq: u32,
  dqp: u32,
  r32: u32,
  buf: usize,
): void {
  const qv = i32x4.splat(q);
  const dv = i32x4.splat(dq);
  const dvp = i32x4.splat(dqp);
  const rv = i32x4.splat(r32);
  for (let base = 0; base < length; base += N) {
    pointwise(ring + (<usize>base << 2), s, sp, buf, N, q);
    nttInverseNoScale(buf, w, wp, q);
    const end = min(N, length - base);
    const full = end & ~3;
    for (let i = 0; i < full; i += 4) {
      const c = <usize>(base + i);
      const ev = i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.load32_zero(e + c)));
      let r = i32x4.add(ev, v128.and(i32x4.shr_s(ev, 31), qv));
      if (x != 0) {
        const xv = v128.load(x + (c << 2));
        const xr = i32x4.sub(xv, v128.and(i32x4.shr_s(xv, 31), rv));
        r = addMod(mulShoup(xr, dv, dvp, qv), r, qv);
      }
      v128.store(out + (c << 2), addMod(v128.load(buf + (<usize>i << 2)), r, qv));
    }
    for (let i = full; i < end; i++) {
      const c = <usize>(base + i);
      const ei = <i32>load<i8>(e + c);
      let r = <u32>(ei + (ei < 0 ? <i32>q : 0));
      if (x != 0) {
        const xi = load<i32>(x + (c << 2));
        const xr = <u64>(<u32>xi) - (xi < 0 ? <u64>r32 : 0);
        r = <u32>(((xr * <u64>dq) % <u64>q + <u64>r) % <u64>q);
      }
      const y = load<u32>(buf + (<usize>i << 2)) + r;
      store<u32>(out + (c << 2), y >= q ? y - q : y);
    }
  }
}

/** z = Σy − INTT(â_j ⊙ Σŝ') mod q for `length` coordinates (y: reduced Σy, in place into out). */
export function unmaskPrime(
  ring: usize,
  s: usize,
  sp: usize,
  y: usize,
  out: usize,
  length: i32,
  w: usize,
  wp: usize,
  q: u32,
  buf: usize,
): void {
  const qv = i32x4.splat(q);
  for (let base = 0; base < length; base += N) {
    pointwise(ring + (<usize>base << 2), s, sp, buf, N, q);
    nttInverseNoScale(buf, w, wp, q);
    const end = min(N, length - base);
    const full = end & ~3;
    for (let i = 0; i < full; i += 4) {
      const c = <usize>(base + i) << 2;
      v128.store(out + c, subMod(v128.load(y + c), v128.load(buf + (<usize>i << 2)), qv));
    }
    for (let i = full; i < end; i++) {
      const c = <usize>(base + i) << 2;
      const d = load<u32>(y + c) + q - load<u32>(buf + (<usize>i << 2));
      store<u32>(out + c, d >= q ? d - q : d);
    }
  }
}

// ---- CBD noise (§9) -------------------------------------------------------------------------

/**
 * `count` noise values from 6·count bytes: the 48-bit little-endian X of each group gives
 * a = X & (2^21 − 1), b = (X >> 21) & (2^21 − 1), e = popcount(a) − popcount(b). The glue
 * leaves two readable bytes after the input (each group is read as 8 bytes).
 */
export function cbd(bytes: usize, out: usize, count: i32): void {
  for (let i = 0; i < count; i++) {
    const x = load<u64>(bytes + <usize>i * 6);
    const a = <u32>x & 0x1fffff;
    const b = <u32>(x >> 21) & 0x1fffff;
    store<i8>(out + <usize>i, <i8>(popcnt<u32>(a) - popcnt<u32>(b)));
  }
}

// ---- packed Shamir evaluation (§11) -----------------------------------------------------------

/**
 * out[j·P + p] = Σ_i M[j][i]·V[p][i] mod q: the m shares of P polynomials. M is m × tp u32,
 * V is P × tp u32 (tp = t rounded up to 4, zero padded). Products (< 2^52) are summed lazily in
 * 64-bit lanes: t ≤ 4096 of them stay below 2^64, and one reduction ends each sum.
 */
export function evalShares(mat: usize, values: usize, m: i32, tp: i32, P: i32, q: u32, out: usize): void {
  for (let j = 0; j < m; j++) {
    const row = mat + (<usize>(j * tp) << 2);
    for (let p = 0; p < P; p++) {
      const v = values + (<usize>(p * tp) << 2);
      let acc = i64x2.splat(0);
      for (let i = 0; i < tp; i += 4) {
        const o = <usize>i << 2;
        const r = v128.load(row + o);
        const x = v128.load(v + o);
        acc = i64x2.add(acc, i64x2.add(i64x2.extmul_low_i32x4_u(r, x), i64x2.extmul_high_i32x4_u(r, x)));
      }
      const sum = <u64>i64x2.extract_lane(acc, 0) + <u64>i64x2.extract_lane(acc, 1);
      store<u32>(out + (<usize>(j * P + p) << 2), <u32>(sum % <u64>q));
    }
  }
}

// ---- the server's accumulation (§14): lazy reduction in 64-bit lanes ---------------------------

/**
 * acc (u64 × length) += y (u32 × length); returns 1 if every y[i] < q, else 0 and acc is
 * restored. No reduction per addition: n ≤ 10^7 sums of residues < 2^26 stay below 2^64.
 */
export function accumulate(acc: usize, y: usize, length: i32, q: u32): i32 {
  const qm = i32x4.splat(q - 1);
  let bad = i32x4.splat(0);
  const full = length & ~3;
  for (let i = 0; i < full; i += 4) {
    const yv = v128.load(y + (<usize>i << 2));
    bad = v128.or(bad, i32x4.gt_u(yv, qm));
    const pa = acc + (<usize>i << 3);
    v128.store(pa, i64x2.add(v128.load(pa), i64x2.extend_low_i32x4_u(yv)));
    v128.store(pa, i64x2.add(v128.load(pa, 16), i64x2.extend_high_i32x4_u(yv)), 16);
  }
  let ok = !v128.any_true(bad);
  for (let i = full; i < length; i++) {
    const v = load<u32>(y + (<usize>i << 2));
    if (v >= q) ok = false;
    const pa = acc + (<usize>i << 3);
    store<u64>(pa, load<u64>(pa) + <u64>v);
  }
  if (!ok) subtract(acc, y, length);
  return ok ? 1 : 0;
}

/** acc −= y (a contribution added before). */
export function subtract(acc: usize, y: usize, length: i32): void {
  const full = length & ~3;
  for (let i = 0; i < full; i += 4) {
    const yv = v128.load(y + (<usize>i << 2));
    const pa = acc + (<usize>i << 3);
    v128.store(pa, i64x2.sub(v128.load(pa), i64x2.extend_low_i32x4_u(yv)));
    v128.store(pa, i64x2.sub(v128.load(pa, 16), i64x2.extend_high_i32x4_u(yv)), 16);
  }
  for (let i = full; i < length; i++) {
    const pa = acc + (<usize>i << 3);
    store<u64>(pa, load<u64>(pa) - <u64>load<u32>(y + (<usize>i << 2)));
  }
}

/** out[i] = acc[i] mod q. */
export function reduceAcc(acc: usize, out: usize, length: i32, q: u32): void {
  const q64 = <u64>q;
  for (let i = 0; i < length; i++) store<u32>(out + (<usize>i << 2), <u32>(load<u64>(acc + (<usize>i << 3)) % q64));
}

// ---- packed residues (§4.1) -------------------------------------------------------------------

/**
 * Packs `groups` groups of four 26-bit values (src, u32) into 13 bytes each (dst): the group is
 * the 104-bit little-endian integer a + b·2^26 + c·2^52 + d·2^78. Returns the OR of all values
 * (the glue refuses one ≥ 2^26). dst needs 3 writable bytes after the last group.
 */
export function pack(src: usize, dst: usize, groups: i32): u32 {
  let all: u32 = 0;
  for (let g = 0; g < groups; g++) {
    const s = src + (<usize>g << 4);
    const a = load<u32>(s);
    const b = load<u32>(s, 4);
    const c = load<u32>(s, 8);
    const d = load<u32>(s, 12);
    all |= a | b | c | d;
    const o = dst + <usize>g * 13;
    store<u64>(o, <u64>a | (<u64>b << 26) | (<u64>c << 52));
    store<u64>(o + 8, (<u64>c >> 12) | (<u64>(d & 0x3ffffff) << 14));
  }
  return all;
}

/**
 * Unpacks `groups` groups of 13 bytes (src; 3 readable bytes after the last) into four 26-bit
 * values each (dst). Returns the largest value (the glue refuses one ≥ q).
 */
export function unpack(src: usize, dst: usize, groups: i32): u32 {
  const m26: u64 = 0x3ffffff;
  let max = i32x4.splat(0);
  for (let g = 0; g < groups; g++) {
    const o = src + <usize>g * 13;
    const lo = load<u64>(o);
    const hi = load<u64>(o + 8) & 0xffffffffff;
    const v = i32x4(
      <i32>(lo & m26),
      <i32>((lo >> 26) & m26),
      <i32>(((lo >> 52) | (hi << 12)) & m26),
      <i32>((hi >> 14) & m26),
    );
    v128.store(dst + (<usize>g << 4), v);
    max = i32x4.max_u(max, v);
  }
  const m01 = max_u32(i32x4.extract_lane(max, 0), i32x4.extract_lane(max, 1));
  const m23 = max_u32(i32x4.extract_lane(max, 2), i32x4.extract_lane(max, 3));
  return max_u32(m01, m23);
}

// @ts-ignore: decorator
@inline
function max_u32(a: i32, b: i32): u32 {
  return <u32>a > <u32>b ? <u32>a : <u32>b;
}
