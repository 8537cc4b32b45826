/**
 * The sealing measurement shared by the browser bench worker and the Node side of
 * bench/browser.ts: `buildContribution` (mask, packed Shamir shares, one sealed slice per
 * committee member) of one random 16-bit update of length L, committee m = 10 (t_rec = 7,
 * ρ = 3, as the secagg section's small committee). Pure TypeScript over src/secagg: no DOM,
 * no Node APIs.
 */
import {
  type RoundConfig,
  DEFAULT_PROFILE,
  activeBackends,
  buildContribution,
  createIdentity,
  explicitCommittee,
  maxQuantized,
} from '../../src/secagg/index.js';
import { measure } from '../stats.js';

export interface SealPlan {
  L: number;
  warmup: number;
  runs: number;
}

export interface SealResult {
  L: number;
  m: number;
  median_ms: number;
  min_ms: number;
  max_ms: number;
  runs: number;
  samples: number[];
  /** Medians of the trainer's own phase timings. */
  mask_ms: number;
  shares_ms: number;
  seal_ms: number;
  upload_bytes: number;
  backends: { aes: string; x25519: string };
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function randomUpdate(L: number): Int32Array {
  const limit = maxQuantized(DEFAULT_PROFILE.bits);
  const words = new Uint32Array(L);
  for (let i = 0; i < L; i += 16384) globalThis.crypto.getRandomValues(words.subarray(i, Math.min(L, i + 16384)));
  const out = new Int32Array(L);
  for (let i = 0; i < L; i++) out[i] = ((words[i] as number) % (2 * limit + 1)) - limit;
  return out;
}

export async function runSealBench(plan: SealPlan): Promise<SealResult> {
  const committee = explicitCommittee({ m: 10, tRec: 7, rho: 3 });
  const members = Array.from({ length: committee.m }, () => createIdentity());
  const cfg: RoundConfig = {
    ...DEFAULT_PROFILE,
    federation: 'bench',
    round: 1,
    length: plan.L,
    committee,
    memberKeys: members.map((id) => id.publicKey),
    publicSeed: Uint8Array.from({ length: 32 }, (_, i) => i + 1),
  };
  const x = randomUpdate(plan.L);
  let n = 0;
  const m = await measure({
    warmup: plan.warmup,
    runs: plan.runs,
    run: async () => buildContribution(cfg, `bench${String(n++).padStart(5, '0')}`, x),
  });
  const last = m.results.at(-1);
  const c = last?.contribution;
  const upload = c
    ? c.masked[0].byteLength +
      c.masked[1].byteLength +
      c.ephemeralPublic.length +
      c.sealed.reduce((a, s) => a + s.length, 0)
    : 0;
  return {
    L: plan.L,
    m: committee.m,
    median_ms: m.median_ms,
    min_ms: m.min_ms,
    max_ms: m.max_ms,
    runs: m.runs,
    samples: m.samples,
    mask_ms: medianOf(m.results.map((r) => r.timings.mask_ms)),
    shares_ms: medianOf(m.results.map((r) => r.timings.shares_ms)),
    seal_ms: medianOf(m.results.map((r) => r.timings.seal_ms)),
    upload_bytes: upload,
    backends: await activeBackends(),
  };
}
