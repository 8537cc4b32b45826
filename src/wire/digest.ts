/**
 * The descriptor digest (docs/protocol.md §23): one SHA-256 over everything a `round` message
 * tells every participant alike — the round's configuration, the model version, weights and
 * architecture, the quantization and training settings, the committee's certificates and a DP
 * round's parameters and accounting (docs/dp.md §12) — but not what differs per participant
 * (role, member index, deadlines). Trainers sign it with their contribution; members refuse a
 * job whose contributions sign different digests, so a server that hands one trainer another
 * model or descriptor (Pasquini et al., CCS 2022) is caught.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { type CanonValue, canonicalDigest } from '../cert/canonical.js';
import { concatBytes } from '../base/bytes.js';
import { certificateDigest } from '../cert/certificate.js';
import { committeeBytes } from '../cert/committee.js';
import type { RoundMsg } from './messages.js';

export const DESCRIPTOR_LABEL = 'SpeakOnce/v1/descriptor';

/** A float64 as its 8 big-endian IEEE 754 bytes (the canonical encoding has no floats). */
function f64(x: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, x);
  return b;
}

const enc = new TextEncoder();

export function descriptorDigest(m: RoundMsg): Uint8Array {
  return descriptorDigestOf(m, sha256(m.weights));
}

/** The same digest from the weights' SHA-256 instead of the weights (a transcript keeps only it). */
export function descriptorDigestOf(
  m: Omit<RoundMsg, 't' | 'role' | 'memberIndex' | 'submitBy' | 'answerBy' | 'weights'>,
  weightsDigest: Uint8Array,
): Uint8Array {
  const c = m.config;
  const config: CanonValue[] =
    c.mode === 'secure'
      ? [
          c.mode,
          c.federation,
          c.round,
          c.length,
          c.delta,
          c.bits,
          c.nMax,
          [c.committee.m, c.committee.tRec, c.committee.rho],
          c.memberKeys,
          c.publicSeed,
        ]
      : [c.mode, c.federation, c.round, c.length, c.bits];
  const q = m.quant;
  return canonicalDigest(DESCRIPTOR_LABEL, [
    config,
    m.version,
    weightsDigest,
    sha256(enc.encode(JSON.stringify(m.architecture) ?? 'null')),
    [f64(q.clip), q.l2Clip === undefined ? new Uint8Array(0) : f64(q.l2Clip), f64(q.weightCap)],
    [m.train.epochs, m.train.batchSize, f64(m.train.learningRate)],
    m.metrics ? 1 : 0,
    (m.memberCerts ?? []).map((cert) => certificateDigest(cert)),
    m.committeeCert
      ? sha256(concatBytes(committeeBytes(m.committeeCert.body), m.committeeCert.signature))
      : new Uint8Array(0),
    // A DP round (docs/dp.md §12) appends its parameters and the stated accounting; a round
    // without DP keeps the digest it had before DP existed.
    ...(m.dp ? [dpEntry(m.dp)] : []),
  ]);
}

function dpEntry(dp: NonNullable<RoundMsg['dp']>): CanonValue[] {
  const p = dp.params;
  const a = dp.accounting;
  return [
    p.mechanism,
    [f64(p.noiseMultiplier), f64(p.clip), f64(p.gamma), f64(p.beta), p.sigma2.num, p.sigma2.den],
    [p.minSurvivors, p.colluders, f64(p.delta)],
    [f64(a.spent), f64(a.after), a.budget === undefined ? new Uint8Array(0) : f64(a.budget), a.rounds],
  ];
}
