/**
 * How the aggregation server gets its committee from the enrollment authority
 * (docs/protocol.md §24): in process (`npm start`, the harness) or over HTTP (a standalone
 * server, `--authority-url`). The server only asks; the authority draws and signs.
 */
import * as v from 'valibot';
import type { SignedCommittee } from '../cert/committee.js';
import type { ServerCertificate } from '../cert/server.js';
import { bytesEqual } from '../base/bytes.js';
import type { CommitteeSettings, SharingScheme } from '../secagg/index.js';
import { SHORT_ID } from '../wire/events.js';
import type { Participant } from './registry.js';
import type { Draw } from './schedule.js';
import { AuthorityErrorSchema, CommitteeResponseSchema } from '../wire/authority.js';
import { Refusal } from './refusal.js';

export interface AuthorityLink {
  /** The committee for this scheme; `fresh` asks for a new draw (the authority rate-limits it). */
  committee(scheme: SharingScheme, fresh: boolean): Promise<SignedCommittee>;
  /** The authority's certificate of the server's signing key (docs/protocol.md §26), where it gives one. */
  certifyServer?(signKey: Uint8Array): Promise<ServerCertificate>;
}

export function httpAuthorityLink(url: string, federation: string): AuthorityLink {
  const base = url.replace(/\/+$/, '');
  return {
    async committee(scheme, fresh) {
      let res: Response;
      try {
        res = await fetch(`${base}/v1/committee`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ federation, m: scheme.m, tRec: scheme.tRec, rho: scheme.rho, fresh }),
        });
      } catch (e) {
        throw new Refusal('NO_ROUND', `the enrollment authority at ${base} is unreachable: ${String(e)}`);
      }
      const body: unknown = await res.json().catch(() => undefined);
      if (!res.ok) {
        const err = v.safeParse(AuthorityErrorSchema, body);
        throw new Refusal('NO_ROUND', err.success ? err.output.error.message : `authority answered HTTP ${res.status}`);
      }
      const out = v.safeParse(CommitteeResponseSchema, body);
      if (!out.success) throw new Refusal('NO_ROUND', "the authority's committee answer is malformed");
      return out.output.committee;
    },
  };
}

/**
 * Seats the authority's committee for this scheme: every drawn member must be connected as a
 * volunteer under the key the list names, or the round waits and asks for a fresh draw (which
 * the authority grants at most once per epoch). Returns the draw, or why it cannot start, and
 * whether to ask for a fresh draw next time.
 */
export async function seatAuthorityCommittee(
  link: AuthorityLink,
  scheme: CommitteeSettings,
  fresh: boolean,
  host: {
    participant(id: string): Participant | undefined;
    connected(): Participant[];
    minTrainers: number;
  },
): Promise<{ draw: Draw | string; fresh: boolean }> {
  let signed: SignedCommittee;
  try {
    signed = await link.committee(scheme, fresh);
  } catch (e) {
    return { draw: `the authority draws no committee yet: ${e instanceof Error ? e.message : String(e)}`, fresh };
  }
  const b = signed.body;
  const members: Participant[] = [];
  for (const x of b.members) {
    const p = host.participant(x.participantId);
    if (!p?.conn || !p.committee || !bytesEqual(p.publicKey, x.sealKey)) {
      const who = x.participantId.slice(0, SHORT_ID);
      return { draw: `member ${who} of the authority's committee (epoch ${b.epoch}) is not connected`, fresh: true };
    }
    members.push(p);
  }
  const ids = new Set(members.map((p) => p.id));
  const trainers = host.connected().filter((p) => p.train && !ids.has(p.id));
  if (trainers.length < host.minTrainers)
    return {
      draw: `${trainers.length} trainer(s) connected besides the authority's committee, ${host.minTrainers} needed`,
      fresh: false,
    };
  return { draw: { trainers, members, committee: scheme, signedCommittee: signed }, fresh: false };
}
