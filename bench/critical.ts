/**
 * `round_critical_path` (issue 17): the latency of a round as a deployment sees it, where every
 * participant has its own device. The rounds section's `secure_round` runs all participants in
 * one process, so it adds up every device's work; here each party's own work is measured on its
 * own, then combined along the round's critical path:
 *
 *   secure    = slowest trainer (train → quantize → mask, share, seal, sign → encode)
 *             + the server's collection and cut-off work (its CPU for the round minus unmasking)
 *             + slowest member (check the job, open and sum every slice, sign → encode)
 *             + the server's unmasking
 *   plaintext = slowest trainer (quantize → encode) + the server's CPU for the round
 *
 * Trainers train alike in both modes (the synthetic trainer), so training is left out of both.
 * Every trainer does the same work, as does every member, so "slowest" is the median of repeated
 * runs of one. Network time on the loopback is left out of both.
 */
import { checkJob } from '../src/client/verify.js';
import { signAsync } from '../src/cert/sign.js';
import {
  DEFAULT_MEMBER_POLICY,
  DEFAULT_PROFILE,
  RoundAggregator,
  answerJob,
  buildContribution,
  createIdentity,
  packResidues,
  quantize,
  type MemberIdentity,
  type RoundConfig,
} from '../src/secagg/index.js';
import { encodeMessage } from '../src/wire/codec.js';
import {
  type SignedSlot,
  benchAuthority,
  certify,
  committeeJobOf,
  contributionStatement,
  descriptorDigest,
  jobMessage,
  roundMessage,
  signAnswer,
  signedSlot,
} from './certified.js';
import type { BenchRecord } from './report.js';
import { measure } from './stats.js';

export interface PartyTimes {
  trainer_ms: number;
  member_ms: number;
  plaintext_trainer_ms: number;
}

const FEDERATION = 'bench-critical';

function update(L: number, seed: number): Float32Array {
  const u = new Float32Array(L);
  let x = seed * 2654435761;
  for (let i = 0; i < L; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    u[i] = ((x % 2001) - 1000) / 1e5;
  }
  return u;
}

/** Each party's own work for one round of n trainers with this scheme and length (medians). */
export async function partyTimes(
  trainers: number,
  scheme: { m: number; tRec: number; rho: number },
  L: number,
  reps = { warmup: 1, runs: 5 },
): Promise<PartyTimes> {
  const authority = benchAuthority();
  const members = Array.from({ length: scheme.m }, () => createIdentity());
  const memberCreds = members.map((id, j) => certify(authority, FEDERATION, `member-${j + 1}`, 'member', id.publicKey));
  const cfg: RoundConfig = {
    ...DEFAULT_PROFILE,
    federation: FEDERATION,
    round: 1,
    length: L,
    committee: scheme,
    memberKeys: members.map((m) => m.publicKey),
    publicSeed: new Uint8Array(32).fill(7),
  };
  const round = roundMessage(
    cfg,
    memberCreds.map((c) => c.cert),
    'member',
    1,
  );
  const D = descriptorDigest(round);
  const trainerCreds = certify(authority, FEDERATION, 'trainer-0', 'trainer', createIdentity().publicKey);
  const quant = { clip: 1, bits: cfg.bits };
  // the round's length is the update's plus the weight coordinate (src/secagg/quantize.ts)
  const q = (seed: number): Int32Array => quantize(update(L - 1, seed), 1, quant, rnd(L));
  const rnd = (n: number): Uint32Array => crypto.getRandomValues(new Uint32Array(n));

  // A trainer: quantize → contribution (mask, share, seal, digests) → sign → encode the message.
  const trainer = await measure({
    ...reps,
    run: async () => {
      const { contribution: c, digests } = await buildContribution(cfg, 'trainer-0', q(1));
      const sig = await signAsync(trainerCreds.signing.secretKey, contributionStatement(c, digests, D));
      return encodeMessage({
        t: 'contribution',
        round: 1,
        y1: c.wire?.[0] ?? packResidues(c.masked[0]),
        y2: c.wire?.[1] ?? packResidues(c.masked[1]),
        eph: c.ephemeralPublic,
        sealed: [...c.sealed],
        sig,
        keys: [...digests.keys],
      }).length;
    },
  });
  const plaintextTrainer = await measure({
    ...reps,
    run: () => {
      const x = q(1);
      return encodeMessage({ t: 'plain', round: 1, x: new Uint8Array(x.buffer, x.byteOffset, x.byteLength) }).length;
    },
  });

  // A member: the job for `trainers` real signed contributions; check, open and sum, sign, encode.
  const agg = new RoundAggregator(cfg);
  const signed = new Map<string, SignedSlot>();
  for (let i = 0; i < trainers; i++) {
    const id = `trainer-${String(i).padStart(4, '0')}`;
    const { contribution, digests } = await buildContribution(cfg, id, q(i + 2));
    await agg.add(contribution);
    const creds = certify(authority, FEDERATION, id, 'trainer', createIdentity().publicKey);
    signed.set(id, signedSlot(creds, contribution, digests, D));
  }
  const job = jobMessage(agg.closeContributions().jobs[0]!, signed);
  const me = members[0] as MemberIdentity;
  const trust = { authorities: [authority.publicKey] };
  const cache = new Set<string>();
  const member = await measure({
    ...reps,
    run: async () => {
      await checkJob(round, job, D, trust, cache);
      const r = await answerJob(cfg, committeeJobOf(FEDERATION, job), me, DEFAULT_MEMBER_POLICY);
      const s = signAnswer(memberCreds[0]!.signing.secretKey, r);
      return encodeMessage({ t: 'answer', round: 1, memberIndex: 1, hS: r.survivorHash, ...s }).length;
    },
  });
  return {
    trainer_ms: trainer.median_ms,
    member_ms: member.median_ms,
    plaintext_trainer_ms: plaintextTrainer.median_ms,
  };
}

/** The two `round_critical_path` rows (secure and plaintext) from the parties' and the server's times. */
export function criticalPathRecords(
  n: number,
  parties: PartyTimes,
  server: { secureCpuMs: number; unmaskMs: number; plaintextCpuMs: number; L: number; trainers: number },
): BenchRecord[] {
  const collect = Math.max(0, server.secureCpuMs - server.unmaskMs);
  const secure = parties.trainer_ms + collect + parties.member_ms + server.unmaskMs;
  const plaintext = parties.plaintext_trainer_ms + server.plaintextCpuMs;
  const common = { n, L: server.L, trainers: server.trainers };
  return [
    {
      name: 'round_critical_path',
      ...common,
      mode: 'secure',
      median_ms: secure,
      trainer_ms: parties.trainer_ms,
      server_collect_ms: collect,
      member_ms: parties.member_ms,
      server_unmask_ms: server.unmaskMs,
      vs_plaintext: secure / plaintext,
    },
    {
      name: 'round_critical_path',
      ...common,
      mode: 'plaintext',
      median_ms: plaintext,
      trainer_ms: parties.plaintext_trainer_ms,
      server_ms: server.plaintextCpuMs,
      insecure: true,
    },
  ];
}
