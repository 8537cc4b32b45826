import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MalformedInputError } from './errors.js';
import { Q1, Q2 } from './field.js';
import { packResidues, packedLength, unpackResidues } from './packing.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('packed residues (docs/protocol.md §4.1)', () => {
  it('the vector of §4.1: 26 bits each, least significant first, zero padding', () => {
    const v = Uint32Array.of(1, 0x3ffffff, 0x1234567, 0x2abcdef, 67108863 - 100000);
    const packed = packResidues(v);
    expect(packed).toHaveLength(17);
    expect(hex(packed)).toBe('010000fcffff7f5634d27bf3aa5f79fe03');
    expect(unpackResidues(packed, 5, 1 << 26)).toEqual(v);
  });

  it('round-trips every length and value below q, in 6.5 bytes a residue', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 1 }), fc.integer(), (n, k, seed) => {
        const q = k === 0 ? Q1 : Q2;
        const v = Uint32Array.from({ length: n }, (_, i) => Math.abs((seed * 2654435761 + i * 40503) % q));
        const packed = packResidues(v);
        expect(packed.length).toBe(packedLength(n));
        expect(packed.length).toBe(Math.ceil((26 * n) / 8));
        expect(unpackResidues(packed, n, q)).toEqual(v);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a wrong length, a residue ≥ q, a padding bit, and a value over 26 bits to pack', () => {
    const v = Uint32Array.of(5, 6, 7, 8, 9);
    const packed = packResidues(v);
    expect(() => unpackResidues(packed.subarray(1), 5, Q1)).toThrow(MalformedInputError);
    expect(() => unpackResidues(packed, 4, Q1)).toThrow(/13 expected/);
    const big = packResidues(Uint32Array.of(Q1, 0, 0, 0));
    expect(() => unpackResidues(big, 4, Q1)).toThrow(/not reduced/);
    expect(unpackResidues(big, 4, 1 << 26)[0]).toBe(Q1);
    // 5 residues use 130 bits: bits 130..135 of the 17th byte are padding
    const padded = packed.slice();
    padded[16]! |= 0x80;
    expect(() => unpackResidues(padded, 5, Q1)).toThrow(/padding bits/);
    expect(() => packResidues(Uint32Array.of(1 << 26))).toThrow(/26 bits/);
  });
});
