/**
 * The canonical encoding (canonical.ts) is injective: distinct (label, field list) pairs never
 * share bytes, so a signature over one statement never stands for another. Checked two ways with
 * random strings (lone surrogates included), integers, byte strings and nested lists: a decoder
 * written here from the format's definition inverts every encoding, and pairs drawn from a small
 * alphabet (where near-collisions are likely) encode alike only when they are equal.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CanonValue, canonical, canonicalDigest } from './canonical.js';
import { CertificateError } from './errors.js';

/** Deep equality of field values: strings and integers by ===, bytes by content, lists pointwise. */
function same(a: CanonValue, b: CanonValue): boolean {
  if (typeof a === 'string' || typeof a === 'number') return a === b;
  if (a instanceof Uint8Array) return b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  if (typeof b === 'string' || typeof b === 'number' || b instanceof Uint8Array) return false;
  return a.length === b.length && a.every((x, i) => same(x, b[i] as CanonValue));
}

/** Parses canonical bytes back into the label and the fields (throws on anything else). */
function decode(bytes: Uint8Array): { label: string; fields: CanonValue[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const take = (n: number) => {
    if (at + n > bytes.length) throw new Error('truncated');
    const b = bytes.subarray(at, at + n);
    at += n;
    return b;
  };
  const u32 = () => {
    take(4);
    return view.getUint32(at - 4);
  };
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const value = (): CanonValue => {
    const tag = take(1)[0];
    if (tag === 1) return utf8.decode(take(u32()));
    if (tag === 2) {
      take(8);
      const n = view.getBigUint64(at - 8);
      if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('unsafe integer');
      return Number(n);
    }
    if (tag === 3) return Uint8Array.from(take(u32()));
    if (tag === 4) return Array.from({ length: u32() }, value);
    throw new Error(`unknown tag ${tag}`);
  };
  const label = new TextDecoder().decode(take(take(1)[0]!));
  const fields: CanonValue[] = [];
  while (at < bytes.length) fields.push(value());
  return { label, fields };
}

/** Any UTF-16 string: well-formed or with lone surrogates (what JSON.parse can give). */
const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: fc.nat(0xffff).map((c) => String.fromCharCode(c)), maxLength: 12 }),
);
const wellFormed = anyString.filter((s) => !/\p{Cs}/u.test(s));
const label = fc.string({
  unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
  minLength: 1,
});

function values(str: fc.Arbitrary<string>, int: fc.Arbitrary<number>, bytes: fc.Arbitrary<Uint8Array>) {
  return fc.letrec<{ value: CanonValue; list: CanonValue[] }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      str,
      int,
      bytes,
      tie('list') as fc.Arbitrary<CanonValue>,
    ),
    list: fc.array(tie('value'), { maxLength: 4 }),
  })).list;
}

const random = values(wellFormed, fc.oneof(fc.nat(300), fc.maxSafeNat()), fc.uint8Array({ maxLength: 12 }));
/** Few distinct leaves, so that two draws are often equal or nearly equal. */
const small = values(
  fc.constantFrom('', 'a', 'ab', 'b', '\u0000', 'é'),
  fc.constantFrom(0, 1, 256, 2 ** 32, Number.MAX_SAFE_INTEGER),
  fc.constantFrom(new Uint8Array(0), Uint8Array.of(0), Uint8Array.of(0, 0), Uint8Array.of(1)),
);

describe('canonical encoding', () => {
  it('has a left inverse: every (label, fields) decodes back to itself', () => {
    fc.assert(
      fc.property(label, random, (l, fields) => {
        const d = decode(canonical(l, fields));
        expect(d.label).toBe(l);
        expect(same(d.fields, fields)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('distinct field lists, or distinct labels, give distinct bytes (and digests)', () => {
    const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    fc.assert(
      fc.property(fc.constantFrom('A', 'B', 'AB'), small, fc.constantFrom('A', 'B', 'AB'), small, (la, a, lb, b) => {
        const equal = la === lb && same(a, b);
        expect(hex(canonical(la, a)) === hex(canonical(lb, b))).toBe(equal);
        expect(hex(canonicalDigest(la, a)) === hex(canonicalDigest(lb, b))).toBe(equal);
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses strings with lone surrogates (UTF-8 would turn them into U+FFFD, one encoding for two strings)', () => {
    for (const s of ['\uD800', 'a\uDC00b', '\uDBFF', 'x\uDFFF\uD800']) {
      expect(() => canonical('L', [s])).toThrow(CertificateError);
      expect(() => canonical('L', [[s]])).toThrow(/well-formed/);
    }
    // Surrogate pairs are characters like any other.
    expect(decode(canonical('L', ['\uD83D\uDE00'])).fields).toEqual(['\uD83D\uDE00']);
    fc.assert(
      fc.property(anyString, (s) => {
        let bytes: Uint8Array;
        try {
          bytes = canonical('L', [s]);
        } catch (e) {
          expect(e).toBeInstanceOf(CertificateError);
          expect((e as CertificateError).code).toBe('MALFORMED_CERTIFICATE');
          expect(s).toMatch(/\p{Cs}/u);
          return;
        }
        expect(decode(bytes).fields).toEqual([s]);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses integers that are negative, fractional or unsafe, and labels that are not printable ASCII', () => {
    for (const n of [-1, 0.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN, Infinity])
      expect(() => canonical('L', [n])).toThrow(/canonical integers are safe and non-negative/);
    for (const l of ['', 'a b', 'é', 'x'.repeat(256), 'tab\t'])
      expect(() => canonical(l, [])).toThrow(/statement label must be 1–255 printable ASCII bytes/);
    expect(canonical('x'.repeat(255), []).length).toBe(256);
  });
});
