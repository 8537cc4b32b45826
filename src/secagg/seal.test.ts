import { describe, expect, it } from 'vitest';
import { SealError } from './errors.js';
import { createIdentity } from './identity.js';
import { x25519PublicKey } from './primitives.js';
import { openSlice, sealSlice } from './seal.js';
import { seedOf } from '../../test/support/secagg.js';

describe('sealing of share slices', () => {
  const member = createIdentity(seedOf(1, 1));
  const other = createIdentity(seedOf(1, 2));
  const eph = seedOf(9, 9);
  const ephPub = x25519PublicKey(eph);
  const ctx = { federation: 'f', round: 1 };
  const slice = Uint32Array.from({ length: 100 }, (_, i) => i * 1000);
  const id = { ctx, clientId: 'alice', memberIndex: 2 };

  it('opens for its member only, and for its slot only', async () => {
    const sealed = await sealSlice(id, slice, eph, ephPub, member.publicKey);
    expect(sealed.length).toBe(400 + 16);
    expect(await openSlice(id, sealed, ephPub, member.secretKey, member.publicKey)).toEqual(slice);
    await expect(openSlice(id, sealed, ephPub, other.secretKey, other.publicKey)).rejects.toBeInstanceOf(SealError);
    for (const wrong of [
      { ...id, memberIndex: 3 },
      { ...id, clientId: 'bob' },
      { ...id, ctx: { ...ctx, round: 2 } },
      { ...id, ctx: { ...ctx, federation: 'g' } },
    ]) {
      await expect(openSlice(wrong, sealed, ephPub, member.secretKey, member.publicKey)).rejects.toBeInstanceOf(
        SealError,
      );
    }
  });

  it('refuses any flipped bit', async () => {
    const sealed = await sealSlice(id, slice, eph, ephPub, member.publicKey);
    for (const pos of [0, 100, sealed.length - 1]) {
      const bad = sealed.slice();
      bad[pos] = (bad[pos] as number) ^ 0x10;
      await expect(openSlice(id, bad, ephPub, member.secretKey, member.publicKey)).rejects.toBeInstanceOf(SealError);
    }
    const badEph = ephPub.slice();
    badEph[0] = (badEph[0] as number) ^ 1;
    await expect(openSlice(id, sealed, badEph, member.secretKey, member.publicKey)).rejects.toBeInstanceOf(SealError);
    await expect(
      openSlice(id, sealed.subarray(0, 10), ephPub, member.secretKey, member.publicKey),
    ).rejects.toBeInstanceOf(SealError);
  });
});
