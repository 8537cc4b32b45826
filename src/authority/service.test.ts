/**
 * The enrollment authority's checks (service.ts), called directly: a valid request gets a
 * certificate that verifies under the authority's key and names exactly what was asked; every
 * other request is refused with its typed code and message, and nothing is issued.
 */
import { ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { authorityId, verifyCertificate } from '../cert/certificate.js';
import { createSigningKey, sign } from '../cert/sign.js';
import { enrollBytes } from '../cert/statements.js';
import { enrollProof } from '../secagg/index.js';
import type { EnrollRequest } from '../wire/authority.js';
import { participantIdOf } from '../wire/ids.js';
import { type TestParticipant, enrollRequest, testParticipant } from '../../test/support/enrollment.js';
import { AuthorityError, memoryKeys } from './keys.js';
import { DEFAULT_CERTIFICATE_MS, EnrollmentAuthority } from './service.js';

const FEDERATION = 'fed-svc';
const TOKEN = 'join-token-1';
const NOW = Date.UTC(2030, 5, 1);
const keys = memoryKeys();
const alice = testParticipant(1);
const bob = testParticipant(2);

let auth: EnrollmentAuthority;
beforeEach(() => {
  auth = new EnrollmentAuthority(keys, { federation: FEDERATION, token: TOKEN, now: () => NOW });
});

const request = (p: TestParticipant, roles?: ('trainer' | 'member')[]) =>
  enrollRequest(p, { federation: FEDERATION, token: TOKEN, enrollKey: keys.enrollPublic, ...(roles ? { roles } : {}) });

/** `r` with its body changed and signed again (signature by `signer`, proof by `prover`), as a client would. */
async function resigned(
  r: EnrollRequest,
  change: Partial<Pick<EnrollRequest, 'federation' | 'participantId' | 'sealKey' | 'signKey' | 'roles'>>,
  { signer = alice.signing.secretKey, prover = alice.identity, enrollKey = keys.enrollPublic } = {},
): Promise<EnrollRequest> {
  const body = { ...r, ...change };
  const bytes = enrollBytes(body);
  return { ...body, signature: sign(signer, bytes), proof: await enrollProof(prover, enrollKey, bytes) };
}

async function refused(r: EnrollRequest, a = auth): Promise<AuthorityError> {
  try {
    await a.enroll(r);
  } catch (e) {
    expect(e).toBeInstanceOf(AuthorityError);
    expect(a.issued.size).toBe(0);
    return e as AuthorityError;
  }
  throw new Error('the request was accepted');
}

const flip = (b: Uint8Array, bit: number) => {
  const c = Uint8Array.from(b);
  c[bit >> 3]! ^= 1 << (bit & 7);
  return c;
};

describe('EnrollmentAuthority.enroll', () => {
  it('certifies the federation, the derived participant id, both keys, the roles and 24 h of validity', async () => {
    const cert = await auth.enroll(await request(alice));
    expect(cert.body).toEqual({
      federation: FEDERATION,
      participantId: participantIdOf(alice.identity.publicKey),
      sealKey: alice.identity.publicKey,
      signKey: alice.signing.publicKey,
      roles: ['trainer', 'member'],
      notBefore: NOW - 60_000,
      notAfter: NOW + DEFAULT_CERTIFICATE_MS,
      authority: authorityId(keys.signPublic),
    });
    expect(DEFAULT_CERTIFICATE_MS).toBe(24 * 3600_000);
    for (const role of ['trainer', 'member'] as const)
      expect(() =>
        verifyCertificate(cert, { authorities: [keys.signPublic], federation: FEDERATION, role, now: NOW }),
      ).not.toThrow();
    expect(auth.issued.get(alice.participantId)).toBe(cert);
    expect(auth.info()).toEqual({
      federation: FEDERATION,
      publicKey: keys.signPublic,
      enrollKey: keys.enrollPublic,
      retired: [],
    });
  });

  it('grants only the roles asked for (each once), for the configured lifetime', async () => {
    const a = new EnrollmentAuthority(keys, {
      federation: FEDERATION,
      token: TOKEN,
      now: () => NOW,
      certificateMs: 5_000,
    });
    const member = await a.enroll(await request(alice, ['member', 'member']));
    expect(member.body.roles).toEqual(['member']);
    expect(member.body.notAfter).toBe(NOW + 5_000);
    const check = { authorities: [keys.signPublic], federation: FEDERATION, now: NOW };
    expect(() => verifyCertificate(member, { ...check, role: 'trainer' })).toThrow(/does not grant the trainer role/);
    const trainer = await a.enroll(await request(bob, ['trainer']));
    expect(trainer.body.roles).toEqual(['trainer']);
    expect(() => verifyCertificate(trainer, { ...check, role: 'member' })).toThrow(/does not grant the member role/);
    expect([...a.issued.keys()]).toEqual([alice.participantId, bob.participantId]);
  });

  it('enrolls a participant again with a rolled signing key', async () => {
    await auth.enroll(await request(alice));
    const rolled = { ...alice, signing: createSigningKey(new Uint8Array(32).fill(77)) };
    const again = await auth.enroll(await request(rolled));
    expect(again.body.signKey).toEqual(rolled.signing.publicKey);
    expect(auth.issued.get(alice.participantId)).toBe(again);
  });

  it('an open authority takes any token; one with neither token nor open cannot be made', async () => {
    const open = new EnrollmentAuthority(keys, { federation: FEDERATION, open: true, now: () => NOW });
    const r = await request(alice);
    await expect(open.enroll({ ...r, token: 'anything' })).resolves.toBeDefined();
    expect(() => new EnrollmentAuthority(keys, { federation: FEDERATION })).toThrow(
      expect.objectContaining({ code: 'UNAUTHENTICATED', message: 'an authority needs a join token or open' }),
    );
  });

  it.each(['', 'join-token-2', 'join-token-1 ', 'JOIN-TOKEN-1', 'join-token'])(
    'refuses the token %j (UNAUTHENTICATED)',
    async (token) => {
      const e = await refused({ ...(await request(alice)), token });
      expect([e.code, e.message]).toEqual(['UNAUTHENTICATED', 'wrong join token']);
    },
  );

  it('refuses another federation (WRONG_FEDERATION), before the token is looked at', async () => {
    const r = await resigned(await request(alice), { federation: 'fed-other' });
    const e = await refused(r);
    expect([e.code, e.message]).toEqual([
      'WRONG_FEDERATION',
      `this authority enrolls federation ${FEDERATION}, not fed-other`,
    ]);
    expect((await refused({ ...r, token: 'wrong' })).code).toBe('WRONG_FEDERATION');
  });

  it('refuses a participant id not derived from the sealing key, even when signed and proven (BAD_ENROLLMENT)', async () => {
    const r = await request(alice);
    for (const participantId of [bob.participantId, `${alice.participantId}0`, 'p0000000000000000']) {
      const e = await refused(await resigned(r, { participantId }));
      expect([e.code, e.message]).toEqual([
        'BAD_ENROLLMENT',
        'the participant id is not the one derived from the sealing key',
      ]);
    }
    // Bob's sealing key under Alice's id, proven by Bob.
    const e = await refused(await resigned(r, { sealKey: bob.identity.publicKey }, { prover: bob.identity }));
    expect(e.code).toBe('BAD_ENROLLMENT');
  });

  it('refuses a request signed by another key than the one it names (BAD_ENROLLMENT)', async () => {
    const r = await request(alice);
    const e = await refused(await resigned(r, {}, { signer: bob.signing.secretKey }));
    expect([e.code, e.message]).toEqual(['BAD_ENROLLMENT', 'the request is not signed by the signing key it names']);
    // Bob's signing key named, Alice's signature: the same.
    expect((await refused({ ...r, signKey: bob.signing.publicKey })).message).toBe(
      'the request is not signed by the signing key it names',
    );
  });

  it('refuses a bit flip in any field of a signed request, each with its code', async () => {
    const r = await request(alice);
    const SIG = 'the request is not signed by the signing key it names';
    const ID = 'the participant id is not the one derived from the sealing key';
    const POP = 'no proof of possession of the sealing key';
    const cases: [string, EnrollRequest, string, string][] = [
      [
        'federation',
        { ...r, federation: 'fed-svd' },
        'WRONG_FEDERATION',
        `this authority enrolls federation ${FEDERATION}, not fed-svd`,
      ],
      ['token', { ...r, token: 'join-token-0' }, 'UNAUTHENTICATED', 'wrong join token'],
      ['participantId', { ...r, participantId: `${r.participantId.slice(0, -1)}x` }, 'BAD_ENROLLMENT', ID],
      ['roles', { ...r, roles: ['trainer'] }, 'BAD_ENROLLMENT', SIG],
    ];
    for (let bit = 0; bit < 256; bit += 37) {
      cases.push([`sealKey bit ${bit}`, { ...r, sealKey: flip(r.sealKey, bit) }, 'BAD_ENROLLMENT', ID]);
      cases.push([`signKey bit ${bit}`, { ...r, signKey: flip(r.signKey, bit) }, 'BAD_ENROLLMENT', SIG]);
      cases.push([`proof bit ${bit}`, { ...r, proof: flip(r.proof, bit) }, 'BAD_ENROLLMENT', POP]);
    }
    for (let bit = 0; bit < 512; bit += 29)
      cases.push([`signature bit ${bit}`, { ...r, signature: flip(r.signature, bit) }, 'BAD_ENROLLMENT', SIG]);
    for (const [field, req, code, message] of cases) {
      const e = await refused(req);
      expect([e.code, e.message], field).toEqual([code, message]);
    }
    await expect(auth.enroll(r)).resolves.toBeDefined(); // the original still passes
  });

  it('refuses a proof of possession of another sealing key, for another authority or another request (BAD_ENROLLMENT)', async () => {
    const r = await request(alice);
    const POP = 'no proof of possession of the sealing key';
    const other = memoryKeys();
    const proofs = [
      await resigned(r, {}, { prover: bob.identity }),
      await resigned(r, {}, { enrollKey: other.enrollPublic }),
      { ...r, proof: (await request(alice, ['trainer'])).proof }, // made for another request's bytes
      { ...r, proof: (await request(bob)).proof },
    ];
    for (const req of proofs)
      expect([(await refused(req)).code, (await refused(req)).message]).toEqual(['BAD_ENROLLMENT', POP]);
    // A proof made for this authority's key is refused by another authority.
    const elsewhere = new EnrollmentAuthority(other, { federation: FEDERATION, token: TOKEN });
    expect((await refused(r, elsewhere)).message).toBe(POP);
  });

  it('refuses a small-order signing key, under which one signature fits every request (BAD_ENROLLMENT)', async () => {
    const r = await request(alice);
    const universal = new Uint8Array(64);
    universal[0] = 1; // R = identity, S = 0
    for (const hex of ED25519_TORSION_SUBGROUP) {
      const signKey = Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
      const body = { ...r, signKey };
      const bytes = enrollBytes(body);
      const req = { ...body, signature: universal, proof: await enrollProof(alice.identity, keys.enrollPublic, bytes) };
      expect((await refused(req)).message).toBe('the request is not signed by the signing key it names');
    }
  });

  it('refuses a low-order sealing key (no proof of possession can hold)', async () => {
    const sealKey = new Uint8Array(32); // the X25519 point of order 1 (u = 0)
    const body = {
      federation: FEDERATION,
      participantId: participantIdOf(sealKey),
      sealKey,
      signKey: alice.signing.publicKey,
      roles: ['trainer' as const],
    };
    const bytes = enrollBytes(body);
    const req = { ...body, token: TOKEN, signature: sign(alice.signing.secretKey, bytes), proof: new Uint8Array(32) };
    expect((await refused(req)).message).toBe('no proof of possession of the sealing key');
  });
});
