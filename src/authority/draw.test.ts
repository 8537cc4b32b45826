import { describe, expect, it } from 'vitest';
import { issueCertificate, authorityId, type Certificate } from '../cert/certificate.js';
import { presenceBytes, verifyCommittee } from '../cert/committee.js';
import { createSigningKey, sign } from '../cert/sign.js';
import { createIdentity } from '../secagg/index.js';
import { participantIdOf } from '../wire/ids.js';
import { CommitteeDraw } from './draw.js';
import { AuthorityError, memoryKeys } from './keys.js';

const keys = memoryKeys();
const FED = 'fed-draw';
const T0 = 1_700_000_000_000;

function volunteer(role: 'member' | 'trainer' = 'member'): { cert: Certificate; sk: Uint8Array } {
  const id = createIdentity();
  const s = createSigningKey();
  const cert = issueCertificate(keys.signSecret, {
    federation: FED,
    participantId: participantIdOf(id.publicKey),
    sealKey: id.publicKey,
    signKey: s.publicKey,
    roles: [role],
    notBefore: T0 - 1000,
    notAfter: T0 + 3600_000,
    authority: authorityId(keys.signPublic),
  });
  return { cert, sk: s.secretKey };
}

async function present(d: CommitteeDraw, v: { cert: Certificate; sk: Uint8Array }, now: number): Promise<void> {
  const sig = sign(v.sk, presenceBytes(FED, v.cert.body.participantId, now));
  await d.presence(v.cert, now, sig, now);
}

async function code(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (e instanceof AuthorityError) return e.code;
    throw e;
  }
  return undefined;
}

const scheme = { m: 3, tRec: 3, rho: 1 };

describe('the authority’s committee draw', () => {
  it('draws m distinct present volunteers, signs the list, and keeps it for the epoch', async () => {
    const d = new CommitteeDraw(keys, FED, { minEpochMs: 30_000 });
    const vs = Array.from({ length: 6 }, () => volunteer());
    for (const v of vs) await present(d, v, T0);
    const c = d.committee(scheme, T0);
    expect(new Set(c.body.members.map((x) => x.participantId)).size).toBe(3);
    const ids = new Set(vs.map((v) => v.cert.body.participantId));
    for (const x of c.body.members) expect(ids.has(x.participantId)).toBe(true);
    expect(c.body.pool).toBe(6);
    await verifyCommittee(c, { authorities: [keys.signPublic], federation: FED, now: T0 });
    // the same committee while valid, even when a fresh one is asked for before minEpochMs
    expect(d.committee(scheme, T0 + 1000)).toBe(c);
    expect(d.committee(scheme, T0 + 1000, true)).toBe(c);
    for (const v of vs) await present(d, v, T0 + 31_000);
    const later = d.committee(scheme, T0 + 31_000, true);
    expect(later.body.epoch).toBe(c.body.epoch + 1);
  });

  it('every present volunteer can be drawn (uniform draw, not the first ones)', async () => {
    const d = new CommitteeDraw(keys, FED, { minEpochMs: 0 });
    const vs = Array.from({ length: 5 }, () => volunteer());
    for (const v of vs) await present(d, v, T0);
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) for (const x of d.committee(scheme, T0, true).body.members) seen.add(x.participantId);
    expect(seen.size).toBe(5);
  });

  it('refuses presence that is stale, unsigned by the certified key, or from a certificate without the member role', async () => {
    const d = new CommitteeDraw(keys, FED);
    const v = volunteer();
    const other = createSigningKey();
    const id = v.cert.body.participantId;
    expect(await code(d.presence(v.cert, T0 - 120_000, sign(v.sk, presenceBytes(FED, id, T0 - 120_000)), T0))).toBe(
      'BAD_ENROLLMENT',
    );
    expect(await code(d.presence(v.cert, T0, sign(other.secretKey, presenceBytes(FED, id, T0)), T0))).toBe(
      'BAD_ENROLLMENT',
    );
    const t = volunteer('trainer');
    expect(await code(present(d, t, T0))).toBe('BAD_ENROLLMENT');
    expect(await code(() => d.committee(scheme, T0))).toBe('TOO_FEW_VOLUNTEERS');
  });

  it('a volunteer whose presence lapsed is out of the pool; a committee missing a member is re-drawn once allowed', async () => {
    const d = new CommitteeDraw(keys, FED, { presenceTtlMs: 5_000, minEpochMs: 10_000 });
    const vs = Array.from({ length: 4 }, () => volunteer());
    for (const v of vs) await present(d, v, T0);
    const c = d.committee(scheme, T0);
    const gone = c.body.members[0]!.participantId;
    for (const v of vs) if (v.cert.body.participantId !== gone) await present(d, v, T0 + 8_000);
    // before minEpochMs: the same list (stale); after: a fresh one without the lapsed volunteer
    expect(d.committee(scheme, T0 + 8_000)).toBe(c);
    const next = d.committee(scheme, T0 + 11_000);
    expect(next.body.members.map((x) => x.participantId)).not.toContain(gone);
    expect(next.body.pool).toBe(3);
  });
});
