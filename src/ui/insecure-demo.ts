/**
 * The red INSECURE DEMO notice of the participant tab and the dashboard. It is shown when a
 * round's committee, as its descriptor (or round_started event) gives it, is not subset-safe
 * (2·t_rec ≤ m + c_max with c_max = t_rec − ρ, docs/protocol.md §15) — which the page checks
 * itself, whatever the server says — or when the server declares that it runs with
 * --insecure-demo (its /status).
 */
import { isSubsetSafe } from '../secagg/committee.js';

/** A committee's sharing scheme as the descriptor and the observer events carry it. */
export interface Scheme {
  m: number;
  tRec: number;
  rho: number;
}

export const INSECURE_DEMO_TEXT =
  "INSECURE DEMO: this federation's committee is not subset-safe; a dishonest server could read individual updates";

/**
 * The notice, or undefined when there is nothing to warn about: `committee` is the latest
 * round's committee (undefined before the first round, or for a plaintext round), `declared`
 * whether the server says it runs with --insecure-demo.
 */
export function insecureDemoNotice(committee: Scheme | undefined, declared = false): string | undefined {
  const unsafe = committee !== undefined && committee.m > 0 && !isSubsetSafe(committee);
  if (!unsafe && !declared) return undefined;
  if (!unsafe) return `${INSECURE_DEMO_TEXT} (the server runs with --insecure-demo).`;
  const { m, tRec, rho } = committee;
  return `${INSECURE_DEMO_TEXT} (committee m=${m}, t_rec=${tRec}, ρ=${rho}: 2·t_rec = ${2 * tRec} does not exceed m + c_max = ${m + tRec - rho}).`;
}
