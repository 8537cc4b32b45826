/**
 * How the aggregation server gets its committee from the enrollment authority
 * (docs/protocol.md §24): in process (`npm start`, the harness) or over HTTP (a standalone
 * server, `--authority-url`). The server only asks; the authority draws and signs.
 */
import * as v from 'valibot';
import type { SignedCommittee } from '../cert/committee.js';
import type { SharingScheme } from '../secagg/index.js';
import { AuthorityErrorSchema, CommitteeResponseSchema } from '../wire/authority.js';
import { Refusal } from './refusal.js';

export interface AuthorityLink {
  /** The committee for this scheme; `fresh` asks for a new draw (the authority rate-limits it). */
  committee(scheme: SharingScheme, fresh: boolean): Promise<SignedCommittee>;
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
