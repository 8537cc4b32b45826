/** A trainer's receipt (src/client/receipt.ts, docs/protocol.md §26): included only when S hashes to the signed H_S and holds its own digest. */
import { describe, expect, it } from 'vitest';
import { survivorHash } from '../secagg/index.js';
import type { ResultMsg } from '../wire/messages.js';
import { checkReceipt } from './receipt.js';

const d = (x: number) => new Uint8Array(32).fill(x);
const list = [
  { id: 'pa', digest: d(1) },
  { id: 'pb', digest: d(2) },
  { id: 'pc', digest: d(3) },
];
const hS = survivorHash(
  { federation: 'f', round: 4 },
  list.map((s) => ({ clientId: s.id, digest: s.digest })),
);
const result = (over: Partial<ResultMsg> = {}): ResultMsg => ({
  t: 'result',
  round: 4,
  ok: true,
  version: 4,
  survivors: 3,
  answered: 3,
  attestations: [{ memberIndex: 1, hS, answer: d(9), sig: new Uint8Array(64) }],
  survivorList: list,
  ...over,
});

describe('a trainer receipt', () => {
  it('says "included in round N, verified" when its digest is in the S whose H_S the members signed', () => {
    expect(checkReceipt('f', result(), { clientId: 'pb', digest: d(2) })).toEqual({
      included: true,
      text: 'included in round 4, verified',
    });
  });

  it('names each failure in words', () => {
    const me = { clientId: 'pb', digest: d(2) };
    expect(checkReceipt('f', result({ survivorList: list.filter((s) => s.id !== 'pb') }), me).text).toBe(
      'round 4: not verified: the survivor list is not the one the members signed',
    );
    const withoutMe = [list[0]!, list[2]!];
    const hS2 = survivorHash(
      { federation: 'f', round: 4 },
      withoutMe.map((s) => ({ clientId: s.id, digest: s.digest })),
    );
    const r2 = result({ survivorList: withoutMe, attestations: [{ ...result().attestations![0]!, hS: hS2 }] });
    expect(checkReceipt('f', r2, me).text).toBe(
      'round 4: not included: this contribution is not in the survivor set the members unmasked',
    );
    expect(checkReceipt('f', result(), { clientId: 'pb', digest: d(7) }).text).toBe(
      'round 4: not included: the survivor set names another contribution under this id',
    );
    expect(checkReceipt('f', result({ survivorList: undefined }), me).included).toBe(false);
    expect(checkReceipt('f', result({ ok: false, reason: 'x' }), me).text).toBe(
      'round 4: not included: the round failed (x)',
    );
    expect(checkReceipt('f', result({ excluded: ['pb'] }), me).text).toMatch(/left out after verifiable complaints/);
  });
});
