import { createHash } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { MalformedInputError } from './errors.js';
import { contributionDigest, survivorHash } from './transcript.js';

describe('transcript hashes', () => {
  const eph = Uint8Array.from({ length: 32 }, (_, i) => i);
  const sealed = [new Uint8Array(100).fill(1), new Uint8Array(100).fill(2), new Uint8Array(7).fill(3)];

  it('the contribution digest is the same through WebCrypto, noble and a native incremental hash', async () => {
    const web = await contributionDigest(eph, sealed);
    expect(await contributionDigest(eph, sealed, () => sha256.create())).toEqual(web);
    expect(await contributionDigest(eph, sealed, () => createHash('sha256'))).toEqual(web);
    // and it binds every byte and the slice boundaries
    expect(await contributionDigest(eph, [sealed[0]!, sealed[1]!])).not.toEqual(web);
    expect(
      await contributionDigest(eph, [new Uint8Array(99).fill(1), new Uint8Array(101).fill(2), sealed[2]!]),
    ).not.toEqual(web);
  });

  it('H_S needs a sorted, unique survivor list with 32-byte digests', () => {
    const ctx = { federation: 'f', round: 1 };
    const d = new Uint8Array(32);
    expect(
      survivorHash(ctx, [
        { clientId: 'a', digest: d },
        { clientId: 'b', digest: d },
      ]),
    ).toHaveLength(32);
    expect(() =>
      survivorHash(ctx, [
        { clientId: 'b', digest: d },
        { clientId: 'a', digest: d },
      ]),
    ).toThrow(MalformedInputError);
    expect(() =>
      survivorHash(ctx, [
        { clientId: 'a', digest: d },
        { clientId: 'a', digest: d },
      ]),
    ).toThrow(MalformedInputError);
    expect(() => survivorHash(ctx, [{ clientId: 'a', digest: new Uint8Array(31) }])).toThrow(MalformedInputError);
  });
});
