/**
 * The server's Σy on the wasm engine (docs/protocol.md §14, §6.1): lazy reduction in 64-bit lanes.
 */
import type { Accumulator } from '../engine-types.js';
import { PRIMES } from '../field.js';
import { type Kernels, Layout, ensure } from './kernels.js';

/** Σy in u64 lanes in an instance of its own: [acc q1 | acc q2 | input | output]. */
export class WasmAccumulator implements Accumulator {
  private readonly acc: [number, number];
  private readonly input: number;
  constructor(
    private readonly x: Kernels,
    private readonly length: number,
  ) {
    const lay = new Layout(x.heapBase());
    this.acc = [lay.take(8 * length), lay.take(8 * length)];
    this.input = lay.take(4 * length);
    ensure(x.memory, lay.end);
  }
  private load(y: Uint32Array): void {
    if (y.length !== this.length) throw new RangeError(`accumulator of ${this.length}, got ${y.length} residues`);
    new Uint32Array(this.x.memory.buffer, this.input, this.length).set(y);
  }
  add(k: 0 | 1, y: Uint32Array): boolean {
    this.load(y);
    return this.x.accumulate(this.acc[k], this.input, this.length, PRIMES[k]) === 1;
  }
  subtract(k: 0 | 1, y: Uint32Array): void {
    this.load(y);
    this.x.subtract(this.acc[k], this.input, this.length);
  }
  reduce(k: 0 | 1): Uint32Array {
    this.x.reduceAcc(this.acc[k], this.input, this.length, PRIMES[k]);
    return new Uint32Array(this.x.memory.buffer, this.input, this.length).slice();
  }
}
