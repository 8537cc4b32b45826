/**
 * Bounds on a msgpack frame's shape, checked before it is decoded: a walk over its bytes that
 * allocates nothing and stops at the first excess, so a frame of a few megabytes built to be
 * expensive (millions of nested arrays, hundreds of thousands of map keys) costs one linear scan
 * instead of the decoder's time and memory. The limits come from what the message schemas can
 * accept (messages.ts): no client message nests deeper than a handful of levels or holds more
 * than a few thousand values.
 */

export interface ShapeBounds {
  /** Containers nested in each other, the root counting as 1. */
  maxDepth: number;
  /** Array elements plus map keys and values, over the whole frame. */
  maxItems: number;
}

/** What a participant's message can be: join (certificate inside) is the deepest, a contribution the widest. */
export const CLIENT_SHAPE: ShapeBounds = { maxDepth: 8, maxItems: 16_384 };

/** Why the frame exceeds `b` or is not one msgpack value; undefined when it is within bounds. */
export function shapeProblem(data: Uint8Array, b: ShapeBounds): string | undefined {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const stack: number[] = [1];
  let pos = 0;
  let items = 0;
  const need = (n: number): boolean => pos + n <= data.byteLength;
  while (stack.length) {
    const top = stack.length - 1;
    const left = stack[top] as number;
    if (left === 0) {
      stack.pop();
      continue;
    }
    stack[top] = left - 1;
    if (!need(1)) return 'truncated';
    const tag = data[pos] as number;
    let skip = 0;
    let children = 0;
    let header = 1;
    if (tag <= 0x7f || tag >= 0xe0 || tag === 0xc0 || tag === 0xc2 || tag === 0xc3) skip = 0;
    else if (tag <= 0x8f) children = 2 * (tag & 0x0f);
    else if (tag <= 0x9f) children = tag & 0x0f;
    else if (tag <= 0xbf) skip = tag & 0x1f;
    else {
      const u8 = () => view.getUint8(pos + 1);
      const u16 = () => view.getUint16(pos + 1);
      const u32 = () => view.getUint32(pos + 1);
      const lengths: Record<number, [number, () => number]> = {
        0xc4: [2, u8],
        0xc5: [3, u16],
        0xc6: [5, u32], // bin
        0xd9: [2, u8],
        0xda: [3, u16],
        0xdb: [5, u32], // str
      };
      const fixed: Record<number, number> = {
        0xca: 5,
        0xcb: 9,
        0xcc: 2,
        0xcd: 3,
        0xce: 5,
        0xcf: 9,
        0xd0: 2,
        0xd1: 3,
        0xd2: 5,
        0xd3: 9,
        0xd4: 3,
        0xd5: 4,
        0xd6: 6,
        0xd7: 10,
        0xd8: 18,
      };
      if (fixed[tag]) {
        header = fixed[tag];
      } else if (lengths[tag]) {
        const [h, len] = lengths[tag] as [number, () => number];
        if (!need(h)) return 'truncated';
        header = h;
        skip = len();
      } else if (tag === 0xc7 || tag === 0xc8 || tag === 0xc9) {
        const h = tag === 0xc7 ? 3 : tag === 0xc8 ? 4 : 6;
        if (!need(h)) return 'truncated';
        header = h;
        skip = tag === 0xc7 ? u8() : tag === 0xc8 ? u16() : u32();
      } else if (tag === 0xdc || tag === 0xdd || tag === 0xde || tag === 0xdf) {
        header = tag === 0xdc || tag === 0xde ? 3 : 5;
        if (!need(header)) return 'truncated';
        const n = header === 3 ? u16() : u32();
        children = tag >= 0xde ? 2 * n : n;
      } else return `byte 0x${tag.toString(16)} at ${pos} is not msgpack`;
    }
    if (!need(header + skip)) return 'truncated';
    pos += header + skip;
    if (children > 0) {
      items += children;
      if (items > b.maxItems) return `more than ${b.maxItems} values`;
      stack.push(children);
      if (stack.length - 1 > b.maxDepth) return `nested deeper than ${b.maxDepth} levels`;
    }
  }
  if (pos !== data.byteLength) return `${data.byteLength - pos} bytes after the message`;
  return undefined;
}
