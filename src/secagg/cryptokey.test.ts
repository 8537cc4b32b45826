/**
 * Identities whose secret is a WebCrypto CryptoKey (the browser's non-extractable keys,
 * docs/threat-model.md "Browser keys") give the same bytes as the same key held as bytes: the
 * shared secret, the join and enrollment proofs, and the opened slices of a committee job.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { makeFederation, randomUpdate, seedOf } from '../../test/support/secagg.js';
import { SealError } from './errors.js';
import {
  createIdentity,
  createKeyIdentity,
  enrollProof,
  joinProof,
  type RawIdentity,
  toKeyIdentity,
  verifyEnrollProof,
  verifyJoinProof,
} from './identity.js';
import { type CommitteeJob, type MemberIdentity, answerJob } from './member.js';
import { importX25519Secret, useBackend, x25519PublicKey, x25519Shared } from './primitives.js';
import { RoundAggregator } from './aggregator.js';
import { buildContribution } from './trainer.js';

afterEach(() => useBackend(undefined));

/** The raw secret of an extractable X25519 CryptoKey (the last 32 bytes of its PKCS#8). */
async function secretBytes(key: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.exportKey('pkcs8', key)).slice(-32);
}

describe('X25519 secrets as CryptoKeys', () => {
  it('x25519Shared of a CryptoKey equals that of the same key as bytes (WebCrypto and noble)', async () => {
    const me = createIdentity(seedOf(1, 1));
    const peer = createIdentity(seedOf(2, 1));
    const key = await importX25519Secret(me.secretKey);
    expect(key.extractable).toBe(false);
    const fromKey = await x25519Shared(key, peer.publicKey);
    expect(fromKey).toEqual(await x25519Shared(me.secretKey, peer.publicKey));
    expect(fromKey).toEqual(await x25519Shared(peer.secretKey, me.publicKey));
    useBackend('noble'); // a CryptoKey still goes through WebCrypto; bytes through noble
    expect(await x25519Shared(key, peer.publicKey)).toEqual(fromKey);
    expect(await x25519Shared(me.secretKey, peer.publicKey)).toEqual(fromKey);
  });

  it('a CryptoKey refuses low-order and malformed public keys like bytes do', async () => {
    const key = await importX25519Secret(seedOf(3, 1));
    await expect(x25519Shared(key, new Uint8Array(32))).rejects.toBeInstanceOf(SealError);
    await expect(x25519Shared(key, new Uint8Array(31))).rejects.toBeInstanceOf(SealError);
    const one = new Uint8Array(32);
    one[0] = 1; // u = 1, of small order
    await expect(x25519Shared(key, one)).rejects.toBeInstanceOf(SealError);
  });

  it('a generated WebCrypto identity gives the join and enrollment proofs of its bytes', async () => {
    const keyId = await createKeyIdentity(true); // extractable, only to compare with its bytes
    const raw = createIdentity(await secretBytes(keyId.secretKey));
    expect(raw.publicKey).toEqual(keyId.publicKey);
    const challengeSecret = seedOf(4, 1);
    const challenge = x25519PublicKey(challengeSecret);
    const proof = await joinProof(keyId, challenge);
    expect(proof).toEqual(await joinProof(raw, challenge));
    expect(await verifyJoinProof(challengeSecret, challenge, keyId.publicKey, proof)).toBe(true);

    const authoritySecret = seedOf(5, 1);
    const authorityKey = x25519PublicKey(authoritySecret);
    const request = new TextEncoder().encode('an enrollment request');
    const ep = await enrollProof(keyId, authorityKey, request);
    expect(ep).toEqual(await enrollProof(raw, authorityKey, request));
    expect(await verifyEnrollProof(authoritySecret, authorityKey, keyId.publicKey, request, ep)).toBe(true);
  });

  it('a non-extractable generated identity cannot be exported, and still proves possession', async () => {
    const keyId = await createKeyIdentity();
    expect(keyId.secretKey.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('pkcs8', keyId.secretKey)).rejects.toThrow();
    const challengeSecret = seedOf(6, 1);
    const challenge = x25519PublicKey(challengeSecret);
    const proof = await joinProof(keyId, challenge);
    expect(await verifyJoinProof(challengeSecret, challenge, keyId.publicKey, proof)).toBe(true);
  });

  it('answerJob with CryptoKey identities opens the slices identically, and the round decodes', async () => {
    const L = 500;
    const committee = { m: 5, tRec: 3, rho: 1 };
    const fed = makeFederation(L, committee, 2, 9);
    const keyMembers: MemberIdentity[] = await Promise.all(fed.members.map((m) => toKeyIdentity(m as RawIdentity)));
    const updates = [0, 1, 2, 3].map((i) => randomUpdate(L, fed.cfg.bits, 70 + i));
    const agg = new RoundAggregator(fed.cfg);
    for (const [i, u] of updates.entries()) await agg.add((await buildContribution(fed.cfg, `c-${i}`, u)).contribution);
    const cut = agg.closeContributions();
    for (const j of [0, 2, 4]) {
      const job = cut.jobs[j] as CommitteeJob;
      const withKey = await answerJob(fed.cfg, job, keyMembers[j]!);
      expect(withKey).toEqual(await answerJob(fed.cfg, job, fed.members[j]!));
      agg.receive(withKey);
    }
    const res = await agg.unmask();
    const plain = new Float64Array(L);
    for (const u of updates) for (let i = 0; i < L; i++) plain[i] = (plain[i] as number) + (u[i] as number);
    expect(res.sum).toEqual(plain);
  });
});
