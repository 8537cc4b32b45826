import { encode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLIENT_SHAPE, shapeProblem } from './bounds.js';
import { WireError, decodeClientMessage } from './codec.js';

/** `n` arrays of one element nested in each other, as raw msgpack (0x91 … 0xc0). */
function nested(n: number): Uint8Array {
  const b = new Uint8Array(n + 1).fill(0x91);
  b[n] = 0xc0;
  return b;
}

describe('msgpack shape bounds before decoding', () => {
  it('accepts any value within the bounds, exactly as the decoder reads it', () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.constantFrom(null, true, false),
        fc.integer(),
        fc.double(),
        fc.string(),
        fc.uint8Array(),
        fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n }),
        fc.array(tie('v'), { maxLength: 5 }),
        fc.dictionary(fc.string(), tie('v'), { maxKeys: 5 }),
      ),
    })).v;
    fc.assert(
      fc.property(value, (x) => {
        const bytes = encode(x, { useBigInt64: true });
        expect(shapeProblem(bytes, { maxDepth: 100, maxItems: 1e6 })).toBeUndefined();
        expect(shapeProblem(bytes.subarray(0, bytes.length - 1), { maxDepth: 100, maxItems: 1e6 })).toBeDefined();
      }),
      { numRuns: 500 },
    );
  });

  it('refuses deep nesting, too many values and trailing bytes', () => {
    expect(shapeProblem(nested(8), CLIENT_SHAPE)).toBeUndefined();
    expect(shapeProblem(nested(9), CLIENT_SHAPE)).toBe('nested deeper than 8 levels');
    expect(shapeProblem(encode(new Array(20_000).fill(0)), CLIENT_SHAPE)).toBe('more than 16384 values');
    expect(shapeProblem(Uint8Array.of(0xc0, 0xc0), CLIENT_SHAPE)).toBe('1 bytes after the message');
    expect(shapeProblem(Uint8Array.of(0xc1), CLIENT_SHAPE)).toMatch(/is not msgpack/);
  });

  it('the frames of issue 14 are refused MALFORMED before the decoder sees them: 2·10^6 nested arrays, a 311k-key map', () => {
    const deep = nested(2_000_000);
    const keys = Object.fromEntries(Array.from({ length: 311_000 }, (_, i) => [String(i), 0]));
    for (const frame of [deep, encode({ t: 'join', ...keys })]) {
      const e = (() => {
        try {
          decodeClientMessage(frame, 1 << 30);
        } catch (err) {
          return err;
        }
      })();
      expect(e).toBeInstanceOf(WireError);
      expect((e as WireError).code).toBe('MALFORMED');
    }
    // and the decoder refuses a map longer than any schema accepts (32 keys) when the shape allows it
    const wide = encode(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 0])));
    expect(() => decodeClientMessage(wide, 1 << 20)).toThrow(/Max length exceeded: map length/);
  });
});
