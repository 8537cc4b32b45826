/**
 * The checks of one round's transcript (docs/transcript.md §6), in order, stopping at the first
 * failure, which names the party and the check. Every recomputation calls the function the server
 * itself uses — the descriptor digest (src/wire/digest.ts), H_S and the contribution digest
 * (src/secagg/transcript.ts), unmasking (src/secagg/aggregator.ts unmaskAnswers), the FedAvg step
 * (src/server/model.ts applyDecodedSum) — so a round the server ran honestly verifies whatever
 * decoding steps those functions gain.
 */
import { bytesEqual, concatBytes } from '../base/bytes.js';
import { verifyCertificateAsync } from '../cert/certificate.js';
import { CertificateError } from '../cert/errors.js';
import { verifyServerCertificate, serverDescriptorBytes } from '../cert/server.js';
import { verifySignature } from '../cert/sign.js';
import { answerBytes, contributionBytes } from '../cert/statements.js';
import { VerifyError, checkCommittee } from '../client/verify.js';
import {
  PRIMES,
  type Residues,
  contributionDigest,
  expandPublicRing,
  sha256Async,
  survivorHash,
  toHex,
  unmaskAnswers,
  unpackResidues,
} from '../secagg/index.js';
import { bytesToU32 } from '../wire/codec.js';
import { descriptorDigestOf } from '../wire/digest.js';
import { applyDecodedSum } from '../wire/fedavg.js';
import type { RoundMsg, SecureRoundConfig } from '../wire/messages.js';
import type { Transcript } from '../wire/transcript.js';
import { checkExclusions } from './exclusions.js';
import { fail } from './findings.js';

export interface RoundInputs {
  readonly t: Transcript;
  /** The authority keys the auditor pins. */
  readonly authorities: readonly Uint8Array[];
  /** Certificates whose signature verified already (the same trainers come back every round). */
  readonly certCache?: Set<string>;
  masked(): Promise<Uint8Array | undefined>;
  weights(version: number): Promise<Uint8Array | undefined>;
}

/** What the round's checks established (for the one line per round). */
export interface RoundVerdict {
  readonly serverKey: Uint8Array;
  /** Whether Σy was recomputed from the masked vectors (they are kept for the last K rounds). */
  readonly sumYRecomputed: boolean;
  readonly survivors: number;
  readonly answers: number;
}

const sha256 = sha256Async;
const f64Bytes = (a: Float64Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export async function checkRound(i: RoundInputs): Promise<RoundVerdict> {
  const { t } = i;
  const r = t.round;
  const c = t.descriptor.config;
  const now = Date.parse(t.startedAt);
  if (!Number.isFinite(now)) fail(r, 'server', 'transcript', `startedAt ${t.startedAt} is not a time`);
  if (c.federation !== t.federation || c.round !== r)
    fail(r, 'server', 'descriptor', `the descriptor is for ${c.federation} round ${c.round}`);

  // 1. The server's key, certified by the authority, and its signature over D.
  const cert = t.server.certificate;
  if (!cert)
    fail(r, 'server', 'server-certificate', 'the transcript carries no authority certificate of the server key');
  try {
    await verifyServerCertificate(cert, { authorities: i.authorities, federation: t.federation, now });
  } catch (e) {
    if (e instanceof CertificateError) fail(r, 'server', 'server-certificate', e.message);
    throw e;
  }
  if (!bytesEqual(cert.body.signKey, t.server.publicKey))
    fail(r, 'server', 'server-certificate', 'the certificate names another key than the one that signed');
  const D = descriptorDigestOf(t.descriptor, t.descriptor.weightsDigest);
  if (!bytesEqual(D, t.descriptorDigest)) fail(r, 'server', 'descriptor-digest', 'D does not match the descriptor');
  if (!(await verifySignature(t.server.publicKey, serverDescriptorBytes(t.federation, r, D), t.server.descriptorSig)))
    fail(r, 'server', 'descriptor-signature', "the server's signature over D does not verify");
  if (c.mode !== 'secure') fail(r, 'server', 'descriptor', 'a plaintext (INSECURE benchmark) round cannot be audited');

  // 2. The committee: certified members, the authority's signed draw.
  try {
    await checkCommittee(t.descriptor as unknown as RoundMsg, { authorities: i.authorities }, new Set(), now);
  } catch (e) {
    if (e instanceof VerifyError) fail(r, 'server', 'committee', e.message);
    throw e;
  }
  const memberCerts = t.descriptor.memberCerts ?? [];

  // 3. Every contribution: a distinct certified trainer's signature over D and its digests.
  const bytesOf = await contributionBytesOf(i, c);
  const ids = new Set<string>();
  const keys = new Set<string>();
  for (const x of t.contributions) {
    const who = `trainer ${x.id}`;
    const s = x.signed;
    if (!s) fail(r, who, 'contribution-signature', 'the contribution carries no signed statement');
    if (ids.has(x.id)) fail(r, who, 'distinct-trainers', 'the trainer contributes twice');
    ids.add(x.id);
    const k = toHex(s.cert.body.signKey);
    if (keys.has(k)) fail(r, who, 'distinct-trainers', 'its signing key signed another contribution of the round');
    keys.add(k);
    if (s.cert.body.participantId !== x.id) fail(r, who, 'trainer-certificate', 'the certificate names another id');
  }
  // The signatures verify concurrently (WebCrypto runs them off the main thread); the first
  // failure in contribution order is the one reported.
  const checks = await Promise.all(
    t.contributions.map((x) => contributionProblem(x, t, D, bytesOf, i.authorities, now, i.certCache)),
  );
  const problem = checks.find((p) => p !== undefined);
  if (problem) fail(r, problem.who, problem.check, problem.message);

  // 4. S and H_S: at the cut-off every contribution; after exclusions, those minus the convicted.
  const hS = checkSurvivors(t);
  await checkExclusions(t, c, D, i.authorities, now);

  // 5. The members' signed answers: all for the same H_S, each under its certificate.
  const seen = new Set<number>();
  for (const a of t.answers) {
    const who = `member ${a.memberIndex}`;
    const mc = memberCerts[a.memberIndex - 1];
    if (!mc || seen.has(a.memberIndex)) fail(r, who, 'answer', 'no such member, or it answered twice');
    seen.add(a.memberIndex);
    if (!hS || !bytesEqual(a.hS, hS)) fail(r, who, 'answer-hs', 'the member answered for another survivor set');
    const att = t.attestations.find((x) => x.memberIndex === a.memberIndex);
    if (!a.sig || !att || !bytesEqual(att.sig, a.sig) || !bytesEqual(att.answer, await sha256(a.sum)))
      fail(r, who, 'answer-attestation', 'the answer is not the one the attestation returned to participants');
    const statement = answerBytes({
      federation: t.federation,
      round: r,
      memberIndex: a.memberIndex,
      survivorHash: a.hS,
      answerDigest: await sha256(a.sum),
    });
    if (!(await verifySignature(mc.body.signKey, statement, a.sig)))
      fail(r, who, 'answer-signature', "the answer's signature does not verify under its certificate");
  }
  if (t.attestations.length !== t.answers.length)
    fail(r, 'server', 'answer-attestation', 'the attestations and the kept answers differ in number');

  const verdict = { serverKey: t.server.publicKey, survivors: t.survivors.length, answers: t.answers.length };
  if (t.outcome !== 'ok') {
    if (t.fedavg) fail(r, 'server', 'fedavg', 'a failed round records a model step');
    return { ...verdict, sumYRecomputed: false };
  }

  // 6. Σy: recomputed from the kept masked vectors of S.
  if (!t.sumY || !t.decoded || !t.fedavg) fail(r, 'server', 'transcript', 'a finished round lacks Σy, Σx or FedAvg');
  const sumY: Residues = [bytesToU32(t.sumY.y1, 'sumY.y1'), bytesToU32(t.sumY.y2, 'sumY.y2')];
  if (sumY[0].length !== c.length || sumY[1].length !== c.length)
    fail(r, 'server', 'sum-y', `Σy has ${sumY[0].length} coordinates, the descriptor says ${c.length}`);
  const sumYRecomputed = recomputeSumY(t, c, bytesOf, sumY);

  // 7. Unmask: Σs from the answers, the aggregate mask removed — the server's own function.
  const ring = await expandPublicRing(c.publicSeed, { federation: c.federation, round: r }, c.length);
  const answers = t.answers.map((a) => ({
    federation: t.federation,
    round: r,
    memberIndex: a.memberIndex,
    survivorHash: a.hS,
    sum: bytesToU32(a.sum, 'answer'),
  }));
  let decoded: Float64Array;
  try {
    decoded = unmaskAnswers(c, sumY, answers, ring).sum;
  } catch (e) {
    fail(r, 'server', 'unmask', `the answers do not reconstruct Σs: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!bytesEqual(f64Bytes(decoded), t.decoded)) fail(r, 'server', 'unmask', 'the decoded sum is not Σy − a·Σs over Δ');

  // 8. FedAvg: version N = version N − 1 plus the mean of the decoded sum — the server's own function.
  //    A DP round (docs/dp.md §12) decodes with the descriptor's `dp` parameters and the public
  //    seed, passed here exactly as outcome.ts passes them.
  const f = t.fedavg;
  if (f.versionBefore !== t.descriptor.version || f.versionAfter !== f.versionBefore + 1)
    fail(r, 'server', 'fedavg', `versions ${f.versionBefore} → ${f.versionAfter} do not follow the descriptor's`);
  const before = await i.weights(f.versionBefore);
  if (!before) fail(r, 'server', 'model-checkpoint', `model version ${f.versionBefore} is missing`);
  if (!bytesEqual(await sha256(before), t.descriptor.weightsDigest))
    fail(r, 'server', 'model-checkpoint', `model version ${f.versionBefore} is not the one the round started from`);
  const dp = t.descriptor.dp ? { params: t.descriptor.dp.params, seed: c.publicSeed } : undefined;
  const next = applyDecodedSum(new Float32Array(before.slice().buffer), decoded, { bits: f.bits, clip: f.clip }, dp);
  const nextBytes = new Uint8Array(next.weights.buffer);
  if (next.weightSum !== f.weightSum || !bytesEqual(await sha256(nextBytes), f.weightsAfter))
    fail(r, 'server', 'fedavg', `version ${f.versionAfter} is not version ${f.versionBefore} plus the FedAvg step`);
  const after = await i.weights(f.versionAfter);
  if (!after || !bytesEqual(after, nextBytes))
    fail(r, 'server', 'model-checkpoint', `model version ${f.versionAfter} on disk is not the FedAvg result`);
  return { ...verdict, sumYRecomputed };
}

interface Problem {
  who: string;
  check: string;
  message: string;
}

/** One contribution's certificate, signature and kept bytes; what is wrong with it, if anything. */
async function contributionProblem(
  x: Transcript['contributions'][number],
  t: Transcript,
  D: Uint8Array,
  bytesOf: (x: Transcript['contributions'][number]) => KeptBytes | undefined,
  authorities: readonly Uint8Array[],
  now: number,
  cache: Set<string> | undefined,
): Promise<Problem | undefined> {
  const who = `trainer ${x.id}`;
  const s = x.signed as NonNullable<typeof x.signed>;
  try {
    await verifyCertificateAsync(s.cert, { authorities, federation: t.federation, role: 'trainer', now }, cache);
  } catch (e) {
    if (e instanceof CertificateError) return { who, check: 'trainer-certificate', message: e.message };
    throw e;
  }
  const statement = contributionBytes({
    federation: t.federation,
    round: t.round,
    descriptorDigest: D,
    maskedDigest: s.masked,
    ephemeralPublic: x.eph,
    sliceDigests: s.slices,
    keyCommitments: s.keys,
  });
  if (!(await verifySignature(s.cert.body.signKey, statement, s.sig)))
    return { who, check: 'contribution-signature', message: 'the signature does not verify under its certified key' };
  const b = bytesOf(x);
  if (!b) return undefined;
  const [d1, d2] = await Promise.all([sha256(b.y1), sha256(b.y2)]);
  const masked = await sha256(concatBytes(d1, d2));
  if (!bytesEqual(masked, s.masked))
    return { who, check: 'masked-vector', message: 'the kept masked vector is not the signed one' };
  for (const [j, sl] of b.sealed.entries())
    if (!bytesEqual(await sha256(sl), s.slices[j] ?? new Uint8Array(0)))
      return { who, check: 'sealed-slice', message: `the kept slice for member ${j + 1} is not the signed one` };
  if (!bytesEqual(await contributionDigest(x.eph, b.sealed), x.digest))
    return { who, check: 'contribution-digest', message: 'the §13 digest does not match the kept slices' };
  return undefined;
}

interface KeptBytes {
  y1: Uint8Array;
  y2: Uint8Array;
  sealed: Uint8Array[];
}

/** Each contribution's kept bytes from the `.masked` file, when it is still there and its digest matches. */
async function contributionBytesOf(
  i: RoundInputs,
  c: SecureRoundConfig,
): Promise<(x: Transcript['contributions'][number]) => KeptBytes | undefined> {
  const t = i.t;
  const file = t.masked ? await i.masked() : undefined;
  if (!file || !t.masked) return () => undefined;
  // Its length only: every byte of it is one contribution's, checked against that trainer's
  // signed digests below (hashing the whole file as well would read it twice).
  if (file.length !== t.masked.bytes)
    fail(t.round, 'server', 'masked-file', 'the kept masked vectors are not the ones the transcript names');
  void c;
  return (x) => {
    const at = x.at;
    if (!at) return undefined;
    let o = at.offset;
    const take = (n: number) => file.subarray(o, (o += n));
    const y1 = take(at.y1);
    const y2 = take(at.y2);
    const sealed = at.sealed.map((n) => take(n));
    if (o > file.length) fail(t.round, 'server', 'masked-file', `the bytes of ${x.id} run past the file's end`);
    return { y1, y2, sealed };
  };
}

/** S at the cut-off, the exclusions and the final S, each with its H_S; returns the final H_S. */
function checkSurvivors(t: Transcript): Uint8Array | undefined {
  const r = t.round;
  const ctx = { federation: t.federation, round: r };
  const entries = (l: Transcript['survivors']) => l.map((x) => ({ clientId: x.id, digest: x.digest }));
  if (!t.cutoff) {
    if (t.outcome === 'ok') fail(r, 'server', 'survivor-set', 'a finished round has no cut-off');
    return undefined;
  }
  const contributed = [...t.contributions].map((x) => x.id).sort();
  const cut = t.cutoff.survivors;
  if (cut.length !== contributed.length || cut.some((x, j) => x.id !== contributed[j]))
    fail(r, 'server', 'survivor-set', 'S at the cut-off is not the set of accepted contributions');
  for (const x of cut) {
    const d = t.contributions.find((y) => y.id === x.id)?.digest;
    if (!d || !bytesEqual(d, x.digest)) fail(r, `trainer ${x.id}`, 'survivor-set', 'its digest in S is not its own');
  }
  let hash: Uint8Array;
  try {
    hash = survivorHash(ctx, entries(cut));
  } catch (e) {
    fail(r, 'server', 'survivor-set', e instanceof Error ? e.message : String(e));
  }
  if (!bytesEqual(hash, t.cutoff.hS)) fail(r, 'server', 'survivor-hash', 'H_S at the cut-off does not hash S');
  const out = new Set(t.excluded.map((x) => x.id));
  const expected = cut.filter((x) => !out.has(x.id));
  if (t.survivors.length !== expected.length || t.survivors.some((x, j) => x.id !== expected[j]?.id))
    fail(r, 'server', 'survivor-set', 'the final S is not S at the cut-off without the excluded trainers');
  const final = survivorHash(ctx, entries(t.survivors));
  if (!t.hS || !bytesEqual(final, t.hS)) fail(r, 'server', 'survivor-hash', 'the final H_S does not hash the final S');
  return final;
}

/** Σ over S of the kept y, mod q; false when some survivor's vector is no longer kept. */
function recomputeSumY(
  t: Transcript,
  c: SecureRoundConfig,
  bytesOf: (x: Transcript['contributions'][number]) => KeptBytes | undefined,
  sumY: Residues,
): boolean {
  const acc = [new Float64Array(c.length), new Float64Array(c.length)];
  for (const s of t.survivors) {
    const x = t.contributions.find((y) => y.id === s.id);
    const b = x && bytesOf(x);
    if (!b) return false;
    for (const k of [0, 1] as const) {
      const y = unpackResidues(k === 0 ? b.y1 : b.y2, c.length, PRIMES[k], `y${k + 1}`);
      const a = acc[k] as Float64Array;
      for (let j = 0; j < a.length; j++) a[j] = (a[j] as number) + (y[j] as number);
    }
  }
  for (const k of [0, 1] as const) {
    const a = acc[k] as Float64Array;
    const q = PRIMES[k];
    const want = sumY[k];
    for (let j = 0; j < a.length; j++)
      if ((a[j] as number) % q !== want[j])
        fail(t.round, 'server', 'sum-y', `Σy mod q${k + 1} differs at coordinate ${j}`);
  }
  return true;
}
