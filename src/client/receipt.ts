/**
 * A trainer's receipt (docs/protocol.md §26): with a certified round's result it gets the
 * members' signed H_S (checked already, `checkAttestations` in verify.ts) and the final survivor
 * list S. It checks that S hashes to the H_S the members signed and that its own id and
 * contribution digest are in S — then its update is in the sum the committee unmasked, and it
 * says "included in round N, verified"; otherwise it says why, in words.
 */
import { bytesEqual } from '../base/bytes.js';
import { survivorHash } from '../secagg/index.js';
import type { ResultMsg } from '../wire/messages.js';

export type Receipt = { included: true; text: string } | { included: false; text: string };

export function checkReceipt(
  federation: string,
  r: ResultMsg,
  mine: { readonly clientId: string; readonly digest: Uint8Array },
): Receipt {
  const no = (why: string): Receipt => ({ included: false, text: `round ${r.round}: ${why}` });
  if (!r.ok) return no(`not included: the round failed${r.reason ? ` (${r.reason})` : ''}`);
  if (r.excluded?.includes(mine.clientId))
    return no('not included: left out after verifiable complaints against this contribution');
  const list = r.survivorList;
  const hS = r.attestations?.[0]?.hS;
  if (!list || !hS) return no('not verified: the result carries no survivor list or no signed H_S');
  let hash: Uint8Array;
  try {
    hash = survivorHash(
      { federation, round: r.round },
      list.map((s) => ({ clientId: s.id, digest: s.digest })),
    );
  } catch {
    return no('not verified: the survivor list is not sorted and unique');
  }
  if (!bytesEqual(hash, hS)) return no('not verified: the survivor list is not the one the members signed');
  const me = list.find((s) => s.id === mine.clientId);
  if (!me) return no('not included: this contribution is not in the survivor set the members unmasked');
  if (!bytesEqual(me.digest, mine.digest))
    return no('not included: the survivor set names another contribution under this id');
  return { included: true, text: `included in round ${r.round}, verified` };
}
