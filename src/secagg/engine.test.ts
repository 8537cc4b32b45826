/**
 * The wasm engine against the TypeScript reference (docs/protocol.md §6.1):
 * identical bytes on random inputs for every primitive, and the typed fallback reasons.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tsEngine } from './engine-ts.js';
import {
  type ArithEngine,
  EngineUnavailableError,
  engine,
  engineReady,
  engineStatus,
  reloadEngine,
  useEngine,
} from './engine.js';
import { PRIMES } from './field.js';
import { N } from './ntt.js';
import { loadWasmEngine } from './wasm/load.js';

let wasm: ArithEngine;

beforeAll(async () => {
  await engineReady();
  const r = await loadWasmEngine();
  if (!('engine' in r)) throw new Error(`wasm engine did not load: ${r.reason.code} ${r.reason.message}`);
  wasm = r.engine;
});

const K = fc.constantFrom(0 as const, 1 as const);
/** N residues mod q_k. */
const residues = (k: 0 | 1, n: number) =>
  fc.uint32Array({ minLength: n, maxLength: n }).map((a) => a.map((v) => v % PRIMES[k]));
const ringOf = (n: number) =>
  fc.tuple(residues(0, n), residues(1, n)).map(([a, b]) => [a, b] as [Uint32Array, Uint32Array]);
/** Updates within the widest quantization (b ≤ 30 bits, §3): the reference is exact while |Δ·x| < 2^53. */
const updates = (n: number) => fc.int32Array({ minLength: n, maxLength: n, min: -(2 ** 29) + 1, max: 2 ** 29 - 1 });
const RUNS = { numRuns: 25 };

describe('the wasm engine computes the same bytes as the reference', () => {
  it('loads in Node (WebAssembly SIMD is there) and is the default', () => {
    expect(engineStatus()).toEqual({ engine: 'wasm' });
    expect(engine().name).toBe('wasm');
  });

  it('forward and inverse NTT, pointwise products', () => {
    fc.assert(
      fc.property(
        K.chain((k) => fc.tuple(fc.constant(k), residues(k, N), residues(k, N))),
        ([k, a, b]) => {
          const A = [new Int32Array(a), new Int32Array(a)] as const;
          tsEngine.nttForward(k, A[0]);
          wasm.nttForward(k, A[1]);
          expect(A[1]).toEqual(A[0]);
          const P = [new Int32Array(N), new Int32Array(N)] as const;
          tsEngine.pointwise(k, A[0], new Int32Array(b), P[0]);
          wasm.pointwise(k, A[1], new Int32Array(b), P[1]);
          expect(P[1]).toEqual(P[0]);
          tsEngine.nttInverse(k, P[0]);
          wasm.nttInverse(k, P[1]);
          expect(P[1]).toEqual(P[0]);
          // and the inverse undoes the forward transform
          const back = new Int32Array(a);
          wasm.nttForward(k, back);
          wasm.nttInverse(k, back);
          expect(new Uint32Array(back.buffer)).toEqual(a);
        },
      ),
      RUNS,
    );
  });

  it('CBD noise from the keystream bytes', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 0, max: 5000 })
          .chain((n) => fc.tuple(fc.constant(n), fc.uint8Array({ minLength: 6 * n, maxLength: 6 * n }))),
        ([n, bytes]) => {
          expect(wasm.cbd(bytes, n)).toEqual(tsEngine.cbd(bytes, n));
        },
      ),
      RUNS,
    );
    expect(() => wasm.cbd(new Uint8Array(11), 2)).toThrow(RangeError);
  });

  it('masking Δx + a·s + e and unmasking, any length, any update of ≤ 30 bits, any noise byte', () => {
    const input = fc.integer({ min: 1, max: 3 * N + 7 }).chain((L) => {
      const blocks = Math.ceil(L / N);
      return fc.record({
        L: fc.constant(L),
        ring: ringOf(blocks * N),
        s: ringOf(N),
        x: fc.option(updates(L), { nil: undefined }),
        e: fc.int8Array({ minLength: L, maxLength: L }),
        delta: fc.constantFrom(2 ** 19, 2 ** 12, 2 ** 23, 1, 3 * 2 ** 20 + 1),
        sumY: ringOf(L),
      });
    });
    fc.assert(
      fc.property(input, ({ L, ring, s, x, e, delta, sumY }) => {
        expect(wasm.mask(ring, s, x, e, delta, L)).toEqual(tsEngine.mask(ring, s, x, e, delta, L));
        expect(wasm.unmask(ring, s, sumY, L)).toEqual(tsEngine.unmask(ring, s, sumY, L));
      }),
      { numRuns: 15 },
    );
  });

  it('packed-Shamir evaluation', () => {
    const input = fc
      .tuple(K, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 37 }), fc.integer({ min: 1, max: 30 }))
      .chain(([k, m, t, P]) =>
        fc.record({
          k: fc.constant(k),
          m: fc.constant(m),
          t: fc.constant(t),
          P: fc.constant(P),
          mat: residues(k, m * t).map((a) => Float64Array.from(a)),
          values: residues(k, P * t),
        }),
      );
    fc.assert(
      fc.property(input, ({ k, m, t, P, mat, values }) => {
        expect(wasm.evalShares(k, mat, values, m, t, P)).toEqual(tsEngine.evalShares(k, mat, values, m, t, P));
      }),
      RUNS,
    );
  });

  it('packed residues (§4.1): the same bytes, the same values, the same refusals', () => {
    /** The value, or the refusal's class and message. */
    const outcome = <T>(f: () => T): T | string => {
      try {
        return f();
      } catch (e) {
        return `${(e as Error).name}: ${(e as Error).message}`;
      }
    };
    const input = fc.record({
      v: fc.uint32Array({ maxLength: 300 }).map((a) => a.map((x) => x % PRIMES[0])),
      k: K,
      flip: fc.option(fc.tuple(fc.nat(), fc.nat(7)), { nil: undefined }),
      big: fc.option(fc.tuple(fc.nat(), fc.integer({ min: 2 ** 26, max: 2 ** 32 - 1 })), { nil: undefined }),
      cut: fc.boolean(),
    });
    fc.assert(
      fc.property(input, ({ v, k, flip, big, cut }) => {
        const packed = wasm.pack(v);
        expect(packed).toEqual(tsEngine.pack(v));
        expect(wasm.unpack(packed, v.length, PRIMES[0])).toEqual(v);
        // a flipped bit (a value ≥ q, a padding bit, or just another vector), a cut byte string
        const b = packed.slice(0, cut && packed.length ? packed.length - 1 : packed.length);
        if (flip && b.length) b[flip[0] % b.length] = (b[flip[0] % b.length] as number) ^ (1 << flip[1]);
        expect(outcome(() => wasm.unpack(b, v.length, PRIMES[k], 'y'))).toEqual(
          outcome(() => tsEngine.unpack(b, v.length, PRIMES[k], 'y')),
        );
        if (big && v.length) {
          const w = v.slice();
          w[big[0] % w.length] = big[1];
          expect(outcome(() => wasm.pack(w))).toEqual(outcome(() => tsEngine.pack(w)));
          expect(() => wasm.pack(w)).toThrow('does not fit in 26 bits');
        }
      }),
      { numRuns: 200 },
    );
  });

  it('the accumulator: lazy sums, the range check with rollback, subtraction, reduction', () => {
    const input = fc.integer({ min: 1, max: 300 }).chain((L) =>
      fc.record({
        L: fc.constant(L),
        ys: fc.array(ringOf(L), { minLength: 1, maxLength: 6 }),
        bad: fc.tuple(fc.nat(L - 1), K, fc.integer({ min: 0, max: 2 ** 32 - 1 })),
      }),
    );
    fc.assert(
      fc.property(input, ({ L, ys, bad: [at, k, v] }) => {
        const accs = [tsEngine.accumulator(L), wasm.accumulator(L)];
        for (const acc of accs) {
          for (const y of ys) expect([acc.add(0, y[0]), acc.add(1, y[1])]).toEqual([true, true]);
          const wrong = ys[0]![k].slice();
          wrong[at] = Math.max(PRIMES[k], v);
          expect(acc.add(k, wrong)).toBe(false); // refused, and nothing changed
          acc.subtract(0, ys[0]![0]);
          acc.subtract(1, ys[0]![1]);
        }
        for (const k2 of [0, 1] as const) {
          const expected = new Uint32Array(L);
          for (const y of ys.slice(1)) y[k2].forEach((r, i) => (expected[i] = (expected[i]! + r) % PRIMES[k2]));
          expect(accs[0]!.reduce(k2)).toEqual(expected);
          expect(accs[1]!.reduce(k2)).toEqual(expected);
        }
      }),
      RUNS,
    );
  });
});

describe('the fallback has a typed reason', () => {
  afterAll(async () => {
    await reloadEngine({});
    await useEngine(undefined);
  });

  it('without WebAssembly SIMD (validate refuses v128) the reference runs: NO_SIMD', async () => {
    const validate = vi.spyOn(WebAssembly, 'validate').mockReturnValue(false);
    try {
      const r = await loadWasmEngine();
      expect(r).toEqual({ reason: { code: 'NO_SIMD', message: expect.stringContaining('SIMD') as string } });
    } finally {
      validate.mockRestore();
    }
  });

  it('disabled by option, the status names the reason and forcing wasm is a typed error', async () => {
    const status = await reloadEngine({ simd: false });
    expect(status.engine).toBe('ts');
    expect(status.fallback?.code).toBe('NO_SIMD');
    expect(engine().name).toBe('ts');
    const err = await useEngine('wasm').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineUnavailableError);
    expect((err as EngineUnavailableError).code).toBe('ENGINE_UNAVAILABLE');
    expect((err as EngineUnavailableError).reason.code).toBe('NO_SIMD');
    expect((await reloadEngine({})).engine).toBe('wasm');
  });

  it('forcing the reference says so', async () => {
    await useEngine('ts');
    expect(engineStatus()).toEqual({
      engine: 'ts',
      fallback: { code: 'FORCED', message: expect.any(String) as string },
    });
    expect(engine().name).toBe('ts');
    await useEngine(undefined);
    expect(engine().name).toBe('wasm');
  });
});
