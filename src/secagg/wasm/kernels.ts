/**
 * The wasm engine's view of its module (docs/protocol.md §6.1): the kernels arith.as.ts exports,
 * and the bump layout of buffers in a module instance's linear memory.
 */
export interface Kernels {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  shoupTable(src: number, dst: number, count: number, q: number): void;
  scaleInto(src: number, dst: number, count: number, c: number, q: number): void;
  nttForward(a: number, w: number, wp: number, q: number): void;
  nttInverseNoScale(a: number, w: number, wp: number, q: number): void;
  pointwise(a: number, b: number, bp: number, out: number, count: number, q: number): void;
  maskPrime(
    ...args: [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ]
  ): void;
  unmaskPrime(...args: [number, number, number, number, number, number, number, number, number, number]): void;
  cbd(bytes: number, out: number, count: number): void;
  evalShares(mat: number, values: number, m: number, tp: number, P: number, q: number, out: number): void;
  accumulate(acc: number, y: number, length: number, q: number): number;
  pack(src: number, dst: number, groups: number): number;
  unpack(src: number, dst: number, groups: number): number;
  subtract(acc: number, y: number, length: number): void;
  reduceAcc(acc: number, out: number, length: number, q: number): void;
}

export const align = (n: number): number => (n + 15) & ~15;

/** Bump layout of one call's buffers above `base`. */
export class Layout {
  private top: number;
  constructor(base: number) {
    this.top = align(base);
  }
  take(bytes: number): number {
    const p = this.top;
    this.top = align(p + bytes + 8); // 8 spare bytes: the CBD kernel reads each group as 8 bytes
    return p;
  }
  get end(): number {
    return this.top;
  }
}

/** Grows the memory to hold `end` bytes. */
export function ensure(memory: WebAssembly.Memory, end: number): void {
  const have = memory.buffer.byteLength;
  if (end > have) memory.grow(Math.ceil((end - have) / 65536));
}
