import { describe, expect, it } from 'vitest';
import { judgeSlice } from './complaint.js';
import { PRIMES } from './field.js';
import { createIdentity } from './identity.js';
import { gcmSeal, x25519PublicKey } from './primitives.js';
import { encodeSlice, memberSliceKey, sealSliceKeyed, sliceAssociatedData, sliceKeyCommitment } from './seal.js';
import { seedOf } from '../../test/support/secagg.js';

describe('judging a slice against its key commitment (docs/protocol.md §25)', () => {
  const member = createIdentity(seedOf(2, 1));
  const eph = seedOf(8, 8);
  const ephPub = x25519PublicKey(eph);
  const id = { ctx: { federation: 'f', round: 4 }, clientId: 'alice', memberIndex: 1 };
  const slice = Uint32Array.from({ length: 8 }, (_, i) => i * 7919);

  it("the member derives the trainer's slice key; an honest slice is 'ok' under its commitment", async () => {
    const { sealed, okm } = await sealSliceKeyed(id, slice, eph, ephPub, member.publicKey);
    expect(await memberSliceKey(id, ephPub, member.secretKey, member.publicKey)).toEqual(okm);
    const v = await judgeSlice(id, sealed, okm, sliceKeyCommitment(okm), 8);
    expect(v.kind).toBe('ok');
    expect(v.kind === 'ok' && v.values).toEqual(slice);
  });

  it("any other key is 'key' (it cannot prove anything), whatever it opens", async () => {
    const { sealed, okm } = await sealSliceKeyed(id, slice, eph, ephPub, member.publicKey);
    const other = okm.slice();
    other[0]! ^= 1;
    expect((await judgeSlice(id, sealed, other, sliceKeyCommitment(okm), 8)).kind).toBe('key');
    expect((await judgeSlice(id, sealed, okm.subarray(0, 43), sliceKeyCommitment(okm), 8)).kind).toBe('key');
  });

  it("a slice that does not open under the committed key is 'open'; one that opens to a non-slice is 'slice'", async () => {
    const { sealed, okm } = await sealSliceKeyed(id, slice, eph, ephPub, member.publicKey);
    const commitment = sliceKeyCommitment(okm);
    const flipped = sealed.slice();
    flipped[3]! ^= 0x40;
    expect((await judgeSlice(id, flipped, okm, commitment, 8)).kind).toBe('open');
    expect((await judgeSlice(id, crypto.getRandomValues(new Uint8Array(48)), okm, commitment, 8)).kind).toBe('open');
    // sealed under the committed key, but 7 residues, or one not reduced mod q1
    const ad = sliceAssociatedData(id);
    const short = await gcmSeal(okm.subarray(0, 32), okm.subarray(32), ad, encodeSlice(slice.subarray(0, 7)));
    expect((await judgeSlice(id, short, okm, commitment, 8)).kind).toBe('slice');
    const unreduced = slice.slice();
    unreduced[0] = PRIMES[0];
    const big = await gcmSeal(okm.subarray(0, 32), okm.subarray(32), ad, encodeSlice(unreduced));
    expect((await judgeSlice(id, big, okm, commitment, 8)).kind).toBe('slice');
  });

  it('the commitment is SHA-256("SpeakOnce/v1/slice-key" ‖ okm): the vector of docs/protocol.md §25', () => {
    const okm = Uint8Array.from({ length: 44 }, (_, i) => i);
    expect(Buffer.from(sliceKeyCommitment(okm)).toString('hex')).toBe(
      'eefacc9a142178faea9be53a28c47588c226e5a4e12dbc4ff5de42c9bf3d6f1e',
    );
  });
});
